//! Browser sessions: a browser signs in with a one-time login link and from then on presents a
//! session secret of its own (kept in the page's origin-scoped storage, sent as a header), never
//! the data dir's token. Sessions expire when unused and can be revoked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A browser session as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrowserSession {
    pub id: String,
    /// Which browser signed in (from its User-Agent), e.g. "Chrome 156 on Linux".
    pub label: String,
    pub created_at: String,
    pub last_used_at: String,
    /// When it ends unless used again (each use pushes this out).
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// Whether this is the session of the request that asked.
    pub current: bool,
}

/// A one-time login link for a browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginLink {
    /// Open this in the browser: `http://127.0.0.1:PORT/#login=CODE`.
    pub url: String,
    /// Until when the link works (it works once).
    pub expires_at: String,
}

/// What a browser gets for its login code: its session secret (shown once, stored nowhere but
/// in that browser) and the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionGrant {
    pub secret: String,
    pub session: BrowserSession,
}
