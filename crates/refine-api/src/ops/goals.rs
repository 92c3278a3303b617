//! Goals: the unit of work an agent plans, implements and a person approves.

use refine_core::work::{
    BulkResult, BulkUpdateInput, CreateGoalInput, ExportFile, ExportInput, GoalIdInput, GoalPage,
    ListGoalsInput, UpdateGoalInput,
};
use refine_model::work::Goal;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListGoalsInput, GoalPage> = Op::query(
    "goals.list",
    Get,
    "/api/v1/work/goals",
    "Goals of the active app: filter by status, feature, label, reporter, assignee, node; full-text `q`; sort; cursor pages.",
    true,
);

pub const CREATE: Op<CreateGoalInput, Goal> = Op::mutation(
    "goals.create",
    Post,
    "/api/v1/work/goals",
    "Create a Goal (backlog by default), optionally in a Feature, with labels, priority, reporter and assignee.",
    true,
);

pub const GET: Op<GoalIdInput, Goal> = Op::query(
    "goals.get",
    Get,
    "/api/v1/work/goals/{id}",
    "One Goal with its Rounds, by id or #number.",
    true,
);

pub const UPDATE: Op<UpdateGoalInput, Goal> = Op::mutation(
    "goals.update",
    Patch,
    "/api/v1/work/goals/{id}",
    "Partially update a Goal (title, prompt, notes, priority, reporter, assignee, labels, feature).",
    true,
);

pub const DELETE: Op<GoalIdInput, Goal> = Op::mutation(
    "goals.delete",
    Delete,
    "/api/v1/work/goals/{id}",
    "Delete a Goal (soft: goals.restore brings it back).",
    false,
);

pub const PUBLISH: Op<refine_core::publish::PublishInput, refine_model::agents::Publication> =
    Op::mutation(
        "goals.publish",
        Post,
        "/api/v1/work/goals/{goalId}/publish",
        "Push the candidate branch of a Goal in review (or done) to the app's remote (default `origin`) and, when `gh` (GitHub) or `glab` (GitLab) is installed and signed in, open a pull/merge request with the Goal's title, prompt and the Round's evidence. Stored with the Round (`publication`, with the request's URL, or a note saying why none was opened). Approving still merges locally.",
        true,
    );

pub const RESTORE: Op<GoalIdInput, Goal> = Op::mutation(
    "goals.restore",
    Post,
    "/api/v1/work/goals/{id}/restore",
    "Restore a deleted Goal.",
    false,
);

pub const BULK_UPDATE: Op<BulkUpdateInput, BulkResult> = Op::mutation(
    "goals.bulk_update",
    Post,
    "/api/v1/work/goals/bulk",
    "Apply one change (status, priority, labels, assignee, feature) to many Goals; per-item results.",
    true,
);

pub const EXPORT: Op<ExportInput, ExportFile> = Op::query(
    "goals.export",
    Get,
    "/api/v1/work/export",
    "Export the app's Goals and Features: JSON (lossless, re-importable) or CSV (Jira columns).",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.goals_list(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.goals_create(&ctx, i).await }),
        GET.handle(|core, ctx, i| async move { core.goals_get(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.goals_update(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.goals_delete(&ctx, i).await }),
        RESTORE.handle(|core, ctx, i| async move { core.goals_restore(&ctx, i).await }),
        PUBLISH.handle(|core, ctx, i| async move { core.goals_publish(&ctx, i).await }),
        BULK_UPDATE.handle(|core, ctx, i| async move { core.goals_bulk_update(&ctx, i).await }),
        EXPORT.handle(|core, ctx, i| async move { core.goals_export(&ctx, i).await }),
    ]
}
