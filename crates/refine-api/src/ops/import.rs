use refine_core::import::ImportInput;

use crate::registry::{Decl, Method, OpDef, OpKind};

/// Imports carry whole exports of other trackers.
const IMPORT_BODY: usize = refine_core::import::MAX_CONTENT + 64 * 1024;

pub(crate) fn ops() -> Vec<OpDef> {
    let mut v = vec![
        Decl {
            name: "import.preview",
            method: Method::Post,
            path: "/api/v1/import/preview",
            doc: "Parse Markdown, CSV (+mapping), GitHub issue JSON, Jira CSV or a Refine export into draft Goals and per-row errors; stores nothing.",
            mcp: true,
        }
        .query(|core, ctx, i: ImportInput| async move { core.import_preview(&ctx, i).await }),
        Decl {
            name: "import.commit",
            method: Method::Post,
            path: "/api/v1/import",
            doc: "Import for real: long-running with progress; re-importing updates Goals by external reference instead of duplicating.",
            mcp: true,
        }
        .mutation(OpKind::LongRunning, |core, ctx, i: ImportInput| async move { core.import_commit(&ctx, i).await }),
    ];
    for op in &mut v {
        op.max_body = Some(IMPORT_BODY);
    }
    v
}
