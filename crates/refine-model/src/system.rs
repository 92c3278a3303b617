//! System-level wire types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The unauthenticated health answer: deliberately says nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
pub struct Health {
    pub status: String,
}

/// Version and identity of the running daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    pub name: String,
    pub version: String,
    pub api_version: String,
    pub node_id: String,
    pub data_dir: String,
    pub started_at: String,
    pub uptime_seconds: u32,
    pub build_profile: String,
    pub pid: u32,
    pub url: Option<String>,
}
