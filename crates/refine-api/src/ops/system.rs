use refine_core::system::Empty;
use refine_model::system::{Health, SystemInfo};

use crate::registry::{Decl, Method, OpDef, OpKind, OperationInfo};

pub(crate) fn ops() -> Vec<OpDef> {
    let mut health = Decl {
        name: "system.health",
        method: Method::Get,
        path: "/api/v1/system/health",
        doc: "Liveness check; the one route without a token. Says only {\"status\":\"ok\"}.",
        mcp: false,
    }
    .query(|core, _, _: Empty| async move { Ok::<Health, _>(core.health()) });
    health.public = true;
    vec![
        health,
        Decl {
            name: "system.info",
            method: Method::Get,
            path: "/api/v1/system/info",
            doc: "Version, API contract version, node id, data dir, uptime and build profile of the daemon.",
            mcp: true,
        }
        .query(|core, _, _: Empty| async move { Ok::<SystemInfo, _>(core.info()) }),
        Decl {
            name: "system.operations",
            method: Method::Get,
            path: "/api/v1/system/operations",
            doc: "Every registered operation: name, kind, method, path, doc and JSON Schemas of input and output.",
            mcp: true,
        }
        .query(|_, _, _: Empty| async move {
            Ok::<Vec<OperationInfo>, _>(crate::registry().iter().map(|o| o.info()).collect())
        }),
        Decl {
            name: "system.events",
            method: Method::Get,
            path: "/api/v1/system/events",
            doc: "Every kind of live event: its name, doc, the queries it makes stale and the JSON Schema of its data.",
            mcp: true,
        }
        .query(|_, _, _: Empty| async move {
            Ok::<Vec<crate::events::EventInfo>, _>(crate::events::event_infos())
        }),
        Decl {
            name: "system.shutdown",
            method: Method::Post,
            path: "/api/v1/system/shutdown",
            doc: "Stop the daemon cleanly (running operations are recorded as interrupted on next start).",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, _: Empty| async move {
            core.shutdown(&ctx).await
        }),
    ]
}
