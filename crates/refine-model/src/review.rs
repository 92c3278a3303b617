//! Review comments on a Round's candidate: where a comment may be placed (lines the candidate
//! diff shows), what a new candidate did to the lines a comment was made on, and the request a
//! "request changes" sends to the agent. Pure functions over unified patch text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Which side of the diff a line comment is on: `new` (the candidate's lines: added and
/// context) or `old` (the base's lines: deleted and context).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentSide {
    Old,
    New,
}

impl CommentSide {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentSide::Old => "old",
            CommentSide::New => "new",
        }
    }
    pub fn parse(s: &str) -> Option<CommentSide> {
        match s {
            "old" => Some(CommentSide::Old),
            "new" => Some(CommentSide::New),
            _ => None,
        }
    }
}

/// `draft` (editable, not sent yet), `sent` (went to the agent with "request changes"),
/// `resolved` (a reviewer closed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Draft,
    Sent,
    Resolved,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Draft => "draft",
            CommentStatus::Sent => "sent",
            CommentStatus::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<CommentStatus> {
        match s {
            "draft" => Some(CommentStatus::Draft),
            "sent" => Some(CommentStatus::Sent),
            "resolved" => Some(CommentStatus::Resolved),
            _ => None,
        }
    }
}

/// What the Goal's current candidate did to the lines a comment was made on (an earlier
/// candidate's): `addressed` (they changed), `untouched` (they did not), `outdated` (the file
/// is gone or renamed, so the lines cannot be followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CommentState {
    Addressed,
    Untouched,
    Outdated,
}

/// A reviewer's comment on a Round's candidate: on a line or a range of one file of the
/// candidate diff, or (no `path`) on the whole candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewComment {
    pub id: u32,
    pub goal_id: String,
    /// The Round whose candidate it was made on.
    pub round: u32,
    /// The candidate commit it was made on.
    pub commit: String,
    pub author: String,
    pub path: Option<String>,
    pub side: Option<CommentSide>,
    pub start_line: Option<u32>,
    pub end_line: Option<u32>,
    /// The header of the diff hunk the lines are in (`@@ -10,7 +10,9 @@ fn main`).
    pub hunk: Option<String>,
    /// The commented lines as the diff showed them.
    pub quote: Option<String>,
    pub body: String,
    pub status: CommentStatus,
    /// The Round "request changes" opened with it.
    pub sent_round: Option<u32>,
    /// Against the Goal's current candidate, when that is a later one than the comment's.
    pub state: Option<CommentState>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
}

impl ReviewComment {
    /// `src/app.py:40-44`, `src/app.py:40`, `src/app.py:12 (old)` or `the whole candidate`.
    pub fn location(&self) -> String {
        match (&self.path, self.start_line, self.end_line) {
            (Some(p), Some(a), Some(b)) => {
                let lines = if a == b {
                    format!("{a}")
                } else {
                    format!("{a}-{b}")
                };
                let side = match self.side {
                    Some(CommentSide::Old) => " (removed lines)",
                    _ => "",
                };
                format!("{p}:{lines}{side}")
            }
            (Some(p), _, _) => p.clone(),
            _ => "the whole candidate".into(),
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkLine {
    /// `' '` context, `'+'` added, `'-'` deleted.
    pub sign: char,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<HunkLine>,
}

fn header_starts(h: &str) -> Option<(u32, u32)> {
    let rest = h.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let first = |s: &str| s.split(',').next()?.parse::<u32>().ok();
    Some((first(old)?, first(new)?))
}

/// The hunks of one file's unified patch (file headers skipped), with line numbers.
pub fn parse_hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    let (mut old, mut new) = (0u32, 0u32);
    for raw in patch.lines() {
        if raw.starts_with("@@ ") {
            if let Some((o, n)) = header_starts(raw) {
                (old, new) = (o, n);
                hunks.push(Hunk {
                    header: raw.to_string(),
                    lines: Vec::new(),
                });
                continue;
            }
        }
        let Some(h) = hunks.last_mut() else { continue };
        let (sign, text) = match raw.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (c, raw[1..].to_string()),
            Some('\\') => continue,
            // An empty context line whose space was trimmed.
            None => (' ', String::new()),
            Some(_) => continue,
        };
        let (o, n) = match sign {
            '+' => (None, Some(new)),
            '-' => (Some(old), None),
            _ => (Some(old), Some(new)),
        };
        if o.is_some() {
            old += 1;
        }
        if n.is_some() {
            new += 1;
        }
        h.lines.push(HunkLine {
            sign,
            old_no: o,
            new_no: n,
            text,
        });
    }
    hunks
}

fn side_no(l: &HunkLine, side: CommentSide) -> Option<u32> {
    match side {
        CommentSide::Old => l.old_no,
        CommentSide::New => l.new_no,
    }
}

/// Where a line comment may go: every line of `start..=end` on `side` is shown by one hunk.
/// Answers the hunk's header and the quoted lines, or why not.
pub fn locate(
    hunks: &[Hunk],
    side: CommentSide,
    start: u32,
    end: u32,
) -> Result<(String, String), String> {
    for h in hunks {
        let shown: Vec<&HunkLine> = h
            .lines
            .iter()
            .filter(|l| side_no(l, side).is_some_and(|n| n >= start && n <= end))
            .collect();
        if shown.len() as u64 == (end - start) as u64 + 1 {
            let quote = shown
                .iter()
                .map(|l| format!("{}{}", l.sign, l.text))
                .collect::<Vec<_>>()
                .join("\n");
            return Ok((h.header.clone(), quote));
        }
    }
    let ranges: Vec<String> = hunks
        .iter()
        .filter_map(|h| {
            let ns: Vec<u32> = h.lines.iter().filter_map(|l| side_no(l, side)).collect();
            Some(format!("{}-{}", ns.first()?, ns.last()?))
        })
        .collect();
    Err(if ranges.is_empty() {
        format!("the diff shows no {} lines of this file", side.as_str())
    } else {
        format!(
            "lines {start}-{end} are not all shown in one hunk of the diff (its {} lines: {})",
            side.as_str(),
            ranges.join(", ")
        )
    })
}

/// Whether the diff from the commented candidate to a newer one changed the new-side lines
/// `start..=end` (a deleted line in the range, or a line inserted inside it).
pub fn range_changed(hunks: &[Hunk], start: u32, end: u32) -> bool {
    hunks.iter().any(|h| {
        let mut last_old = 0u32;
        h.lines.iter().any(|l| {
            let hit = match l.sign {
                '-' => l.old_no.is_some_and(|n| n >= start && n <= end),
                '+' => last_old >= start && last_old < end,
                _ => false,
            };
            if let Some(n) = l.old_no {
                last_old = n;
            }
            hit
        })
    })
}

/// Whether every old-side line of `start..=end` is still deleted by the (base → current
/// candidate) hunks.
pub fn still_deleted(hunks: &[Hunk], start: u32, end: u32) -> bool {
    (start..=end).all(|n| {
        hunks
            .iter()
            .flat_map(|h| h.lines.iter())
            .any(|l| l.sign == '-' && l.old_no == Some(n))
    })
}

/// The request "request changes" sends: every comment with its place and quoted code, then the
/// reviewer's own words.
pub fn request_text(
    actor: &str,
    candidate: &str,
    comments: &[ReviewComment],
    message: Option<&str>,
) -> String {
    let short: String = candidate.chars().take(10).collect();
    let mut out = format!(
        "Changes requested by {actor} on candidate {short} ({} comment{}):\n",
        comments.len(),
        if comments.len() == 1 { "" } else { "s" }
    );
    for (i, c) in comments.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n", i + 1, c.location()));
        if let Some(q) = &c.quote {
            for l in q.lines() {
                out.push_str(&format!("   > {l}\n"));
            }
        }
        for l in c.body.lines() {
            out.push_str(&format!("   {l}\n"));
        }
    }
    if let Some(m) = message.map(str::trim).filter(|m| !m.is_empty()) {
        out.push_str(&format!("\n{m}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,4 +1,5 @@ def main\n import os\n-x = 1\n+x = 2\n+y = 3\n print(x)\n \n@@ -20,2 +21,2 @@\n a\n-b\n+c\n";

    #[test]
    fn hunks_number_both_sides() {
        let h = parse_hunks(PATCH);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].header, "@@ -1,4 +1,5 @@ def main");
        let news: Vec<_> = h[0].lines.iter().map(|l| l.new_no).collect();
        assert_eq!(news, [Some(1), None, Some(2), Some(3), Some(4), Some(5)]);
        let olds: Vec<_> = h[1].lines.iter().map(|l| l.old_no).collect();
        assert_eq!(olds, [Some(20), Some(21), None]);
    }

    #[test]
    fn locate_needs_every_line_in_one_hunk() {
        let h = parse_hunks(PATCH);
        let (hunk, quote) = locate(&h, CommentSide::New, 2, 3).unwrap();
        assert_eq!(hunk, "@@ -1,4 +1,5 @@ def main");
        assert_eq!(quote, "+x = 2\n+y = 3");
        assert_eq!(locate(&h, CommentSide::Old, 2, 2).unwrap().1, "-x = 1");
        let e = locate(&h, CommentSide::New, 4, 9).unwrap_err();
        assert!(e.contains("1-5, 21-22"), "{e}");
        assert!(locate(&h, CommentSide::New, 5, 21).is_err());
    }

    #[test]
    fn changes_inside_a_range_count() {
        // From the commented candidate: line 2 changed, a line inserted after line 7.
        let next = parse_hunks("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -7,2 +7,3 @@\n g\n+new\n h\n");
        assert!(range_changed(&next, 2, 2));
        assert!(range_changed(&next, 7, 8));
        assert!(!range_changed(&next, 3, 6));
        assert!(!range_changed(&next, 8, 9));
    }

    #[test]
    fn the_request_lists_every_comment_with_its_code() {
        let c = ReviewComment {
            id: 1,
            goal_id: "g".into(),
            round: 1,
            commit: "abcdef0123456789".into(),
            author: "ana".into(),
            path: Some("app.py".into()),
            side: Some(CommentSide::New),
            start_line: Some(2),
            end_line: Some(3),
            hunk: None,
            quote: Some("+x = 2\n+y = 3".into()),
            body: "use a constant".into(),
            status: CommentStatus::Draft,
            sent_round: None,
            state: None,
            created_at: String::new(),
            updated_at: String::new(),
            resolved_at: None,
            resolved_by: None,
        };
        let mut general = c.clone();
        general.path = None;
        general.quote = None;
        general.body = "add a test".into();
        let commit = c.commit.clone();
        let t = request_text("ana", &commit, &[c, general], Some("thanks"));
        assert!(t.starts_with("Changes requested by ana on candidate abcdef0123 (2 comments):"));
        assert!(t.contains("1. app.py:2-3\n   > +x = 2\n   > +y = 3\n   use a constant\n"));
        assert!(t.contains("2. the whole candidate\n   add a test\n"));
        assert!(t.ends_with("\nthanks\n"));
    }
}
