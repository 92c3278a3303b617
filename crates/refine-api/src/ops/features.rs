//! Features: ordered groups of Goals.

use refine_core::work::{
    CreateFeatureInput, FeatureDetail, FeatureGoalInput, FeatureIdInput, ListFeaturesInput,
    ReorderFeatureInput, UpdateFeatureInput,
};
use refine_model::work::Feature;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListFeaturesInput, Vec<Feature>> = Op::query(
    "features.list",
    Get,
    "/api/v1/work/features",
    "Features of the active app with derived status and progress.",
    true,
);

pub const CREATE: Op<CreateFeatureInput, FeatureDetail> = Op::mutation(
    "features.create",
    Post,
    "/api/v1/work/features",
    "Create a Feature, optionally with Goals in order.",
    true,
);

pub const GET: Op<FeatureIdInput, FeatureDetail> = Op::query(
    "features.get",
    Get,
    "/api/v1/work/features/{id}",
    "One Feature with its Goals in order.",
    true,
);

pub const UPDATE: Op<UpdateFeatureInput, FeatureDetail> = Op::mutation(
    "features.update",
    Patch,
    "/api/v1/work/features/{id}",
    "Rename a Feature or change its description.",
    true,
);

pub const DELETE: Op<FeatureIdInput, Feature> = Op::mutation(
    "features.delete",
    Delete,
    "/api/v1/work/features/{id}",
    "Delete a Feature; its Goals stay, without a Feature.",
    false,
);

pub const ADD_GOAL: Op<FeatureGoalInput, FeatureDetail> = Op::mutation(
    "features.add_goal",
    Post,
    "/api/v1/work/features/{id}/goals",
    "Put a Goal into a Feature at a position (default: last).",
    true,
);

pub const REMOVE_GOAL: Op<FeatureGoalInput, FeatureDetail> = Op::mutation(
    "features.remove_goal",
    Post,
    "/api/v1/work/features/{id}/remove",
    "Take a Goal out of a Feature.",
    true,
);

pub const REORDER: Op<ReorderFeatureInput, FeatureDetail> = Op::mutation(
    "features.reorder",
    Post,
    "/api/v1/work/features/{id}/order",
    "Set the order of a Feature's Goals (all of them, each once).",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.features_list(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.features_create(&ctx, i).await }),
        GET.handle(|core, ctx, i| async move { core.features_get(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.features_update(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.features_delete(&ctx, i).await }),
        ADD_GOAL.handle(|core, ctx, i| async move { core.features_add_goal(&ctx, i).await }),
        REMOVE_GOAL.handle(|core, ctx, i| async move { core.features_remove_goal(&ctx, i).await }),
        REORDER.handle(|core, ctx, i| async move { core.features_reorder(&ctx, i).await }),
    ]
}
