//! Chat: threads about the project, a Goal or planning, each answered by an agent profile, and
//! their messages.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// What a thread is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    /// The project as a whole.
    Project,
    /// One Goal: its title and prompt go into every prompt.
    Goal,
    /// Planning work, to turn into Goals.
    Plan,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Project => "project",
            ChatKind::Goal => "goal",
            ChatKind::Plan => "plan",
        }
    }
    pub fn parse(s: &str) -> Option<ChatKind> {
        match s {
            "project" => Some(ChatKind::Project),
            "goal" => Some(ChatKind::Goal),
            "plan" => Some(ChatKind::Plan),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    User,
    Assistant,
}

/// An assistant message is pending (queued), streaming (the agent runs), then done or failed;
/// a person's message is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatStatus {
    Pending,
    Streaming,
    Done,
    Failed,
}

impl ChatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatStatus::Pending => "pending",
            ChatStatus::Streaming => "streaming",
            ChatStatus::Done => "done",
            ChatStatus::Failed => "failed",
        }
    }
}

/// A conversation with an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatThread {
    pub id: String,
    pub app_id: String,
    pub kind: ChatKind,
    /// The Goal a `goal` thread is about (None once that Goal is gone).
    pub goal_id: Option<String>,
    pub goal_number: Option<u32>,
    pub goal_title: Option<String>,
    pub title: String,
    /// The agent profile that answers.
    pub profile: String,
    pub created_at: String,
    pub updated_at: String,
    pub message_count: u32,
    /// The start of the newest message.
    pub preview: Option<String>,
    /// Whether a reply is being written.
    pub replying: bool,
}

/// How much of a plain-text agent's output a chat reply holds: the end of it (the whole output
/// stays in the run's log). The same bound holds while the reply streams.
pub const REPLY_TAIL: usize = 256 * 1024;
/// The line that starts a reply cut to [`REPLY_TAIL`].
pub const REPLY_CUT: &str =
    "[The output's beginning is left out here; the whole output is in the run's log.]";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: String,
    pub thread_id: String,
    /// Position in the thread, from 1.
    pub seq: u32,
    pub role: ChatRole,
    /// The text; while streaming, what arrived so far; when failed, why.
    pub content: String,
    pub status: ChatStatus,
    /// The agent run that wrote it (`agents.runs.list`).
    pub run_id: Option<String>,
    /// That run's process, whose log holds the agent's whole output (`processes.log`); known
    /// from when the reply starts streaming.
    pub process_id: Option<String>,
    pub created_at: String,
}

/// A thread with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatView {
    pub thread: ChatThread,
    pub messages: Vec<ChatMessage>,
}

/// What `chat.send` stored: the person's message and the pending reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatSent {
    pub thread: ChatThread,
    pub message: ChatMessage,
    pub reply: ChatMessage,
}
