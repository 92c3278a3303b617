//! `refine changes …`: Git status, diff, log, commit, revert, stage, unstage, churn of the app.

use std::io::IsTerminal;

use clap::Subcommand;
use refine_client::Client;
use serde_json::{json, Value};

use crate::commands::{print_json, s};
use crate::{table, Result};

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
    /// The commit log.
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
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: u32,
    },
    /// Commit what is staged (or --all tracked changes).
    Commit {
        #[arg(long, short)]
        message: String,
        #[arg(long, short)]
        all: bool,
    },
    /// Revert a commit with a new commit.
    Revert {
        sha: String,
    },
    Stage {
        paths: Vec<String>,
    },
    Unstage {
        paths: Vec<String>,
    },
    /// Lines added/removed per day and the most-changed files.
    Churn {
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

fn colour(patch: &str) -> String {
    let patch = crate::out::escape(patch);
    if !std::io::stdout().is_terminal() {
        return patch.into_owned();
    }
    patch
        .lines()
        .map(|l| {
            if l.starts_with('+') && !l.starts_with("+++") {
                format!("\x1b[32m{l}\x1b[0m")
            } else if l.starts_with('-') && !l.starts_with("---") {
                format!("\x1b[31m{l}\x1b[0m")
            } else if l.starts_with("@@") {
                format!("\x1b[36m{l}\x1b[0m")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn print_status(v: &Value) {
    println!(
        "On {} ({})",
        s(v, "branch"),
        s(v, "head").chars().take(12).collect::<String>()
    );
    let rows = v["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let state = if f["untracked"] == json!(true) {
                        "untracked".to_string()
                    } else {
                        format!(
                            "{}{}",
                            if f["staged"] == json!(true) {
                                "staged "
                            } else {
                                ""
                            },
                            if f["unstaged"] == json!(true) {
                                "unstaged"
                            } else {
                                ""
                            }
                        )
                    };
                    let path = match f["origPath"].as_str() {
                        Some(o) => format!("{o} → {}", s(f, "path")),
                        None => s(f, "path"),
                    };
                    vec![
                        format!("{}{}", s(f, "index"), s(f, "worktree")),
                        state.trim().to_string(),
                        path,
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table::print(&["xy", "state", "path"], rows);
}

pub async fn run(c: &Client, cmd: &ChangesCmd, json_out: bool) -> Result {
    match cmd {
        ChangesCmd::Status => {
            let v = c.call("changes.status", json!({})).await?;
            if json_out {
                print_json(&v)
            } else {
                print_status(&v)
            }
        }
        ChangesCmd::Diff {
            staged,
            unstaged,
            from,
            to,
            stat,
            paths,
        } => {
            let scope = if from.is_some() {
                None
            } else if *staged {
                Some("staged")
            } else if *unstaged {
                Some("unstaged")
            } else {
                Some("all")
            };
            let v = c
                .call(
                    "changes.diff",
                    json!({"scope": scope, "from": from, "to": to, "paths": paths}),
                )
                .await?;
            if json_out {
                print_json(&v);
                return Ok(());
            }
            for f in v["files"].as_array().cloned().unwrap_or_default() {
                if *stat {
                    let name = match f["oldPath"].as_str() {
                        Some(o) => format!("{o} → {}", s(&f, "path")),
                        None => s(&f, "path"),
                    };
                    let counts = if f["binary"] == json!(true) {
                        "binary".to_string()
                    } else {
                        format!("+{} -{}", f["additions"], f["deletions"])
                    };
                    println!(" {:<10} {:<12} {name}", s(&f, "status"), counts);
                } else if f["binary"] == json!(true) {
                    println!("Binary file {} ({})", s(&f, "path"), s(&f, "status"));
                } else if f["truncated"] == json!(true) {
                    println!(
                        "{}: diff too large to show (+{} -{})",
                        s(&f, "path"),
                        f["additions"],
                        f["deletions"]
                    );
                } else {
                    crate::out::decorated(&colour(f["patch"].as_str().unwrap_or("")));
                }
            }
            println!(
                "{} file(s) changed, {} insertion(s)(+), {} deletion(s)(-)",
                v["filesChanged"], v["additions"], v["deletions"]
            );
        }
        ChangesCmd::Log {
            rev,
            path,
            author,
            grep,
            since,
            limit,
        } => {
            let v = c.call("changes.log", json!({"ref": rev, "path": path, "author": author, "grep": grep, "since": since, "limit": limit})).await?;
            if json_out {
                print_json(&v);
            } else {
                let rows = v["commits"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| {
                                vec![
                                    s(x, "sha").chars().take(10).collect(),
                                    s(x, "at").chars().take(10).collect(),
                                    s(x, "author"),
                                    s(x, "subject"),
                                ]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                table::print(&["sha", "date", "author", "subject"], rows);
            }
        }
        ChangesCmd::Commit { message, all } => {
            let v = c
                .call("changes.commit", json!({"message": message, "all": all}))
                .await?;
            if json_out {
                print_json(&v)
            } else {
                println!(
                    "[{}] {}",
                    s(&v, "sha").chars().take(10).collect::<String>(),
                    s(&v, "subject")
                )
            }
        }
        ChangesCmd::Revert { sha } => {
            let v = c.call("changes.revert", json!({"sha": sha})).await?;
            if json_out {
                print_json(&v)
            } else {
                println!(
                    "[{}] {}",
                    s(&v, "sha").chars().take(10).collect::<String>(),
                    s(&v, "subject")
                )
            }
        }
        ChangesCmd::Stage { paths } | ChangesCmd::Unstage { paths } => {
            let op = if matches!(cmd, ChangesCmd::Stage { .. }) {
                "changes.stage"
            } else {
                "changes.unstage"
            };
            let v = c.call(op, json!({"paths": paths})).await?;
            if json_out {
                print_json(&v)
            } else {
                print_status(&v)
            }
        }
        ChangesCmd::Churn { days } => {
            let v = c.call("changes.churn", json!({"days": days})).await?;
            if json_out {
                print_json(&v);
                return Ok(());
            }
            let ds = v["days"].as_array().cloned().unwrap_or_default();
            let max = ds
                .iter()
                .map(|d| d["added"].as_u64().unwrap_or(0) + d["removed"].as_u64().unwrap_or(0))
                .max()
                .unwrap_or(0)
                .max(1);
            for d in ds.iter().filter(|d| d["commits"].as_u64().unwrap_or(0) > 0) {
                let (a, r) = (
                    d["added"].as_u64().unwrap_or(0),
                    d["removed"].as_u64().unwrap_or(0),
                );
                let w = |n: u64| ((n as f64 / max as f64) * 40.0).round() as usize;
                println!(
                    "{} {:>3} commit(s) \x20+{:<6} -{:<6} {}{}",
                    s(d, "day"),
                    d["commits"],
                    a,
                    r,
                    "+".repeat(w(a)),
                    "-".repeat(w(r))
                );
            }
            println!("\nMost-changed files");
            let rows = v["files"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| {
                            vec![
                                s(f, "path"),
                                format!("+{} -{}", f["added"], f["removed"]),
                                f["commits"].to_string(),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            table::print(&["path", "lines", "commits"], rows);
        }
    }
    Ok(())
}
