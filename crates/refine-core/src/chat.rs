//! chat: threads about the project, a Goal or planning, each with an agent profile. Messages are
//! stored; a reply is written by a daemon-owned task (the assistant message goes pending →
//! streaming → done or failed) whose output streams live as `chat.delta` events; a thread can
//! become Goal drafts through import's Markdown preview, to be committed by `import.commit`.
//!
//! A reply whose daemon stopped is settled as failed the next time its thread is read or
//! written to: a reply is "being written" only while this process holds it in [`LIVE`].

use crate::events::kind;
use refine_model::event::{ChatDelta, ChatMessageAdded, ChatThreadChanged, IdRef};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use refine_model::agents::{Phase, RESULT_FENCE};
use refine_model::work::Goal;
use refine_model::{ApiError, App, Event};
use refine_store::rusqlite::{params, Connection, OptionalExtension};
use refine_store::StoreError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::sync::{broadcast, watch};

pub use refine_model::chat::{
    ChatKind, ChatMessage, ChatRole, ChatSent, ChatStatus, ChatThread, ChatView, REPLY_CUT,
    REPLY_TAIL,
};
use refine_store::chat::{self as chat_store, *};

use crate::agents::{AgentFailure, Answer, RunSpec};
use crate::apps::validate_id;
use crate::import::{parse_markdown, ImportFormat, ImportInput, ImportPreview};
use crate::processes::end_lines;
use crate::work::find_goal;
use crate::{clock, new_id, wire, Change, Core, Ctx, Mutated};

/// Longest message a person may send (characters).
pub const MAX_MESSAGE: usize = 100_000;
/// Longest thread title (characters).
const MAX_TITLE: usize = 200;
/// How much of the conversation goes into a prompt (bytes; the newest messages win). Some
/// agents take the prompt as one argument, which Linux caps at 128 KiB.
const HISTORY_BUDGET: usize = 90_000;
/// A Goal draft is answered within one HTTP request (which times out after 60 s).
const DRAFT_TIMEOUT: Duration = Duration::from_secs(50);
/// What a reply left behind by a stopped daemon says.
pub const DAEMON_STOPPED: &str = "No reply: the daemon stopped before the agent answered.";

/// Goal drafts from a conversation: import's preview of the Markdown the agent wrote, and the
/// `import.commit` input that creates them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatGoalDraft {
    pub thread_id: String,
    /// Send this to `import.commit` to create the Goals.
    pub import: ImportInput,
    pub preview: ImportPreview,
    /// The agent's answer as it gave it.
    pub reply: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatListInput {
    /// Default: the active app.
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateChatInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub kind: ChatKind,
    /// For `goal` threads: the Goal (`12`, `#12` or its id).
    #[serde(default)]
    pub goal_id: Option<String>,
    /// Default: “Project chat”, the Goal's number and title, or “Planning”.
    #[serde(default)]
    pub title: Option<String>,
    /// Agent profile (default: the `agents.defaultProfile` setting).
    #[serde(default)]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatIdInput {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendChatInput {
    pub thread_id: String,
    /// Markdown; at most 100,000 characters.
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameChatInput {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatDraftInput {
    pub thread_id: String,
}

/// A reply this daemon is writing.
#[derive(Debug, Default)]
pub(crate) struct LiveReply {
    thread_id: String,
    process: Option<String>,
    /// The end of what streamed so far (at most twice [`REPLY_TAIL`]: cut back as it grows).
    partial: String,
    /// Something was cut from the front of `partial`.
    cut: bool,
}

impl LiveReply {
    fn push(&mut self, text: &str) {
        self.partial.push_str(text);
        if self.partial.len() > 2 * REPLY_TAIL {
            self.partial = end_lines(&self.partial, REPLY_TAIL).to_string();
            self.cut = true;
        }
    }

    /// What `chat.get` shows of a streaming reply: its end, as the stored reply will be.
    fn shown(&self) -> String {
        if !self.cut && self.partial.len() <= REPLY_TAIL {
            return self.partial.clone();
        }
        format!("{REPLY_CUT}\n{}", end_lines(&self.partial, REPLY_TAIL))
    }
}

/// Replies being written by this daemon, by message id.
pub(crate) type LiveReplies = Mutex<HashMap<String, LiveReply>>;

impl Core {
    fn chat_replies(&self) -> MutexGuard<'_, HashMap<String, LiveReply>> {
        self.0.chat_live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start-up repair: replies a stopped daemon was writing are settled as failed.
    pub(crate) fn repair_chat(&self) -> Result<usize, StoreError> {
        self.0.store.write(|tx| {
            let ids = chat_store::unfinished_replies(tx)?;
            for id in &ids {
                chat_store::fail_reply(tx, id, DAEMON_STOPPED)?;
            }
            Ok(ids.len())
        })
    }
}

// ---- storage: refine_store::chat ----

/// Replies of `thread_id` that nobody writes any more (their daemon stopped): settled as
/// failed. Returns them.
pub(crate) fn settle_orphans(
    core: &Core,
    conn: &Connection,
    thread_id: &str,
) -> Result<Vec<ChatMessage>, StoreError> {
    let ids = pending_ids(conn, thread_id)?;
    let orphans: Vec<String> = {
        let l = core.chat_replies();
        ids.into_iter().filter(|id| !l.contains_key(id)).collect()
    };
    let mut out = Vec::new();
    for id in orphans {
        conn.execute(
            "UPDATE chat_messages SET status = 'failed', content = ?2 WHERE id = ?1",
            params![id, DAEMON_STOPPED],
        )?;
        out.extend(get_message(conn, &id)?);
    }
    Ok(out)
}

fn has_orphan_ids(core: &Core, ids: &[String]) -> bool {
    let l = core.chat_replies();
    ids.iter().any(|id| !l.contains_key(id))
}

fn has_orphans(core: &Core, messages: &[ChatMessage]) -> bool {
    let l = core.chat_replies();
    messages.iter().any(|m| {
        matches!(m.status, ChatStatus::Pending | ChatStatus::Streaming) && !l.contains_key(&m.id)
    })
}

fn not_found_thread(id: &str) -> ApiError {
    ApiError::not_found(format!("no chat thread {id}"))
}

fn thread_in(conn: &Connection, id: &str) -> Result<ChatThread, ApiError> {
    get_thread(conn, id)?.ok_or_else(|| not_found_thread(id))
}

// ---- text ----

/// The first line of `s`, at most `n` characters.
fn one_line(s: &str, n: usize) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(n).collect();
    if line.chars().count() > n {
        out.push('…');
    }
    out
}

fn default_title(kind: ChatKind, goal: Option<&Goal>) -> String {
    match (kind, goal) {
        (ChatKind::Goal, Some(g)) => one_line(&format!("#{} {}", g.number, g.title), MAX_TITLE),
        (ChatKind::Plan, _) => "Planning".to_string(),
        _ => "Project chat".to_string(),
    }
}

/// The agent's output without any ```refine-result block.
pub(crate) fn strip_result_block(out: &str) -> String {
    let mut keep = String::new();
    let mut inside = false;
    for line in out.lines() {
        if !inside && line.trim_start().starts_with(RESULT_FENCE) {
            inside = true;
            continue;
        }
        if inside {
            if line.trim() == "```" {
                inside = false;
            }
            continue;
        }
        keep.push_str(line);
        keep.push('\n');
    }
    keep
}

/// The reply in an answer: the block's `reply` when there is one, else the whole output
/// without the block.
fn reply_text(a: &Answer) -> String {
    if let Ok(v) = &a.block {
        if let Some(r) = v.get("reply").and_then(|r| r.as_str()) {
            return r.trim().to_string();
        }
    }
    strip_result_block(&a.output).trim().to_string()
}

fn clean_title(line: &str) -> String {
    line.trim()
        .trim_start_matches(['#', '-', '*', '>', ' '])
        .trim_start_matches("[ ]")
        .trim()
        .trim_end_matches(':')
        .trim()
        .to_string()
}

/// Markdown the import reads as Goals: the agent's text when it is a task list already, else
/// one Goal whose prompt is the text (titled by its short first line, or `fallback_title`).
pub(crate) fn draft_markdown(text: &str, fallback_title: &str) -> String {
    if !parse_markdown(text).0.is_empty() {
        return text.trim().to_string() + "\n";
    }
    let lines: Vec<&str> = text.trim().lines().collect();
    let first = lines.first().map(|l| clean_title(l)).unwrap_or_default();
    let (title, body) = if lines.len() > 1 && !first.is_empty() && first.chars().count() <= 100 {
        (first, lines[1..].join("\n"))
    } else {
        (fallback_title.to_string(), text.trim().to_string())
    };
    let mut md = format!("- [ ] {title}\n");
    for l in body.trim().lines() {
        if l.trim().is_empty() {
            md.push('\n');
            continue;
        }
        md.push_str("    ");
        // A line starting with `#` would read as a Feature heading.
        if l.trim_start().starts_with('#') {
            md.push('\\');
            md.push_str(l.trim_start());
        } else {
            md.push_str(l);
        }
        md.push('\n');
    }
    md
}

/// What the agent is told about the thread, and the conversation (newest messages first to
/// fit the budget, shown oldest first).
fn context(thread: &ChatThread, goal: Option<&Goal>, history: &[ChatMessage]) -> String {
    let mut s = String::new();
    match (thread.kind, goal) {
        (ChatKind::Goal, Some(g)) => {
            s.push_str(&format!(
                "The conversation is about this Goal of the app.\n\n## Goal #{}: {}\nStatus: {}\n\n{}\n\n",
                g.number,
                g.title,
                serde_json::to_value(g.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                if g.prompt.trim().is_empty() {
                    "(no prompt yet)"
                } else {
                    g.prompt.trim()
                }
            ));
        }
        (ChatKind::Goal, None) => {
            s.push_str("The conversation was about a Goal that no longer exists.\n\n");
        }
        (ChatKind::Plan, _) => s.push_str(
            "The conversation plans work on the app: help shape it into small Goals, each one \
             change that can be checked (what exists now, what should exist, how to tell it is \
             done).\n\n",
        ),
        (ChatKind::Project, _) => s.push_str(
            "The conversation is about the project as a whole; its files are in the current \
             directory.\n\n",
        ),
    }
    let mut used = 0usize;
    let mut shown: Vec<&ChatMessage> = Vec::new();
    for m in history.iter().rev() {
        used += m.content.len() + 32;
        if used > HISTORY_BUDGET && !shown.is_empty() {
            break;
        }
        shown.push(m);
    }
    shown.reverse();
    s.push_str("## Conversation so far\n");
    if shown.len() < history.len() {
        s.push_str(&format!(
            "({} earlier message(s) left out)\n",
            history.len() - shown.len()
        ));
    }
    for m in shown {
        let who = match m.role {
            ChatRole::User => "Person",
            ChatRole::Assistant => "You",
        };
        let text: String = if m.content.len() > HISTORY_BUDGET {
            m.content
                .chars()
                .take(HISTORY_BUDGET / 4)
                .collect::<String>()
                + "\n(cut short)"
        } else {
            m.content.clone()
        };
        s.push_str(&format!("\n### {who}\n{}\n", text.trim_end()));
    }
    s
}

fn header(title: &str, phase: &str, app: &App) -> String {
    format!(
        "# Refine: {title}\nPhase: {phase}\nApp: {} ({})\n\nYou are talking with a person in Refine, \
         the tool that runs coding agents on this app. This is a conversation: do not change any \
         files and do not run commands that change anything.\n",
        app.name, app.path
    )
}

fn chat_prompt(
    app: &App,
    thread: &ChatThread,
    goal: Option<&Goal>,
    history: &[ChatMessage],
) -> String {
    format!(
        "{}\n{}\n## Your answer\nReply to the person's last message, in plain text or Markdown.\n",
        header("chat", "chat", app),
        context(thread, goal, history)
    )
}

fn draft_prompt(
    app: &App,
    thread: &ChatThread,
    goal: Option<&Goal>,
    history: &[ChatMessage],
) -> String {
    format!(
        "{}\n{}\n## Your task\nTurn this conversation into Goals for Refine. Answer with a Markdown \
         task list and nothing else:\n\
         - optionally one `# Feature name` heading first, when the Goals belong together;\n\
         - one `- [ ] Goal title` line per Goal (a short imperative title);\n\
         - under each, its prompt indented by four spaces: what exists now, what should exist, \
         and how to tell it is done.\n",
        header("Goal draft", "draft", app),
        context(thread, goal, history)
    )
}

/// Messages worth showing an agent: everything said, not failures or unfinished replies.
fn said(messages: Vec<ChatMessage>) -> Vec<ChatMessage> {
    messages
        .into_iter()
        .filter(|m| m.status == ChatStatus::Done && !m.content.trim().is_empty())
        .collect()
}

/// Where the reply's output goes while the agent runs.
struct Stream {
    thread_id: String,
    message_id: String,
    app_id: String,
}

/// Publish a streamed batch of output lines (stdout, without the result block) as a delta.
/// Publish the assistant text of a batch of the run's transcript (without the result block)
/// as a delta. Plain-text agents give a text item per line; structured ones whole messages.
fn forward_lines(core: &Core, s: &Stream, data: &serde_json::Value, fence: &mut bool) {
    let mut text = String::new();
    let texts = data["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["item"]["kind"] == "text")
        .filter_map(|e| e["item"]["text"].as_str());
    for t in texts.flat_map(str::lines) {
        if !*fence && t.trim_start().starts_with(RESULT_FENCE) {
            *fence = true;
            continue;
        }
        if *fence {
            if t.trim() == "```" {
                *fence = false;
            }
            continue;
        }
        text.push_str(t);
        text.push('\n');
    }
    if text.is_empty() {
        return;
    }
    if let Some(l) = core.chat_replies().get_mut(&s.message_id) {
        l.push(&text);
    }
    core.bus().publish(
        kind::CHAT_DELTA,
        Some(s.app_id.clone()),
        &ChatDelta {
            thread_id: s.thread_id.clone(),
            message_id: s.message_id.clone(),
            text,
        },
    );
}

impl Core {
    async fn chat_app(&self, app_id: &str) -> Result<App, ApiError> {
        self.apps_get(crate::apps::AppIdInput {
            id: app_id.to_string(),
        })
        .await
    }

    /// `chat.list`: the app's threads, newest first.
    pub async fn chat_list(
        &self,
        ctx: &Ctx,
        i: ChatListInput,
    ) -> Result<Vec<ChatThread>, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        let id = app.id.clone();
        let threads = self.read(move |c| list_threads(c, &id)).await?;
        let busy: Vec<String> = threads
            .iter()
            .filter(|t| t.replying)
            .map(|t| t.id.clone())
            .collect();
        let b2 = busy.clone();
        let pending = self
            .read(move |c| {
                let mut ids = Vec::new();
                for t in &b2 {
                    ids.extend(pending_ids(c, t)?);
                }
                Ok(ids)
            })
            .await?;
        if !has_orphan_ids(self, &pending) {
            return Ok(threads);
        }
        // A reply nobody writes any more (its daemon stopped) is settled before it is shown.
        let (settled, threads) = self
            .blocking(move |core| {
                core.store()
                    .write(|tx| {
                        let mut settled = Vec::new();
                        for t in &busy {
                            settled.extend(settle_orphans(core, tx, t)?);
                        }
                        Ok::<_, StoreError>((settled, list_threads(tx, &app.id)?))
                    })
                    .map_err(ApiError::from)
            })
            .await?;
        if let Some(first) = threads.first() {
            for m in &settled {
                self.publish_message(&first.app_id, m);
            }
        }
        Ok(threads)
    }

    /// `chat.get`: a thread and its messages (a streaming reply shows what arrived so far).
    pub async fn chat_get(&self, i: ChatIdInput) -> Result<ChatView, ApiError> {
        validate_id("thread", &i.id)?;
        let id = i.id.clone();
        let read = move |c: &Connection| -> Result<Option<ChatView>, StoreError> {
            let Some(thread) = get_thread(c, &id)? else {
                return Ok(None);
            };
            let messages = messages_of(c, &id)?;
            Ok(Some(ChatView { thread, messages }))
        };
        let read2 = read.clone();
        let mut view = self
            .read(read)
            .await?
            .ok_or_else(|| not_found_thread(&i.id))?;
        if has_orphans(self, &view.messages) {
            let id = i.id.clone();
            let (settled, fresh) = self
                .blocking(move |core| {
                    core.store()
                        .write(|tx| {
                            let settled = settle_orphans(core, tx, &id)?;
                            Ok::<_, StoreError>((settled, read2(tx)?))
                        })
                        .map_err(ApiError::from)
                })
                .await?;
            for m in settled {
                self.publish_message(&view.thread.app_id, &m);
            }
            view = fresh.ok_or_else(|| not_found_thread(&i.id))?;
        }
        let l = self.chat_replies();
        for m in &mut view.messages {
            if m.status == ChatStatus::Streaming {
                if let Some(r) = l.get(&m.id) {
                    m.content = r.shown();
                    m.process_id = m.process_id.take().or_else(|| r.process.clone());
                }
            }
        }
        Ok(view)
    }

    fn publish_message(&self, app_id: &str, m: &ChatMessage) {
        self.bus().publish(
            kind::CHAT_MESSAGE,
            Some(app_id.to_string()),
            &ChatMessageAdded {
                thread_id: m.thread_id.clone(),
                message: m.clone(),
            },
        );
    }

    fn publish_thread(&self, t: &ChatThread) {
        self.bus().publish(
            kind::CHAT_THREAD,
            Some(t.app_id.clone()),
            &ChatThreadChanged { thread: t.clone() },
        );
    }

    /// `chat.create`
    pub async fn chat_create(
        &self,
        ctx: &Ctx,
        i: CreateChatInput,
    ) -> Result<Mutated<ChatThread>, ApiError> {
        let title = i
            .title
            .as_deref()
            .map(|t| wire::name("title", t, MAX_TITLE))
            .transpose()?;
        match (i.kind, &i.goal_id) {
            (ChatKind::Goal, None) => {
                return Err(ApiError::invalid("a goal thread needs goalId"));
            }
            (ChatKind::Project | ChatKind::Plan, Some(_)) => {
                return Err(ApiError::invalid("goalId only goes with kind \"goal\""));
            }
            _ => {}
        }
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        let profile = match &i.profile {
            Some(p) => p.trim().to_string(),
            None => {
                self.effective_settings(Some(app.id.clone()))
                    .await?
                    .agents
                    .default_profile
            }
        };
        if !self.all_profiles().await?.iter().any(|p| p.name == profile) {
            return Err(ApiError::invalid(format!(
                "no agent profile named {profile:?}; agents.profiles.list lists them"
            )));
        }
        self.mutate(
            ctx,
            &i.clone(),
            async { Ok(()) },
            move |tx, ()| {
                let goal = match &i.goal_id {
                    Some(g) => {
                        let g = find_goal(tx, Some(&app.id), g)?;
                        if g.deleted_at.is_some() {
                            return Err(crate::work::not_found_goal(&format!("#{}", g.number)));
                        }
                        Some(g)
                    }
                    None => None,
                };
                let title = title.unwrap_or_else(|| default_title(i.kind, goal.as_ref()));
                let id = new_id();
                let at = clock::now();
                tx.execute(
                    "INSERT INTO chat_threads(id, app_id, kind, goal_id, title, profile, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![id, app.id, i.kind.as_str(), goal.as_ref().map(|g| g.id.clone()), title, profile, at],
                )
                .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                let t = thread_in(tx, &id)?;
                let change = Change::new(format!("Started chat “{}” with {}", t.title, t.profile))
                    .app(Some(t.app_id.clone()))
                    .target(t.id.clone())
                    .event(kind::CHAT_THREAD, &ChatThreadChanged { thread: t.clone() });
                Ok((t, change))
            },
        )
        .await
    }

    /// `chat.rename`
    pub async fn chat_rename(
        &self,
        ctx: &Ctx,
        i: RenameChatInput,
    ) -> Result<Mutated<ChatThread>, ApiError> {
        validate_id("thread", &i.id)?;
        let title = wire::name("title", &i.title, MAX_TITLE)?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let before = thread_in(tx, &i.id)?;
            tx.execute(
                "UPDATE chat_threads SET title = ?2, updated_at = ?3 WHERE id = ?1",
                params![i.id, title, clock::now()],
            )
            .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
            let t = thread_in(tx, &i.id)?;
            let change = Change::new(format!("Renamed chat “{}” to “{}”", before.title, t.title))
                .app(Some(t.app_id.clone()))
                .target(t.id.clone())
                .event(kind::CHAT_THREAD, &ChatThreadChanged { thread: t.clone() });
            Ok((t, change))
        })
        .await
    }

    /// `chat.delete`: the thread and its messages go; a reply being written is stopped.
    pub async fn chat_delete(
        &self,
        ctx: &Ctx,
        i: ChatIdInput,
    ) -> Result<Mutated<ChatThread>, ApiError> {
        validate_id("thread", &i.id)?;
        let id = i.id.clone();
        let out = self
            .mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
                let t = thread_in(tx, &id)?;
                tx.execute("DELETE FROM chat_threads WHERE id = ?1", [&id])
                    .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                let change = Change::new(format!("Deleted chat “{}”", t.title))
                    .app(Some(t.app_id.clone()))
                    .target(t.id.clone())
                    .event(kind::CHAT_DELETED, &IdRef { id: t.id.clone() });
                Ok((t, change))
            })
            .await?;
        let procs: Vec<String> = self
            .chat_replies()
            .values()
            .filter(|r| r.thread_id == i.id)
            .filter_map(|r| r.process.clone())
            .collect();
        for p in procs {
            let _ = self.stop_process_quiet(&p).await;
        }
        Ok(out)
    }

    /// `chat.send`: store the person's message and a pending reply, answer at once; the reply
    /// is written by a task the daemon owns.
    pub async fn chat_send(
        &self,
        ctx: &Ctx,
        i: SendChatInput,
    ) -> Result<Mutated<ChatSent>, ApiError> {
        validate_id("thread", &i.thread_id)?;
        if i.content.trim().is_empty() {
            return Err(ApiError::invalid("content must not be empty"));
        }
        wire::text("content", &i.content, MAX_MESSAGE, true)?;
        let reply_id = new_id();
        self.chat_replies().insert(
            reply_id.clone(),
            LiveReply {
                thread_id: i.thread_id.clone(),
                ..Default::default()
            },
        );
        let (rid, input, core2) = (reply_id.clone(), i.clone(), self.clone());
        let sent = self
            .mutate(
                ctx,
                &i.clone(),
                async { Ok(()) },
                move |tx, ()| {
                    let tid = &input.thread_id;
                    let thread = thread_in(tx, tid)?;
                    settle_orphans(&core2, tx, tid)?;
                    let busy: i64 = tx
                        .query_row(
                            "SELECT COUNT(*) FROM chat_messages WHERE thread_id = ?1 AND status IN ('pending', 'streaming')",
                            [tid],
                            |r| r.get(0),
                        )
                        .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                    if busy > 0 {
                        return Err(ApiError::conflict(
                            "the agent is still answering in this thread; wait for its reply",
                        ));
                    }
                    let at = clock::now();
                    let mid = new_id();
                    insert_message(tx, &mid, tid, ChatRole::User, input.content.trim_end(), ChatStatus::Done, &at)?;
                    insert_message(tx, &rid, tid, ChatRole::Assistant, "", ChatStatus::Pending, &at)?;
                    touch(tx, tid, &at)?;
                    let message = get_message(tx, &mid)?
                        .ok_or_else(|| ApiError::internal("message vanished"))?;
                    let reply = get_message(tx, &rid)?
                        .ok_or_else(|| ApiError::internal("message vanished"))?;
                    let thread = thread_in(tx, &thread.id)?;
                    let change = Change::new(format!(
                        "Asked {} in chat “{}”: {}",
                        thread.profile,
                        thread.title,
                        one_line(&message.content, 80)
                    ))
                    .app(Some(thread.app_id.clone()))
                    .target(thread.id.clone())
                    .event(
                        kind::CHAT_MESSAGE,
                        &ChatMessageAdded {
                            thread_id: thread.id.clone(),
                            message: message.clone(),
                        },
                    );
                    Ok((
                        ChatSent {
                            thread,
                            message,
                            reply,
                        },
                        change,
                    ))
                },
            )
            .await;
        match sent {
            Ok(m) if !m.replayed => {
                self.publish_message(&m.value.thread.app_id, &m.value.reply);
                self.publish_thread(&m.value.thread);
                let core = self.clone();
                let thread = m.value.thread.clone();
                tokio::spawn(async move { core.write_reply(thread, reply_id).await });
                Ok(m)
            }
            other => {
                self.chat_replies().remove(&reply_id);
                other
            }
        }
    }

    /// The reply task: run the agent, stream its output, store the outcome.
    async fn write_reply(self, thread: ChatThread, reply_id: String) {
        let outcome = self.produce_reply(&thread, &reply_id).await;
        let (status, content, run_id) = match outcome {
            Ok((text, run)) => (ChatStatus::Done, text, run),
            Err((why, run)) => (ChatStatus::Failed, why, run),
        };
        let (rid, tid) = (reply_id.clone(), thread.id.clone());
        let saved = self
            .blocking(move |core| {
                core.store()
                    .write(|tx| {
                        tx.execute(
                            "UPDATE chat_messages SET status = ?2, content = ?3, run_id = ?4 WHERE id = ?1",
                            params![rid, status.as_str(), content, run_id],
                        )?;
                        touch(tx, &tid, &clock::now())?;
                        Ok::<_, StoreError>((get_message(tx, &rid)?, get_thread(tx, &tid)?))
                    })
                    .map_err(ApiError::from)
            })
            .await;
        self.chat_replies().remove(&reply_id);
        match saved {
            Ok((Some(m), Some(t))) => {
                self.publish_message(&t.app_id, &m);
                self.publish_thread(&t);
            }
            Ok(_) => {} // the thread was deleted meanwhile
            Err(e) => tracing::warn!(error = %e.message, "could not store a chat reply"),
        }
    }

    /// The thread, its Goal and what was said, for a prompt.
    async fn chat_context(
        &self,
        thread_id: &str,
    ) -> Result<(ChatThread, Option<Goal>, Vec<ChatMessage>), ApiError> {
        let id = thread_id.to_string();
        let (thread, messages) = self
            .read(move |c| Ok((get_thread(c, &id)?, messages_of(c, &id)?)))
            .await?;
        let thread = thread.ok_or_else(|| not_found_thread(thread_id))?;
        let goal = match &thread.goal_id {
            Some(g) => {
                let g = g.clone();
                self.read(move |c| refine_store::goals::get(c, &g))
                    .await?
                    .filter(|g| g.deleted_at.is_none())
            }
            None => None,
        };
        Ok((thread, goal, said(messages)))
    }

    async fn produce_reply(
        &self,
        thread: &ChatThread,
        reply_id: &str,
    ) -> Result<(String, Option<String>), (String, Option<String>)> {
        let fail = |e: ApiError| (e.message, None);
        let app = self.chat_app(&thread.app_id).await.map_err(fail)?;
        let (thread, goal, history) = self.chat_context(&thread.id).await.map_err(fail)?;
        let profile = self.profile(&thread.profile).await.map_err(fail)?;
        let settings = self
            .effective_settings(Some(app.id.clone()))
            .await
            .map_err(fail)?;
        let spec = RunSpec {
            app_id: app.id.clone(),
            goal_id: None,
            round: None,
            phase: Phase::Chat,
            label: format!("chat {} · {}", profile.name, one_line(&thread.title, 60)),
            profile,
            cwd: PathBuf::from(&app.path),
            prompt: chat_prompt(&app, &thread, goal.as_ref(), &history),
            timeout: Duration::from_secs(settings.agents.run_timeout_minutes as u64 * 60),
            resume: None,
            kind: "run",
            candidate: None,
        };
        let stream = Stream {
            thread_id: thread.id.clone(),
            message_id: reply_id.to_string(),
            app_id: app.id.clone(),
        };
        self.run_for_text(&spec, Some(stream)).await
    }

    /// Run the agent once and take its reply text; with `stream`, its output goes out as
    /// `chat.delta` events while it runs. Returns the reply (or why there is none) and the run.
    async fn run_for_text(
        &self,
        spec: &RunSpec,
        stream: Option<Stream>,
    ) -> Result<(String, Option<String>), (String, Option<String>)> {
        let (pid_tx, pid_rx) = watch::channel::<Option<String>>(None);
        let (stop_tx, stop_rx) = watch::channel(false);
        let forwarder = stream.map(|s| {
            let (_, events) = self.bus().subscribe(None);
            tokio::spawn(self.clone().forward(events, pid_rx.clone(), stop_rx, s))
        });
        let on_process = move |pid: &str| {
            let _ = pid_tx.send(Some(pid.to_string()));
        };
        let answer = self.run_agent_once(spec, 0, &on_process).await;
        let _ = stop_tx.send(true);
        if let Some(f) = forwarder {
            let _ = f.await;
        }
        let pid = pid_rx.borrow().clone();
        let run: Option<(String, String, Option<String>)> = match pid {
            Some(p) => self
                .read(move |c| {
                    c.query_row(
                        "SELECT id, status, error FROM agent_runs WHERE process_id = ?1 ORDER BY started_at DESC LIMIT 1",
                        [&p],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(StoreError::from)
                })
                .await
                .ok()
                .flatten(),
            None => None,
        };
        let run_id = run.as_ref().map(|r| r.0.clone());
        match answer {
            Err(AgentFailure::Stopped) => Err((
                "No reply: the agent was stopped before it answered.".to_string(),
                run_id,
            )),
            Err(AgentFailure::Fault(m)) | Err(AgentFailure::Setup(m)) => Err((m, run_id)),
            Err(AgentFailure::Error(e)) => Err((e.message, run_id)),
            Err(AgentFailure::Limited { message, reset, .. }) => Err((
                format!(
                    "No reply: the agent's provider is rate-limited{} ({message})",
                    reset
                        .map(|t| format!(" until {}", crate::clock::format(t)))
                        .unwrap_or_default()
                ),
                run_id,
            )),
            Err(AgentFailure::Unauthorized { message, .. }) => Err((
                format!("No reply: the agent's provider refused the credentials ({message}); fix the profile in Settings → Agents"),
                run_id,
            )),
            Ok(a) => {
                let status = run.as_ref().map(|r| r.1.as_str()).unwrap_or("");
                if status == "done" || status == "invalid" {
                    let text = reply_text(&a);
                    if text.is_empty() {
                        Err(("The agent answered with nothing.".to_string(), run_id))
                    } else {
                        Ok((text, run_id))
                    }
                } else {
                    let why = run
                        .and_then(|r| r.2)
                        .or_else(|| a.block.err())
                        .unwrap_or_else(|| "the agent failed".to_string());
                    Err((format!("No reply: the agent {why}"), run_id))
                }
            }
        }
    }

    /// Forward the reply process's output lines as `chat.delta` events until told to stop
    /// (then drain what is queued). Output published before the process id is known is kept.
    async fn forward(
        self,
        mut events: broadcast::Receiver<std::sync::Arc<Event>>,
        mut pid: watch::Receiver<Option<String>>,
        mut stop: watch::Receiver<bool>,
        s: Stream,
    ) {
        let mut known: Option<String> = None;
        let mut early: Vec<std::sync::Arc<Event>> = Vec::new();
        let mut fence = false;
        let mut pid_open = true;
        loop {
            if known.is_none() {
                let now = pid.borrow_and_update().clone();
                if let Some(p) = now {
                    known = Some(p.clone());
                    self.mark_streaming(&s, &p).await;
                    for e in early
                        .drain(..)
                        .filter(|e| e.data["processId"] == p.as_str())
                    {
                        forward_lines(&self, &s, &e.data, &mut fence);
                    }
                }
            }
            tokio::select! {
                r = events.recv() => match r {
                    Ok(e) if e.kind == "agents.transcript" && e.app_id.as_deref() == Some(s.app_id.as_str()) => {
                        match &known {
                            Some(p) if e.data["processId"] == p.as_str() => forward_lines(&self, &s, &e.data, &mut fence),
                            Some(_) => {}
                            None => {
                                if early.len() >= 256 {
                                    early.remove(0);
                                }
                                early.push(e);
                            }
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                changed = pid.changed(), if pid_open && known.is_none() => {
                    if changed.is_err() {
                        pid_open = false;
                    }
                }
                _ = stop.changed() => {
                    if let Some(p) = &known {
                        while let Ok(e) = events.try_recv() {
                            if e.kind == "agents.transcript" && e.data["processId"] == p.as_str() {
                                forward_lines(&self, &s, &e.data, &mut fence);
                            }
                        }
                    }
                    return;
                }
            }
        }
    }

    async fn mark_streaming(&self, s: &Stream, process: &str) {
        if let Some(l) = self.chat_replies().get_mut(&s.message_id) {
            l.process = Some(process.to_string());
        }
        let id = s.message_id.clone();
        let updated = self
            .blocking(move |core| {
                core.store()
                    .write(|tx| {
                        tx.execute(
                            "UPDATE chat_messages SET status = 'streaming' WHERE id = ?1 AND status = 'pending'",
                            [&id],
                        )?;
                        get_message(tx, &id)
                    })
                    .map_err(ApiError::from)
            })
            .await;
        if let Ok(Some(mut m)) = updated {
            m.process_id = Some(process.to_string());
            self.publish_message(&s.app_id, &m);
        }
    }

    /// `chat.draft`: the agent turns the conversation into Goal drafts (a Markdown task
    /// list), shown as import's preview; nothing is stored until `import.commit` with `import`.
    pub async fn chat_draft(
        &self,
        ctx: &Ctx,
        i: ChatDraftInput,
    ) -> Result<ChatGoalDraft, ApiError> {
        validate_id("thread", &i.thread_id)?;
        let (thread, goal, history) = self.chat_context(&i.thread_id).await?;
        if history.is_empty() {
            return Err(ApiError::invalid(
                "the thread has no messages yet: say what the Goal should be first",
            ));
        }
        let app = self.chat_app(&thread.app_id).await?;
        let profile = self.profile(&thread.profile).await.map_err(|e| {
            ApiError::precondition(format!("the thread's agent is gone: {}", e.message))
        })?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let timeout =
            Duration::from_secs(settings.agents.run_timeout_minutes as u64 * 60).min(DRAFT_TIMEOUT);
        let spec = RunSpec {
            app_id: app.id.clone(),
            goal_id: None,
            round: None,
            phase: Phase::Chat,
            label: format!("draft {} · {}", profile.name, one_line(&thread.title, 60)),
            profile,
            cwd: PathBuf::from(&app.path),
            prompt: draft_prompt(&app, &thread, goal.as_ref(), &history),
            timeout,
            resume: None,
            kind: "run",
            candidate: None,
        };
        let (reply, _) = self
            .run_for_text(&spec, None)
            .await
            .map_err(|(why, _)| ApiError::precondition(format!("no Goal draft: {why}")))?;
        let fallback = match (&goal, thread.kind) {
            (Some(g), _) => g.title.clone(),
            _ => thread.title.clone(),
        };
        let import = ImportInput {
            app_id: Some(app.id.clone()),
            format: ImportFormat::Markdown,
            // (A long plain-text answer's note that its beginning was left out is no Goal.)
            content: draft_markdown(reply.strip_prefix(REPLY_CUT).unwrap_or(&reply), &fallback),
            mapping: None,
        };
        let preview = self.import_preview(ctx, import.clone()).await?;
        Ok(ChatGoalDraft {
            thread_id: thread.id,
            import,
            preview,
            reply,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streaming_reply_keeps_the_end_of_a_long_output() {
        let mut live = LiveReply::default();
        live.push("Short so far.\n");
        assert_eq!(live.shown(), "Short so far.\n");
        // 1.2 MB in lines of 100 bytes: memory stays within twice the tail, and what is shown
        // is the end with the note, as the stored reply will be.
        for i in 0..12_000 {
            live.push(&format!("line {i:05} {:089}\n", 0));
            assert!(live.partial.len() <= 2 * REPLY_TAIL + 100);
        }
        let shown = live.shown();
        assert!(shown.starts_with(&format!("{REPLY_CUT}\nline ")));
        assert!(shown.len() <= REPLY_CUT.len() + 1 + REPLY_TAIL);
        assert!(shown.ends_with(&format!("line 11999 {:089}\n", 0)));
        assert!(!shown.contains("line 00000 "));
        // Cut once, it says so even when what is kept is short of the tail.
        assert!(live.cut);
        live.partial = "the end\n".into();
        assert_eq!(live.shown(), format!("{REPLY_CUT}\nthe end\n"));
        // One long line is kept from a character in it.
        let mut one = LiveReply::default();
        one.push(&"é".repeat(REPLY_TAIL + 1));
        assert!(
            one.shown().ends_with('é') && one.shown().len() <= REPLY_CUT.len() + 1 + REPLY_TAIL
        );
    }

    #[test]
    fn result_blocks_are_stripped_from_replies() {
        let out = "scripted agent: chat phase\nHello there\n```refine-result\n{\"reply\": \"x\"}\n```\nbye\n";
        assert_eq!(
            strip_result_block(out),
            "scripted agent: chat phase\nHello there\nbye\n"
        );
        let a = Answer {
            output: out.into(),
            block: Ok(serde_json::json!({"reply": " Hi "})),
            session_id: None,
            run_id: "r1".into(),
        };
        assert_eq!(reply_text(&a), "Hi");
        let b = Answer {
            output: "Just text\n".into(),
            block: Err("no block".into()),
            session_id: None,
            run_id: "r2".into(),
        };
        assert_eq!(reply_text(&b), "Just text");
    }

    #[test]
    fn drafts_keep_task_lists_and_wrap_free_text() {
        let list = "Here you go:\n# Checkout\n- [ ] Coupon field\n    Add an input.\n";
        assert_eq!(draft_markdown(list, "x"), list.trim().to_string() + "\n");
        let (goals, errors) = parse_markdown(&draft_markdown(list, "x"));
        assert_eq!(goals.len(), 1);
        assert!(errors.is_empty());
        assert_eq!(goals[0].feature.as_deref(), Some("Checkout"));

        let free = "## Add a coupon field:\nShoppers type a code.\n\n# Not a feature\nDone when the total drops.";
        let md = draft_markdown(free, "fallback");
        let (goals, _) = parse_markdown(&md);
        assert_eq!(goals.len(), 1, "{md}");
        assert_eq!(goals[0].title, "Add a coupon field");
        assert_eq!(
            goals[0].feature, None,
            "a # line in the prompt is no heading"
        );
        assert!(goals[0].prompt.contains("Shoppers type a code."), "{md}");
        assert!(goals[0].prompt.contains("Done when the total drops."));

        let one = "Scripted agent here. Tell me what to change.";
        let (goals, _) = parse_markdown(&draft_markdown(one, "Planning"));
        assert_eq!(goals[0].title, "Planning");
        assert_eq!(goals[0].prompt, one);
    }

    #[test]
    fn long_histories_keep_the_newest_messages() {
        let app = App {
            id: "a".into(),
            name: "shop".into(),
            path: "/tmp/shop".into(),
            default_branch: None,
            shape: Default::default(),
            created_at: String::new(),
            updated_at: String::new(),
            active: true,
        };
        let thread = ChatThread {
            id: "t".into(),
            app_id: "a".into(),
            kind: ChatKind::Plan,
            goal_id: None,
            goal_number: None,
            goal_title: None,
            title: "Planning".into(),
            profile: "scripted".into(),
            created_at: String::new(),
            updated_at: String::new(),
            message_count: 0,
            preview: None,
            replying: false,
        };
        let msg = |seq: u32, text: String| ChatMessage {
            id: seq.to_string(),
            thread_id: "t".into(),
            seq,
            role: if seq % 2 == 1 {
                ChatRole::User
            } else {
                ChatRole::Assistant
            },
            content: text,
            status: ChatStatus::Done,
            run_id: None,
            process_id: None,
            created_at: String::new(),
        };
        let history: Vec<ChatMessage> = (1..=40)
            .map(|i| msg(i, format!("message {i} {}", "x".repeat(5000))))
            .collect();
        let p = chat_prompt(&app, &thread, None, &history);
        assert!(p.starts_with("# Refine: chat\nPhase: chat\n"));
        assert!(p.contains("message 40 "), "the newest is there");
        assert!(!p.contains("message 1 "), "the oldest is left out");
        assert!(p.contains("earlier message(s) left out"));
        assert!(p.len() < 100_000, "{}", p.len());
        let d = draft_prompt(&app, &thread, None, &history[..2]);
        assert!(d.contains("Phase: draft") && d.contains("- [ ] Goal title"));
    }
}
