//! `refine proc …` (supervised processes) and `refine target …` (the app's lifecycle).

use clap::Subcommand;
use refine_client::Client;
use serde_json::{json, Value};

use crate::commands::{print_json, s};
use crate::{table, Result};

#[derive(Subcommand, Debug)]
pub enum ProcCmd {
    /// Processes of the active app (--live: running ones only).
    List {
        #[arg(long)]
        live: bool,
    },
    /// Start a process: `refine proc start -- npm run dev` (argv, no shell).
    Start {
        #[arg(long)]
        label: Option<String>,
        /// Working directory relative to the app root.
        #[arg(long)]
        cwd: Option<String>,
        /// Extra environment, NAME=value (repeat).
        #[arg(long = "env")]
        env: Vec<String>,
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    Stop {
        id: String,
    },
    Restart {
        id: String,
    },
    /// Output of a process (--follow keeps printing until it ends).
    Logs {
        id: String,
        #[arg(long, default_value_t = 200)]
        tail: u32,
        #[arg(long, short)]
        follow: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TargetCmd {
    /// Commands, status and health of the app.
    Status,
    Start,
    Stop,
    Build,
    Test,
    /// Set a lifecycle command: `refine target set start -- npm run dev`; `--clear` removes it.
    Set {
        /// start, stop, build, test, health-command or health-url
        what: String,
        #[arg(long)]
        clear: bool,
        #[arg(last = true)]
        value: Vec<String>,
    },
}

fn proc_row(p: &Value) -> Vec<String> {
    let end = match (p["exitCode"].as_i64(), p["signal"].as_i64()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(sig)) => format!("signal {sig}"),
        _ => String::new(),
    };
    vec![
        s(p, "id"),
        s(p, "status"),
        s(p, "pid"),
        end,
        s(p, "label"),
        p["argv"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    ]
}

pub async fn proc(c: &Client, cmd: &ProcCmd, json_out: bool) -> Result {
    match cmd {
        ProcCmd::List { live } => {
            let v = c.call("processes.list", json!({"live": live})).await?;
            if json_out {
                print_json(&v);
            } else {
                table::print(
                    &["id", "status", "pid", "ended", "label", "command"],
                    v.as_array()
                        .map(|a| a.iter().map(proc_row).collect())
                        .unwrap_or_default(),
                );
            }
        }
        ProcCmd::Start {
            label,
            cwd,
            env,
            argv,
        } => {
            let mut e = serde_json::Map::new();
            for kv in env {
                let (k, v) = kv.split_once('=').ok_or_else(|| {
                    refine_client::CliError::Usage(format!("--env takes NAME=value, got {kv:?}"))
                })?;
                e.insert(k.to_string(), json!(v));
            }
            let p = c.call("processes.start", json!({"argv": argv, "cwd": cwd, "label": label, "env": if e.is_empty() { Value::Null } else { Value::Object(e) }})).await?;
            if json_out {
                print_json(&p)
            } else {
                println!(
                    "Started {} (pid {}) as {}",
                    argv.join(" "),
                    s(&p, "pid"),
                    s(&p, "id")
                )
            }
        }
        ProcCmd::Stop { id } | ProcCmd::Restart { id } => {
            let op = if matches!(cmd, ProcCmd::Stop { .. }) {
                "processes.stop"
            } else {
                "processes.restart"
            };
            let p = c.call(op, json!({"id": id})).await?;
            if json_out {
                print_json(&p)
            } else {
                table::print(
                    &["id", "status", "pid", "ended", "label", "command"],
                    vec![proc_row(&p)],
                )
            }
        }
        ProcCmd::Logs { id, tail, follow } => {
            let logs = c
                .call("processes.logs", json!({"id": id, "tail": tail}))
                .await?;
            let print = |l: &Value| {
                if json_out {
                    println!("{l}");
                } else if l["stream"] == "stderr" {
                    eprintln!("{}", s(l, "text"));
                } else {
                    println!("{}", s(l, "text"));
                }
            };
            for l in logs["lines"].as_array().cloned().unwrap_or_default() {
                print(&l);
            }
            let running = c.call("processes.get", json!({"id": id})).await?;
            if *follow && (running["status"] == "running" || running["status"] == "starting") {
                let id = id.clone();
                c.follow(None, |ev| {
                    if ev.data["id"] != json!(id) {
                        return true;
                    }
                    match ev.kind.as_str() {
                        "processes.output" => {
                            for l in ev.data["lines"].as_array().cloned().unwrap_or_default() {
                                print(&l);
                            }
                            true
                        }
                        "processes.exited" => false,
                        _ => true,
                    }
                })
                .await?;
            }
        }
    }
    Ok(())
}

pub async fn target(c: &Client, cmd: &TargetCmd, json_out: bool) -> Result {
    let out = match cmd {
        TargetCmd::Status => {
            let t = c.call("target.get", json!({})).await?;
            if json_out {
                print_json(&t);
                return Ok(());
            }
            println!(
                "{}{}",
                s(&t, "status"),
                t["health"]["detail"]
                    .as_str()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default()
            );
            let l = &t["lifecycle"];
            for k in ["start", "stop", "build", "test", "healthCommand"] {
                let cmd = l[k]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_else(|| "-".into());
                println!("  {:<14} {cmd}", format!("{k}:"));
            }
            println!("  {:<14} {}", "healthUrl:", s(l, "healthUrl"));
            if t["suggested"] == json!(true) {
                println!("  (suggested from the app's files; `refine target set` edits them)");
            }
            return Ok(());
        }
        TargetCmd::Start => c.call("target.start", json!({})).await?,
        TargetCmd::Stop => c.call("target.stop", json!({})).await?,
        TargetCmd::Build => c.call("target.build", json!({})).await?,
        TargetCmd::Test => c.call("target.test", json!({})).await?,
        TargetCmd::Set { what, clear, value } => {
            let key = match what.as_str() {
                "start" | "stop" | "build" | "test" => what.clone(),
                "health-command" => "healthCommand".into(),
                "health-url" => "healthUrl".into(),
                other => {
                    return Err(refine_client::CliError::Usage(format!(
                    "cannot set {other:?}: start, stop, build, test, health-command or health-url"
                )))
                }
            };
            let v = if *clear {
                Value::Null
            } else if key == "healthUrl" {
                json!(value.join(""))
            } else {
                json!(value)
            };
            let t = c.call("target.get", json!({})).await?;
            let mut input = json!({"revision": t["revision"]});
            input[key] = v;
            c.call("target.configure", input).await?
        }
    };
    if json_out {
        print_json(&out);
    } else if out["pid"].is_number() || out["status"].is_string() && out["argv"].is_array() {
        println!(
            "{} {} (process {}, pid {})",
            s(&out, "status"),
            out["argv"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(" "))
                .unwrap_or_default(),
            s(&out, "id"),
            s(&out, "pid")
        );
    } else {
        println!("Saved.");
    }
    Ok(())
}
