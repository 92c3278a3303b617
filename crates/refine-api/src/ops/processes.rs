//! Supervised processes.

use refine_core::processes::{
    ListProcessesInput, ProcessIdInput, ProcessLogs, ProcessLogsInput, StartProcessInput,
};
use refine_model::process::ProcessInfo;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListProcessesInput, Vec<ProcessInfo>> = Op::query(
    "processes.list",
    Get,
    "/api/v1/processes",
    "Supervised processes of the app, newest first (live=true for running ones).",
    true,
);

pub const START: Op<StartProcessInput, ProcessInfo> = Op::mutation(
    "processes.start",
    Post,
    "/api/v1/processes",
    "Start a supervised process from an argv array in the app (own process group, clean env, logs kept).",
    true,
);

pub const GET: Op<ProcessIdInput, ProcessInfo> = Op::query(
    "processes.get",
    Get,
    "/api/v1/processes/{id}",
    "One process: status, pid, exit code or signal, times, owner.",
    true,
);

pub const STOP: Op<ProcessIdInput, ProcessInfo> = Op::mutation(
    "processes.stop",
    Post,
    "/api/v1/processes/{id}/stop",
    "Stop a process: SIGTERM to its group, SIGKILL after processes.stopGraceSeconds.",
    true,
);

pub const RESTART: Op<ProcessIdInput, ProcessInfo> = Op::mutation(
    "processes.restart",
    Post,
    "/api/v1/processes/{id}/restart",
    "Stop a process (if running) and start the same command again.",
    true,
);

pub const LOGS: Op<ProcessLogsInput, ProcessLogs> = Op::query(
    "processes.logs",
    Get,
    "/api/v1/processes/{id}/logs",
    "The last lines of a process's output (stdout and stderr).",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.processes_list(&ctx, i).await }),
        START.handle(|core, ctx, i| async move { core.processes_start(&ctx, i).await }),
        GET.handle(|core, _, i| async move { core.processes_get(i).await }),
        STOP.handle(|core, ctx, i| async move { core.processes_stop(&ctx, i).await }),
        RESTART.handle(|core, ctx, i| async move { core.processes_restart(&ctx, i).await }),
        LOGS.handle(|core, _, i| async move { core.processes_logs(i).await }),
    ]
}
