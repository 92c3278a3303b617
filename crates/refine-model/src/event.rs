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
