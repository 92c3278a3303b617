//! Goals and Features.

use refine_core::work::{
    BulkResult, BulkUpdateInput, CreateFeatureInput, CreateGoalInput, ExportFile, ExportInput,
    FeatureDetail, FeatureGoalInput, FeatureIdInput, GoalIdInput, GoalPage, ListFeaturesInput,
    ListGoalsInput, ReorderFeatureInput, UpdateFeatureInput, UpdateGoalInput,
};
use refine_model::work::{Feature, Goal};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST_GOALS: Op<ListGoalsInput, GoalPage> = Op::query(
    "work.list_goals",
    Get,
    "/api/v1/work/goals",
    "Goals of the active app: filter by status, feature, label, reporter, assignee, node; full-text `q`; sort; cursor pages.",
    true,
);

pub const CREATE_GOAL: Op<CreateGoalInput, Goal> = Op::mutation(
    "work.create_goal",
    Post,
    "/api/v1/work/goals",
    "Create a Goal (backlog by default), optionally in a Feature, with labels, priority, reporter and assignee.",
    true,
);

pub const GET_GOAL: Op<GoalIdInput, Goal> = Op::query(
    "work.get_goal",
    Get,
    "/api/v1/work/goals/{id}",
    "One Goal with its Rounds, by id or #number.",
    true,
);

pub const UPDATE_GOAL: Op<UpdateGoalInput, Goal> = Op::mutation(
    "work.update_goal",
    Patch,
    "/api/v1/work/goals/{id}",
    "Partially update a Goal (title, prompt, notes, priority, reporter, assignee, labels, feature).",
    true,
);

pub const DELETE_GOAL: Op<GoalIdInput, Goal> = Op::mutation(
    "work.delete_goal",
    Delete,
    "/api/v1/work/goals/{id}",
    "Delete a Goal (soft: work.restore_goal brings it back).",
    false,
);

pub const RESTORE_GOAL: Op<GoalIdInput, Goal> = Op::mutation(
    "work.restore_goal",
    Post,
    "/api/v1/work/goals/{id}/restore",
    "Restore a deleted Goal.",
    false,
);

pub const BULK_UPDATE_GOALS: Op<BulkUpdateInput, BulkResult> = Op::mutation(
    "work.bulk_update_goals",
    Post,
    "/api/v1/work/goals/bulk",
    "Apply one change (status, priority, labels, assignee, feature) to many Goals; per-item results.",
    true,
);

pub const EXPORT: Op<ExportInput, ExportFile> = Op::query(
    "work.export",
    Get,
    "/api/v1/work/export",
    "Export the app's Goals and Features: JSON (lossless, re-importable) or CSV (Jira columns).",
    true,
);

pub const LIST_FEATURES: Op<ListFeaturesInput, Vec<Feature>> = Op::query(
    "work.list_features",
    Get,
    "/api/v1/work/features",
    "Features of the active app with derived status and progress.",
    true,
);

pub const CREATE_FEATURE: Op<CreateFeatureInput, FeatureDetail> = Op::mutation(
    "work.create_feature",
    Post,
    "/api/v1/work/features",
    "Create a Feature, optionally with Goals in order.",
    true,
);

pub const GET_FEATURE: Op<FeatureIdInput, FeatureDetail> = Op::query(
    "work.get_feature",
    Get,
    "/api/v1/work/features/{id}",
    "One Feature with its Goals in order.",
    true,
);

pub const UPDATE_FEATURE: Op<UpdateFeatureInput, FeatureDetail> = Op::mutation(
    "work.update_feature",
    Patch,
    "/api/v1/work/features/{id}",
    "Rename a Feature or change its description.",
    true,
);

pub const DELETE_FEATURE: Op<FeatureIdInput, Feature> = Op::mutation(
    "work.delete_feature",
    Delete,
    "/api/v1/work/features/{id}",
    "Delete a Feature; its Goals stay, without a Feature.",
    false,
);

pub const ADD_TO_FEATURE: Op<FeatureGoalInput, FeatureDetail> = Op::mutation(
    "work.add_to_feature",
    Post,
    "/api/v1/work/features/{id}/goals",
    "Put a Goal into a Feature at a position (default: last).",
    true,
);

pub const REMOVE_FROM_FEATURE: Op<FeatureGoalInput, FeatureDetail> = Op::mutation(
    "work.remove_from_feature",
    Post,
    "/api/v1/work/features/{id}/remove",
    "Take a Goal out of a Feature.",
    true,
);

pub const REORDER_FEATURE: Op<ReorderFeatureInput, FeatureDetail> = Op::mutation(
    "work.reorder_feature",
    Post,
    "/api/v1/work/features/{id}/order",
    "Set the order of a Feature's Goals (all of them, each once).",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST_GOALS.handle(|core, ctx, i| async move { core.list_goals(&ctx, i).await }),
        CREATE_GOAL.handle(|core, ctx, i| async move { core.create_goal(&ctx, i).await }),
        GET_GOAL.handle(|core, ctx, i| async move { core.get_goal(&ctx, i).await }),
        UPDATE_GOAL.handle(|core, ctx, i| async move { core.update_goal(&ctx, i).await }),
        DELETE_GOAL.handle(|core, ctx, i| async move { core.delete_goal(&ctx, i).await }),
        RESTORE_GOAL.handle(|core, ctx, i| async move { core.restore_goal(&ctx, i).await }),
        BULK_UPDATE_GOALS
            .handle(|core, ctx, i| async move { core.bulk_update_goals(&ctx, i).await }),
        EXPORT.handle(|core, ctx, i| async move { core.export_work(&ctx, i).await }),
        LIST_FEATURES.handle(|core, ctx, i| async move { core.list_features(&ctx, i).await }),
        CREATE_FEATURE.handle(|core, ctx, i| async move { core.create_feature(&ctx, i).await }),
        GET_FEATURE.handle(|core, ctx, i| async move { core.get_feature(&ctx, i).await }),
        UPDATE_FEATURE.handle(|core, ctx, i| async move { core.update_feature(&ctx, i).await }),
        DELETE_FEATURE.handle(|core, ctx, i| async move { core.delete_feature(&ctx, i).await }),
        ADD_TO_FEATURE.handle(|core, ctx, i| async move { core.add_to_feature(&ctx, i).await }),
        REMOVE_FROM_FEATURE
            .handle(|core, ctx, i| async move { core.remove_from_feature(&ctx, i).await }),
        REORDER_FEATURE.handle(|core, ctx, i| async move { core.reorder_feature(&ctx, i).await }),
    ]
}
