//! The daemon itself.

use refine_core::system::{Empty, ShutdownAck};
use refine_model::system::{Health, SystemInfo};

use crate::registry::{Method::*, Op, OpDef};

pub const HEALTH: Op<Empty, Health> = Op::query(
    "system.health",
    Get,
    "/api/v1/system/health",
    "Liveness check; the one route without a token. Says only {\"status\":\"ok\"}.",
    false,
)
.public()
.no_cli();

pub const INFO: Op<Empty, SystemInfo> = Op::query(
    "system.info",
    Get,
    "/api/v1/system/info",
    "Version, API contract version, node id, data dir, uptime and build profile of the daemon.",
    true,
);

pub const OPERATIONS: Op<Empty, Vec<crate::registry::OperationInfo>> = Op::query(
    "system.operations",
    Get,
    "/api/v1/system/operations",
    "Every registered operation: name, kind, method, path, doc and JSON Schemas of input and output.",
    true,
);

pub const EVENTS: Op<Empty, Vec<crate::events::EventInfo>> = Op::query(
    "system.events",
    Get,
    "/api/v1/system/events",
    "Every kind of live event: its name, doc, the queries it makes stale and the JSON Schema of its data.",
    true,
);

pub const SHUTDOWN: Op<Empty, ShutdownAck> = Op::mutation(
    "system.shutdown",
    Post,
    "/api/v1/system/shutdown",
    "Stop the daemon cleanly (running operations are recorded as interrupted on next start).",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        HEALTH.handle(|core, _, _| async move { Ok::<Health, _>(core.health()) }),
        INFO.handle(|core, _, _| async move { Ok::<SystemInfo, _>(core.info()) }),
        OPERATIONS.handle(|_, _, _| async move {
            Ok::<Vec<crate::OperationInfo>, _>(crate::registry().iter().map(|o| o.info()).collect())
        }),
        EVENTS.handle(|_, _, _| async move {
            Ok::<Vec<crate::events::EventInfo>, _>(crate::events::event_infos())
        }),
        SHUTDOWN.handle(|core, ctx, _| async move { core.system_shutdown(&ctx).await }),
    ]
}
