//! Settings.

use refine_core::settings::{SettingsGetInput, SettingsUpdateInput, SettingsView};

use crate::registry::{Method::*, Op, OpDef};

pub const GET: Op<SettingsGetInput, SettingsView> = Op::query(
    "settings.get",
    Get,
    "/api/v1/settings",
    "Effective settings (defaults < global < app), the stored layers with revisions, and the JSON Schema.",
    true,
);

pub const UPDATE: Op<SettingsUpdateInput, SettingsView> = Op::mutation(
    "settings.update",
    Patch,
    "/api/v1/settings",
    "Merge-patch one layer (global or app), fenced by the revision read; a stale revision is a 409.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        GET.handle(|core, ctx, i| async move { core.settings_get(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.settings_update(&ctx, i).await }),
    ]
}
