//! The append-only audit log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Which surface a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    Desktop,
    Browser,
    Cli,
    Http,
    Mcp,
    System,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Desktop => "desktop",
            Surface::Browser => "browser",
            Surface::Cli => "cli",
            Surface::Http => "http",
            Surface::Mcp => "mcp",
            Surface::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Surface> {
        Some(match s {
            "desktop" => Surface::Desktop,
            "browser" => Surface::Browser,
            "cli" => Surface::Cli,
            "http" => Surface::Http,
            "mcp" => Surface::Mcp,
            "system" => Surface::System,
            _ => return None,
        })
    }
}

/// One audit entry: who did what, through which surface, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub surface: Surface,
    /// The operation name, e.g. `apps.add`.
    pub operation: String,
    pub app_id: Option<String>,
    /// What the entry is about, e.g. an app id.
    pub target: Option<String>,
    pub summary: String,
    pub operation_id: Option<String>,
}
