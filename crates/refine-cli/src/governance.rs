//! `refine quality`, `refine governance`, `refine guidance`: the app's quality tests, its
//! governance (statement, constitution, rules) and the guidance given to agents. Every write
//! sends the revision just read, so a concurrent edit makes the command fail (exit 4) instead of
//! overwriting it.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::commands::{app_id, print_json, s};
use crate::{table, Result};
use refine_client::{CliError, Client};

#[derive(Args, Debug)]
pub struct QualityArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: QualityCmd,
}

#[derive(Subcommand, Debug)]
pub enum QualityCmd {
    /// The plain-text tests, numbered.
    Tests,
    /// Replace all tests: `refine quality set-tests "Checkout works" "Coupons apply"`, or one
    /// per line from a file (`--file -` reads standard input). No tests and no file clears them.
    SetTests {
        tests: Vec<String>,
        #[arg(long, conflicts_with = "tests")]
        file: Option<String>,
    },
    /// Show the instructions, or set them (TEXT, or `--file F|-`).
    Instructions {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Evaluations, newest first.
    History {
        /// Only this Goal's (`12`, `#12` or its id).
        #[arg(long)]
        goal: Option<String>,
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: u32,
    },
    /// One evaluation with every check.
    Show { id: String },
    /// Run the tests against a Goal's candidate now (the agent proposes one command per test).
    Evaluate {
        /// The Goal (`12`, `#12` or its id).
        goal: String,
        /// Round (default: the latest with a candidate).
        #[arg(long)]
        round: Option<u32>,
    },
}

#[derive(Args, Debug)]
pub struct GovernanceArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: GovernanceCmd,
}

#[derive(Subcommand, Debug)]
pub enum GovernanceCmd {
    /// Statement, constitution and rules.
    Show,
    /// Show the product statement, or set it (TEXT, or `--file F|-`).
    Statement {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Show the constitution, or set it (TEXT, or `--file F|-`).
    Constitution {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Governance rules: add, edit, rm, order.
    #[command(subcommand)]
    Rule(RuleCmd),
}

#[derive(Subcommand, Debug)]
pub enum RuleCmd {
    /// Add a rule at the end; prints its id (R1, R2, …).
    Add {
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// Read the body from a file (`-` = standard input).
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Change a rule's title and/or body.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Remove a rule (its id is never reused).
    Rm { id: String },
    /// Set the order: every rule id, e.g. `refine governance rule order R3 R1 R2`.
    Order { ids: Vec<String> },
}

#[derive(Args, Debug)]
pub struct GuidanceArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: GuidanceCmd,
}

#[derive(Subcommand, Debug)]
pub enum GuidanceCmd {
    /// The entries in order (enabled ones go to agents).
    List,
    /// Add an entry at the end; prints its id (G1, G2, …).
    Add {
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// Read the body from a file (`-` = standard input).
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
        /// Add it switched off.
        #[arg(long)]
        disabled: bool,
    },
    /// Change an entry's title and/or body.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Give the entry to agents again.
    Enable { id: String },
    /// Keep the entry but stop giving it to agents.
    Disable { id: String },
    /// Remove an entry (its id is never reused).
    Rm { id: String },
    /// Set the order: every entry id.
    Order { ids: Vec<String> },
}

fn read_text(path: &str) -> Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {path}: {e}")))
}

/// TEXT, or the content of `--file`, or None (show).
fn given(text: &Option<String>, file: &Option<String>) -> Result<Option<String>> {
    Ok(match (text, file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => Some(read_text(f)?),
        (None, None) => None,
    })
}

/// Ids are `R3`/`G3`; `3` is taken to mean the same.
fn entry_id(prefix: char, id: &str) -> String {
    let id = id.trim();
    if id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty() {
        format!("{prefix}{id}")
    } else {
        id.to_ascii_uppercase()
    }
}

async fn app_of(c: &Client, app: &Option<String>) -> Result<Value> {
    Ok(match app {
        Some(a) => json!(app_id(c, a).await?),
        None => Value::Null,
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

fn print_block(label: &str, text: &str) {
    if text.trim().is_empty() {
        println!("{label}: (none)");
    } else {
        println!("{label}:");
        for l in text.lines() {
            println!("  {l}");
        }
    }
}

fn verdict(e: &Value) -> &'static str {
    match e["passed"].as_bool() {
        Some(true) => "passed",
        Some(false) => "failed",
        None if e["endedAt"].is_string() => "error",
        None => "running",
    }
}

pub async fn quality(c: &Client, a: &QualityArgs, json_out: bool) -> Result {
    let app = app_of(c, &a.app).await?;
    match &a.cmd {
        QualityCmd::Tests => {
            let q = c
                .call("quality.settings.get", json!({"appId": app}))
                .await?;
            if json_out {
                print_json(&q);
                return Ok(());
            }
            print_tests(&q);
        }
        QualityCmd::SetTests { tests, file } => {
            let tests: Vec<String> = match file {
                Some(f) => read_text(f)?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                None => tests.clone(),
            };
            let q = c
                .call("quality.settings.get", json!({"appId": app}))
                .await?;
            let out = c
                .call(
                    "quality.settings.update",
                    json!({"appId": app, "revision": q["revision"], "tests": tests,
                           "instructions": q["instructions"]}),
                )
                .await?;
            if json_out {
                print_json(&out);
            } else {
                print_tests(&out);
            }
        }
        QualityCmd::Instructions { text, file } => {
            let q = c
                .call("quality.settings.get", json!({"appId": app}))
                .await?;
            let Some(text) = given(text, file)? else {
                if json_out {
                    print_json(
                        &json!({"instructions": q["instructions"], "revision": q["revision"]}),
                    );
                } else {
                    print_block(
                        "Instructions",
                        q["instructions"].as_str().unwrap_or_default(),
                    );
                }
                return Ok(());
            };
            let out = c
                .call(
                    "quality.settings.update",
                    json!({"appId": app, "revision": q["revision"], "tests": q["tests"],
                           "instructions": text}),
                )
                .await?;
            if json_out {
                print_json(&out);
            } else {
                println!("Saved the instructions (revision {})", out["revision"]);
            }
        }
        QualityCmd::History { goal, limit } => {
            let list = c
                .call(
                    "quality.evaluations.list",
                    json!({"appId": app, "goalId": goal, "limit": limit}),
                )
                .await?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows = list
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    let checks = e["checks"].as_array().cloned().unwrap_or_default();
                    let ok = checks.iter().filter(|x| x["passed"] == json!(true)).count();
                    vec![
                        s(e, "startedAt"),
                        verdict(e).to_string(),
                        format!("{ok}/{}", checks.len()),
                        s(e, "trigger"),
                        match e["round"].as_u64() {
                            Some(r) => format!("round {r}"),
                            None => "-".into(),
                        },
                        e["commitSha"]
                            .as_str()
                            .map(|c| c.chars().take(10).collect())
                            .unwrap_or_else(|| "-".into()),
                        s(e, "id"),
                    ]
                })
                .collect();
            table::print(
                &[
                    "started", "result", "checks", "trigger", "round", "commit", "id",
                ],
                rows,
            );
        }
        QualityCmd::Show { .. } | QualityCmd::Evaluate { .. } => {
            let e = match &a.cmd {
                QualityCmd::Evaluate { goal, round } => {
                    eprintln!("Evaluating Goal {goal}'s candidate…");
                    let r = c
                        .call("quality.evaluate", json!({"goalId": goal, "round": round}))
                        .await?;
                    c.call("quality.evaluations.get", json!({"id": r["id"]}))
                        .await?
                }
                QualityCmd::Show { id } => {
                    c.call("quality.evaluations.get", json!({"id": id})).await?
                }
                _ => unreachable!(),
            };
            if json_out {
                print_json(&e);
                return Ok(());
            }
            println!(
                "{} — {} ({}, started {})",
                s(&e, "id"),
                verdict(&e),
                s(&e, "trigger"),
                s(&e, "startedAt")
            );
            if let Some(err) = e["error"].as_str() {
                println!("  error: {err}");
            }
            let rows = e["checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|x| {
                    vec![
                        if x["passed"] == json!(true) {
                            "pass"
                        } else {
                            "FAIL"
                        }
                        .to_string(),
                        s(x, "test"),
                        s(x, "command"),
                        s(x, "exitCode"),
                        format!("{} ms", x["durationMs"]),
                    ]
                })
                .collect();
            table::print(&["", "test", "command", "exit", "took"], rows);
        }
    }
    Ok(())
}

fn print_tests(q: &Value) {
    let rows = q["tests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            vec![
                format!("{}", i + 1),
                t.as_str().unwrap_or_default().to_string(),
            ]
        })
        .collect();
    table::print(&["#", "test"], rows);
    println!("revision {}", q["revision"]);
}

fn print_governance(g: &Value) {
    print_block("Statement", g["statement"].as_str().unwrap_or_default());
    print_block(
        "Constitution",
        g["constitution"].as_str().unwrap_or_default(),
    );
    println!("Rules:");
    let rows = g["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            vec![
                s(r, "id"),
                s(r, "title"),
                first_line(r["body"].as_str().unwrap_or_default()),
            ]
        })
        .collect();
    table::print(&["id", "title", "body"], rows);
    println!("revision {}", g["revision"]);
}

pub async fn governance(c: &Client, a: &GovernanceArgs, json_out: bool) -> Result {
    let app = app_of(c, &a.app).await?;
    let current = c.call("governance.get", json!({"appId": app})).await?;
    let rev = current["revision"].clone();
    let (out, done) = match &a.cmd {
        GovernanceCmd::Show => {
            if json_out {
                print_json(&current);
            } else {
                print_governance(&current);
            }
            return Ok(());
        }
        GovernanceCmd::Statement { text, file } | GovernanceCmd::Constitution { text, file } => {
            let field = if matches!(a.cmd, GovernanceCmd::Statement { .. }) {
                "statement"
            } else {
                "constitution"
            };
            let Some(text) = given(text, file)? else {
                if json_out {
                    print_json(&json!({field: current[field], "revision": rev}));
                } else {
                    println!("{}", current[field].as_str().unwrap_or_default());
                }
                return Ok(());
            };
            let out = c
                .call(
                    "governance.update",
                    json!({"appId": app, "revision": rev, field: text}),
                )
                .await?;
            (out, format!("Saved the {field}"))
        }
        GovernanceCmd::Rule(RuleCmd::Add {
            title,
            body,
            body_file,
        }) => {
            let body = given(body, body_file)?.unwrap_or_default();
            let out = c
                .call(
                    "governance.rules.add",
                    json!({"appId": app, "revision": rev, "title": title, "body": body}),
                )
                .await?;
            let id = out["rules"]
                .as_array()
                .and_then(|r| r.last())
                .map(|r| s(r, "id"))
                .unwrap_or_default();
            (out, format!("Added rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Edit {
            id,
            title,
            body,
            body_file,
        }) => {
            let id = entry_id('R', id);
            let body = given(body, body_file)?;
            if title.is_none() && body.is_none() {
                return Err(CliError::Usage("give --title and/or --body".into()));
            }
            let out = c
                .call(
                    "governance.rules.update",
                    json!({"appId": app, "revision": rev, "id": id, "title": title, "body": body}),
                )
                .await?;
            (out, format!("Edited rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Rm { id }) => {
            let id = entry_id('R', id);
            let out = c
                .call(
                    "governance.rules.delete",
                    json!({"appId": app, "revision": rev, "id": id}),
                )
                .await?;
            (out, format!("Removed rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Order { ids }) => {
            let ids: Vec<String> = ids.iter().map(|i| entry_id('R', i)).collect();
            let out = c
                .call(
                    "governance.rules.reorder",
                    json!({"appId": app, "revision": rev, "ids": ids}),
                )
                .await?;
            (out, "Reordered the rules".to_string())
        }
    };
    if json_out {
        print_json(&out);
    } else {
        println!("{done} (revision {})", out["revision"]);
    }
    Ok(())
}

fn print_guidance(l: &Value) {
    let rows = l["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            vec![
                s(e, "id"),
                if e["enabled"] == json!(true) {
                    "on"
                } else {
                    "off"
                }
                .to_string(),
                s(e, "title"),
                first_line(e["body"].as_str().unwrap_or_default()),
            ]
        })
        .collect();
    table::print(&["id", "enabled", "title", "body"], rows);
    println!("revision {}", l["revision"]);
}

pub async fn guidance(c: &Client, a: &GuidanceArgs, json_out: bool) -> Result {
    let app = app_of(c, &a.app).await?;
    let current = c.call("guidance.list", json!({"appId": app})).await?;
    let rev = current["revision"].clone();
    let (out, done) = match &a.cmd {
        GuidanceCmd::List => {
            if json_out {
                print_json(&current);
            } else {
                print_guidance(&current);
            }
            return Ok(());
        }
        GuidanceCmd::Add {
            title,
            body,
            body_file,
            disabled,
        } => {
            let body = given(body, body_file)?.unwrap_or_default();
            let out = c
                .call(
                    "guidance.add",
                    json!({"appId": app, "revision": rev, "title": title, "body": body,
                           "enabled": !disabled}),
                )
                .await?;
            let id = out["entries"]
                .as_array()
                .and_then(|r| r.last())
                .map(|r| s(r, "id"))
                .unwrap_or_default();
            (out, format!("Added guidance {id}"))
        }
        GuidanceCmd::Edit {
            id,
            title,
            body,
            body_file,
        } => {
            let id = entry_id('G', id);
            let body = given(body, body_file)?;
            if title.is_none() && body.is_none() {
                return Err(CliError::Usage("give --title and/or --body".into()));
            }
            let out = c
                .call(
                    "guidance.update",
                    json!({"appId": app, "revision": rev, "id": id, "title": title, "body": body}),
                )
                .await?;
            (out, format!("Edited guidance {id}"))
        }
        GuidanceCmd::Enable { id } | GuidanceCmd::Disable { id } => {
            let id = entry_id('G', id);
            let on = matches!(a.cmd, GuidanceCmd::Enable { .. });
            let out = c
                .call(
                    "guidance.update",
                    json!({"appId": app, "revision": rev, "id": id, "enabled": on}),
                )
                .await?;
            (
                out,
                format!("{} guidance {id}", if on { "Enabled" } else { "Disabled" }),
            )
        }
        GuidanceCmd::Rm { id } => {
            let id = entry_id('G', id);
            let out = c
                .call(
                    "guidance.delete",
                    json!({"appId": app, "revision": rev, "id": id}),
                )
                .await?;
            (out, format!("Removed guidance {id}"))
        }
        GuidanceCmd::Order { ids } => {
            let ids: Vec<String> = ids.iter().map(|i| entry_id('G', i)).collect();
            let out = c
                .call(
                    "guidance.reorder",
                    json!({"appId": app, "revision": rev, "ids": ids}),
                )
                .await?;
            (out, "Reordered the guidance".to_string())
        }
    };
    if json_out {
        print_json(&out);
    } else {
        println!("{done} (revision {})", out["revision"]);
    }
    Ok(())
}
