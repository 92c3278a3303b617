use refine_core::changes::{
    ChangesInput, ChurnInput, CommitInput, DiffInput, LogInput, PathsInput, RevertInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("changes.status", Get, "/api/v1/changes/status", "Git status of the app: branch, HEAD, staged, unstaged and untracked files.", true)
            .query(|core, ctx, i: ChangesInput| async move { core.changes_status(&ctx, i).await }),
        d("changes.diff", Get, "/api/v1/changes/diff", "Unified diff with stats and rename detection: working tree (all, staged, unstaged) or between two revisions.", true)
            .query(|core, ctx, i: DiffInput| async move { core.changes_diff(&ctx, i).await }),
        d("changes.log", Get, "/api/v1/changes/log", "Commit log filtered by ref, path, author, message words and time.", true)
            .query(|core, ctx, i: LogInput| async move { core.changes_log(&ctx, i).await }),
        d("changes.refs", Get, "/api/v1/changes/refs", "Branches (local and remote) and worktrees.", true)
            .query(|core, ctx, i: ChangesInput| async move { core.changes_refs(&ctx, i).await }),
        d("changes.churn", Get, "/api/v1/changes/churn", "Lines added and removed per day, and the most-changed files.", true)
            .query(|core, ctx, i: ChurnInput| async move { core.changes_churn(&ctx, i).await }),
        d("changes.stage", Post, "/api/v1/changes/stage", "Stage paths.", false)
            .mutation(m, |core, ctx, i: PathsInput| async move { core.changes_stage(&ctx, i).await }),
        d("changes.unstage", Post, "/api/v1/changes/unstage", "Unstage paths.", false)
            .mutation(m, |core, ctx, i: PathsInput| async move { core.changes_unstage(&ctx, i).await }),
        d("changes.commit", Post, "/api/v1/changes/commit", "Commit what is staged (or every tracked change with all).", false)
            .mutation(m, |core, ctx, i: CommitInput| async move { core.changes_commit(&ctx, i).await }),
        d("changes.revert", Post, "/api/v1/changes/revert", "Revert a commit with a new commit; a conflicting revert changes nothing (409).", false)
            .mutation(m, |core, ctx, i: RevertInput| async move { core.changes_revert(&ctx, i).await }),
    ]
}
