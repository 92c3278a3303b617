use refine_core::processes::{
    ListProcessesInput, ProcessIdInput, ProcessLogsInput, StartProcessInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("processes.list", Get, "/api/v1/processes", "Supervised processes of the app, newest first (live=true for running ones).", true)
            .query(|core, ctx, i: ListProcessesInput| async move { core.list_processes(&ctx, i).await }),
        d("processes.start", Post, "/api/v1/processes", "Start a supervised process from an argv array in the app (own process group, clean env, logs kept).", true)
            .mutation(m, |core, ctx, i: StartProcessInput| async move { core.start_process(&ctx, i).await }),
        d("processes.get", Get, "/api/v1/processes/{id}", "One process: status, pid, exit code or signal, times, owner.", true)
            .query(|core, _, i: ProcessIdInput| async move { core.get_process(i).await }),
        d("processes.stop", Post, "/api/v1/processes/{id}/stop", "Stop a process: SIGTERM to its group, SIGKILL after processes.stopGraceSeconds.", true)
            .mutation(m, |core, ctx, i: ProcessIdInput| async move { core.stop_process(&ctx, i).await }),
        d("processes.restart", Post, "/api/v1/processes/{id}/restart", "Stop a process (if running) and start the same command again.", true)
            .mutation(m, |core, ctx, i: ProcessIdInput| async move { core.restart_process(&ctx, i).await }),
        d("processes.logs", Get, "/api/v1/processes/{id}/logs", "The last lines of a process's output (stdout and stderr).", true)
            .query(|core, _, i: ProcessLogsInput| async move { core.process_logs(i).await }),
    ]
}
