//! One transcript for every agent provider: what a run said and did, parsed from each CLI's own
//! event stream (Claude Code `stream-json`, Codex `exec --json`, opencode `--format json`,
//! Gemini `stream-json`) or, for CLIs without one, from its text output. Unknown events are kept
//! as `raw`, never dropped.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// One thing an agent run said or did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TranscriptItem {
    /// The provider's session began (its id lets a follow-up resume it).
    #[serde(rename_all = "camelCase")]
    SessionStarted {
        session_id: Option<String>,
        model: Option<String>,
        cwd: Option<String>,
    },
    /// What the assistant wrote.
    Text { text: String },
    /// Reasoning or a summary of it, where the provider shows one.
    Thinking { text: String },
    /// A tool the agent called: a short summary for people, the whole input kept.
    ToolCall {
        id: Option<String>,
        name: String,
        summary: String,
        #[specta(type = specta_typescript::Unknown)]
        input: serde_json::Value,
    },
    /// What a tool call answered.
    ToolResult {
        id: Option<String>,
        ok: bool,
        excerpt: String,
    },
    /// A file the agent created, changed or deleted (`add`, `update`, `delete`).
    FileChange { path: String, change: String },
    /// A command the agent ran and how it ended.
    #[serde(rename_all = "camelCase")]
    Command {
        command: String,
        exit_code: Option<i32>,
        output: String,
    },
    /// An action the agent was not allowed to take.
    PermissionDenied { tool: String, detail: String },
    /// A notice from the CLI itself (a retry, a fallback).
    Notice { message: String },
    /// An error the provider or the CLI reported.
    Error {
        message: String,
        /// The provider's HTTP status, when known (429, 401, 500…).
        status: Option<u16>,
    },
    /// Tokens (and cost, where the CLI reports it) of the run so far.
    #[serde(rename_all = "camelCase")]
    Usage {
        input_tokens: u32,
        output_tokens: u32,
        cached_tokens: u32,
        cost_usd: Option<f64>,
    },
    /// The run ended: its result text, turns and duration where given.
    #[serde(rename_all = "camelCase")]
    Finished {
        ok: bool,
        result: Option<String>,
        turns: Option<u32>,
        duration_ms: Option<u32>,
    },
    /// A line that was not understood, kept as it came.
    Raw { line: String },
    /// Entries past the run's bound were not kept (the raw log has everything).
    Truncated { dropped: u32 },
}

impl TranscriptItem {
    /// The kind as stored and filtered on (`tool_call`, `usage`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            TranscriptItem::SessionStarted { .. } => "session_started",
            TranscriptItem::Text { .. } => "text",
            TranscriptItem::Thinking { .. } => "thinking",
            TranscriptItem::ToolCall { .. } => "tool_call",
            TranscriptItem::ToolResult { .. } => "tool_result",
            TranscriptItem::FileChange { .. } => "file_change",
            TranscriptItem::Command { .. } => "command",
            TranscriptItem::PermissionDenied { .. } => "permission_denied",
            TranscriptItem::Notice { .. } => "notice",
            TranscriptItem::Error { .. } => "error",
            TranscriptItem::Usage { .. } => "usage",
            TranscriptItem::Finished { .. } => "finished",
            TranscriptItem::Raw { .. } => "raw",
            TranscriptItem::Truncated { .. } => "truncated",
        }
    }
}

/// A transcript entry as stored and sent: its place in the run and when it arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptEntry {
    pub run_id: String,
    pub seq: u32,
    pub at: String,
    pub item: TranscriptItem,
}

/// Tokens and cost, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cached_tokens: u32,
    /// US dollars, when the CLI reports cost (Claude Code does; Codex does not).
    pub cost_usd: Option<f64>,
}

impl Usage {
    pub fn add(&mut self, o: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.cached_tokens = self.cached_tokens.saturating_add(o.cached_tokens);
        self.cost_usd = match (self.cost_usd, o.cost_usd) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
    }
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens as u64 + self.output_tokens as u64
    }
}

/// Shorten `s` to at most `max` characters (an ellipsis marks the cut).
pub fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
}
