//! The app's work at a glance.

use refine_core::dashboard::Dashboard;
use refine_core::workflow::AppScopeInput;

use crate::registry::{Method::*, Op, OpDef};

pub const SUMMARY: Op<AppScopeInput, Dashboard> = Op::query(
    "dashboard.summary",
    Get,
    "/api/v1/dashboard",
    "Counts per state, Feature progress, items needing attention, throughput (14 days), median cycle time, recent activity.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![SUMMARY.handle(|core, ctx, i| async move { core.dashboard_summary(&ctx, i).await })]
}
