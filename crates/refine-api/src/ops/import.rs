//! Imports from Markdown, CSV, GitHub, Jira and Refine exports.

use refine_core::import::{ImportInput, ImportPreview};
use refine_model::OperationReceipt;

use crate::registry::{Method::*, Op, OpDef};

/// Imports carry whole exports of other trackers.
const IMPORT_BODY: usize = refine_core::import::MAX_CONTENT + 64 * 1024;

pub const PREVIEW: Op<ImportInput, ImportPreview> = Op::query(
    "import.preview",
    Post,
    "/api/v1/import/preview",
    "Parse Markdown, CSV (+mapping), GitHub issue JSON, Jira CSV or a Refine export into draft Goals and per-row errors; stores nothing.",
    true,
)
.max_body(IMPORT_BODY);

pub const COMMIT: Op<ImportInput, OperationReceipt> = Op::long_running(
    "import.commit",
    Post,
    "/api/v1/import",
    "Import for real: long-running with progress; re-importing updates Goals by external reference instead of duplicating.",
    true,
)
.max_body(IMPORT_BODY);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        PREVIEW.handle(|core, ctx, i| async move { core.import_preview(&ctx, i).await }),
        COMMIT.handle(|core, ctx, i| async move { core.import_commit(&ctx, i).await }),
    ]
}
