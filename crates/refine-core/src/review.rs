//! review: reviewers comment on lines of a Round's candidate diff (or on the whole candidate),
//! edit them while they are drafts, and "request changes" sends them to the agent: the Goal
//! opens its next Round on top of the candidate (same worktree, branch and base), and its
//! implement step resumes the agent's session with every comment, its place and its code. On a
//! later candidate each comment says whether its lines changed; a reviewer resolves it.

use crate::events::kind;
use refine_model::agents::{FollowUp, RoundWork};
use refine_model::review::{
    self as rules, CommentSide, CommentState, CommentStatus, ReviewComment,
};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::ApiError;
use refine_store::agents as atable;
use refine_store::review as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cache::DiffKey;
use crate::changes::Diff;
use crate::work::GoalIdInput;
use crate::workflow::TransitionResult;
use crate::{clock, wire, Change, Core, Ctx, Mutated};

/// The most comments one Goal keeps.
const MAX_COMMENTS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCommentsInput {
    /// The Goal (`12`, `#12` or its id).
    pub goal_id: String,
    /// Only the comments made on this Round's candidate.
    #[serde(default)]
    pub round: Option<u32>,
}

/// A comment on the candidate of a Goal in review: on `path` lines `startLine..=endLine` of
/// `side` (every line shown in one hunk of the candidate diff), or with no `path` on the whole
/// candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddCommentInput {
    pub goal_id: String,
    /// A file of the candidate diff (its new path).
    #[serde(default)]
    pub path: Option<String>,
    /// Default `new` (the candidate's lines); `old` for lines the candidate removed.
    #[serde(default)]
    pub side: Option<CommentSide>,
    #[serde(default)]
    pub start_line: Option<u32>,
    /// Default: `startLine`.
    #[serde(default)]
    pub end_line: Option<u32>,
    /// 1–10,000 characters.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCommentInput {
    pub id: u32,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentIdInput {
    pub id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveCommentInput {
    pub id: u32,
    /// Default true; false reopens it.
    #[serde(default)]
    pub resolved: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestChangesInput {
    pub goal_id: String,
    /// Words for the agent besides the comments (required when there is no draft comment).
    #[serde(default)]
    pub message: Option<String>,
}

/// The candidate a comment goes on: the latest Round's, of a Goal in review.
struct Candidate {
    goal: Goal,
    round: u32,
    base: String,
    commit: String,
    root: PathBuf,
}

fn body(b: &str) -> Result<String, ApiError> {
    let b = b.trim();
    if b.is_empty() {
        return Err(ApiError::invalid("the comment is empty"));
    }
    wire::text("body", b, 10_000, true)?;
    Ok(b.to_string())
}

fn comment_event(c: &ReviewComment, summary: String, app_id: &str) -> Change {
    Change::new(summary)
        .app(Some(app_id.to_string()))
        .target(c.goal_id.clone())
        .event(kind::REVIEW_COMMENT, c)
}

impl Core {
    async fn candidate(&self, ctx: &Ctx, goal_ref: &str) -> Result<Candidate, ApiError> {
        let goal = self
            .goals_get(
                ctx,
                GoalIdInput {
                    id: goal_ref.to_string(),
                },
            )
            .await?;
        let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let work = self
            .read(move |c| atable::round_work(c, &id, round))
            .await?;
        if !work.candidates.is_empty() && work.picked.is_none() {
            return Err(crate::bestof::pick_first(&goal, work.candidates.len()));
        }
        let (Some(base), Some(commit)) = (work.base_commit, work.candidate_commit) else {
            return Err(ApiError::conflict(format!(
                "Goal #{} has no candidate to review yet (it is in {})",
                goal.number,
                goal.status.as_str()
            )));
        };
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        Ok(Candidate {
            goal,
            round,
            base,
            commit,
            root: PathBuf::from(app.path),
        })
    }

    /// A diff between two commits of an app, from the diff cache.
    async fn commits_diff(
        &self,
        root: PathBuf,
        from: String,
        to: String,
        paths: Vec<String>,
    ) -> Result<Arc<Diff>, ApiError> {
        self.blocking(move |core| {
            core.commit_diff(DiffKey {
                root,
                from,
                to,
                paths,
                context: 3,
            })
        })
        .await
    }

    /// `review.comments.list`
    pub async fn review_comments_list(
        &self,
        ctx: &Ctx,
        i: ListCommentsInput,
    ) -> Result<Vec<ReviewComment>, ApiError> {
        let goal = self.goals_get(ctx, GoalIdInput { id: i.goal_id }).await?;
        let round = i.round;
        let id = goal.id.clone();
        let mut comments = self.read(move |c| table::of_goal(c, &id, round)).await?;
        // Against the current candidate: what it did to each earlier comment's lines.
        let latest = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let work = self
            .read(move |c| atable::round_work(c, &id, latest))
            .await?;
        let (Some(base), Some(current)) = (work.base_commit, work.candidate_commit) else {
            return Ok(comments);
        };
        let root = PathBuf::from(
            self.apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?
            .path,
        );
        for c in comments.iter_mut() {
            let (Some(path), Some(side), Some(start), Some(end)) =
                (c.path.clone(), c.side, c.start_line, c.end_line)
            else {
                continue;
            };
            if c.commit == current {
                continue;
            }
            c.state = Some(match side {
                CommentSide::New => {
                    let d = self
                        .commits_diff(root.clone(), c.commit.clone(), current.clone(), vec![])
                        .await?;
                    match d
                        .files
                        .iter()
                        .find(|f| f.path == path || f.old_path.as_deref() == Some(path.as_str()))
                    {
                        None => CommentState::Untouched,
                        Some(f) if f.status == "deleted" || f.path != path => {
                            CommentState::Outdated
                        }
                        Some(f) => {
                            if rules::range_changed(&rules::parse_hunks(&f.patch), start, end) {
                                CommentState::Addressed
                            } else {
                                CommentState::Untouched
                            }
                        }
                    }
                }
                CommentSide::Old => {
                    let d = self
                        .commits_diff(root.clone(), base.clone(), current.clone(), vec![])
                        .await?;
                    match d.files.iter().find(|f| f.path == path) {
                        Some(f)
                            if rules::still_deleted(&rules::parse_hunks(&f.patch), start, end) =>
                        {
                            CommentState::Untouched
                        }
                        _ => CommentState::Addressed,
                    }
                }
            });
        }
        Ok(comments)
    }

    /// `review.comments.add`
    pub async fn review_comments_add(
        &self,
        ctx: &Ctx,
        i: AddCommentInput,
    ) -> Result<Mutated<ReviewComment>, ApiError> {
        let text = body(&i.body)?;
        let cand = self.candidate(ctx, &i.goal_id).await?;
        if cand.goal.status != WorkflowState::Review {
            return Err(ApiError::conflict(format!(
                "Goal #{} is in {}; comments go on the candidate of a Goal in review",
                cand.goal.number,
                cand.goal.status.as_str()
            )));
        }
        let mut located = (None, None, None, None, None);
        if let Some(path) = &i.path {
            if !refine_host::changes::valid_path(path) {
                return Err(ApiError::invalid(format!(
                    "{path:?} is not a path inside the app"
                )));
            }
            let side = i.side.unwrap_or(CommentSide::New);
            let d = self
                .commits_diff(
                    cand.root.clone(),
                    cand.base.clone(),
                    cand.commit.clone(),
                    vec![],
                )
                .await?;
            let Some(f) = d.files.iter().find(|f| &f.path == path) else {
                return Err(ApiError::invalid(format!(
                    "the candidate does not change {path}; comment on a file of its diff"
                )));
            };
            match (i.start_line, i.end_line) {
                (None, None) => {}
                (None, Some(_)) => return Err(ApiError::invalid("endLine needs a startLine")),
                (Some(start), end) => {
                    let end = end.unwrap_or(start);
                    if start == 0 || end < start {
                        return Err(ApiError::invalid(format!(
                            "the lines {start}-{end} are not a range (lines count from 1)"
                        )));
                    }
                    let at = match side {
                        CommentSide::New => cand.commit.clone(),
                        CommentSide::Old => cand.base.clone(),
                    };
                    let (root, p) = (cand.root.clone(), path.clone());
                    let lines = self
                        .blocking(move |_| {
                            refine_host::changes::line_count(&root, &at, &p)
                                .map_err(|e| ApiError::internal(e.to_string()))
                        })
                        .await?;
                    match lines {
                        None => {
                            return Err(ApiError::invalid(format!(
                                "{path} has no {} side (the candidate {} it)",
                                side.as_str(),
                                if side == CommentSide::New {
                                    "deletes"
                                } else {
                                    "adds"
                                }
                            )))
                        }
                        Some(n) if end > n => {
                            return Err(ApiError::invalid(format!(
                                "line {end} is past the end of {path} ({n} lines on the {} side)",
                                side.as_str()
                            )))
                        }
                        Some(_) => {}
                    }
                    let (hunk, quote) =
                        rules::locate(&rules::parse_hunks(&f.patch), side, start, end)
                            .map_err(|why| ApiError::invalid(format!("{path}: {why}")))?;
                    located = (Some(side), Some(start), Some(end), Some(hunk), Some(quote));
                }
            }
        } else if i.start_line.is_some() || i.end_line.is_some() || i.side.is_some() {
            return Err(ApiError::invalid(
                "lines and a side go with a path; leave all out to comment on the whole candidate",
            ));
        }
        let now = clock::now();
        let (side, start_line, end_line, hunk, quote) = located;
        let c = ReviewComment {
            id: 0,
            goal_id: cand.goal.id.clone(),
            round: cand.round,
            commit: cand.commit.clone(),
            author: ctx.actor.clone(),
            path: i.path.clone(),
            side,
            start_line,
            end_line,
            hunk,
            quote,
            body: text,
            status: CommentStatus::Draft,
            sent_round: None,
            state: None,
            created_at: now.clone(),
            updated_at: now,
            resolved_at: None,
            resolved_by: None,
        };
        let (app_id, number, commit, round) = (
            cand.goal.app_id.clone(),
            cand.goal.number,
            cand.commit.clone(),
            cand.round,
        );
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            // Still the candidate it was checked against: the Goal did not move meanwhile.
            let g = crate::work::find_goal(tx, Some(&app_id), &c.goal_id)?;
            let latest = g.rounds.iter().map(|r| r.number).max().unwrap_or(1);
            let w = atable::round_work(tx, &g.id, latest)?;
            if g.status != WorkflowState::Review
                || latest != round
                || w.candidate_commit.as_deref() != Some(commit.as_str())
            {
                return Err(ApiError::conflict(format!(
                    "Goal #{number} changed meanwhile; look at its candidate again"
                )));
            }
            let open = table::of_goal(tx, &g.id, None)?
                .into_iter()
                .filter(|c| c.status != CommentStatus::Resolved)
                .count();
            if open >= MAX_COMMENTS {
                return Err(ApiError::conflict(format!(
                    "Goal #{number} has {MAX_COMMENTS} open comments; resolve or delete some first"
                )));
            }
            let c = table::insert(tx, &c)?;
            let summary = format!("Commented on #{number} {} (Round {round})", c.location());
            let change = comment_event(&c, summary, &app_id);
            Ok((c, change))
        })
        .await
    }

    /// One comment, changed inside a write: `f` checks and edits it.
    async fn change_comment(
        &self,
        ctx: &Ctx,
        input: &impl Serialize,
        id: u32,
        verb: &'static str,
        f: impl FnOnce(&mut ReviewComment, &str) -> Result<(), ApiError> + Send + 'static,
    ) -> Result<Mutated<ReviewComment>, ApiError> {
        let actor = ctx.actor.clone();
        self.mutate(ctx, input, async { Ok(()) }, move |tx, ()| {
            let mut c = table::get(tx, id)?
                .ok_or_else(|| ApiError::not_found(format!("no review comment {id}")))?;
            let g = refine_store::goals::get(tx, &c.goal_id)?
                .ok_or_else(|| ApiError::not_found(format!("no review comment {id}")))?;
            f(&mut c, &actor)?;
            c.updated_at = clock::now();
            if verb == "deleted" {
                table::delete(tx, id)?;
            } else {
                table::update(tx, &c)?;
            }
            let summary = format!(
                "{} comment {id} on #{} {}",
                match verb {
                    "edited" => "Edited",
                    "deleted" => "Deleted",
                    "resolved" => "Resolved",
                    _ => "Reopened",
                },
                g.number,
                c.location()
            );
            let change = comment_event(&c, summary, &g.app_id);
            Ok((c, change))
        })
        .await
    }

    /// `review.comments.update`
    pub async fn review_comments_update(
        &self,
        ctx: &Ctx,
        i: UpdateCommentInput,
    ) -> Result<Mutated<ReviewComment>, ApiError> {
        let text = body(&i.body)?;
        self.change_comment(ctx, &i, i.id, "edited", move |c, _| {
            if c.status != CommentStatus::Draft {
                return Err(ApiError::conflict(format!(
                    "comment {} was sent to the agent; it can no longer be edited",
                    c.id
                )));
            }
            c.body = text;
            Ok(())
        })
        .await
    }

    /// `review.comments.delete`
    pub async fn review_comments_delete(
        &self,
        ctx: &Ctx,
        i: CommentIdInput,
    ) -> Result<Mutated<ReviewComment>, ApiError> {
        self.change_comment(ctx, &i, i.id, "deleted", |c, _| {
            if c.status != CommentStatus::Draft {
                return Err(ApiError::conflict(format!(
                    "comment {} was sent to the agent; resolve it instead",
                    c.id
                )));
            }
            Ok(())
        })
        .await
    }

    /// `review.comments.resolve`
    pub async fn review_comments_resolve(
        &self,
        ctx: &Ctx,
        i: ResolveCommentInput,
    ) -> Result<Mutated<ReviewComment>, ApiError> {
        let resolve = i.resolved.unwrap_or(true);
        let verb = if resolve { "resolved" } else { "reopened" };
        self.change_comment(ctx, &i, i.id, verb, move |c, actor| {
            match (c.status, resolve) {
                (CommentStatus::Draft, _) => Err(ApiError::conflict(format!(
                    "comment {} is a draft: send it with request changes, or delete it",
                    c.id
                ))),
                (CommentStatus::Resolved, true) => Err(ApiError::conflict(format!(
                    "comment {} is already resolved",
                    c.id
                ))),
                (CommentStatus::Sent, false) => Err(ApiError::conflict(format!(
                    "comment {} is not resolved",
                    c.id
                ))),
                (_, true) => {
                    c.status = CommentStatus::Resolved;
                    c.resolved_at = Some(clock::now());
                    c.resolved_by = Some(actor.to_string());
                    Ok(())
                }
                (_, false) => {
                    c.status = CommentStatus::Sent;
                    c.resolved_at = None;
                    c.resolved_by = None;
                    Ok(())
                }
            }
        })
        .await
    }

    /// `review.request_changes`: the draft comments (and a message) go to the agent in a new
    /// Round that continues the candidate's worktree, branch and session.
    pub async fn review_request_changes(
        &self,
        ctx: &Ctx,
        i: RequestChangesInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        let message = i
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        if let Some(m) = &message {
            wire::text("message", m, 20_000, true)?;
        }
        let cand = self.candidate(ctx, &i.goal_id).await?;
        self.require_clean_checkout(&cand.goal, cand.round).await?;
        let _decision = self.0.review_lock.lock().await;
        let actor = ctx.actor.clone();
        let (round, commit) = (cand.round, cand.commit.clone());
        let number = cand.goal.number;
        let hook: crate::workflow::RoundHook = Box::new(move |tx, g: &Goal, next| {
            let drafts: Vec<ReviewComment> = table::of_goal(tx, &g.id, Some(round))?
                .into_iter()
                .filter(|c| c.status == CommentStatus::Draft)
                .collect();
            if drafts.is_empty() && message.is_none() {
                return Err(ApiError::invalid(format!(
                    "Goal #{number} has no draft comment to send; comment on its candidate or give a message"
                )));
            }
            let prev = atable::round_work(tx, &g.id, round)?;
            if prev.candidate_commit.as_deref() != Some(commit.as_str()) {
                return Err(ApiError::conflict(format!(
                    "Goal #{number} changed meanwhile; look at its candidate again"
                )));
            }
            let request = rules::request_text(&actor, &commit, &drafts, message.as_deref());
            let at = clock::now();
            for mut c in drafts {
                c.status = CommentStatus::Sent;
                c.sent_round = Some(next);
                c.updated_at = at.clone();
                table::update(tx, &c)?;
            }
            let work = RoundWork {
                base_commit: prev.base_commit.clone(),
                branch: prev.branch.clone(),
                worktree: prev.worktree.clone(),
                guidance: prev.guidance.clone(),
                profile: prev.profile.clone(),
                in_checkout: prev.in_checkout,
                continues_round: Some(round),
                follow_ups: vec![FollowUp {
                    at,
                    actor: actor.clone(),
                    message: format!(
                        "{request}\nAddress every comment in this worktree; Refine commits what you leave."
                    ),
                    run_id: None,
                    resumed: false,
                    previous_candidate: Some(commit.clone()),
                }],
                ..RoundWork::default()
            };
            Ok((request, Some(work)))
        });
        let reason = format!("changes requested by {}", ctx.actor);
        self.transition_expecting(
            ctx,
            &i,
            cand.goal.id.clone(),
            Action::RequestChanges,
            Some(reason),
            Some((WorkflowState::Review, cand.round)),
            Some(hook),
        )
        .await
    }
}
