//! `refine agent …` and `refine runner …`: agent profiles and detection, interactive agent
//! sessions, and the runner's workers.

use clap::Subcommand;
use refine_client::Client;
use serde_json::{json, Value};

use crate::commands::{print_json, s};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Agent profiles with whether each CLI is installed.
    List,
    /// Detect installed agent CLIs (one profile, or all): path, version, diagnosis.
    Detect { profile: Option<String> },
    /// Show profiles in full (command, args, env with secrets redacted, prompt delivery).
    Profiles,
    /// Set a profile's command (and optionally its arguments after `--`).
    Set {
        profile: String,
        /// The program (name on PATH or absolute path).
        #[arg(long)]
        command: Option<String>,
        /// NAME=value environment entries (repeatable).
        #[arg(long = "env")]
        env: Vec<String>,
        /// The model API the CLI talks to (a gateway of your own); `none` clears it.
        #[arg(long)]
        base_url: Option<String>,
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Reset a provider's profile to its default, or delete a custom one.
    Reset { profile: String },
    /// Start an interactive agent session on a terminal and attach to it (Ctrl-] detaches).
    Attach {
        /// Profile (default: the agents.defaultProfile setting).
        #[arg(long)]
        profile: Option<String>,
        /// Attach to an existing session id instead of starting one.
        #[arg(long)]
        session: Option<String>,
    },
    /// Every agent run of a Goal (phase, repairs, status, tokens, cost).
    Runs { goal: String },
    /// One run's transcript (what it said and did); --follow keeps printing while it runs.
    Transcript {
        run: String,
        #[arg(long, short)]
        follow: bool,
    },
    /// Tokens and cost per day and provider (one app with --app).
    Usage {
        #[arg(long)]
        app: Option<String>,
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum RunnerCmd {
    /// Workers and what each is doing; capacity; why Goals wait.
    Status,
    /// Stop admitting new Goals (running ones go on).
    Pause {
        #[arg(long)]
        reason: Option<String>,
    },
    /// Admit new Goals again.
    Resume,
    /// Stop the worker on a Goal (the Goal stays as it is and resumes later).
    Stop { goal: String },
    /// Lift the hold on an agent profile (rate-limited, or its credentials refused): go on now.
    Release { profile: String },
}

fn state_mark(state: &str) -> &'static str {
    match state {
        "installed" => "✔ installed",
        "broken" => "✘ not working",
        "unchecked" => "? not checked yet",
        _ => "– not installed",
    }
}

pub async fn agent(c: &Client, cmd: &AgentCmd, json_out: bool) -> Result {
    match cmd {
        AgentCmd::List | AgentCmd::Detect { .. } => {
            // `list` shows what the daemon last found; `detect` looks again now.
            let v = match cmd {
                AgentCmd::Detect { profile } => {
                    c.call("agents.redetect", json!({ "name": profile }))
                        .await?
                }
                _ => c.call("agents.detect", json!({ "name": null })).await?,
            };
            if json_out {
                print_json(&v);
                return Ok(());
            }
            let rows = v
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    vec![
                        s(d, "profile"),
                        state_mark(d["state"].as_str().unwrap_or("")).to_string(),
                        s(d, "version"),
                        s(d, "diagnosis"),
                    ]
                })
                .collect();
            crate::table::print(&["PROFILE", "STATE", "VERSION", "DIAGNOSIS"], rows);
        }
        AgentCmd::Profiles => {
            let v = c.call("agents.profiles.list", json!({})).await?;
            if json_out {
                print_json(&v);
                return Ok(());
            }
            for p in v.as_array().cloned().unwrap_or_default() {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                println!(
                    "{} ({}){}\n  command: {} {}\n  prompt:  {}",
                    s(&p, "name"),
                    s(&p, "provider"),
                    if p["builtin"] == json!(true) {
                        ""
                    } else {
                        " [edited]"
                    },
                    s(&p, "command"),
                    args.join(" "),
                    s(&p, "promptDelivery")
                );
                if let Some(env) = p["env"].as_object().filter(|e| !e.is_empty()) {
                    for (k, v) in env {
                        println!("  env:     {k}={}", v.as_str().unwrap_or_default());
                    }
                }
            }
        }
        AgentCmd::Set {
            profile,
            command,
            env,
            base_url,
            args,
        } => {
            let all = c.call("agents.profiles.list", json!({})).await?;
            let mut p: Value = all
                .as_array()
                .and_then(|a| a.iter().find(|p| p["name"] == json!(profile)).cloned())
                .ok_or_else(|| {
                    refine_client::CliError::Usage(format!("no agent profile named {profile:?}"))
                })?;
            if let Some(cmd) = command {
                p["command"] = json!(cmd);
            }
            if !args.is_empty() {
                p["args"] = json!(args);
            }
            for e in env {
                let (k, v) = e.split_once('=').ok_or_else(|| {
                    refine_client::CliError::Usage(format!("--env {e:?}: use NAME=value"))
                })?;
                p["env"][k] = json!(v);
            }
            if let Some(u) = base_url {
                p["baseUrl"] = if u == "none" { Value::Null } else { json!(u) };
            }
            p.as_object_mut().map(|o| o.remove("builtin"));
            let v = c
                .call("agents.profiles.save", json!({ "profile": p }))
                .await?;
            if json_out {
                print_json(&v);
            } else {
                println!("Saved agent profile {}", s(&v, "name"));
            }
        }
        AgentCmd::Reset { profile } => {
            let v = c
                .call("agents.profiles.delete", json!({ "name": profile }))
                .await?;
            if json_out {
                print_json(&v);
            } else if v["reset"] == json!(true) {
                println!("Agent profile {profile} is back to its default");
            } else {
                println!("Deleted agent profile {profile}");
            }
        }
        AgentCmd::Attach { profile, session } => {
            let id = match session {
                Some(id) => id.clone(),
                None => {
                    let (cols, rows) = crate::term::size();
                    let t = c
                        .call(
                            "agents.launch",
                            json!({ "profile": profile, "cols": cols, "rows": rows }),
                        )
                        .await?;
                    eprintln!("Agent session {} started; Ctrl-] detaches", s(&t, "id"));
                    s(&t, "id")
                }
            };
            crate::term::attach(c, &id).await?;
        }
        AgentCmd::Runs { goal } => {
            let v = c
                .call("agents.runs.list", json!({ "goalId": goal }))
                .await?;
            if json_out {
                print_json(&v);
                return Ok(());
            }
            let rows = v
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    vec![
                        s(r, "id"),
                        r["round"].to_string(),
                        s(r, "phase"),
                        match s(r, "kind").as_str() {
                            "run" => "first".to_string(),
                            "repair" => format!("repair {}", r["attempt"]),
                            k => k.to_string(),
                        },
                        s(r, "profile"),
                        s(r, "status"),
                        tokens(&r["usage"]),
                        cost(&r["usage"]),
                        s(r, "error"),
                    ]
                })
                .collect();
            crate::table::print(
                &[
                    "RUN", "ROUND", "PHASE", "PROMPT", "PROFILE", "STATUS", "TOKENS", "COST",
                    "ERROR",
                ],
                rows,
            );
            let u = c.call("agents.usage", json!({ "goalId": goal })).await?;
            println!(
                "In all: {} tokens ({}), {}",
                tokens(&u["total"]),
                breakdown(&u["total"]),
                cost(&u["total"])
            );
        }
        AgentCmd::Transcript { run, follow } => {
            let mut after: Option<u64> = None;
            let mut running;
            loop {
                let page = c
                    .call(
                        "agents.transcript",
                        json!({ "runId": run, "afterSeq": after, "limit": 2000 }),
                    )
                    .await?;
                running = page["running"] == json!(true);
                for e in page["entries"].as_array().into_iter().flatten() {
                    after = e["seq"].as_u64();
                    print_entry(e, json_out);
                }
                if page["nextSeq"].is_null() {
                    break;
                }
            }
            if *follow && running {
                let run = run.clone();
                let mut seen = after;
                c.follow(None, |ev| {
                    if ev.kind == "agents.transcript" && ev.data["runId"] == run.as_str() {
                        for e in ev.data["entries"].as_array().into_iter().flatten() {
                            let seq = e["seq"].as_u64();
                            if seen.is_some_and(|s| seq.is_some_and(|q| q <= s)) {
                                continue;
                            }
                            seen = seq;
                            print_entry(e, json_out);
                            if e["item"]["kind"] == "finished" {
                                return false;
                            }
                        }
                    }
                    // The run ended (its record says so) without a finish entry.
                    !(ev.kind == "agents.run"
                        && ev.data["id"] == run.as_str()
                        && ev.data["status"] != "running")
                })
                .await?;
            }
        }
        AgentCmd::Usage { app, days } => {
            let app_id = match app {
                Some(a) => Some(crate::commands::app_id(c, a).await?),
                None => None,
            };
            let u = c
                .call("agents.usage", json!({ "appId": app_id, "days": days }))
                .await?;
            if json_out {
                print_json(&u);
                return Ok(());
            }
            let rows = u["days"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    vec![
                        s(d, "day"),
                        d["runs"].to_string(),
                        tokens(&d["usage"]),
                        cost(&d["usage"]),
                    ]
                })
                .collect();
            crate::table::print(&["DAY", "RUNS", "TOKENS", "COST"], rows);
            let rows = u["providers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    vec![
                        s(d, "provider"),
                        d["runs"].to_string(),
                        tokens(&d["usage"]),
                        cost(&d["usage"]),
                    ]
                })
                .collect();
            crate::table::print(&["PROVIDER", "RUNS", "TOKENS", "COST"], rows);
            println!(
                "In all: {} tokens, {}",
                tokens(&u["total"]),
                cost(&u["total"])
            );
        }
    }
    Ok(())
}

/// `1,234` style thousands.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn tokens(u: &Value) -> String {
    let n = u["inputTokens"].as_u64().unwrap_or(0) + u["outputTokens"].as_u64().unwrap_or(0);
    thousands(n)
}

fn breakdown(u: &Value) -> String {
    format!(
        "{} in, {} out, {} cached",
        thousands(u["inputTokens"].as_u64().unwrap_or(0)),
        thousands(u["outputTokens"].as_u64().unwrap_or(0)),
        thousands(u["cachedTokens"].as_u64().unwrap_or(0))
    )
}

fn cost(u: &Value) -> String {
    match u["costUsd"].as_f64() {
        Some(c) => format!("${c:.4}"),
        None => "no cost reported".to_string(),
    }
}

/// One transcript entry, for people (or as one JSON line with --json).
fn print_entry(e: &Value, json_out: bool) {
    if json_out {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    let i = &e["item"];
    let line = match i["kind"].as_str().unwrap_or("") {
        "session_started" => format!(
            "session  {} ({})",
            s(i, "sessionId"),
            i["model"].as_str().unwrap_or("model not named")
        ),
        "text" => format!("text     {}", s(i, "text")),
        "thinking" => format!("thinking {}", s(i, "text")),
        "tool_call" => format!("tool     {}: {}", s(i, "name"), s(i, "summary")),
        "tool_result" => format!(
            "result   {}{}",
            if i["ok"] == json!(true) {
                "ok"
            } else {
                "error"
            },
            i["excerpt"]
                .as_str()
                .filter(|x| !x.is_empty())
                .map(|x| format!(": {}", x.lines().next().unwrap_or("")))
                .unwrap_or_default()
        ),
        "file_change" => format!("file     {} {}", s(i, "change"), s(i, "path")),
        "command" => format!(
            "command  $ {}  → exit {}",
            s(i, "command"),
            i["exitCode"]
                .as_i64()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "?".into())
        ),
        "permission_denied" => format!("DENIED   {}: {}", s(i, "tool"), s(i, "detail")),
        "notice" => format!("notice   {}", s(i, "message")),
        "error" => format!(
            "ERROR    {}{}",
            i["status"]
                .as_u64()
                .map(|c| format!("HTTP {c}: "))
                .unwrap_or_default(),
            s(i, "message")
        ),
        "usage" => format!(
            "usage    {} tokens ({}), {}",
            tokens(i),
            breakdown(i),
            cost(i)
        ),
        "finished" => format!(
            "finished {}{}",
            if i["ok"] == json!(true) {
                "ok"
            } else {
                "failed"
            },
            i["turns"]
                .as_u64()
                .map(|t| format!(" after {t} turn(s)"))
                .unwrap_or_default()
        ),
        "truncated" => format!(
            "…        {} more entries not kept (the raw log has them)",
            i["dropped"]
        ),
        _ => format!("raw      {}", s(i, "line")),
    };
    println!("{line}");
}

pub async fn runner(c: &Client, cmd: &RunnerCmd, json_out: bool) -> Result {
    let v = match cmd {
        RunnerCmd::Status => c.call("runner.status", json!({})).await?,
        RunnerCmd::Pause { reason } => c.call("runner.pause", json!({ "reason": reason })).await?,
        RunnerCmd::Resume => c.call("runner.resume", json!({})).await?,
        RunnerCmd::Stop { goal } => {
            let v = c.call("runner.stop", json!({ "goalId": goal })).await?;
            if json_out {
                print_json(&v);
            } else {
                println!(
                    "Stopped the worker; the Goal stays in {} and resumes later",
                    s(&v, "status")
                );
            }
            return Ok(());
        }
        RunnerCmd::Release { profile } => {
            let v = c
                .call("runner.release", json!({ "profile": profile }))
                .await?;
            if json_out {
                print_json(&v);
            } else {
                println!("Released {profile}: its Goals go on now");
            }
            return Ok(());
        }
    };
    if json_out {
        print_json(&v);
        return Ok(());
    }
    println!(
        "Runner: {} · {} worker(s) · limits {} total, {} per app, {} per provider · load {:.2}, {} MiB free",
        if v["paused"] == json!(true) { "paused" } else { "running" },
        v["workers"].as_array().map(|a| a.len()).unwrap_or(0),
        v["maxConcurrentGoals"],
        v["maxPerApp"],
        v["maxPerProvider"],
        v["loadAverage"].as_f64().unwrap_or(0.0),
        v["availableMemoryMb"]
    );
    for w in v["waiting"].as_array().cloned().unwrap_or_default() {
        println!("  waiting: {}", s(&w, "reason"));
    }
    for h in v["holds"].as_array().cloned().unwrap_or_default() {
        println!("  held: {} ({})", s(&h, "reason"), s(&h, "kind"));
    }
    let rows: Vec<Vec<String>> = v["workers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|w| {
            vec![
                format!("#{}", w["goalNumber"]),
                s(w, "goalTitle"),
                w["round"].to_string(),
                s(w, "phase"),
                s(w, "profile"),
                s(w, "startedAt"),
            ]
        })
        .collect();
    if !rows.is_empty() {
        crate::table::print(
            &["GOAL", "TITLE", "ROUND", "PHASE", "PROFILE", "SINCE"],
            rows,
        );
    }
    Ok(())
}
