//! What the daemon measures about itself (the performance group).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Latency of one operation over some span: how many calls and their quantiles, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatencyStats {
    pub count: u32,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// How often an operation answered with one error code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCount {
    pub code: String,
    pub count: u32,
}

/// One operation's latency since the daemon started and over the last five minutes, and its
/// errors per code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationPerf {
    pub operation: String,
    pub total: LatencyStats,
    pub recent: LatencyStats,
    pub errors: Vec<ErrorCount>,
}

/// CPU and memory of the daemon or of one of its children (with everything that child started).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessUsage {
    /// `daemon`, `agent`, `check`, `process` or `terminal`.
    pub kind: String,
    /// The process record's or terminal's id (the daemon's pid for the daemon).
    pub id: String,
    pub label: String,
    /// The group leader's pid.
    pub pid: u32,
    /// How many processes are counted (a child and what it started).
    pub processes: u32,
    pub rss_bytes: f64,
    /// Share of one core since the previous sample (100 = one core busy).
    pub cpu_percent: f64,
}

/// One point of the resource history (taken every ten seconds, an hour kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSample {
    pub at: String,
    pub daemon_rss_bytes: f64,
    pub daemon_cpu_percent: f64,
    pub children_rss_bytes: f64,
    pub children_cpu_percent: f64,
}

/// The live event bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusStats {
    pub subscribers: u32,
    /// Events the slowest subscriber has not taken yet.
    pub lag: u32,
    pub published: f64,
    /// Events subscribers missed because they fell too far behind (they resynced).
    pub missed: f64,
}

/// Live connections of the browser and CLI surfaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connections {
    /// Event streams (`/api/v1/events`).
    pub sse: u32,
    /// Terminal WebSockets.
    pub websocket: u32,
}

/// The database files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSize {
    pub bytes: f64,
    pub wal_bytes: f64,
}

/// The runner's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// Goals waiting for a worker.
    pub waiting: u32,
    /// Goals a worker is on.
    pub running: u32,
}

/// Everything `performance.summary` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceSummary {
    pub at: String,
    pub uptime_seconds: u32,
    /// Busiest first.
    pub operations: Vec<OperationPerf>,
    pub bus: BusStats,
    pub connections: Connections,
    /// The daemon first, then its children.
    pub processes: Vec<ProcessUsage>,
    pub database: DatabaseSize,
    pub queue: QueueDepth,
    /// Oldest first.
    pub history: Vec<ResourceSample>,
}
