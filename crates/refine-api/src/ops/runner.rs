//! The runner: workers, holds, follow-ups and Rounds.

use refine_core::runner::holds::ReleaseInput;
use refine_core::runner::{
    GoalWorkInput, RoundDetail, RunnerPauseInput, RunnerStopInput, TellInput, WorkerStopped,
};
use refine_core::system::Empty;
use refine_core::workflow::TransitionResult;
use refine_model::agents::{ProviderHold, RunnerStatus};

use crate::registry::{Method::*, Op, OpDef};

pub const STATUS: Op<Empty, RunnerStatus> = Op::query(
    "runner.status",
    Get,
    "/api/v1/runner",
    "Runner workers and what each is doing, capacity limits, free resources, paused flag, and why apps wait.",
    true,
);

pub const PAUSE: Op<RunnerPauseInput, RunnerStatus> = Op::mutation(
    "runner.pause",
    Post,
    "/api/v1/runner/pause",
    "Stop admitting new Goals on this node (running workers go on).",
    true,
);

pub const RESUME: Op<RunnerPauseInput, RunnerStatus> = Op::mutation(
    "runner.resume",
    Post,
    "/api/v1/runner/resume",
    "Admit new Goals again.",
    true,
);

pub const STOP: Op<RunnerStopInput, WorkerStopped> = Op::mutation(
    "runner.stop",
    Post,
    "/api/v1/runner/stop",
    "Stop the worker on a Goal and its agent; the Goal stays as it is and resumes later.",
    true,
);

pub const RELEASE: Op<ReleaseInput, Vec<ProviderHold>> = Op::mutation(
    "runner.release",
    Post,
    "/api/v1/runner/release",
    "Lift the hold on an agent profile (a rate limit before its reset, refused credentials once fixed): its Goals go on now.",
    true,
);

pub const TELL: Op<TellInput, TransitionResult> = Op::mutation(
    "runner.tell",
    Post,
    "/api/v1/runner/tell",
    "Send a follow-up to the agent of a Goal in review: it resumes the Round's implement session in the same worktree, the candidate is refreshed and checked again.",
    true,
);

pub const ROUNDS: Op<GoalWorkInput, Vec<RoundDetail>> = Op::query(
    "runner.rounds",
    Get,
    "/api/v1/runner/rounds",
    "What the automation recorded for each Round of a Goal: base, branch, worktree, candidate, guidance, quality, governance, integration, agent runs.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        STATUS.handle(|core, _, _i| async move { core.runner_status().await }),
        PAUSE.handle(|core, ctx, i| async move { core.set_runner_paused(&ctx, i, true).await }),
        RESUME.handle(|core, ctx, i| async move { core.set_runner_paused(&ctx, i, false).await }),
        STOP.handle(|core, ctx, i| async move { core.runner_stop(&ctx, i).await }),
        RELEASE.handle(|core, ctx, i| async move { core.runner_release(&ctx, i).await }),
        TELL.handle(|core, ctx, i| async move { core.runner_tell(&ctx, i).await }),
        ROUNDS.handle(|core, _, i| async move { core.runner_rounds(i).await }),
    ]
}
