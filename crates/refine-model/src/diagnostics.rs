//! What the doctor found, what the daemon logged, what went into a support bundle.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A check's verdict; the order is how bad it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Type, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Not applicable here (e.g. not clustered).
    Skip,
    Ok,
    Warn,
    Fail,
}

/// One doctor check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoctorCheck {
    /// Stable id (`git`, `agent:claude-code`, `disk`, `database`, …).
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// What to do about it: set for warn and fail, and for a skipped check that could be enabled
    /// (an agent CLI that is not installed).
    pub fix: Option<String>,
}

/// Every check, and the worst verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub at: String,
    pub status: CheckStatus,
    pub checks: Vec<DoctorCheck>,
}

/// Severity of a log record; the order is how severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Type, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// One line of the daemon's log file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    pub at: String,
    pub level: LogLevel,
    /// The module that logged it (`refine_core::runner`).
    pub target: String,
    pub message: String,
    /// The record's other fields (`error`, `goal`, …), as logged.
    #[specta(type = specta_typescript::Unknown)]
    pub fields: serde_json::Value,
}

/// Log records, oldest first, and where to go on from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonLog {
    pub records: Vec<LogRecord>,
    /// Pass as `after` to get only what is logged later (`refine logs --follow`).
    pub cursor: String,
    /// The log files, oldest first (in the data dir's `logs/`).
    pub files: Vec<String>,
}

/// A support bundle written to disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    pub path: String,
    pub bytes: f64,
    /// What is inside.
    pub files: Vec<String>,
    /// How many secret values were replaced.
    pub redacted: u32,
}
