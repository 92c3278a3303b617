//! `refine changes`: the app's Git status, diff, log, refs, commit, revert, stage, unstage and
//! churn.

use clap::Subcommand;
use refine_api::ops::changes;
use refine_core::changes::{
    ChangesInput, ChangesStatus, Churn, ChurnInput, Commit, CommitInput, Diff, DiffInput,
    DiffScope, LogInput, LogPage, PathsInput, Refs, RevertInput,
};

use super::{Commands, Run};
use crate::render::{opt, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum ChangesCmd {
    /// Staged, unstaged and untracked files.
    Status,
    /// The diff of the working tree (or --staged, --unstaged, or FROM..TO with --from/--to).
    Diff {
        #[arg(long, conflicts_with = "unstaged")]
        staged: bool,
        #[arg(long)]
        unstaged: bool,
        #[arg(long, requires = "to")]
        from: Option<String>,
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Only a summary per file.
        #[arg(long)]
        stat: bool,
        paths: Vec<String>,
    },
    /// The commit log, newest first (--skip N for the next page).
    Log {
        #[arg(long = "ref")]
        rev: Option<String>,
        #[arg(long)]
        path: Option<String>,
        #[arg(long)]
        author: Option<String>,
        #[arg(long)]
        grep: Option<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: u32,
        /// Leave out the newest N commits (the `nextSkip` of the page before).
        #[arg(long)]
        skip: Option<u32>,
    },
    /// Branches (local and remote) and worktrees.
    Refs,
    /// Commit what is staged (or --all tracked changes).
    Commit {
        #[arg(long, short)]
        message: String,
        #[arg(long, short)]
        all: bool,
    },
    /// Revert a commit with a new commit.
    Revert { sha: String },
    /// Stage paths.
    Stage { paths: Vec<String> },
    /// Unstage paths.
    Unstage { paths: Vec<String> },
    /// Lines added/removed per day and the most-changed files.
    Churn {
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

pub const COMMANDS: Commands = &[
    ("status", &[changes::STATUS.name]),
    ("diff", &[changes::DIFF.name]),
    ("log", &[changes::LOG.name]),
    ("refs", &[changes::REFS.name]),
    ("commit", &[changes::COMMIT.name]),
    ("revert", &[changes::REVERT.name]),
    ("stage", &[changes::STAGE.name]),
    ("unstage", &[changes::UNSTAGE.name]),
    ("churn", &[changes::CHURN.name]),
];

pub async fn run(r: &Run<'_>, cmd: &ChangesCmd) -> Result {
    let c = r.c;
    match cmd {
        ChangesCmd::Status => {
            let status = c
                .run(changes::STATUS, &ChangesInput { app_id: None })
                .await?;
            r.out.show(&status)
        }
        ChangesCmd::Diff {
            staged,
            unstaged,
            from,
            to,
            stat,
            paths,
        } => {
            let scope = match (from, staged, unstaged) {
                (Some(_), _, _) => None,
                (None, true, _) => Some(DiffScope::Staged),
                (None, _, true) => Some(DiffScope::Unstaged),
                _ => Some(DiffScope::All),
            };
            let input = DiffInput {
                app_id: None,
                scope,
                from: from.clone(),
                to: to.clone(),
                paths: (!paths.is_empty()).then(|| paths.clone()),
                context: None,
            };
            let diff = c.run(changes::DIFF, &input).await?;
            if *stat {
                r.out.show(&DiffStat(diff))
            } else {
                r.out.show(&diff)
            }
        }
        ChangesCmd::Log {
            rev,
            path,
            author,
            grep,
            since,
            until,
            limit,
            skip,
        } => {
            let input = LogInput {
                app_id: None,
                rev: rev.clone(),
                path: path.clone(),
                author: author.clone(),
                grep: grep.clone(),
                since: since.clone(),
                until: until.clone(),
                limit: Some(*limit),
                skip: *skip,
            };
            r.out.show(&c.run(changes::LOG, &input).await?)
        }
        ChangesCmd::Refs => r
            .out
            .show(&c.run(changes::REFS, &ChangesInput { app_id: None }).await?),
        ChangesCmd::Commit { message, all } => {
            let input = CommitInput {
                app_id: None,
                message: message.clone(),
                all: Some(*all),
            };
            let commit = c.run(changes::COMMIT, &input).await?;
            r.out.done(&commit, one_line)
        }
        ChangesCmd::Revert { sha } => {
            let input = RevertInput {
                app_id: None,
                sha: sha.clone(),
            };
            let commit = c.run(changes::REVERT, &input).await?;
            r.out.done(&commit, one_line)
        }
        ChangesCmd::Stage { paths } | ChangesCmd::Unstage { paths } => {
            let op = if matches!(cmd, ChangesCmd::Stage { .. }) {
                changes::STAGE
            } else {
                changes::UNSTAGE
            };
            let input = PathsInput {
                app_id: None,
                paths: paths.clone(),
            };
            r.out.show(&c.run(op, &input).await?)
        }
        ChangesCmd::Churn { days } => {
            let input = ChurnInput {
                app_id: None,
                days: Some(*days),
                top: None,
            };
            r.out.show(&c.run(changes::CHURN, &input).await?)
        }
    }
}

/// The first characters of a commit id.
fn short(sha: &str) -> String {
    sha.chars().take(10).collect()
}

/// `[0123456789] Subject`: a commit just made.
fn one_line(c: &Commit) -> String {
    format!("[{}] {}", short(&c.sha), c.subject)
}

/// `changes status` (and what stage and unstage leave).
impl Render for ChangesStatus {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "On {} ({})",
            opt(&self.branch),
            opt(&self.head).chars().take(12).collect::<String>()
        ));
        let rows = self
            .files
            .iter()
            .map(|f| {
                let state = if f.untracked {
                    "untracked".to_string()
                } else {
                    let both = [(f.staged, "staged"), (f.unstaged, "unstaged")];
                    let on: Vec<&str> = both.iter().filter(|(b, _)| *b).map(|(_, s)| *s).collect();
                    on.join(" ")
                };
                let path = match &f.orig_path {
                    Some(o) => format!("{o} → {}", f.path),
                    None => f.path.clone(),
                };
                vec![
                    Cell::from(format!("{}{}", f.index, f.worktree)),
                    Cell::from(state),
                    Cell::from(path),
                ]
            })
            .collect();
        p.table(&["xy", "state", "path"], rows);
    }
}

/// The totals line under a diff.
fn totals(d: &Diff, p: &mut Printer) {
    p.line(format!(
        "{} file(s) changed, {} insertion(s)(+), {} deletion(s)(-)",
        d.files_changed, d.additions, d.deletions
    ));
}

/// `changes diff`: each file's patch, coloured on a terminal.
impl Render for Diff {
    fn render(&self, p: &mut Printer) {
        for f in &self.files {
            if f.binary {
                p.line(format!("Binary file {} ({})", f.path, f.status));
            } else if f.truncated {
                p.line(format!(
                    "{}: diff too large to show (+{} -{})",
                    f.path, f.additions, f.deletions
                ));
            } else {
                for l in f.patch.lines() {
                    let tone = if l.starts_with('+') && !l.starts_with("+++") {
                        Tone::Good
                    } else if l.starts_with('-') && !l.starts_with("---") {
                        Tone::Bad
                    } else if l.starts_with("@@") {
                        Tone::Busy
                    } else {
                        Tone::Plain
                    };
                    p.toned(l, tone);
                }
            }
        }
        totals(self, p);
    }
}

/// `changes diff --stat`: one line per file.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct DiffStat(pub Diff);

impl Render for DiffStat {
    fn render(&self, p: &mut Printer) {
        for f in &self.0.files {
            let name = match &f.old_path {
                Some(o) => format!("{o} → {}", f.path),
                None => f.path.clone(),
            };
            let counts = if f.binary {
                "binary".to_string()
            } else {
                format!("+{} -{}", f.additions, f.deletions)
            };
            p.line(format!(" {:<10} {:<12} {name}", f.status, counts));
        }
        totals(&self.0, p);
    }
}

/// `changes log`: one row per commit, and where the next page starts.
impl Render for LogPage {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .commits
            .iter()
            .map(|c| {
                vec![
                    Cell::from(short(&c.sha)),
                    Cell::from(c.at.chars().take(10).collect::<String>()),
                    Cell::from(&c.author),
                    Cell::from(&c.subject),
                ]
            })
            .collect();
        p.table(&["sha", "date", "author", "subject"], rows);
        if let Some(skip) = self.next_skip {
            p.toned(format!("(more: --skip {skip})"), Tone::Dim);
        }
    }
}

/// `changes refs`: branches, then worktrees.
impl Render for Refs {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .branches
            .iter()
            .map(|b| {
                vec![
                    Cell::from(if b.current { "*" } else { "" }),
                    Cell::from(&b.name),
                    Cell::from(short(&b.sha)),
                    Cell::from(if b.remote { "remote" } else { "local" }),
                    Cell::from(opt(&b.upstream)),
                ]
            })
            .collect();
        p.table(&["", "branch", "sha", "where", "upstream"], rows);
        p.blank();
        let rows = self
            .worktrees
            .iter()
            .map(|w| {
                vec![
                    Cell::from(opt(&w.branch)),
                    Cell::from(w.head.as_deref().map_or("-".to_string(), short)),
                    Cell::from(&w.path),
                ]
            })
            .collect();
        p.table(&["worktree branch", "head", "path"], rows);
    }
}

/// `changes churn`: a bar per day with commits, then the most-changed files.
impl Render for Churn {
    fn render(&self, p: &mut Printer) {
        let max = self
            .days
            .iter()
            .map(|d| u64::from(d.added) + u64::from(d.removed))
            .max()
            .unwrap_or(0)
            .max(1);
        let width = |n: u32| ((f64::from(n) / max as f64) * 40.0).round() as usize;
        for d in self.days.iter().filter(|d| d.commits > 0) {
            p.line(format!(
                "{} {:>3} commit(s) \x20+{:<6} -{:<6} {}{}",
                d.day,
                d.commits,
                d.added,
                d.removed,
                "+".repeat(width(d.added)),
                "-".repeat(width(d.removed))
            ));
        }
        p.blank();
        p.line("Most-changed files");
        let rows = self
            .files
            .iter()
            .map(|f| {
                vec![
                    Cell::from(&f.path),
                    Cell::from(format!("+{} -{}", f.added, f.removed)),
                    Cell::from(f.commits),
                ]
            })
            .collect();
        p.table(&["path", "lines", "commits"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).expect("the operation's output")
    }

    #[test]
    fn status_and_diff_render_from_their_typed_output() {
        let st: ChangesStatus = typed(json!({
            "branch": "main", "head": "0123456789abcdef", "staged": 1, "unstaged": 1, "untracked": 1,
            "files": [
                {"path": "src/app.ts", "origPath": null, "index": "M", "worktree": "M", "staged": true, "unstaged": true, "untracked": false},
                {"path": "new.md", "origPath": "old.md", "index": "R", "worktree": " ", "staged": true, "unstaged": false, "untracked": false},
                {"path": "README.md", "origPath": null, "index": "?", "worktree": "?", "staged": false, "unstaged": false, "untracked": true}
            ]
        }));
        let out = shown(&st);
        assert!(
            out.starts_with("On main (0123456789ab)\nXY  STATE"),
            "{out}"
        );
        assert!(out.contains("MM  staged unstaged  src/app.ts"), "{out}");
        assert!(
            out.contains("R   staged           old.md → new.md"),
            "{out}"
        );
        assert!(out.contains("??  untracked        README.md"), "{out}");

        let diff: Diff = typed(json!({
            "filesChanged": 2, "additions": 1, "deletions": 1,
            "files": [
                {"path": "src/app.ts", "oldPath": null, "status": "modified", "binary": false, "additions": 1, "deletions": 1,
                 "patch": "@@ -1 +1 @@\n-export const x = 1;\n+export const x = 2;\n", "truncated": false},
                {"path": "logo.png", "oldPath": null, "status": "added", "binary": true, "additions": 0, "deletions": 0, "patch": "", "truncated": false}
            ]
        }));
        let out = shown(&diff);
        assert!(
            out.starts_with("@@ -1 +1 @@\n-export const x = 1;\n+export const x = 2;\n"),
            "{out}"
        );
        assert!(out.contains("Binary file logo.png (added)"), "{out}");
        assert!(
            out.ends_with("2 file(s) changed, 1 insertion(s)(+), 1 deletion(s)(-)\n"),
            "{out}"
        );
        let stat = shown(&DiffStat(diff));
        assert!(
            stat.starts_with(
                " modified   +1 -1        src/app.ts\n added      binary       logo.png\n"
            ),
            "{stat}"
        );
    }

    #[test]
    fn log_refs_and_churn_render_from_their_typed_output() {
        let log: LogPage = typed(json!({
            "commits": [{"sha": "abcdef0123456789", "parents": [], "author": "Ada", "email": "a@x",
                "at": "2026-03-01T10:00:00Z", "subject": "Bump x"}],
            "nextSkip": 20
        }));
        let out = shown(&log);
        assert!(
            out.contains("abcdef0123  2026-03-01  Ada     Bump x"),
            "{out}"
        );
        assert!(out.ends_with("(more: --skip 20)\n"), "{out}");
        let commit = log.commits[0].clone();
        assert_eq!(one_line(&commit), "[abcdef0123] Bump x");

        let refs: Refs = typed(json!({
            "branches": [{"name": "main", "sha": "abcdef0123456789", "remote": false, "current": true, "upstream": "origin/main"}],
            "worktrees": [{"path": "/src/site", "head": "abcdef0123456789", "branch": "main"}]
        }));
        let out = shown(&refs);
        assert!(
            out.contains("*  main    abcdef0123  local  origin/main"),
            "{out}"
        );
        assert!(
            out.contains("main             abcdef0123  /src/site"),
            "{out}"
        );

        let churn: Churn = typed(json!({
            "days": [{"day": "2026-03-01", "added": 4, "removed": 0, "commits": 1},
                     {"day": "2026-03-02", "added": 0, "removed": 0, "commits": 0}],
            "files": [{"path": "src/app.ts", "added": 4, "removed": 0, "commits": 1}]
        }));
        let out = shown(&churn);
        assert!(
            out.starts_with("2026-03-01   1 commit(s)  +4      -0      ++++"),
            "{out}"
        );
        assert!(
            !out.contains("2026-03-02"),
            "days without commits are left out: {out}"
        );
        assert!(
            out.contains("Most-changed files\nPATH        LINES  COMMITS\nsrc/app.ts  +4 -0  1"),
            "{out}"
        );
    }
}
