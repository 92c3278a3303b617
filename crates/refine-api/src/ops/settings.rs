use refine_core::settings::{SettingsGetInput, SettingsUpdateInput};

use crate::registry::{Decl, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        Decl {
            name: "settings.get",
            method: Method::Get,
            path: "/api/v1/settings",
            doc: "Effective settings (defaults < global < app), the stored layers with revisions, and the JSON Schema.",
            mcp: true,
        }
        .query(|core, ctx, i: SettingsGetInput| async move { core.get_settings(&ctx, i).await }),
        Decl {
            name: "settings.update",
            method: Method::Patch,
            path: "/api/v1/settings",
            doc: "Merge-patch one layer (global or app), fenced by the revision read; a stale revision is a 409.",
            mcp: false,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: SettingsUpdateInput| async move {
            core.update_settings(&ctx, i).await
        }),
    ]
}
