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

/// A control message a client sends on a terminal WebSocket, as a JSON text frame (input is
/// binary frames; any other text frame is typed input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TerminalClientMessage {
    Resize { cols: u16, rows: u16 },
}

/// A control message the daemon sends on a terminal WebSocket, as a JSON text frame (output is
/// binary frames). The desktop relay adds `closed` when the socket ends without the page asking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TerminalServerMessage {
    /// The program ended (`code`: its exit status, when it had one); the socket closes next.
    Exit { code: Option<i32> },
    /// This client fell behind and `missed` output chunks were dropped for it.
    Lagged { missed: u32 },
    /// A control message was refused (e.g. a resize out of range).
    Error { message: String },
    /// The link ended without the page asking (desktop relay only).
    Closed {},
}

impl TerminalServerMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
