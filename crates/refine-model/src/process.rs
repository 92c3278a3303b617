//! Supervised processes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessStatus {
    /// Journaled, not spawned yet.
    Starting,
    Running,
    /// Ended on its own with exit code 0.
    Exited,
    /// Ended on its own with another code or a signal, or could not start.
    Failed,
    /// Ended because someone stopped it.
    Stopped,
    /// The daemon died while it ran; settled (and its group killed) by start-up repair.
    Lost,
}

impl ProcessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessStatus::Starting => "starting",
            ProcessStatus::Running => "running",
            ProcessStatus::Exited => "exited",
            ProcessStatus::Failed => "failed",
            ProcessStatus::Stopped => "stopped",
            ProcessStatus::Lost => "lost",
        }
    }
    pub fn parse(s: &str) -> Option<ProcessStatus> {
        [
            Self::Starting,
            Self::Running,
            Self::Exited,
            Self::Failed,
            Self::Stopped,
            Self::Lost,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn is_live(self) -> bool {
        matches!(self, ProcessStatus::Starting | ProcessStatus::Running)
    }
}

/// Who a process belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessOwner {
    #[serde(default)]
    pub goal_id: Option<String>,
    #[serde(default)]
    pub round: Option<u32>,
    #[serde(default)]
    pub operation_id: Option<String>,
}

/// A supervised process and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessInfo {
    pub id: String,
    pub app_id: String,
    pub argv: Vec<String>,
    /// Working directory, relative to the app root ("" = the root).
    pub cwd: String,
    /// Names of the extra environment variables (values are not echoed back).
    pub env_keys: Vec<String>,
    pub label: Option<String>,
    pub owner: ProcessOwner,
    pub status: ProcessStatus,
    pub pid: Option<u32>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// Why it failed to start or was lost.
    pub error: Option<String>,
}

/// One line of a process's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    /// `stdout` or `stderr`
    pub stream: String,
    pub text: String,
}

/// A candidate's app running from its worktree, on its own loopback port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub goal_id: String,
    pub goal_number: u32,
    pub app_id: String,
    pub round: u32,
    /// `http://127.0.0.1:<port>/` (also the process's `REFINE_PREVIEW_URL`).
    pub url: String,
    pub port: u16,
    /// The supervised process (its logs are on the Processes page).
    pub process_id: String,
    /// `starting`, `healthy` (it answered on its port), `unhealthy` (no answer in time) or
    /// `stopped`.
    pub status: String,
    /// Why it stopped or is unhealthy.
    pub reason: Option<String>,
    pub started_at: String,
}
