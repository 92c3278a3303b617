//! The workflow: moves, approvals and automation.

use refine_core::workflow::{
    AdvanceInput, AppScopeInput, AutomationState, DeclineInput, Eligibility, EligibleInput,
    GoalActionInput, MoveInput, PauseInput, TransitionResult,
};

use crate::registry::{Method::*, Op, OpDef};

pub const MOVE: Op<MoveInput, TransitionResult> = Op::mutation(
    "workflow.move",
    Post,
    "/api/v1/workflow/move",
    "Move a Goal between backlog and todo (a refused move is a 409 with the reason).",
    true,
);

pub const ADVANCE: Op<AdvanceInput, TransitionResult> = Op::mutation(
    "workflow.advance",
    Post,
    "/api/v1/workflow/advance",
    "Step a Goal through plan → implement → quality → governance → review (or failed), with the start rules.",
    true,
);

pub const APPROVE: Op<GoalActionInput, TransitionResult> = Op::mutation(
    "workflow.approve",
    Post,
    "/api/v1/workflow/approve",
    "Approve a Goal in review: it is done.",
    false,
);

pub const DECLINE: Op<DeclineInput, TransitionResult> = Op::mutation(
    "workflow.decline",
    Post,
    "/api/v1/workflow/decline",
    "Decline a Goal in review: back to todo with a new Round, or cancelled.",
    false,
);

pub const RETRY: Op<GoalActionInput, TransitionResult> = Op::mutation(
    "workflow.retry",
    Post,
    "/api/v1/workflow/retry",
    "Retry a failed Goal: back to todo with a new Round.",
    true,
);

pub const CANCEL: Op<GoalActionInput, TransitionResult> = Op::mutation(
    "workflow.cancel",
    Post,
    "/api/v1/workflow/cancel",
    "Cancel a Goal that is not done.",
    true,
);

pub const ELIGIBLE: Op<EligibleInput, Eligibility> = Op::query(
    "workflow.eligible",
    Get,
    "/api/v1/workflow/eligible",
    "Which todo Goals may start now, and for the others why not (the first `limit` of each, with totals).",
    true,
);

pub const AUTOMATION: Op<AppScopeInput, AutomationState> = Op::query(
    "workflow.automation",
    Get,
    "/api/v1/workflow/automation",
    "Whether automation is paused for the app, since when and by whom.",
    true,
);

pub const PAUSE: Op<PauseInput, AutomationState> = Op::mutation(
    "workflow.pause",
    Post,
    "/api/v1/workflow/pause",
    "Pause automation for the app (durable): nothing starts by itself.",
    false,
);

pub const RESUME: Op<PauseInput, AutomationState> = Op::mutation(
    "workflow.resume",
    Post,
    "/api/v1/workflow/resume",
    "Resume automation for the app.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        MOVE.handle(|core, ctx, i| async move { core.workflow_move(&ctx, i).await }),
        ADVANCE.handle(|core, ctx, i| async move { core.workflow_advance(&ctx, i).await }),
        APPROVE.handle(|core, ctx, i| async move { core.workflow_approve(&ctx, i).await }),
        DECLINE.handle(|core, ctx, i| async move { core.workflow_decline(&ctx, i).await }),
        RETRY.handle(|core, ctx, i| async move { core.workflow_retry(&ctx, i).await }),
        CANCEL.handle(|core, ctx, i| async move { core.workflow_cancel(&ctx, i).await }),
        ELIGIBLE.handle(|core, ctx, i| async move { core.workflow_eligible(&ctx, i).await }),
        AUTOMATION.handle(|core, ctx, i| async move { core.automation(&ctx, i).await }),
        PAUSE.handle(|core, ctx, i| async move { core.set_paused(&ctx, i, true).await }),
        RESUME.handle(|core, ctx, i| async move { core.set_paused(&ctx, i, false).await }),
    ]
}
