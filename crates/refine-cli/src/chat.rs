//! `refine chat`: threads with an agent about the project, a Goal or planning. `send` prints the
//! reply as it streams in (from the event stream, with polling as a fallback) and exits when it
//! is done; `draft` turns a conversation into Goal drafts and `--import` creates them.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;
use serde_json::{json, Value};

use crate::commands::{print_json, s, wait_operation};
use crate::{table, Result};
use refine_client::{CliError, Client};

#[derive(Subcommand, Debug)]
pub enum ChatCmd {
    /// Threads of the active app, newest first.
    List,
    /// Start a thread about the project (default), a Goal (`--goal 12`) or planning (`--plan`);
    /// prints its id.
    New {
        /// The Goal the thread is about (`12`, `#12` or its id).
        #[arg(long)]
        goal: Option<String>,
        /// A planning thread (to turn into Goal drafts later).
        #[arg(long, conflicts_with = "goal")]
        plan: bool,
        #[arg(long)]
        title: Option<String>,
        /// Agent profile (default: the agents.defaultProfile setting).
        #[arg(long)]
        profile: Option<String>,
    },
    /// A thread's messages, oldest first.
    Show { thread: String },
    /// Send a message (TEXT, or `--file F|-`) and print the reply as it arrives.
    Send {
        thread: String,
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
        /// Return once the message is stored; the reply is written in the background.
        #[arg(long)]
        no_wait: bool,
    },
    /// Rename a thread.
    Rename { thread: String, title: String },
    /// Delete a thread and its messages.
    Rm { thread: String },
    /// Ask the thread's agent for Goal drafts and show them; `--import` creates them.
    Draft {
        thread: String,
        #[arg(long)]
        import: bool,
    },
}

/// A thread given by full id or a unique id prefix (among the active app's threads).
async fn thread_id(c: &Client, given: &str) -> Result<String> {
    if uuid::Uuid::parse_str(given).is_ok() {
        return Ok(given.to_string());
    }
    let list = c.call("chat.list", json!({})).await?;
    let matches: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| s(t, "id"))
        .filter(|id| id.starts_with(given))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::Api(refine_model::ApiError::not_found(format!(
            "no chat thread {given:?}; `refine chat list` shows them"
        )))),
        _ => Err(CliError::Usage(format!(
            "{given:?} matches several threads; use more of the id"
        ))),
    }
}

fn read_text(text: &Option<String>, file: &Option<String>) -> Result<String> {
    match (text, file) {
        (Some(t), _) => Ok(t.clone()),
        (None, Some(f)) if f == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            Ok(s)
        }
        (None, Some(f)) => {
            std::fs::read_to_string(f).map_err(|e| CliError::Usage(format!("cannot read {f}: {e}")))
        }
        (None, None) => Err(CliError::Usage(
            "say something: TEXT, or --file F (- reads standard input)".into(),
        )),
    }
}

fn about(t: &Value) -> String {
    match (s(t, "kind").as_str(), t["goalNumber"].as_u64()) {
        ("goal", Some(n)) => format!("goal #{n}"),
        (k, _) => k.to_string(),
    }
}

fn print_message(m: &Value, profile: &str) {
    let who = if m["role"] == json!("user") {
        "you".to_string()
    } else {
        format!("agent ({profile})")
    };
    let status = s(m, "status");
    let flag = if status == "done" || m["role"] == json!("user") {
        String::new()
    } else {
        format!(" [{status}]")
    };
    println!("── {who} · {}{flag}", s(m, "createdAt"));
    let content = m["content"].as_str().unwrap_or("");
    if !content.is_empty() {
        println!("{}", content.trim_end());
    }
    println!();
}

/// Wait for the reply `reply_id`, printing its streamed text unless `quiet`; returns the final
/// message.
async fn follow_reply(
    c: &Client,
    thread: &str,
    reply_id: &str,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<refine_model::Event>,
    quiet: bool,
) -> Result<Value> {
    let mut printed = String::new();
    let mut out = std::io::stdout();
    let finished = |m: &Value| m["status"] == json!("done") || m["status"] == json!("failed");
    let done = loop {
        tokio::select! {
            Some(ev) = rx.recv() => {
                if ev.data["messageId"] == json!(reply_id) && ev.kind == "chat.delta" {
                    let t = ev.data["text"].as_str().unwrap_or("");
                    if !quiet {
                        let _ = out.write_all(t.as_bytes());
                        let _ = out.flush();
                    }
                    printed.push_str(t);
                } else if ev.kind == "chat.message" && ev.data["message"]["id"] == json!(reply_id) && finished(&ev.data["message"]) {
                    break ev.data["message"].clone();
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {
                let view = c.call("chat.get", json!({"id": thread})).await?;
                if let Some(m) = view["messages"].as_array().and_then(|a| a.iter().find(|m| m["id"] == json!(reply_id))) {
                    if finished(m) {
                        break m.clone();
                    }
                }
            }
        }
    };
    if !quiet && done["status"] == json!("done") {
        let content = done["content"].as_str().unwrap_or("").trim();
        // What streamed is the agent's raw output; when it does not end with the stored reply
        // (a result block, or nothing streamed), print the reply itself.
        if !printed.trim_end().ends_with(content) {
            if !printed.is_empty() && !printed.ends_with('\n') {
                println!();
            }
            println!("{content}");
        }
    }
    Ok(done)
}

pub async fn run(c: &Client, cmd: &ChatCmd, json_out: bool) -> Result {
    match cmd {
        ChatCmd::List => {
            let list = c.call("chat.list", json!({})).await?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    vec![
                        s(t, "id"),
                        about(t),
                        s(t, "title"),
                        s(t, "profile"),
                        format!(
                            "{}{}",
                            t["messageCount"],
                            if t["replying"] == json!(true) {
                                " …"
                            } else {
                                ""
                            }
                        ),
                        s(t, "updatedAt"),
                    ]
                })
                .collect();
            table::print(
                &["id", "about", "title", "agent", "messages", "updated"],
                rows,
            );
        }
        ChatCmd::New {
            goal,
            plan,
            title,
            profile,
        } => {
            let kind = if goal.is_some() {
                "goal"
            } else if *plan {
                "plan"
            } else {
                "project"
            };
            let t = c
                .call(
                    "chat.create",
                    json!({"kind": kind, "goalId": goal, "title": title, "profile": profile}),
                )
                .await?;
            if json_out {
                print_json(&t);
            } else {
                println!(
                    "Started chat “{}” ({}, agent {}): {}",
                    s(&t, "title"),
                    about(&t),
                    s(&t, "profile"),
                    s(&t, "id")
                );
            }
        }
        ChatCmd::Show { thread } => {
            let id = thread_id(c, thread).await?;
            let v = c.call("chat.get", json!({"id": id})).await?;
            if json_out {
                print_json(&v);
                return Ok(());
            }
            let t = &v["thread"];
            println!(
                "{} ({}, agent {})\n",
                s(t, "title"),
                about(t),
                s(t, "profile")
            );
            let profile = s(t, "profile");
            let messages = v["messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                println!("(no messages yet: refine chat send {} \"…\")", s(t, "id"));
            }
            for m in &messages {
                print_message(m, &profile);
            }
        }
        ChatCmd::Send {
            thread,
            text,
            file,
            no_wait,
        } => {
            let id = thread_id(c, thread).await?;
            let content = read_text(text, file)?;
            // Follow the events first, so nothing streamed slips by.
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let follower = {
                let c2 = c.clone();
                tokio::spawn(async move {
                    let _ = c2
                        .follow(None, |ev| {
                            if ev.kind.starts_with("chat.") {
                                return tx.send(ev).is_ok();
                            }
                            true
                        })
                        .await;
                })
            };
            let sent = c
                .call("chat.send", json!({"threadId": id, "content": content}))
                .await;
            let sent = match sent {
                Ok(v) => v,
                Err(e) => {
                    follower.abort();
                    return Err(e);
                }
            };
            if *no_wait {
                follower.abort();
                if json_out {
                    print_json(&sent);
                } else {
                    println!("Sent; the reply is {}", s(&sent["reply"], "id"));
                }
                return Ok(());
            }
            let reply_id = s(&sent["reply"], "id");
            let done = follow_reply(c, &id, &reply_id, rx, json_out).await;
            follower.abort();
            let done = done?;
            if json_out {
                print_json(&done);
            }
            if done["status"] != json!("done") {
                return Err(CliError::Api(refine_model::ApiError::precondition(
                    done["content"]
                        .as_str()
                        .unwrap_or("the agent did not answer")
                        .to_string(),
                )));
            }
        }
        ChatCmd::Rename { thread, title } => {
            let id = thread_id(c, thread).await?;
            let t = c
                .call("chat.rename", json!({"id": id, "title": title}))
                .await?;
            if json_out {
                print_json(&t);
            } else {
                println!("Renamed the chat to “{}”", s(&t, "title"));
            }
        }
        ChatCmd::Rm { thread } => {
            let id = thread_id(c, thread).await?;
            let t = c.call("chat.delete", json!({"id": id})).await?;
            if json_out {
                print_json(&t);
            } else {
                println!("Deleted chat “{}”", s(&t, "title"));
            }
        }
        ChatCmd::Draft { thread, import } => {
            let id = thread_id(c, thread).await?;
            let d = c.call("chat.draft", json!({"threadId": id})).await?;
            let p = &d["preview"];
            if json_out && !*import {
                print_json(&d);
                return Ok(());
            }
            if !json_out {
                println!(
                    "Goal draft: {} to create, {} to update, {} unchanged, {} error(s)",
                    p["create"],
                    p["update"],
                    p["unchanged"],
                    p["errors"].as_array().map(|e| e.len()).unwrap_or(0)
                );
                for e in p["errors"].as_array().cloned().unwrap_or_default() {
                    println!("  row {}: {}", e["row"], s(&e, "message"));
                }
                let rows = p["goals"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|g| {
                        vec![
                            s(g, "action"),
                            s(g, "status"),
                            s(g, "feature"),
                            s(g, "title"),
                        ]
                    })
                    .collect();
                table::print(&["action", "status", "feature", "title"], rows);
                for g in p["goals"].as_array().into_iter().flatten() {
                    let prompt = g["prompt"].as_str().unwrap_or("");
                    if !prompt.is_empty() {
                        println!("\n{}:\n{}", s(g, "title"), prompt);
                    }
                }
            }
            if !*import {
                if !json_out {
                    println!("\nCreate them with: refine chat draft {id} --import");
                }
                return Ok(());
            }
            let receipt = c.call("import.commit", d["import"].clone()).await?;
            let done = wait_operation(c, receipt, json_out).await?;
            if json_out {
                print_json(&done);
            } else if done["status"] == json!("succeeded") {
                let r = &done["result"];
                println!("Created {} Goal(s), updated {}", r["created"], r["updated"]);
            }
            if done["status"] != json!("succeeded") {
                return Err(CliError::Api(refine_model::ApiError::unavailable(
                    done["error"]["message"]
                        .as_str()
                        .unwrap_or("the import did not finish")
                        .to_string(),
                )));
            }
        }
    }
    Ok(())
}
