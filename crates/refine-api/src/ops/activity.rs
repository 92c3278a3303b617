//! The audit log.

use refine_core::activity::{ActivityListInput, ActivityPage};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ActivityListInput, ActivityPage> = Op::query(
    "activity.list",
    Get,
    "/api/v1/activity",
    "The audit log, newest first, filterable by app, actor, surface, operation and time; cursor-paginated.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![LIST.handle(|core, _, i| async move { core.activity_list(i).await })]
}
