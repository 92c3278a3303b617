//! Live notifications.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A typed live notification that something changed. `kind` is dotted, e.g. `apps.added`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Monotonic id (decimal string), usable as SSE `Last-Event-ID`.
    pub id: String,
    pub kind: String,
    pub at: String,
    pub app_id: Option<String>,
    #[specta(type = specta_typescript::Unknown)]
    pub data: serde_json::Value,
}

// ---- Payloads of the declared event kinds (`refine_core::events::kind`) that are not a whole
// domain record. Each is the `data` of its events, as sent over SSE, MCP and the desktop bridge.

use crate::agents::{AgentProfile, RoundWork};
use crate::chat::{ChatMessage, ChatThread};
use crate::files::FileKind;
use crate::process::LogLine;
use crate::settings::SettingsScope;
use crate::transcript::TranscriptEntry;
use crate::work::{Goal, Todo};
use crate::workflow::WorkflowState;

/// A record went away (or changed in a way only its id tells).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdRef {
    pub id: String,
}

/// Something of one app changed; fetch it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    pub app_id: String,
}

/// The active app changed (`None`: no app is active).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSelected {
    pub id: Option<String>,
}

/// A revisioned document of an app (guidance, governance, quality settings) was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppRevision {
    pub app_id: String,
    pub revision: u32,
}

/// A settings layer was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsChanged {
    pub scope: SettingsScope,
    pub app_id: Option<String>,
    pub revision: u32,
}

/// An agent profile was saved (secrets redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSaved {
    pub profile: AgentProfile,
}

/// Agent detection ran again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentsDetected {
    /// How many profiles were looked at.
    pub profiles: u32,
}

/// New entries of an agent run's transcript, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptBatch {
    pub run_id: String,
    pub goal_id: Option<String>,
    pub round: Option<u32>,
    pub process_id: String,
    pub entries: Vec<TranscriptEntry>,
}

/// A bulk edit finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkUpdated {
    pub updated: u32,
    pub failed: u32,
}

/// A Goal moved through the workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalTransitioned {
    pub goal_id: String,
    pub from: WorkflowState,
    pub to: WorkflowState,
    /// The move opened a new Round.
    pub new_round: bool,
    pub goal: Goal,
}

/// A reporter's todo list changed (`todo`: the one item, when a single one changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TodosChanged {
    pub reporter_id: String,
    pub todo: Option<Todo>,
}

/// The runner was paused or resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunnerPaused {
    pub paused: bool,
}

/// Something about one Goal's automation (its worker stopped or ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalRef {
    pub goal_id: String,
}

/// A Round's work record changed (plan, candidate, waiting, follow-ups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoundChanged {
    pub goal_id: String,
    pub round: u32,
    pub work: RoundWork,
}

/// A hold on a provider profile was lifted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldReleased {
    pub profile: String,
}

/// The quality checks of a Round were evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QualityEvaluated {
    /// The evaluation record's id.
    pub id: String,
    pub goal_id: String,
    pub round: u32,
    pub passed: bool,
}

/// New output lines of a supervised process (batched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessOutput {
    pub id: String,
    pub lines: Vec<LogLine>,
}

/// The app's health probe changed its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetHealth {
    pub app_id: String,
    pub ok: bool,
    pub detail: String,
    /// The run of the app that was probed.
    pub process_id: String,
}

/// Files changed on disk, by anyone (the watcher's batch): `kinds[i]` is what happened to
/// `paths[i]` (created, modified, removed or renamed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesChanged {
    pub app_id: String,
    pub paths: Vec<String>,
    pub kinds: Vec<String>,
}

/// Refine wrote a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileWritten {
    pub app_id: String,
    pub path: String,
    pub etag: Option<String>,
}

/// Refine created, or deleted, a file or directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileTouched {
    pub app_id: String,
    pub path: String,
    pub kind: FileKind,
}

/// Refine renamed a file or directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileRenamed {
    pub app_id: String,
    pub from: String,
    pub to: String,
    pub kind: FileKind,
}

/// A chat thread was created or renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatThreadChanged {
    pub thread: ChatThread,
}

/// A chat message was added or finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessageAdded {
    pub thread_id: String,
    pub message: ChatMessage,
}

/// More text of an agent's chat reply, while it streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatDelta {
    pub thread_id: String,
    pub message_id: String,
    pub text: String,
}

/// A terminal session was closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalClosed {
    pub id: String,
    pub app_id: String,
    pub reason: String,
}

/// The client missed events (it fell behind, or resumed from another daemon run): fetch
/// everything it shows again, then follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resync {
    pub reason: String,
}

/// An event that carries nothing but its kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
pub struct NoData {}
