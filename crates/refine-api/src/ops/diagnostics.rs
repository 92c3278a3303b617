//! The doctor, the daemon's log, the support bundle.

use refine_core::diagnostics::{BundleInput, LogsInput};
use refine_core::system::Empty;
use refine_model::diagnostics::{BundleInfo, DaemonLog, DoctorReport};

use crate::registry::{Method::*, Op, OpDef};

pub const DOCTOR: Op<Empty, DoctorReport> = Op::mutation(
    "diagnostics.doctor",
    Post,
    "/api/v1/diagnostics/doctor",
    "Run every check now — git, each agent CLI (runs its `--version`), gh/glab, free disk space, database integrity (quick_check), WAL size, data dir and token permissions, the port, the clock, WebKit for the desktop, NATS when clustered — each ok, warn, fail or skip with what to do about it.",
    true,
);

pub const LOGS: Op<LogsInput, DaemonLog> = Op::query(
    "diagnostics.logs",
    Get,
    "/api/v1/diagnostics/logs",
    "The daemon's log (the data dir's `logs/`, one file per day, a week kept), newest last, filtered by least level, module and text; `after` a returned cursor gives only what was logged since (for following).",
    true,
);

pub const BUNDLE: Op<BundleInput, BundleInfo> = Op::mutation(
    "diagnostics.bundle",
    Post,
    "/api/v1/diagnostics/bundle",
    "Write a support bundle (.tar.gz): logs, doctor results, versions, settings, schema version, row counts, recent operations, errors and activity, performance — with the token, cookies, secret-looking env values and other secrets replaced.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        DOCTOR.handle(|core, ctx, _| async move { core.diagnostics_doctor(&ctx).await }),
        LOGS.handle(|core, _, i| async move { core.diagnostics_logs(i).await }),
        BUNDLE.handle(|core, ctx, i| async move { core.diagnostics_bundle(&ctx, i).await }),
    ]
}
