//! Quality: the project's plain-text tests and instructions (revision-fenced), and the recorded
//! evaluations of candidates against them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::agents::QualityCheck;

/// At most this many plain-text tests per app.
pub const MAX_TESTS: usize = 100;
/// A test is 1..=this many characters.
pub const MAX_TEST_CHARS: usize = 2_000;
/// Instructions are at most this many characters.
pub const MAX_INSTRUCTIONS_CHARS: usize = 20_000;

/// An app's quality settings: what "works" means, in plain text, and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QualitySettings {
    pub app_id: String,
    /// Plain-text tests, e.g. "the checkout page shows a coupon field", in order.
    pub tests: Vec<String>,
    /// How to evaluate them (commands to run, what to look at), for the quality phase.
    pub instructions: String,
    /// Send it back with an update; 0 = never edited.
    pub revision: u32,
}

/// One evaluation of an app's quality tests (for a Goal's Round, or asked for by hand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QualityEvaluation {
    pub id: String,
    pub app_id: String,
    pub goal_id: Option<String>,
    pub round: Option<u32>,
    /// The commit that was evaluated.
    pub commit_sha: Option<String>,
    /// What started it, e.g. `round` or `manual`.
    pub trigger: String,
    /// None while running (or when it could not finish).
    pub passed: Option<bool>,
    pub checks: Vec<QualityCheck>,
    pub error: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// Check a list of plain-text tests: at most [`MAX_TESTS`], each 1..=[`MAX_TEST_CHARS`]
/// characters after trimming, no control characters but newlines and tabs. Returns the trimmed
/// tests.
pub fn check_tests(tests: &[String]) -> Result<Vec<String>, String> {
    if tests.len() > MAX_TESTS {
        return Err(format!("at most {MAX_TESTS} tests, got {}", tests.len()));
    }
    let mut out = Vec::with_capacity(tests.len());
    for (i, t) in tests.iter().enumerate() {
        let t = t.trim();
        let n = t.chars().count();
        if n == 0 {
            return Err(format!("test {} is empty", i + 1));
        }
        if n > MAX_TEST_CHARS {
            return Err(format!(
                "test {} is longer than {MAX_TEST_CHARS} characters",
                i + 1
            ));
        }
        if t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(format!(
                "test {} must not contain control characters",
                i + 1
            ));
        }
        out.push(t.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_are_trimmed_and_bounded() {
        assert_eq!(
            check_tests(&[" a ".into(), "b\nc".into()]).unwrap(),
            vec!["a".to_string(), "b\nc".to_string()]
        );
        assert!(check_tests(&["  ".into()]).unwrap_err().contains("empty"));
        assert!(check_tests(&["x".repeat(MAX_TEST_CHARS + 1)]).is_err());
        assert!(check_tests(&["x".repeat(MAX_TEST_CHARS)]).is_ok());
        assert!(check_tests(&vec!["t".to_string(); MAX_TESTS + 1]).is_err());
        assert!(check_tests(&["a\u{0}b".into()]).is_err());
    }
}
