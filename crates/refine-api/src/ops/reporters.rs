//! Reporters: people, agents and systems that report work.

use refine_core::reporters::{
    CreateReporterInput, ListReportersInput, MergeReportersInput, MergeResult, RenameReporterInput,
    ReporterIdInput,
};
use refine_model::work::Reporter;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListReportersInput, Vec<Reporter>> = Op::query(
    "reporters.list",
    Get,
    "/api/v1/reporters",
    "Reporters (people, agents, systems) with their open todo counts.",
    true,
);

pub const CREATE: Op<CreateReporterInput, Reporter> = Op::mutation(
    "reporters.create",
    Post,
    "/api/v1/reporters",
    "Add a reporter (names are unique).",
    true,
);

pub const RENAME: Op<RenameReporterInput, Reporter> = Op::mutation(
    "reporters.rename",
    Post,
    "/api/v1/reporters/{id}/rename",
    "Rename a reporter.",
    false,
);

pub const MERGE: Op<MergeReportersInput, MergeResult> = Op::mutation(
    "reporters.merge",
    Post,
    "/api/v1/reporters/merge",
    "Merge one reporter into another: Goals and todos move in one transaction.",
    false,
);

pub const DELETE: Op<ReporterIdInput, Reporter> = Op::mutation(
    "reporters.delete",
    Delete,
    "/api/v1/reporters/{id}",
    "Remove a reporter (history keeps the name).",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _, i| async move { core.reporters_list(i).await }),
        CREATE.handle(|core, ctx, i| async move { core.reporters_create(&ctx, i).await }),
        RENAME.handle(|core, ctx, i| async move { core.reporters_rename(&ctx, i).await }),
        MERGE.handle(|core, ctx, i| async move { core.reporters_merge(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.reporters_delete(&ctx, i).await }),
    ]
}
