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
    /// Every agent run of a Goal (phase, repairs, status).
    Runs { goal: String },
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
            let v = c.call("agents.profiles", json!({})).await?;
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
            args,
        } => {
            let all = c.call("agents.profiles", json!({})).await?;
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
            let v = c.call("agents.runs", json!({ "goalId": goal })).await?;
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
                        r["round"].to_string(),
                        s(r, "phase"),
                        if r["attempt"] == json!(0) {
                            "first".into()
                        } else {
                            format!("repair {}", r["attempt"])
                        },
                        s(r, "profile"),
                        s(r, "status"),
                        s(r, "error"),
                    ]
                })
                .collect();
            crate::table::print(
                &["ROUND", "PHASE", "PROMPT", "PROFILE", "STATUS", "ERROR"],
                rows,
            );
        }
    }
    Ok(())
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
