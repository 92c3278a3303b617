//! What the daemon measures about itself. (`GET /metrics` serves the same in Prometheus text.)

use refine_core::system::Empty;
use refine_model::performance::PerformanceSummary;

use crate::registry::{Method::*, Op, OpDef};

pub const SUMMARY: Op<Empty, PerformanceSummary> = Op::query(
    "performance.summary",
    Get,
    "/api/v1/performance",
    "Per-operation latency (count, p50/p90/p99/max since start and over the last five minutes) and errors per code; the event bus (subscribers, lag, missed); open event streams and terminal sockets; CPU and memory of the daemon and each child (agents, checks, terminals) with an hour of history; database and WAL size; the runner's queue. `GET /metrics` serves the same as Prometheus text.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![SUMMARY.handle(|core, _, _| async move { core.performance_summary().await })]
}
