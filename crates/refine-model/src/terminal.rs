//! Terminal sessions: programs on a PTY owned by the daemon.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A terminal session. It lives in the daemon: closing a window or reloading a page loses nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalInfo {
    pub id: String,
    pub app_id: String,
    pub argv: Vec<String>,
    /// Working directory, relative to the app root ("" = the root).
    pub cwd: String,
    pub title: String,
    pub cols: u16,
    pub rows: u16,
    pub pid: u32,
    pub created_at: String,
    /// WebSocket clients attached right now.
    pub clients: u32,
    pub exited: bool,
    pub exit_code: Option<i32>,
}

/// The tail of a session's output as text (invalid UTF-8 replaced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalScrollback {
    pub id: String,
    pub text: String,
    /// Bytes of `text` before decoding.
    pub bytes: u32,
}
