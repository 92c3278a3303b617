use refine_core::project::ProjectInput;

use crate::registry::{Decl, Method, OpDef};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![Decl {
        name: "project.overview",
        method: Method::Get,
        path: "/api/v1/project/overview",
        doc: "The active (or named) app: root, current branch, HEAD commit, changed files, counts of Refine objects.",
        mcp: true,
    }
    .query(|core, ctx, i: ProjectInput| async move { core.project_overview(&ctx, i).await })]
}
