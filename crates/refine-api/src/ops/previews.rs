//! Previews: a Goal in review runs its candidate's app on its own loopback port.

use refine_core::previews::{ListPreviewsInput, PreviewGoalInput};
use refine_model::process::Preview;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListPreviewsInput, Vec<Preview>> = Op::query(
    "previews.list",
    Get,
    "/api/v1/previews",
    "The previews running now (at most 4): Goal, Round, URL, port, process and status (starting, healthy, unhealthy).",
    true,
);

pub const START: Op<PreviewGoalInput, Preview> = Op::mutation(
    "previews.start",
    Post,
    "/api/v1/previews",
    "Run the candidate of a Goal in review: the app's start command, supervised, in the Round's worktree, with `PORT` and `REFINE_PREVIEW_URL` in its environment. Answers at once (`starting`); the status turns `healthy` when the app answers on its loopback port. It stops when the Goal leaves review. A Goal with a running preview answers that one.",
    true,
);

pub const STOP: Op<PreviewGoalInput, Preview> = Op::mutation(
    "previews.stop",
    Post,
    "/api/v1/previews/stop",
    "Stop a Goal's preview.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _ctx, i| async move { core.previews_list(i).await }),
        START.handle(|core, ctx, i| async move { core.previews_start(&ctx, i).await }),
        STOP.handle(|core, ctx, i| async move { core.previews_stop(&ctx, i).await }),
    ]
}
