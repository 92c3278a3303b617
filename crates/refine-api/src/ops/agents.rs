//! Agent profiles, detection, runs, transcripts and usage.

use refine_core::agents::usage::{TranscriptInput, TranscriptPage, UsageInput, UsageReport};
use refine_core::agents::{
    DetectInput, GoalRunsInput, LaunchInput, ProfileDeleted, ProfileNameInput, SaveProfileInput,
};
use refine_core::system::Empty;
use refine_model::agents::{AgentProfile, AgentRun, Detection};
use refine_model::terminal::TerminalInfo;

use crate::registry::{Method::*, Op, OpDef};

pub const PROFILES_LIST: Op<Empty, Vec<AgentProfile>> = Op::query(
    "agents.profiles.list",
    Get,
    "/api/v1/agents/profiles",
    "Agent profiles: the default of every provider (Claude Code, Codex, Gemini, Copilot, Aider, opencode, generic, scripted) and saved ones; secrets redacted.",
    true,
);

pub const PROFILES_SAVE: Op<SaveProfileInput, AgentProfile> = Op::mutation(
    "agents.profiles.save",
    Put,
    "/api/v1/agents/profiles",
    "Create or replace an agent profile (command, args, env, prompt delivery, resume args). An env value of ``••••••`` keeps the stored secret.",
    false,
);

pub const PROFILES_DELETE: Op<ProfileNameInput, ProfileDeleted> = Op::mutation(
    "agents.profiles.delete",
    Delete,
    "/api/v1/agents/profiles/{name}",
    "Delete a saved profile (a provider's own profile returns to its default).",
    false,
);

pub const DETECT: Op<DetectInput, Vec<Detection>> = Op::query(
    "agents.detect",
    Get,
    "/api/v1/agents/detect",
    "Which agent CLIs are installed and working, as the daemon last found (it looks at start-up and when a profile changes): path, version, and a diagnosis when not. Runs nothing.",
    true,
);

pub const REDETECT: Op<DetectInput, Vec<Detection>> = Op::mutation(
    "agents.redetect",
    Post,
    "/api/v1/agents/detect",
    "Look for each profile's program now (runs its `--version`) and keep the results.",
    true,
);

pub const LAUNCH: Op<LaunchInput, TerminalInfo> = Op::mutation(
    "agents.launch",
    Post,
    "/api/v1/agents/launch",
    "Start an interactive agent session on a terminal in the app (attach at /api/v1/terminal/{id}/ws).",
    false,
);

pub const RUNS_LIST: Op<GoalRunsInput, Vec<AgentRun>> = Op::query(
    "agents.runs.list",
    Get,
    "/api/v1/agents/runs",
    "Every agent run of a Goal: phase, attempt (repairs), process, status, parsed result.",
    true,
);

pub const TRANSCRIPT: Op<TranscriptInput, TranscriptPage> = Op::query(
    "agents.transcript",
    Get,
    "/api/v1/agents/runs/{runId}/transcript",
    "One agent run's transcript, page by page: session, assistant text, tool calls and results, file changes, commands with exit codes, permission denials, errors, usage, the finish (live: `agents.transcript` events).",
    true,
);

pub const USAGE: Op<UsageInput, UsageReport> = Op::query(
    "agents.usage",
    Get,
    "/api/v1/agents/usage",
    "Tokens and cost of agent runs: in all, per day, per provider, and per Round of one Goal (`goalId`), for one app or every app.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        PROFILES_LIST.handle(|core, _, _i| async move { core.agents_profiles_list().await }),
        PROFILES_SAVE
            .handle(|core, ctx, i| async move { core.agents_profiles_save(&ctx, i).await }),
        PROFILES_DELETE
            .handle(|core, ctx, i| async move { core.agents_profiles_delete(&ctx, i).await }),
        DETECT.handle(|core, _, i| async move { core.agents_detect(i).await }),
        REDETECT.handle(|core, ctx, i| async move { core.agents_redetect(&ctx, i).await }),
        LAUNCH.handle(|core, ctx, i| async move { core.agents_launch(&ctx, i).await }),
        RUNS_LIST.handle(|core, _, i| async move { core.agents_runs_list(i).await }),
        TRANSCRIPT.handle(|core, _, i| async move { core.agents_transcript(i).await }),
        USAGE.handle(|core, ctx, i| async move { core.agents_usage(&ctx, i).await }),
    ]
}
