//! The app's Git changes.

use refine_core::changes::{
    ChangesInput, ChangesStatus, Churn, ChurnInput, Commit, CommitInput, Diff, DiffInput, LogInput,
    LogPage, PathsInput, Refs, RevertInput,
};

use crate::registry::{Method::*, Op, OpDef};

pub const STATUS: Op<ChangesInput, ChangesStatus> = Op::query(
    "changes.status",
    Get,
    "/api/v1/changes/status",
    "Git status of the app: branch, HEAD, staged, unstaged and untracked files.",
    true,
);

pub const DIFF: Op<DiffInput, Diff> = Op::query(
    "changes.diff",
    Get,
    "/api/v1/changes/diff",
    "Unified diff with stats and rename detection: working tree (all, staged, unstaged) or between two revisions.",
    true,
);

pub const LOG: Op<LogInput, LogPage> = Op::query(
    "changes.log",
    Get,
    "/api/v1/changes/log",
    "Commit log filtered by ref, path, author, message words and time.",
    true,
);

pub const REFS: Op<ChangesInput, Refs> = Op::query(
    "changes.refs",
    Get,
    "/api/v1/changes/refs",
    "Branches (local and remote) and worktrees.",
    true,
);

pub const CHURN: Op<ChurnInput, Churn> = Op::query(
    "changes.churn",
    Get,
    "/api/v1/changes/churn",
    "Lines added and removed per day, and the most-changed files.",
    true,
);

pub const STAGE: Op<PathsInput, ChangesStatus> = Op::mutation(
    "changes.stage",
    Post,
    "/api/v1/changes/stage",
    "Stage paths.",
    false,
);

pub const UNSTAGE: Op<PathsInput, ChangesStatus> = Op::mutation(
    "changes.unstage",
    Post,
    "/api/v1/changes/unstage",
    "Unstage paths.",
    false,
);

pub const COMMIT: Op<CommitInput, Commit> = Op::mutation(
    "changes.commit",
    Post,
    "/api/v1/changes/commit",
    "Commit what is staged (or every tracked change with all).",
    false,
);

pub const REVERT: Op<RevertInput, Commit> = Op::mutation(
    "changes.revert",
    Post,
    "/api/v1/changes/revert",
    "Revert a commit with a new commit; a conflicting revert changes nothing (409).",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        STATUS.handle(|core, ctx, i| async move { core.changes_status(&ctx, i).await }),
        DIFF.handle(|core, ctx, i| async move { core.changes_diff(&ctx, i).await }),
        LOG.handle(|core, ctx, i| async move { core.changes_log(&ctx, i).await }),
        REFS.handle(|core, ctx, i| async move { core.changes_refs(&ctx, i).await }),
        CHURN.handle(|core, ctx, i| async move { core.changes_churn(&ctx, i).await }),
        STAGE.handle(|core, ctx, i| async move { core.changes_stage(&ctx, i).await }),
        UNSTAGE.handle(|core, ctx, i| async move { core.changes_unstage(&ctx, i).await }),
        COMMIT.handle(|core, ctx, i| async move { core.changes_commit(&ctx, i).await }),
        REVERT.handle(|core, ctx, i| async move { core.changes_revert(&ctx, i).await }),
    ]
}
