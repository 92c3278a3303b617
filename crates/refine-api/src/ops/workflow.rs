use refine_core::workflow::{
    AdvanceInput, AppScopeInput, DeclineInput, GoalActionInput, MoveInput, PauseInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("workflow.move", Post, "/api/v1/workflow/move", "Move a Goal between backlog and todo (a refused move is a 409 with the reason).", true)
            .mutation(m, |core, ctx, i: MoveInput| async move { core.move_goal(&ctx, i).await }),
        d("workflow.advance", Post, "/api/v1/workflow/advance", "Step a Goal through plan → implement → quality → governance → review (or failed), with the start rules.", true)
            .mutation(m, |core, ctx, i: AdvanceInput| async move { core.advance_goal(&ctx, i).await }),
        d("workflow.approve", Post, "/api/v1/workflow/approve", "Approve a Goal in review: it is done.", false)
            .mutation(m, |core, ctx, i: GoalActionInput| async move { core.approve_goal(&ctx, i).await }),
        d("workflow.decline", Post, "/api/v1/workflow/decline", "Decline a Goal in review: back to todo with a new Round, or cancelled.", false)
            .mutation(m, |core, ctx, i: DeclineInput| async move { core.decline_goal(&ctx, i).await }),
        d("workflow.retry", Post, "/api/v1/workflow/retry", "Retry a failed Goal: back to todo with a new Round.", true)
            .mutation(m, |core, ctx, i: GoalActionInput| async move { core.retry_goal(&ctx, i).await }),
        d("workflow.cancel", Post, "/api/v1/workflow/cancel", "Cancel a Goal that is not done.", true)
            .mutation(m, |core, ctx, i: GoalActionInput| async move { core.cancel_goal(&ctx, i).await }),
        d("workflow.eligible", Get, "/api/v1/workflow/eligible", "Which todo Goals may start now, and for every other one why not.", true)
            .query(|core, ctx, i: AppScopeInput| async move { core.eligible(&ctx, i).await }),
        d("workflow.automation", Get, "/api/v1/workflow/automation", "Whether automation is paused for the app, since when and by whom.", true)
            .query(|core, ctx, i: AppScopeInput| async move { core.automation(&ctx, i).await }),
        d("workflow.pause", Post, "/api/v1/workflow/pause", "Pause automation for the app (durable): nothing starts by itself.", false)
            .mutation(m, |core, ctx, i: PauseInput| async move { core.set_paused(&ctx, i, true).await }),
        d("workflow.resume", Post, "/api/v1/workflow/resume", "Resume automation for the app.", false)
            .mutation(m, |core, ctx, i: PauseInput| async move { core.set_paused(&ctx, i, false).await }),
    ]
}
