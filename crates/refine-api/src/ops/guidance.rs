use refine_core::guidance::{
    AddGuidanceInput, GuidanceInput, RemoveGuidanceInput, ReorderGuidanceInput, UpdateGuidanceInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d(
            "guidance.list",
            Get,
            "/api/v1/guidance",
            "The app's guidance entries (ids G1, G2, …; enabled ones go to agents) in order, with the collection's revision.",
            true,
        )
        .query(|core, ctx, i: GuidanceInput| async move { core.guidance(&ctx, i).await }),
        d(
            "guidance.add",
            Post,
            "/api/v1/guidance",
            "Add a guidance entry at the end (it gets the next unused id); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: AddGuidanceInput| async move {
            core.add_guidance(&ctx, i).await
        }),
        d(
            "guidance.update",
            Patch,
            "/api/v1/guidance/{id}",
            "Edit a guidance entry's title or body, or enable/disable it; revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: UpdateGuidanceInput| async move {
            core.update_guidance(&ctx, i).await
        }),
        d(
            "guidance.remove",
            Delete,
            "/api/v1/guidance/{id}",
            "Remove a guidance entry (its id is never reused); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: RemoveGuidanceInput| async move {
            core.remove_guidance(&ctx, i).await
        }),
        d(
            "guidance.reorder",
            Post,
            "/api/v1/guidance/order",
            "Set the order of the guidance entries (every id once); revision-fenced.",
            false,
        )
        .mutation(m, |core, ctx, i: ReorderGuidanceInput| async move {
            core.reorder_guidance(&ctx, i).await
        }),
    ]
}
