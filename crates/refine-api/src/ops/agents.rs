use refine_core::agents::{
    DetectInput, GoalRunsInput, LaunchInput, ProfileNameInput, SaveProfileInput,
};
use refine_core::runner::{EvaluateInput, GoalWorkInput, RunnerPauseInput, RunnerStopInput};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("agents.profiles", Get, "/api/v1/agents/profiles", "Agent profiles: the default of every provider (Claude Code, Codex, Gemini, Copilot, Aider, opencode, generic, scripted) and saved ones; secrets redacted.", true)
            .query(|core, _, _i: refine_core::system::Empty| async move { core.list_profiles().await }),
        d("agents.profiles.save", Put, "/api/v1/agents/profiles", "Create or replace an agent profile (command, args, env, prompt delivery, resume args). An env value of ``••••••`` keeps the stored secret.", false)
            .mutation(m, |core, ctx, i: SaveProfileInput| async move { core.save_profile(&ctx, i).await }),
        d("agents.profiles.delete", Delete, "/api/v1/agents/profiles/{name}", "Delete a saved profile (a provider's own profile returns to its default).", false)
            .mutation(m, |core, ctx, i: ProfileNameInput| async move { core.delete_profile(&ctx, i).await }),
        d("agents.detect", Get, "/api/v1/agents/detect", "Which agent CLIs are installed and working, as the daemon last found (it looks at start-up and when a profile changes): path, version, and a diagnosis when not. Runs nothing.", true)
            .query(|core, _, i: DetectInput| async move { core.detect_agents(i).await }),
        d("agents.redetect", Post, "/api/v1/agents/detect", "Look for each profile's program now (runs its `--version`) and keep the results.", true)
            .mutation(m, |core, ctx, i: DetectInput| async move { core.redetect_agents(&ctx, i).await }),
        d("agents.launch", Post, "/api/v1/agents/launch", "Start an interactive agent session on a terminal in the app (attach at /api/v1/terminal/{id}/ws).", false)
            .mutation(m, |core, ctx, i: LaunchInput| async move { core.launch_agent(&ctx, i).await }),
        d("agents.runs", Get, "/api/v1/agents/runs", "Every agent run of a Goal: phase, attempt (repairs), process, status, parsed result.", true)
            .query(|core, _, i: GoalRunsInput| async move { core.goal_agent_runs(i).await }),
        d("agents.transcript", Get, "/api/v1/agents/runs/{runId}/transcript", "One agent run's transcript, page by page: session, assistant text, tool calls and results, file changes, commands with exit codes, permission denials, errors, usage, the finish (live: `agents.transcript` events).", true)
            .query(|core, _, i: refine_core::agents::usage::TranscriptInput| async move { core.agent_transcript(i).await }),
        d("agents.usage", Get, "/api/v1/agents/usage", "Tokens and cost of agent runs: in all, per day, per provider, and per Round of one Goal (`goalId`), for one app or every app.", true)
            .query(|core, ctx, i: refine_core::agents::usage::UsageInput| async move { core.agent_usage(&ctx, i).await }),
        d("runner.status", Get, "/api/v1/runner", "Runner workers and what each is doing, capacity limits, free resources, paused flag, and why apps wait.", true)
            .query(|core, _, _i: refine_core::system::Empty| async move { core.runner_status().await }),
        d("runner.pause", Post, "/api/v1/runner/pause", "Stop admitting new Goals on this node (running workers go on).", true)
            .mutation(m, |core, ctx, i: RunnerPauseInput| async move { core.set_runner_paused(&ctx, i, true).await }),
        d("runner.resume", Post, "/api/v1/runner/resume", "Admit new Goals again.", true)
            .mutation(m, |core, ctx, i: RunnerPauseInput| async move { core.set_runner_paused(&ctx, i, false).await }),
        d("runner.stop", Post, "/api/v1/runner/stop", "Stop the worker on a Goal and its agent; the Goal stays as it is and resumes later.", true)
            .mutation(m, |core, ctx, i: RunnerStopInput| async move { core.stop_worker(&ctx, i).await }),
        d("runner.release", Post, "/api/v1/runner/release", "Lift the hold on an agent profile (a rate limit before its reset, refused credentials once fixed): its Goals go on now.", true)
            .mutation(m, |core, ctx, i: refine_core::runner::holds::ReleaseInput| async move { core.release_provider(&ctx, i).await }),
        d("runner.tell", Post, "/api/v1/runner/tell", "Send a follow-up to the agent of a Goal in review: it resumes the Round's implement session in the same worktree, the candidate is refreshed and checked again.", true)
            .mutation(m, |core, ctx, i: refine_core::runner::TellInput| async move { core.tell_goal(&ctx, i).await }),
        d("runner.rounds", Get, "/api/v1/runner/rounds", "What the automation recorded for each Round of a Goal: base, branch, worktree, candidate, guidance, quality, governance, integration, agent runs.", true)
            .query(|core, _, i: GoalWorkInput| async move { core.goal_work(i).await }),
        d("quality.evaluate", Post, "/api/v1/quality/evaluate", "Run the project's tests against a Goal's candidate now (one agent-proposed command per test, run supervised).", true)
            .mutation(m, |core, ctx, i: EvaluateInput| async move { core.evaluate_quality(&ctx, i).await }),
    ]
}
