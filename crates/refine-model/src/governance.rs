//! Governance (a product statement, a constitution and numbered rules) and guidance (entries
//! the agents are told to follow). Both are shared collections fenced by one revision per app:
//! a writer sends the revision it read, a stale one is refused and nothing is overwritten.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The product statement is at most this many characters.
pub const MAX_STATEMENT_CHARS: usize = 5_000;
/// The constitution is at most this many characters.
pub const MAX_CONSTITUTION_CHARS: usize = 50_000;
/// Titles of rules and guidance entries: one line, 1..=this many characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Bodies of rules and guidance entries are at most this many characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// At most this many rules (and, separately, guidance entries) per app.
pub const MAX_ENTRIES: usize = 200;

/// One governance rule. Its id (`R1`, `R2`, …) never changes and is never given to another
/// rule, so verdicts can cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GovernanceRule {
    pub id: String,
    pub title: String,
    pub body: String,
    /// 0-based place in the app's list.
    pub position: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// An app's governance: what the product is, its constitution, and its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Governance {
    pub app_id: String,
    /// What the product is and is for, in a few sentences.
    pub statement: String,
    /// The principles every change must respect (Markdown).
    pub constitution: String,
    pub rules: Vec<GovernanceRule>,
    /// One revision for the whole collection; every write bumps it. 0 = never edited.
    pub revision: u32,
    pub updated_at: Option<String>,
}

/// One guidance entry. Its id (`G1`, `G2`, …) never changes and is never reused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuidanceEntry {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Disabled entries are kept but not given to agents.
    pub enabled: bool,
    pub position: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// An app's guidance entries in order, with the collection's revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuidanceList {
    pub app_id: String,
    pub entries: Vec<GuidanceEntry>,
    /// Every write bumps it. 0 = never edited.
    pub revision: u32,
}

/// The number of an id made of `prefix` and a positive decimal number (`R12` → 12).
pub fn parse_entry_id(prefix: char, id: &str) -> Option<u64> {
    let digits = id.strip_prefix(prefix)?;
    if digits.is_empty() || digits.len() > 12 || digits.starts_with('0') {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_entry_id;

    #[test]
    fn entry_ids_are_a_letter_and_a_number() {
        assert_eq!(parse_entry_id('R', "R1"), Some(1));
        assert_eq!(parse_entry_id('G', "G204"), Some(204));
        for bad in [
            "R",
            "R0",
            "R01",
            "G1",
            "r1",
            "R1x",
            "R-1",
            "R 1",
            "R1234567890123",
            "",
        ] {
            assert_eq!(parse_entry_id('R', bad), None, "{bad}");
        }
    }
}
