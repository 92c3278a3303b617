//! Review: comments on a Round's candidate, and "request changes" that sends them to the agent.

use refine_core::bestof::{CandidatesRemoved, PickInput, Picked};
use refine_core::review::{
    AddCommentInput, CommentIdInput, ListCommentsInput, RequestChangesInput, ResolveCommentInput,
    UpdateCommentInput,
};
use refine_core::work::GoalIdInput;
use refine_core::workflow::TransitionResult;
use refine_model::review::ReviewComment;

use crate::registry::{Method::*, Op, OpDef};

pub const COMMENTS_LIST: Op<ListCommentsInput, Vec<ReviewComment>> = Op::query(
    "review.comments.list",
    Get,
    "/api/v1/review/comments",
    "A Goal's review comments, oldest first: drafts, sent and resolved, each with its file, side, lines, hunk and quoted code, and (for a comment on an earlier candidate) whether the current candidate addressed, left untouched or outdated its lines.",
    true,
);

pub const COMMENTS_ADD: Op<AddCommentInput, ReviewComment> = Op::mutation(
    "review.comments.add",
    Post,
    "/api/v1/review/comments",
    "Comment on the candidate of a Goal in review: on lines of one file of its diff (every line shown in one hunk; side `new` or `old`), on a file, or on the whole candidate. It stays a draft, editable, until request changes sends it.",
    true,
);

pub const COMMENTS_UPDATE: Op<UpdateCommentInput, ReviewComment> = Op::mutation(
    "review.comments.update",
    Patch,
    "/api/v1/review/comments/{id}",
    "Edit a draft comment's text.",
    true,
);

pub const COMMENTS_DELETE: Op<CommentIdInput, ReviewComment> = Op::mutation(
    "review.comments.delete",
    Delete,
    "/api/v1/review/comments/{id}",
    "Delete a draft comment.",
    true,
);

pub const COMMENTS_RESOLVE: Op<ResolveCommentInput, ReviewComment> = Op::mutation(
    "review.comments.resolve",
    Post,
    "/api/v1/review/comments/{id}/resolve",
    "Resolve a sent comment (or reopen it with `resolved: false`).",
    true,
);

pub const REQUEST_CHANGES: Op<RequestChangesInput, TransitionResult> = Op::mutation(
    "review.request_changes",
    Post,
    "/api/v1/review/request-changes",
    "Send the draft comments (and an optional message) of a Goal in review to its agent: the Goal opens its next Round on top of the candidate (same worktree and branch), whose request lists every comment with file:line and the quoted code, and the implement step resumes the agent's session with it.",
    true,
);

pub const PICK: Op<PickInput, Picked> = Op::mutation(
    "review.pick",
    Post,
    "/api/v1/review/pick",
    "Best-of-N: pick one candidate (that passed) of a Goal in review. Its branch, commit, checks, verdict and prepared merge become the Round's, so approve integrates it as any candidate; the others stay as evidence until `review.cleanup_candidates`. Picking again is allowed until the picked one has comments.",
    true,
);

pub const CLEANUP_CANDIDATES: Op<GoalIdInput, CandidatesRemoved> = Op::mutation(
    "review.cleanup_candidates",
    Post,
    "/api/v1/review/cleanup-candidates",
    "Best-of-N: remove the worktrees and branches of a Goal's unpicked candidates (after a pick, or once the Goal is done, failed or cancelled). Their records stay with the Round.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        COMMENTS_LIST
            .handle(|core, ctx, i| async move { core.review_comments_list(&ctx, i).await }),
        COMMENTS_ADD.handle(|core, ctx, i| async move { core.review_comments_add(&ctx, i).await }),
        COMMENTS_UPDATE
            .handle(|core, ctx, i| async move { core.review_comments_update(&ctx, i).await }),
        COMMENTS_DELETE
            .handle(|core, ctx, i| async move { core.review_comments_delete(&ctx, i).await }),
        COMMENTS_RESOLVE
            .handle(|core, ctx, i| async move { core.review_comments_resolve(&ctx, i).await }),
        REQUEST_CHANGES
            .handle(|core, ctx, i| async move { core.review_request_changes(&ctx, i).await }),
        PICK.handle(|core, ctx, i| async move { core.review_pick(&ctx, i).await }),
        CLEANUP_CANDIDATES
            .handle(|core, ctx, i| async move { core.review_cleanup_candidates(&ctx, i).await }),
    ]
}
