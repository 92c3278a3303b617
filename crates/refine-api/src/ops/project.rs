//! The project's overview.

use refine_core::project::{ProjectInput, ProjectOverview};

use crate::registry::{Method::*, Op, OpDef};

pub const OVERVIEW: Op<ProjectInput, ProjectOverview> = Op::query(
    "project.overview",
    Get,
    "/api/v1/project/overview",
    "The active (or named) app: root, current branch, HEAD commit, changed files, counts of Refine objects.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![OVERVIEW.handle(|core, ctx, i| async move { core.project_overview(&ctx, i).await })]
}
