use refine_core::activity::ActivityListInput;

use crate::registry::{Decl, Method, OpDef};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![Decl {
        name: "activity.list",
        method: Method::Get,
        path: "/api/v1/activity",
        doc: "The audit log, newest first, filterable by app, actor, surface, operation and time; cursor-paginated.",
        mcp: true,
    }
    .query(|core, _, i: ActivityListInput| async move { core.list_activity(i).await })]
}
