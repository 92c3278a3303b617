//! The daemon's caches, as `cache.list` shows them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// One cache: what it keeps, how big it is, how often it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheInfo {
    /// `files.index`, `changes.diff`.
    pub name: String,
    pub doc: String,
    pub entries: u32,
    pub bytes: f64,
    /// Answers served from the cache since the daemon started (or the cache was cleared).
    pub hits: f64,
    /// Answers it had to compute.
    pub misses: f64,
    /// hits / (hits + misses); null before the first lookup.
    pub hit_rate: Option<f64>,
}
