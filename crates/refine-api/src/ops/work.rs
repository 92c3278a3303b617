use refine_core::work::{
    BulkUpdateInput, CreateFeatureInput, CreateGoalInput, ExportInput, FeatureGoalInput,
    FeatureIdInput, GoalIdInput, ListFeaturesInput, ListGoalsInput, ReorderFeatureInput,
    UpdateFeatureInput, UpdateGoalInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("work.list_goals", Get, "/api/v1/work/goals", "Goals of the active app: filter by status, feature, label, reporter, assignee, node; full-text `q`; sort; cursor pages.", true)
            .query(|core, ctx, i: ListGoalsInput| async move { core.list_goals(&ctx, i).await }),
        d("work.create_goal", Post, "/api/v1/work/goals", "Create a Goal (backlog by default), optionally in a Feature, with labels, priority, reporter and assignee.", true)
            .mutation(m, |core, ctx, i: CreateGoalInput| async move { core.create_goal(&ctx, i).await }),
        d("work.get_goal", Get, "/api/v1/work/goals/{id}", "One Goal with its Rounds, by id or #number.", true)
            .query(|core, ctx, i: GoalIdInput| async move { core.get_goal(&ctx, i).await }),
        d("work.update_goal", Patch, "/api/v1/work/goals/{id}", "Partially update a Goal (title, prompt, notes, priority, reporter, assignee, labels, feature).", true)
            .mutation(m, |core, ctx, i: UpdateGoalInput| async move { core.update_goal(&ctx, i).await }),
        d("work.delete_goal", Delete, "/api/v1/work/goals/{id}", "Delete a Goal (soft: work.restore_goal brings it back).", false)
            .mutation(m, |core, ctx, i: GoalIdInput| async move { core.delete_goal(&ctx, i).await }),
        d("work.restore_goal", Post, "/api/v1/work/goals/{id}/restore", "Restore a deleted Goal.", false)
            .mutation(m, |core, ctx, i: GoalIdInput| async move { core.restore_goal(&ctx, i).await }),
        d("work.bulk_update_goals", Post, "/api/v1/work/goals/bulk", "Apply one change (status, priority, labels, assignee, feature) to many Goals; per-item results.", true)
            .mutation(m, |core, ctx, i: BulkUpdateInput| async move { core.bulk_update_goals(&ctx, i).await }),
        d("work.export", Get, "/api/v1/work/export", "Export the app's Goals and Features: JSON (lossless, re-importable) or CSV (Jira columns).", true)
            .query(|core, ctx, i: ExportInput| async move { core.export_work(&ctx, i).await }),
        d("work.list_features", Get, "/api/v1/work/features", "Features of the active app with derived status and progress.", true)
            .query(|core, ctx, i: ListFeaturesInput| async move { core.list_features(&ctx, i).await }),
        d("work.create_feature", Post, "/api/v1/work/features", "Create a Feature, optionally with Goals in order.", true)
            .mutation(m, |core, ctx, i: CreateFeatureInput| async move { core.create_feature(&ctx, i).await }),
        d("work.get_feature", Get, "/api/v1/work/features/{id}", "One Feature with its Goals in order.", true)
            .query(|core, ctx, i: FeatureIdInput| async move { core.get_feature(&ctx, i).await }),
        d("work.update_feature", Patch, "/api/v1/work/features/{id}", "Rename a Feature or change its description.", true)
            .mutation(m, |core, ctx, i: UpdateFeatureInput| async move { core.update_feature(&ctx, i).await }),
        d("work.delete_feature", Delete, "/api/v1/work/features/{id}", "Delete a Feature; its Goals stay, without a Feature.", false)
            .mutation(m, |core, ctx, i: FeatureIdInput| async move { core.delete_feature(&ctx, i).await }),
        d("work.add_to_feature", Post, "/api/v1/work/features/{id}/goals", "Put a Goal into a Feature at a position (default: last).", true)
            .mutation(m, |core, ctx, i: FeatureGoalInput| async move { core.add_to_feature(&ctx, i).await }),
        d("work.remove_from_feature", Post, "/api/v1/work/features/{id}/remove", "Take a Goal out of a Feature.", true)
            .mutation(m, |core, ctx, i: FeatureGoalInput| async move { core.remove_from_feature(&ctx, i).await }),
        d("work.reorder_feature", Post, "/api/v1/work/features/{id}/order", "Set the order of a Feature's Goals (all of them, each once).", true)
            .mutation(m, |core, ctx, i: ReorderFeatureInput| async move { core.reorder_feature(&ctx, i).await }),
    ]
}
