//! `refine chat`: threads with an agent about the project, a Goal or planning. `send` prints the
//! reply as it streams in (from the event stream, with polling as a fallback) and exits when it
//! is done; `draft` turns a conversation into Goal drafts and `--import` creates them.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;
use refine_api::ops::{chat, import, operations};
use refine_client::{CliError, Client};
use refine_core::chat::{
    ChatDraftInput, ChatGoalDraft, ChatIdInput, ChatListInput, CreateChatInput, RenameChatInput,
    SendChatInput,
};
use refine_core::events::kind;
use refine_core::import::{ImportPreview, ImportSummary};
use refine_model::chat::{
    ChatKind, ChatMessage, ChatRole, ChatStatus, ChatThread, ChatView, REPLY_CUT, REPLY_TAIL,
};
use refine_model::{ApiError, Event, OperationStatus};

use super::{event_data, pick_one, text_or_file, wait, Commands, Run};
use crate::render::{state, wire, Cell, Printer, Render, Tone};
use crate::Result;

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
    #[command(alias = "rm", alias = "remove")]
    Delete { thread: String },
    /// Ask the thread's agent for Goal drafts and show them; `--import` creates them.
    Draft {
        thread: String,
        #[arg(long)]
        import: bool,
    },
}

pub const COMMANDS: Commands = &[
    ("list", &[chat::LIST.name]),
    ("new", &[chat::CREATE.name]),
    ("show", &[chat::GET.name, chat::LIST.name]),
    ("send", &[chat::SEND.name, chat::GET.name, chat::LIST.name]),
    ("rename", &[chat::RENAME.name, chat::LIST.name]),
    ("delete", &[chat::DELETE.name, chat::LIST.name]),
    (
        "draft",
        &[
            chat::DRAFT.name,
            import::COMMIT.name,
            operations::GET.name,
            chat::LIST.name,
        ],
    ),
];

const ACTIVE: ChatListInput = ChatListInput { app_id: None };

/// A thread given by full id or a unique id prefix (among the active app's threads).
async fn thread_id(c: &Client, given: &str) -> Result<String> {
    if uuid::Uuid::parse_str(given).is_ok() {
        return Ok(given.to_string());
    }
    let list = c.run(chat::LIST, &ACTIVE).await?;
    fn id(t: &ChatThread) -> &str {
        &t.id
    }
    let t = pick_one(
        "chat thread",
        given,
        &list,
        id,
        id,
        "`refine chat list` shows them",
    )?;
    Ok(t.id.clone())
}

pub async fn run(r: &Run<'_>, cmd: &ChatCmd) -> Result {
    let c = r.c;
    match cmd {
        ChatCmd::List => r.out.show(&ThreadList(c.run(chat::LIST, &ACTIVE).await?)),
        ChatCmd::New {
            goal,
            plan,
            title,
            profile,
        } => {
            let kind = match (goal, plan) {
                (Some(_), _) => ChatKind::Goal,
                (None, true) => ChatKind::Plan,
                (None, false) => ChatKind::Project,
            };
            let input = CreateChatInput {
                app_id: None,
                kind,
                goal_id: goal.clone(),
                title: title.clone(),
                profile: profile.clone(),
            };
            let t = c.run(chat::CREATE, &input).await?;
            r.out.done(&t, |t| {
                format!(
                    "Started chat “{}” ({}, agent {}): {}",
                    t.title,
                    about(t),
                    t.profile,
                    t.id
                )
            })
        }
        ChatCmd::Show { thread } => {
            let id = thread_id(c, thread).await?;
            r.out.show(&c.run(chat::GET, &ChatIdInput { id }).await?)
        }
        ChatCmd::Send {
            thread,
            text,
            file,
            no_wait,
        } => {
            let id = thread_id(c, thread).await?;
            let content = text_or_file(text, file)?.ok_or_else(|| {
                CliError::Usage("say something: TEXT, or --file F (- reads standard input)".into())
            })?;
            // Follow the events first, so nothing streamed slips by.
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let follower = {
                let c2 = c.clone();
                tokio::spawn(async move {
                    let _ = c2
                        .follow(None, |ev| {
                            !ev.kind.starts_with("chat.") || tx.send(ev).is_ok()
                        })
                        .await;
                })
            };
            let input = SendChatInput {
                thread_id: id.clone(),
                content,
            };
            let sent = match c.run(chat::SEND, &input).await {
                Ok(s) => s,
                Err(e) => {
                    follower.abort();
                    return Err(e);
                }
            };
            if *no_wait {
                follower.abort();
                return r
                    .out
                    .done(&sent, |s| format!("Sent; the reply is {}", s.reply.id));
            }
            let done = follow_reply(c, &id, &sent.reply.id, rx, r.out.is_json()).await;
            follower.abort();
            let done = done?;
            if r.out.is_json() {
                r.out.json(&done)?;
            }
            if done.status != ChatStatus::Done {
                let why = if done.content.is_empty() {
                    "the agent did not answer".to_string()
                } else {
                    done.content
                };
                return Err(CliError::Api(ApiError::precondition(why)));
            }
            Ok(())
        }
        ChatCmd::Rename { thread, title } => {
            let input = RenameChatInput {
                id: thread_id(c, thread).await?,
                title: title.clone(),
            };
            let t = c.run(chat::RENAME, &input).await?;
            r.out
                .done(&t, |t| format!("Renamed the chat to “{}”", t.title))
        }
        ChatCmd::Delete { thread } => {
            let id = thread_id(c, thread).await?;
            let t = c.run(chat::DELETE, &ChatIdInput { id }).await?;
            r.out.done(&t, |t| format!("Deleted chat “{}”", t.title))
        }
        ChatCmd::Draft { thread, import } => {
            let id = thread_id(c, thread).await?;
            let d = c
                .run(chat::DRAFT, &ChatDraftInput { thread_id: id })
                .await?;
            if !*import {
                return r.out.show(&d);
            }
            if !r.out.is_json() {
                let mut p = Printer::new(r.out.color);
                DraftPreview(&d.preview).render(&mut p);
                p.flush();
            }
            let receipt = c.run(import::COMMIT, &d.import).await?;
            let done = wait(r, receipt).await?;
            if r.out.is_json() {
                r.out.json(&done)?;
            } else if done.status == OperationStatus::Succeeded {
                let s: Option<ImportSummary> = done
                    .result
                    .clone()
                    .and_then(|v| serde_json::from_value(v).ok());
                if let Some(s) = s {
                    r.out.done(&s, |s| {
                        format!("Created {} Goal(s), updated {}", s.created, s.updated)
                    })?;
                }
            }
            if done.status != OperationStatus::Succeeded {
                let why = done.error.map_or_else(
                    || format!("the import {}", wire(&done.status)),
                    |e| e.message,
                );
                return Err(CliError::Api(ApiError::unavailable(why)));
            }
            Ok(())
        }
    }
}

/// Wait for the reply `reply_id`, printing its streamed text unless `quiet`; returns the final
/// message.
async fn follow_reply(
    c: &Client,
    thread: &str,
    reply_id: &str,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
    quiet: bool,
) -> Result<ChatMessage> {
    let mut printed = String::new();
    let mut out = std::io::stdout();
    let finished = |m: &ChatMessage| matches!(m.status, ChatStatus::Done | ChatStatus::Failed);
    let done = loop {
        tokio::select! {
            Some(ev) = rx.recv() => {
                if let Some(d) = event_data(&ev, kind::CHAT_DELTA).filter(|d| d.message_id == reply_id) {
                    if !quiet {
                        let _ = out.write_all(crate::out::escape(&d.text).as_bytes());
                        let _ = out.flush();
                    }
                    printed.push_str(&d.text);
                    // Only its end is compared with the stored reply, which is at most the tail.
                    if printed.len() > 4 * REPLY_TAIL {
                        let mut from = printed.len() - 2 * REPLY_TAIL;
                        while !printed.is_char_boundary(from) {
                            from += 1;
                        }
                        printed.drain(..from);
                    }
                } else if let Some(m) = event_data(&ev, kind::CHAT_MESSAGE) {
                    if m.message.id == reply_id && finished(&m.message) {
                        break m.message;
                    }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {
                let view = c.run(chat::GET, &ChatIdInput { id: thread.to_string() }).await?;
                if let Some(m) = view.messages.into_iter().find(|m| m.id == reply_id && finished(m)) {
                    break m;
                }
            }
        }
    };
    if !quiet && done.status == ChatStatus::Done {
        let content = done.content.trim();
        // What streamed is the agent's raw output; when it does not end with the stored reply
        // (a result block, or nothing streamed), print the reply itself. A long output's reply
        // is its end after a note line: that end has streamed already.
        let end = content.strip_prefix(REPLY_CUT).unwrap_or(content).trim();
        if !printed.trim_end().ends_with(end) {
            if !printed.is_empty() && !printed.ends_with('\n') {
                println!();
            }
            println!("{content}");
        }
    }
    Ok(done)
}

/// `goal #12`, `plan` or `project`: what a thread is about.
fn about(t: &ChatThread) -> String {
    match (t.kind, t.goal_number) {
        (ChatKind::Goal, Some(n)) => format!("goal #{n}"),
        (k, _) => wire(&k),
    }
}

/// `chat list`: one row per thread; `…` marks one whose reply is being written.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct ThreadList(pub Vec<ChatThread>);

impl Render for ThreadList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|t| {
                vec![
                    Cell::from(&t.id),
                    Cell::from(about(t)),
                    Cell::from(&t.title),
                    Cell::from(&t.profile),
                    Cell::from(format!(
                        "{}{}",
                        t.message_count,
                        if t.replying { " …" } else { "" }
                    )),
                    Cell::from(&t.updated_at),
                ]
            })
            .collect();
        p.table(
            &["id", "about", "title", "agent", "messages", "updated"],
            rows,
        );
    }
}

/// `chat show`: the thread, then each message with who wrote it.
impl Render for ChatView {
    fn render(&self, p: &mut Printer) {
        let t = &self.thread;
        p.line(format!("{} ({}, agent {})", t.title, about(t), t.profile));
        p.blank();
        if self.messages.is_empty() {
            p.line(format!(
                "(no messages yet: refine chat send {} \"…\")",
                t.id
            ));
        }
        for m in &self.messages {
            let (who, flag) = match m.role {
                ChatRole::User => ("you".to_string(), String::new()),
                ChatRole::Assistant => (
                    format!("agent ({})", t.profile),
                    if m.status == ChatStatus::Done {
                        String::new()
                    } else {
                        format!(" [{}]", wire(&m.status))
                    },
                ),
            };
            p.toned(format!("── {who} · {}{flag}", m.created_at), Tone::Strong);
            if !m.content.is_empty() {
                p.line(m.content.trim_end());
            }
            p.blank();
        }
    }
}

/// What a draft would create: counts, row errors, one row per Goal and each Goal's prompt.
struct DraftPreview<'a>(&'a ImportPreview);

impl Render for DraftPreview<'_> {
    fn render(&self, p: &mut Printer) {
        let v = self.0;
        p.line(format!(
            "Goal draft: {} to create, {} to update, {} unchanged, {} error(s)",
            v.create,
            v.update,
            v.unchanged,
            v.errors.len()
        ));
        for e in &v.errors {
            p.toned(format!("  row {}: {}", e.row, e.message), Tone::Bad);
        }
        let rows = v
            .goals
            .iter()
            .map(|g| {
                vec![
                    Cell::from(wire(&g.action)),
                    state(wire(&g.status)),
                    Cell::from(crate::render::opt(&g.feature)),
                    Cell::from(&g.title),
                ]
            })
            .collect();
        p.table(&["action", "status", "feature", "title"], rows);
        for g in v.goals.iter().filter(|g| !g.prompt.is_empty()) {
            p.blank();
            p.line(format!("{}:", g.title));
            p.line(&g.prompt);
        }
    }
}

/// `chat draft`: the preview, and how to create the Goals.
impl Render for ChatGoalDraft {
    fn render(&self, p: &mut Printer) {
        DraftPreview(&self.preview).render(p);
        p.blank();
        p.toned(
            format!(
                "Create them with: refine chat draft {} --import",
                self.thread_id
            ),
            Tone::Dim,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    fn thread() -> serde_json::Value {
        json!({
            "id": "0190a1b2-0000-7000-8000-0000000000cc", "appId": "a1", "kind": "plan",
            "goalId": null, "goalNumber": null, "goalTitle": null, "title": "Coupons",
            "profile": "scripted", "createdAt": "2026-03-01T10:00:00Z",
            "updatedAt": "2026-03-01T10:05:00Z", "messageCount": 2, "preview": "Two Goals", "replying": true
        })
    }

    #[test]
    fn threads_render_from_their_typed_output() {
        let t: ChatThread = serde_json::from_value(thread()).unwrap();
        let list = shown(&ThreadList(vec![t.clone()]));
        assert!(
            list.contains("0190a1b2-0000-7000-8000-0000000000cc  plan   Coupons  scripted  2 …       2026-03-01T10:05:00Z"),
            "{list}"
        );
        let mut g = t.clone();
        g.kind = ChatKind::Goal;
        g.goal_number = Some(2);
        assert_eq!(about(&g), "goal #2");

        let view: ChatView = serde_json::from_value(json!({
            "thread": thread(),
            "messages": [
                {"id": "m1", "threadId": "t", "seq": 1, "role": "user", "content": "Let us plan coupons.",
                 "status": "done", "runId": null, "createdAt": "2026-03-01T10:00:00Z"},
                {"id": "m2", "threadId": "t", "seq": 2, "role": "assistant", "content": "Two Goals.\n",
                 "status": "streaming", "runId": "r1", "createdAt": "2026-03-01T10:00:01Z"}
            ]
        }))
        .unwrap();
        assert_eq!(
            shown(&view),
            "Coupons (plan, agent scripted)\n\n── you · 2026-03-01T10:00:00Z\nLet us plan coupons.\n\n\
             ── agent (scripted) · 2026-03-01T10:00:01Z [streaming]\nTwo Goals.\n\n"
        );
    }

    #[test]
    fn a_draft_renders_from_its_typed_output() {
        let d: ChatGoalDraft = serde_json::from_value(json!({
            "threadId": "t1", "reply": "# Checkout",
            "import": {"format": "markdown", "content": "# Checkout\n- [ ] Coupon field\n"},
            "preview": {
                "features": [{"name": "Checkout", "goals": 1, "new": true}],
                "errors": [{"row": 4, "message": "no title"}],
                "create": 1, "update": 0, "unchanged": 0,
                "goals": [{"row": 2, "title": "Coupon field", "prompt": "Shoppers enter a code.", "notes": "",
                    "labels": [], "priority": 0, "status": "todo", "feature": "Checkout", "assignee": null,
                    "external": {"source": "markdown", "id": "2"}, "action": "create", "goalId": null}]
            }
        }))
        .unwrap();
        let out = shown(&d);
        assert!(
            out.starts_with("Goal draft: 1 to create, 0 to update, 0 unchanged, 1 error(s)\n  row 4: no title\n"),
            "{out}"
        );
        assert!(
            out.contains("create  todo    Checkout  Coupon field"),
            "{out}"
        );
        assert!(
            out.contains("\nCoupon field:\nShoppers enter a code.\n"),
            "{out}"
        );
        assert!(out.ends_with("refine chat draft t1 --import\n"), "{out}");
    }
}
