//! Work commands: goals, features, import, dashboard, reporters, todos, automation.

use std::path::Path;

use clap::Subcommand;
use refine_client::{CliError, Client};
use serde_json::{json, Map, Value};

use crate::commands::{print_json, s, wait_operation};
use crate::{table, Result};

#[derive(Subcommand, Debug)]
pub enum GoalCmd {
    /// Create a Goal (backlog unless --todo).
    Create {
        title: String,
        /// Markdown: what exists vs. what should exist.
        #[arg(long)]
        prompt: Option<String>,
        /// Read the prompt from a file (`-` = standard input).
        #[arg(long, conflicts_with = "prompt")]
        prompt_file: Option<String>,
        /// Feature name or id (appended at the end).
        #[arg(long)]
        feature: Option<String>,
        #[arg(long = "label")]
        labels: Vec<String>,
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<i32>,
        #[arg(long)]
        assignee: Option<String>,
        /// Reporter name or id.
        #[arg(long)]
        reporter: Option<String>,
        /// Queue it (todo) instead of the backlog.
        #[arg(long)]
        todo: bool,
    },
    /// List Goals.
    List {
        /// Comma-separated states, e.g. todo,review.
        #[arg(long)]
        status: Option<String>,
        /// Feature name or id (`none`: without a Feature).
        #[arg(long)]
        feature: Option<String>,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
        /// Full-text search over title, prompt and notes.
        #[arg(long, short)]
        q: Option<String>,
        /// priority, newest, oldest, updated, number, title.
        #[arg(long)]
        sort: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Deleted (restorable) Goals.
        #[arg(long)]
        deleted: bool,
    },
    /// Show one Goal (`12`, `#12` or an id).
    Show { goal: String },
    /// Change fields of a Goal.
    Edit {
        goal: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<i32>,
        /// Replace the labels (repeat the flag).
        #[arg(long = "label")]
        labels: Option<Vec<String>>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long)]
        feature: Option<String>,
        /// Take it out of its Feature.
        #[arg(long, conflicts_with = "feature")]
        no_feature: bool,
    },
    /// Move a Goal: backlog/todo by hand, or step it through the workflow (plan, implement, …).
    Move {
        goal: String,
        state: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve a Goal in review.
    Approve {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Decline a Goal in review (back to todo with a new Round, or --cancel).
    Decline {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        cancel: bool,
    },
    /// Retry a failed Goal.
    Retry {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Cancel a Goal.
    Cancel {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Tell a Goal's agent something while the Goal is in review: it resumes its session, the
    /// candidate is refreshed and checked again.
    Tell {
        goal: String,
        /// What the agent should do next.
        message: String,
    },
    /// Delete a Goal (restorable).
    Delete { goal: String },
    /// Restore a deleted Goal.
    Restore { goal: String },
    /// Which todo Goals may start now, and why the others wait.
    Eligible,
    /// Export the app's Goals: json (lossless) or csv (Jira columns).
    Export {
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum FeatureCmd {
    /// Create a Feature, optionally with Goals in order.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        goals: Vec<String>,
    },
    /// List Features with progress.
    List,
    /// Show a Feature and its Goals in order.
    Show { feature: String },
    /// Put a Goal into a Feature (at 1-based position --at, default last).
    Add {
        feature: String,
        goal: String,
        #[arg(long)]
        at: Option<u32>,
    },
    /// Take a Goal out of a Feature.
    Remove { feature: String, goal: String },
    /// Set the order of a Feature's Goals (all of them).
    Reorder { feature: String, goals: Vec<String> },
    /// Rename a Feature.
    Rename { feature: String, name: String },
    /// Delete a Feature (its Goals stay).
    Delete { feature: String },
}

#[derive(Subcommand, Debug)]
pub enum ReporterCmd {
    List {
        #[arg(long)]
        all: bool,
    },
    /// Add a reporter (kind: person, agent, system).
    Add {
        name: String,
        #[arg(long, default_value = "person")]
        kind: String,
    },
    Rename {
        reporter: String,
        name: String,
    },
    /// Move everything of FROM to INTO and retire FROM.
    Merge {
        from: String,
        into: String,
    },
    Remove {
        reporter: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TodoCmd {
    /// The todo list (of --reporter, else the reporter named like --actor).
    List {
        #[arg(long)]
        reporter: Option<String>,
    },
    Add {
        text: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Check an item off (its id or 1-based position).
    Done {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Uncheck an item.
    Undo {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    Remove {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AutomationCmd {
    Status,
    Pause {
        #[arg(long)]
        reason: Option<String>,
    },
    Resume,
}

fn goal_row(g: &Value) -> Vec<String> {
    vec![
        format!("#{}", g["number"]),
        s(g, "status"),
        g["priority"].to_string(),
        s(g, "title"),
        s(g, "featureName"),
        g["labels"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        s(g, "assignee"),
    ]
}

fn show_goal(g: &Value) {
    println!("#{} {}  [{}]", g["number"], s(g, "title"), s(g, "status"));
    println!("  id:        {}", s(g, "id"));
    println!("  priority:  {}", g["priority"]);
    println!(
        "  feature:   {}{}",
        s(g, "featureName"),
        g["position"]
            .as_u64()
            .map(|p| format!(" (position {})", p + 1))
            .unwrap_or_default()
    );
    let labels: Vec<&str> = g["labels"]
        .as_array()
        .map(|l| l.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    println!(
        "  labels:    {}",
        if labels.is_empty() {
            "-".to_string()
        } else {
            labels.join(", ")
        }
    );
    println!("  assignee:  {}", s(g, "assignee"));
    println!("  reporter:  {}", s(g, "reporterName"));
    if let Some(e) = g["external"].as_object() {
        println!(
            "  from:      {} {}",
            e.get("source").and_then(|v| v.as_str()).unwrap_or(""),
            e.get("id").and_then(|v| v.as_str()).unwrap_or("")
        );
    }
    if !s(g, "prompt").is_empty() && g["prompt"] != "" {
        println!("\n{}\n", s(g, "prompt"));
    }
    for r in g["rounds"].as_array().cloned().unwrap_or_default() {
        println!(
            "  round {}: {}{}",
            r["number"],
            s(&r, "request"),
            r["outcome"]
                .as_str()
                .map(|o| format!(" → {o}"))
                .unwrap_or_default()
        );
    }
}

fn print_transition(v: &Value, json_out: bool) {
    if json_out {
        print_json(v);
    } else {
        println!(
            "Goal #{}: {} → {}{}",
            v["goal"]["number"],
            s(v, "from"),
            s(v, "to"),
            if v["newRound"] == json!(true) {
                " (new round)"
            } else {
                ""
            }
        );
    }
}

/// A Feature given by name or id.
async fn feature_id(c: &Client, given: &str) -> Result<String> {
    let list = c.call("features.list", json!({})).await?;
    let all = list.as_array().cloned().unwrap_or_default();
    all.iter()
        .find(|f| s(f, "id") == given || s(f, "name") == given)
        .or_else(|| {
            let m: Vec<&Value> = all
                .iter()
                .filter(|f| s(f, "id").starts_with(given))
                .collect();
            (m.len() == 1).then(|| m[0])
        })
        .map(|f| s(f, "id"))
        .ok_or_else(|| {
            CliError::Api(refine_model::ApiError::not_found(format!(
                "no Feature named or with id {given:?}"
            )))
        })
}

/// A reporter given by name or id.
async fn reporter_id(c: &Client, given: &str) -> Result<String> {
    let list = c.call("reporters.list", json!({})).await?;
    list.as_array()
        .and_then(|a| {
            a.iter()
                .find(|r| s(r, "id") == given || s(r, "name") == given)
        })
        .map(|r| s(r, "id"))
        .ok_or_else(|| {
            CliError::Api(refine_model::ApiError::not_found(format!(
                "no reporter named or with id {given:?}"
            )))
        })
}

async fn my_reporter(c: &Client, given: Option<&str>, actor: Option<&str>) -> Result<String> {
    match given.or(actor) {
        Some(r) => reporter_id(c, r).await,
        None => Err(CliError::Usage(
            "name the reporter with --reporter (or --actor / REFINE_ACTOR)".into(),
        )),
    }
}

async fn todo_id(c: &Client, reporter: &str, item: &str) -> Result<String> {
    let list = c
        .call("todos.list", json!({"reporterId": reporter}))
        .await?;
    let items = list.as_array().cloned().unwrap_or_default();
    if let Ok(n) = item.parse::<usize>() {
        if n >= 1 && n <= items.len() {
            return Ok(s(&items[n - 1], "id"));
        }
    }
    items
        .iter()
        .find(|t| s(t, "id") == item || s(t, "id").starts_with(item))
        .map(|t| s(t, "id"))
        .ok_or_else(|| {
            CliError::Api(refine_model::ApiError::not_found(format!(
                "no todo {item:?}"
            )))
        })
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

pub async fn goal(c: &Client, cmd: &GoalCmd, json_out: bool, actor: Option<&str>) -> Result {
    match cmd {
        GoalCmd::Create {
            title,
            prompt,
            prompt_file,
            feature,
            labels,
            priority,
            assignee,
            reporter,
            todo,
        } => {
            let prompt = match prompt_file {
                Some(f) => Some(read_text(f)?),
                None => prompt.clone(),
            };
            let feature = match feature {
                Some(f) => Some(feature_id(c, f).await?),
                None => None,
            };
            let reporter = match reporter.as_deref() {
                Some(r) => Some(reporter_id(c, r).await?),
                None => match actor {
                    Some(a) => reporter_id(c, a).await.ok(),
                    None => None,
                },
            };
            let mut input = json!({"title": title, "prompt": prompt, "featureId": feature, "priority": priority,
                "assignee": assignee, "reporterId": reporter, "labels": labels});
            if *todo {
                input["status"] = json!("todo");
            }
            let g = c.call("goals.create", input).await?;
            if json_out {
                print_json(&g)
            } else {
                println!(
                    "Created Goal #{} “{}” ({})",
                    g["number"],
                    s(&g, "title"),
                    s(&g, "status")
                );
            }
        }
        GoalCmd::List {
            status,
            feature,
            label,
            assignee,
            q,
            sort,
            limit,
            all,
            deleted,
        } => {
            let feature = match feature.as_deref() {
                Some("none") => Some("none".to_string()),
                Some(f) => Some(feature_id(c, f).await?),
                None => None,
            };
            let status: Option<Vec<&str>> = status
                .as_deref()
                .map(|s| s.split(',').map(str::trim).collect());
            let mut input = json!({"status": status, "featureId": feature, "label": label, "assignee": assignee,
                "q": q, "sort": sort, "limit": limit, "deleted": deleted});
            let mut items = Vec::new();
            let mut total = None;
            loop {
                let page = c.call("goals.list", input.clone()).await?;
                if total.is_none() {
                    total = page["total"].as_u64();
                }
                items.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["nextCursor"].as_str() {
                    Some(cur) if *all => input["cursor"] = json!(cur),
                    _ => break,
                }
            }
            if json_out {
                print_json(&json!({"items": items, "total": total}));
            } else {
                table::print(
                    &[
                        "#", "status", "prio", "title", "feature", "labels", "assignee",
                    ],
                    items.iter().map(goal_row).collect(),
                );
                if let Some(t) = total {
                    if t as usize > items.len() {
                        println!("{} of {t} shown (--all for every page)", items.len());
                    }
                }
            }
        }
        GoalCmd::Show { goal } => {
            let g = c.call("goals.get", json!({"id": goal})).await?;
            if json_out {
                print_json(&g)
            } else {
                show_goal(&g)
            }
        }
        GoalCmd::Edit {
            goal,
            title,
            prompt,
            notes,
            priority,
            labels,
            assignee,
            feature,
            no_feature,
        } => {
            let mut patch = Map::new();
            patch.insert("id".into(), json!(goal));
            let mut put = |k: &str, v: Value| {
                patch.insert(k.into(), v);
            };
            if let Some(t) = title {
                put("title", json!(t));
            }
            if let Some(p) = prompt {
                put("prompt", json!(p));
            }
            if let Some(n) = notes {
                put("notes", json!(n));
            }
            if let Some(p) = priority {
                put("priority", json!(p));
            }
            if let Some(l) = labels {
                put("labels", json!(l));
            }
            if let Some(a) = assignee {
                put(
                    "assignee",
                    if a.is_empty() { Value::Null } else { json!(a) },
                );
            }
            if *no_feature {
                put("featureId", Value::Null);
            }
            if let Some(f) = feature {
                let id = feature_id(c, f).await?;
                patch.insert("featureId".into(), json!(id));
            }
            let g = c.call("goals.update", Value::Object(patch)).await?;
            if json_out {
                print_json(&g)
            } else {
                show_goal(&g)
            }
        }
        GoalCmd::Move {
            goal,
            state,
            reason,
        } => {
            let v = if state == "backlog" || state == "todo" {
                let current = c.call("goals.get", json!({"id": goal})).await?;
                if current["status"] == json!("failed") && state == "todo" {
                    c.call("workflow.retry", json!({"goalId": goal, "reason": reason}))
                        .await?
                } else {
                    c.call("workflow.move", json!({"goalId": goal, "to": state}))
                        .await?
                }
            } else if state == "cancelled" {
                c.call("workflow.cancel", json!({"goalId": goal, "reason": reason}))
                    .await?
            } else if state == "done" {
                c.call(
                    "workflow.approve",
                    json!({"goalId": goal, "reason": reason}),
                )
                .await?
            } else {
                c.call(
                    "workflow.advance",
                    json!({"goalId": goal, "to": state, "reason": reason}),
                )
                .await?
            };
            print_transition(&v, json_out);
        }
        GoalCmd::Approve { goal, reason } => print_transition(
            &c.call(
                "workflow.approve",
                json!({"goalId": goal, "reason": reason}),
            )
            .await?,
            json_out,
        ),
        GoalCmd::Decline {
            goal,
            reason,
            cancel,
        } => print_transition(
            &c.call(
                "workflow.decline",
                json!({"goalId": goal, "reason": reason, "cancel": cancel}),
            )
            .await?,
            json_out,
        ),
        GoalCmd::Retry { goal, reason } => print_transition(
            &c.call("workflow.retry", json!({"goalId": goal, "reason": reason}))
                .await?,
            json_out,
        ),
        GoalCmd::Cancel { goal, reason } => print_transition(
            &c.call("workflow.cancel", json!({"goalId": goal, "reason": reason}))
                .await?,
            json_out,
        ),
        GoalCmd::Tell { goal, message } => print_transition(
            &c.call("runner.tell", json!({"goalId": goal, "message": message}))
                .await?,
            json_out,
        ),
        GoalCmd::Delete { goal } => {
            let g = c.call("goals.delete", json!({"id": goal})).await?;
            if json_out {
                print_json(&g)
            } else {
                println!(
                    "Deleted Goal #{} (refine goal restore {} brings it back)",
                    g["number"], g["number"]
                )
            }
        }
        GoalCmd::Restore { goal } => {
            let g = c.call("goals.restore", json!({"id": goal})).await?;
            if json_out {
                print_json(&g)
            } else {
                println!("Restored Goal #{}", g["number"])
            }
        }
        GoalCmd::Eligible => {
            let e = c.call("workflow.eligible", json!({})).await?;
            if json_out {
                print_json(&e);
                return Ok(());
            }
            if e["paused"] == json!(true) {
                println!("Automation is paused: nothing starts by itself.");
            }
            let rows = e["eligible"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|g| {
                            vec![
                                format!("#{}", g["number"]),
                                g["priority"].to_string(),
                                s(g, "title"),
                                "may start".into(),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut rows: Vec<Vec<String>> = rows;
            rows.extend(
                e["blocked"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|g| {
                                vec![
                                    format!("#{}", g["number"]),
                                    g["priority"].to_string(),
                                    s(g, "title"),
                                    s(g, "reason"),
                                ]
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            );
            table::print(&["#", "prio", "title", "start"], rows);
        }
        GoalCmd::Export { format, output } => {
            let f = c.call("goals.export", json!({"format": format})).await?;
            match output {
                Some(path) => {
                    std::fs::write(path, s(&f, "content"))
                        .map_err(|e| CliError::Usage(format!("cannot write {path}: {e}")))?;
                    println!("Exported {} Goal(s) to {path}", f["goals"]);
                }
                None => crate::out::content(&s(&f, "content")),
            }
        }
    }
    Ok(())
}

fn print_feature(d: &Value, json_out: bool) {
    if json_out {
        print_json(d);
        return;
    }
    let f = &d["feature"];
    println!(
        "{}  [{}]  {}/{} done",
        s(f, "name"),
        s(f, "status"),
        f["done"],
        f["total"]
    );
    if f["description"] != "" {
        println!("  {}", s(f, "description"));
    }
    let rows = d["goals"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, g)| {
                    vec![
                        format!("{}.", i + 1),
                        format!("#{}", g["number"]),
                        s(g, "status"),
                        s(g, "title"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table::print(&["pos", "#", "status", "title"], rows);
}

pub async fn feature(c: &Client, cmd: &FeatureCmd, json_out: bool) -> Result {
    match cmd {
        FeatureCmd::Create {
            name,
            description,
            goals,
        } => {
            let d = c
                .call(
                    "features.create",
                    json!({"name": name, "description": description, "goalIds": goals}),
                )
                .await?;
            print_feature(&d, json_out);
        }
        FeatureCmd::List => {
            let list = c.call("features.list", json!({})).await?;
            if json_out {
                print_json(&list);
            } else {
                let rows = list
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|f| {
                                vec![
                                    s(f, "name"),
                                    s(f, "status"),
                                    format!("{}/{}", f["done"], f["total"]),
                                    s(f, "id"),
                                ]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                table::print(&["name", "status", "done", "id"], rows);
            }
        }
        FeatureCmd::Show { feature } => {
            let id = feature_id(c, feature).await?;
            print_feature(&c.call("features.get", json!({"id": id})).await?, json_out);
        }
        FeatureCmd::Add { feature, goal, at } => {
            let id = feature_id(c, feature).await?;
            let d = c
                .call(
                    "features.add_goal",
                    json!({"id": id, "goalId": goal, "index": at.map(|a| a.saturating_sub(1))}),
                )
                .await?;
            print_feature(&d, json_out);
        }
        FeatureCmd::Remove { feature, goal } => {
            let id = feature_id(c, feature).await?;
            print_feature(
                &c.call("features.remove_goal", json!({"id": id, "goalId": goal}))
                    .await?,
                json_out,
            );
        }
        FeatureCmd::Reorder { feature, goals } => {
            let id = feature_id(c, feature).await?;
            print_feature(
                &c.call("features.reorder", json!({"id": id, "goalIds": goals}))
                    .await?,
                json_out,
            );
        }
        FeatureCmd::Rename { feature, name } => {
            let id = feature_id(c, feature).await?;
            print_feature(
                &c.call("features.update", json!({"id": id, "name": name}))
                    .await?,
                json_out,
            );
        }
        FeatureCmd::Delete { feature } => {
            let id = feature_id(c, feature).await?;
            let f = c.call("features.delete", json!({"id": id})).await?;
            if json_out {
                print_json(&f)
            } else {
                println!("Deleted Feature “{}”; its Goals stay", s(&f, "name"))
            }
        }
    }
    Ok(())
}

fn guess_format(path: &str, content: &str) -> &'static str {
    let lower = path.to_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") || lower.ends_with(".txt") {
        "markdown"
    } else if lower.ends_with(".json") {
        if content.contains("\"refine-work\"") {
            "refine"
        } else {
            "github"
        }
    } else if lower.ends_with(".csv") {
        if content
            .lines()
            .next()
            .is_some_and(|h| h.contains("Issue key") && h.contains("Summary"))
        {
            "jira"
        } else {
            "csv"
        }
    } else {
        "markdown"
    }
}

/// `refine import FILE`: preview (always), then commit unless --dry-run.
pub async fn import(
    c: &Client,
    file: &str,
    format: Option<&str>,
    map: &[String],
    dry_run: bool,
    json_out: bool,
) -> Result {
    let content = read_text(file)?;
    let format = format.unwrap_or_else(|| guess_format(file, &content));
    let mapping = if map.is_empty() {
        Value::Null
    } else {
        let mut m = Map::new();
        for kv in map {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("--map takes field=Column, got {kv:?}")))?;
            m.insert(k.trim().to_string(), json!(v.trim()));
        }
        Value::Object(m)
    };
    let input = json!({"format": format, "content": content, "mapping": mapping});
    let preview = c.call("import.preview", input.clone()).await?;
    if !json_out || dry_run {
        if json_out {
            print_json(&preview);
        } else {
            println!(
                "{} ({format}): {} to create, {} to update, {} unchanged, {} error(s)",
                Path::new(file)
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default(),
                preview["create"],
                preview["update"],
                preview["unchanged"],
                preview["errors"].as_array().map(|e| e.len()).unwrap_or(0)
            );
            for e in preview["errors"].as_array().cloned().unwrap_or_default() {
                println!("  row {}: {}", e["row"], s(&e, "message"));
            }
            let rows = preview["goals"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .take(30)
                        .map(|g| {
                            vec![
                                g["row"].to_string(),
                                s(g, "action"),
                                s(g, "status"),
                                s(g, "feature"),
                                s(g, "title"),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            table::print(&["row", "action", "status", "feature", "title"], rows);
        }
    }
    if dry_run {
        return Ok(());
    }
    let receipt = c.call("import.commit", input).await?;
    let done = wait_operation(c, receipt, json_out).await?;
    if json_out {
        print_json(&done);
    } else if done["status"] == json!("succeeded") {
        let r = &done["result"];
        println!(
            "Imported: {} created, {} updated, {} unchanged, {} Feature(s) created",
            r["created"], r["updated"], r["unchanged"], r["featuresCreated"]
        );
    }
    if done["status"] != json!("succeeded") {
        let msg = done["error"]["message"]
            .as_str()
            .unwrap_or("the import did not finish")
            .to_string();
        return Err(CliError::Api(refine_model::ApiError::unavailable(msg)));
    }
    Ok(())
}

fn bar(n: u64, max: u64, width: usize) -> String {
    if max == 0 {
        return String::new();
    }
    "█".repeat(((n as f64 / max as f64) * width as f64).round() as usize)
}

pub async fn dashboard(c: &Client, json_out: bool) -> Result {
    let d = c.call("dashboard.summary", json!({})).await?;
    if json_out {
        print_json(&d);
        return Ok(());
    }
    println!(
        "{} Goals, {} running{}",
        d["total"],
        d["running"],
        if d["automationPaused"] == json!(true) {
            " — automation PAUSED"
        } else {
            ""
        }
    );
    let counts = d["counts"].as_array().cloned().unwrap_or_default();
    let max = counts
        .iter()
        .filter_map(|c| c["count"].as_u64())
        .max()
        .unwrap_or(0);
    for c in &counts {
        let n = c["count"].as_u64().unwrap_or(0);
        println!("  {:<11} {:>5} {}", s(c, "state"), n, bar(n, max, 30));
    }
    let feats = d["features"].as_array().cloned().unwrap_or_default();
    if !feats.is_empty() {
        println!("\nFeatures");
        for f in feats {
            let (done, total) = (
                f["done"].as_u64().unwrap_or(0),
                f["total"].as_u64().unwrap_or(0),
            );
            println!(
                "  {:<30} {:>3}/{:<3} {:<12} {}",
                s(&f, "name"),
                done,
                total,
                s(&f, "status"),
                bar(done, total, 20)
            );
        }
    }
    let tp = d["throughput"].as_array().cloned().unwrap_or_default();
    let max = tp
        .iter()
        .filter_map(|t| t["done"].as_u64())
        .max()
        .unwrap_or(0);
    println!(
        "\nDone per day (14 days){}",
        d["medianCycleHours"]
            .as_f64()
            .map(|h| format!(", median cycle {h} h"))
            .unwrap_or_default()
    );
    for t in tp {
        let n = t["done"].as_u64().unwrap_or(0);
        println!("  {} {:>3} {}", s(&t, "day"), n, bar(n, max, 30));
    }
    let u = &d["usage"];
    let tok = |x: &Value| {
        x["inputTokens"].as_u64().unwrap_or(0) + x["outputTokens"].as_u64().unwrap_or(0)
    };
    let days = u["days"].as_array().cloned().unwrap_or_default();
    let max = days.iter().map(|x| tok(&x["usage"])).max().unwrap_or(0);
    println!(
        "\nAgent tokens per day (14 days): {} in all{}",
        tok(&u["total"]),
        u["total"]["costUsd"]
            .as_f64()
            .map(|c| format!(", ${c:.4}"))
            .unwrap_or_default()
    );
    for x in days {
        let n = tok(&x["usage"]);
        println!("  {} {:>9} {}", s(&x, "day"), n, bar(n, max, 30));
    }
    for p in u["providers"].as_array().cloned().unwrap_or_default() {
        println!(
            "  {:<12} {} run(s), {} tokens{}",
            s(&p, "provider"),
            p["runs"],
            tok(&p["usage"]),
            p["usage"]["costUsd"]
                .as_f64()
                .map(|c| format!(", ${c:.4}"))
                .unwrap_or_default()
        );
    }
    let att = d["attention"].as_array().cloned().unwrap_or_default();
    if !att.is_empty() {
        println!("\nNeeds attention");
        for a in att {
            println!(
                "  #{:<5} {:<8} {} — {}",
                a["number"],
                s(&a, "kind"),
                s(&a, "title"),
                s(&a, "reason")
            );
        }
    }
    Ok(())
}

pub async fn reporter(c: &Client, cmd: &ReporterCmd, json_out: bool) -> Result {
    let out = match cmd {
        ReporterCmd::List { all } => {
            let list = c
                .call("reporters.list", json!({"includeRemoved": all}))
                .await?;
            if !json_out {
                let rows = list
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                vec![
                                    s(r, "name"),
                                    s(r, "kind"),
                                    r["openTodos"].to_string(),
                                    s(r, "removedAt"),
                                    s(r, "id"),
                                ]
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                table::print(&["name", "kind", "open todos", "removed", "id"], rows);
                return Ok(());
            }
            list
        }
        ReporterCmd::Add { name, kind } => {
            c.call("reporters.create", json!({"name": name, "kind": kind}))
                .await?
        }
        ReporterCmd::Rename { reporter, name } => {
            let id = reporter_id(c, reporter).await?;
            c.call("reporters.rename", json!({"id": id, "name": name}))
                .await?
        }
        ReporterCmd::Merge { from, into } => {
            let (f, i) = (reporter_id(c, from).await?, reporter_id(c, into).await?);
            c.call("reporters.merge", json!({"fromId": f, "intoId": i}))
                .await?
        }
        ReporterCmd::Remove { reporter } => {
            let id = reporter_id(c, reporter).await?;
            c.call("reporters.delete", json!({"id": id})).await?
        }
    };
    if json_out {
        print_json(&out);
    } else if let Some(moved) = out["goalsMoved"].as_u64() {
        println!(
            "Merged into {} ({moved} Goal(s) moved)",
            s(&out["into"], "name")
        );
    } else {
        println!(
            "{} ({}){}",
            s(&out, "name"),
            s(&out, "kind"),
            if out["removedAt"].is_string() {
                " — removed"
            } else {
                ""
            }
        );
    }
    Ok(())
}

pub async fn todo(c: &Client, cmd: &TodoCmd, json_out: bool, actor: Option<&str>) -> Result {
    let (rep, out) = match cmd {
        TodoCmd::List { reporter } => (my_reporter(c, reporter.as_deref(), actor).await?, None),
        TodoCmd::Add { text, reporter } => {
            let r = my_reporter(c, reporter.as_deref(), actor).await?;
            let t = c
                .call("todos.add", json!({"reporterId": r, "text": text}))
                .await?;
            (r, Some(t))
        }
        TodoCmd::Done { item, reporter } | TodoCmd::Undo { item, reporter } => {
            let r = my_reporter(c, reporter.as_deref(), actor).await?;
            let id = todo_id(c, &r, item).await?;
            let done = matches!(cmd, TodoCmd::Done { .. });
            (
                r,
                Some(
                    c.call("todos.update", json!({"id": id, "done": done}))
                        .await?,
                ),
            )
        }
        TodoCmd::Remove { item, reporter } => {
            let r = my_reporter(c, reporter.as_deref(), actor).await?;
            let id = todo_id(c, &r, item).await?;
            (r, Some(c.call("todos.delete", json!({"id": id})).await?))
        }
    };
    if let (true, Some(t)) = (json_out, &out) {
        print_json(t);
        return Ok(());
    }
    let list = c.call("todos.list", json!({"reporterId": rep})).await?;
    if json_out {
        print_json(&list);
        return Ok(());
    }
    for (i, t) in list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        println!(
            "{:>3}. [{}] {}",
            i + 1,
            if t["done"] == json!(true) { "x" } else { " " },
            s(t, "text")
        );
    }
    Ok(())
}

pub async fn automation(c: &Client, cmd: &AutomationCmd, json_out: bool) -> Result {
    let v = match cmd {
        AutomationCmd::Status => c.call("workflow.automation", json!({})).await?,
        AutomationCmd::Pause { reason } => {
            c.call("workflow.pause", json!({"reason": reason})).await?
        }
        AutomationCmd::Resume => c.call("workflow.resume", json!({})).await?,
    };
    if json_out {
        print_json(&v);
    } else if v["paused"] == json!(true) {
        println!(
            "Automation is paused{} (since {}, by {})",
            v["reason"]
                .as_str()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
            s(&v, "since"),
            s(&v, "by")
        );
    } else {
        println!("Automation is running");
    }
    Ok(())
}
