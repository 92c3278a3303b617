use refine_core::workflow::AppScopeInput;

use crate::registry::{Decl, Method, OpDef};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![Decl {
        name: "dashboard.summary",
        method: Method::Get,
        path: "/api/v1/dashboard",
        doc: "Counts per state, Feature progress, items needing attention, throughput (14 days), median cycle time, recent activity.",
        mcp: true,
    }
    .query(|core, ctx, i: AppScopeInput| async move { core.dashboard(&ctx, i).await })]
}
