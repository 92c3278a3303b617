//! Guidance the agents follow.

use refine_core::guidance::{
    AddGuidanceInput, GuidanceInput, RemoveGuidanceInput, ReorderGuidanceInput, UpdateGuidanceInput,
};
use refine_model::governance::GuidanceList;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<GuidanceInput, GuidanceList> = Op::query(
    "guidance.list",
    Get,
    "/api/v1/guidance",
    "The app's guidance entries (ids G1, G2, …; enabled ones go to agents) in order, with the collection's revision.",
    true,
);

pub const ADD: Op<AddGuidanceInput, GuidanceList> = Op::mutation(
    "guidance.add",
    Post,
    "/api/v1/guidance",
    "Add a guidance entry at the end (it gets the next unused id); revision-fenced.",
    false,
);

pub const UPDATE: Op<UpdateGuidanceInput, GuidanceList> = Op::mutation(
    "guidance.update",
    Patch,
    "/api/v1/guidance/{id}",
    "Edit a guidance entry's title or body, or enable/disable it; revision-fenced.",
    false,
);

pub const DELETE: Op<RemoveGuidanceInput, GuidanceList> = Op::mutation(
    "guidance.delete",
    Delete,
    "/api/v1/guidance/{id}",
    "Remove a guidance entry (its id is never reused); revision-fenced.",
    false,
);

pub const REORDER: Op<ReorderGuidanceInput, GuidanceList> = Op::mutation(
    "guidance.reorder",
    Post,
    "/api/v1/guidance/order",
    "Set the order of the guidance entries (every id once); revision-fenced.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.guidance_list(&ctx, i).await }),
        ADD.handle(|core, ctx, i| async move { core.guidance_add(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.guidance_update(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.guidance_delete(&ctx, i).await }),
        REORDER.handle(|core, ctx, i| async move { core.guidance_reorder(&ctx, i).await }),
    ]
}
