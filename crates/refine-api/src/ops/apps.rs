use refine_core::apps::{AddAppInput, AppIdInput, SelectAppInput};
use refine_core::system::Empty;

use crate::registry::{Decl, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        Decl {
            name: "apps.list",
            method: Method::Get,
            path: "/api/v1/apps",
            doc: "Registered target apps, with their detected shape; `active` marks the selected one.",
            mcp: true,
        }
        .query(|core, _, _: Empty| async move { core.list_apps().await }),
        Decl {
            name: "apps.add",
            method: Method::Post,
            path: "/api/v1/apps",
            doc: "Register an existing Git work tree (absolute path) as a target app and detect its shape.",
            mcp: true,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: AddAppInput| async move { core.add_app(&ctx, i).await }),
        Decl {
            name: "apps.get",
            method: Method::Get,
            path: "/api/v1/apps/{id}",
            doc: "One target app by id.",
            mcp: true,
        }
        .query(|core, _, i: AppIdInput| async move { core.get_app(i).await }),
        Decl {
            name: "apps.remove",
            method: Method::Delete,
            path: "/api/v1/apps/{id}",
            doc: "Forget a target app (its repository is left untouched).",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: AppIdInput| async move { core.remove_app(&ctx, i).await }),
        Decl {
            name: "apps.select",
            method: Method::Post,
            path: "/api/v1/apps/select",
            doc: "Make an app the active one (`id: null` detaches).",
            mcp: true,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: SelectAppInput| async move { core.select_app(&ctx, i).await }),
        Decl {
            name: "apps.rescan",
            method: Method::Post,
            path: "/api/v1/apps/{id}/rescan",
            doc: "Re-detect an app's languages, package managers and commands; long-running (202 + operation receipt).",
            mcp: true,
        }
        .mutation(OpKind::LongRunning, |core, ctx, i: AppIdInput| async move { core.rescan_app(&ctx, i).await }),
    ]
}
