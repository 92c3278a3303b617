//! Target apps.

use refine_core::apps::{AddAppInput, AppIdInput, SelectAppInput, Selection};
use refine_core::system::Empty;
use refine_model::{App, OperationReceipt};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<Empty, Vec<App>> = Op::query(
    "apps.list",
    Get,
    "/api/v1/apps",
    "Registered target apps, with their detected shape; `active` marks the selected one.",
    true,
);

pub const ADD: Op<AddAppInput, App> = Op::mutation(
    "apps.add",
    Post,
    "/api/v1/apps",
    "Register an existing Git work tree (absolute path) as a target app and detect its shape.",
    true,
);

pub const GET: Op<AppIdInput, App> = Op::query(
    "apps.get",
    Get,
    "/api/v1/apps/{id}",
    "One target app by id.",
    true,
);

pub const DELETE: Op<AppIdInput, App> = Op::mutation(
    "apps.delete",
    Delete,
    "/api/v1/apps/{id}",
    "Forget a target app (its repository is left untouched).",
    false,
);

pub const SELECT: Op<SelectAppInput, Selection> = Op::mutation(
    "apps.select",
    Post,
    "/api/v1/apps/select",
    "Make an app the active one (`id: null` detaches).",
    true,
);

pub const RESCAN: Op<AppIdInput, OperationReceipt> = Op::long_running(
    "apps.rescan",
    Post,
    "/api/v1/apps/{id}/rescan",
    "Re-detect an app's languages, package managers and commands; long-running (202 + operation receipt).",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _, _| async move { core.apps_list().await }),
        ADD.handle(|core, ctx, i| async move { core.apps_add(&ctx, i).await }),
        GET.handle(|core, _, i| async move { core.apps_get(i).await }),
        DELETE.handle(|core, ctx, i| async move { core.apps_delete(&ctx, i).await }),
        SELECT.handle(|core, ctx, i| async move { core.apps_select(&ctx, i).await }),
        RESCAN.handle(|core, ctx, i| async move { core.apps_rescan(&ctx, i).await }),
    ]
}
