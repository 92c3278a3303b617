//! Best-of-N in review: a person picks one of a Round's candidates (its branch, commit, checks,
//! verdict and prepared merge become the Round's, so approve, comments, previews and publish work
//! on it as on any candidate), and the others — kept as evidence, their branches listed — are
//! removed by a cleanup when no longer wanted.

use crate::events::kind;
use refine_model::agents::{CandidateStatus, RoundWork};
use refine_model::event::RoundChanged;
use refine_model::work::Goal;
use refine_model::workflow::WorkflowState;
use refine_model::ApiError;
use refine_store::agents as atable;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::path::PathBuf;

use crate::work::GoalIdInput;
use crate::{clock, Change, Core, Ctx, Mutated};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PickInput {
    /// The Goal (`12`, `#12` or its id), in review.
    pub goal_id: String,
    /// The candidate (1-based) of its latest Round.
    pub candidate: u32,
}

/// The candidate picked, now the Round's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Picked {
    pub goal_id: String,
    pub round: u32,
    pub candidate: u32,
    pub branch: String,
    pub commit: String,
}

/// What a cleanup removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandidatesRemoved {
    pub goal_id: String,
    /// `round.candidate` of each removed candidate (`1.2`).
    pub removed: Vec<String>,
    /// Their branches, deleted.
    pub branches: Vec<String>,
}

/// The refusal of anything that needs one candidate while a Round still has several.
pub(crate) fn pick_first(goal: &Goal, count: usize) -> ApiError {
    ApiError::conflict(format!(
        "Goal #{} has {count} candidates side by side: pick one first (review.pick, `refine review pick {} <candidate>`)",
        goal.number, goal.number
    ))
}

fn round_event(goal: &Goal, round: u32, work: &RoundWork, summary: String) -> Change {
    Change::new(summary)
        .app(Some(goal.app_id.clone()))
        .target(goal.id.clone())
        .event(
            kind::RUNNER_ROUND,
            &RoundChanged {
                goal_id: goal.id.clone(),
                round,
                work: work.clone(),
            },
        )
}

impl Core {
    /// Refuse with [`pick_first`] while the Round's candidates wait for a pick.
    pub(crate) async fn require_picked(&self, goal: &Goal, round: u32) -> Result<(), ApiError> {
        let id = goal.id.clone();
        let w = self
            .read(move |c| atable::round_work(c, &id, round))
            .await?;
        if !w.candidates.is_empty() && w.picked.is_none() {
            return Err(pick_first(goal, w.candidates.len()));
        }
        Ok(())
    }

    /// In "no worktree" mode, a follow-up must not sweep a person's uncommitted edits of the
    /// app's checkout into the candidate: refused while it has any.
    pub(crate) async fn require_clean_checkout(
        &self,
        goal: &Goal,
        round: u32,
    ) -> Result<(), ApiError> {
        let id = goal.id.clone();
        let w = self
            .read(move |c| atable::round_work(c, &id, round))
            .await?;
        let Some(dir) = w.worktree.filter(|_| w.in_checkout).map(PathBuf::from) else {
            return Ok(());
        };
        let n = self
            .blocking(move |_| {
                refine_host::worktree::uncommitted(&dir)
                    .map_err(|e| ApiError::internal(e.to_string()))
            })
            .await?;
        if n > 0 {
            return Err(ApiError::conflict(format!(
                "the app's checkout has {n} uncommitted change(s) that would go into Goal #{}'s candidate; commit or stash them first",
                goal.number
            )));
        }
        Ok(())
    }

    /// `review.pick`: make candidate `k` of the latest Round the Round's candidate.
    pub async fn review_pick(&self, ctx: &Ctx, i: PickInput) -> Result<Mutated<Picked>, ApiError> {
        let goal = self
            .goals_get(
                ctx,
                GoalIdInput {
                    id: i.goal_id.clone(),
                },
            )
            .await?;
        let _decision = self.0.review_lock.lock().await;
        let k = i.candidate;
        let input = i.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let g = refine_store::goals::get(tx, &goal.id)?
                .ok_or_else(|| ApiError::not_found(format!("no Goal {}", goal.id)))?;
            let round = g.rounds.iter().map(|r| r.number).max().unwrap_or(1);
            if g.status != WorkflowState::Review {
                return Err(ApiError::conflict(format!(
                    "Goal #{} is in {}; a candidate is picked in review",
                    g.number,
                    g.status.as_str()
                )));
            }
            let mut w = atable::round_work(tx, &g.id, round)?;
            if w.candidates.is_empty() {
                return Err(ApiError::conflict(format!(
                    "Round {round} of Goal #{} has one candidate; approve or decline it",
                    g.number
                )));
            }
            let count = w.candidates.len();
            let Some(c) = w.candidates.iter().find(|c| c.index == k).cloned() else {
                return Err(ApiError::invalid(format!(
                    "Round {round} of Goal #{} has candidates 1–{count}; there is no candidate {k}",
                    g.number
                )));
            };
            if c.status != CandidateStatus::Passed || c.removed_at.is_some() {
                return Err(ApiError::conflict(format!(
                    "candidate {k} of Goal #{} did not pass ({}); pick one that did",
                    g.number,
                    c.failure.as_deref().unwrap_or("removed")
                )));
            }
            let commit = c.commit.clone().unwrap_or_default();
            let picked = |w: &RoundWork| Picked {
                goal_id: g.id.clone(),
                round,
                candidate: k,
                branch: c.branch.clone(),
                commit: w.candidate_commit.clone().unwrap_or_default(),
            };
            if w.picked == Some(k) {
                // Picked already: nothing changes (a follow-up may have moved its commit on).
                let change = round_event(&g, round, &w, format!("Candidate {k} of Goal #{} stays picked", g.number));
                return Ok((picked(&w), change));
            }
            if let Some(p) = w.picked {
                let commented = refine_store::review::of_goal(tx, &g.id, Some(round))?;
                let first = w.candidates.iter().find(|x| x.index == p).and_then(|x| x.commit.clone());
                if !commented.is_empty() || first != w.candidate_commit {
                    return Err(ApiError::conflict(format!(
                        "candidate {p} of Goal #{} has review comments or follow-ups; it stays picked",
                        g.number
                    )));
                }
            }
            w.picked = Some(k);
            w.branch = Some(c.branch.clone());
            w.worktree = Some(c.worktree.clone());
            w.candidate_commit = c.commit.clone();
            w.quality = c.quality.clone();
            w.governance = c.governance.clone();
            w.integration = c.integration.clone();
            w.profile = Some(c.profile.clone());
            atable::set_round_work(tx, &g.id, round, &w)?;
            let change = round_event(
                &g,
                round,
                &w,
                format!(
                    "Picked candidate {k} of {count} for Goal #{} (round {round})",
                    g.number
                ),
            );
            let _ = commit;
            Ok((picked(&w), change))
        })
        .await
    }

    /// `review.cleanup_candidates`: remove the worktrees and branches of the candidates nobody
    /// picked (once the Goal's Round is decided); their records stay with the Round.
    pub async fn review_cleanup_candidates(
        &self,
        ctx: &Ctx,
        i: GoalIdInput,
    ) -> Result<Mutated<CandidatesRemoved>, ApiError> {
        let goal = self.goals_get(ctx, i.clone()).await?;
        // Not while a pick (or a decision) is being made: what is removed is decided once.
        let _decision = self.0.review_lock.lock().await;
        let latest = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let works = self.read(move |c| atable::works_of_goal(c, &id)).await?;
        let deciding = |round: u32, w: &RoundWork| {
            round == latest
                && w.picked.is_none()
                && !matches!(
                    goal.status,
                    WorkflowState::Done | WorkflowState::Cancelled | WorkflowState::Failed
                )
        };
        if works
            .iter()
            .any(|(r, w)| !w.candidates.is_empty() && deciding(*r, w))
        {
            return Err(ApiError::conflict(format!(
                "Goal #{} has not picked a candidate yet; pick one (or cancel the Goal) first",
                goal.number
            )));
        }
        let doomed: Vec<(u32, u32, String, String)> = works
            .iter()
            .flat_map(|(r, w)| {
                w.candidates
                    .iter()
                    .filter(|c| w.picked != Some(c.index) && c.removed_at.is_none())
                    .map(|c| (*r, c.index, c.branch.clone(), c.worktree.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        if doomed.is_empty() {
            return Err(ApiError::conflict(format!(
                "Goal #{} has no unpicked candidate left to remove",
                goal.number
            )));
        }
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let repo = PathBuf::from(&app.path);
        let gone = doomed.clone();
        let prepare = self.blocking(move |_| {
            for (_, _, branch, worktree) in &gone {
                let path = PathBuf::from(worktree);
                if path.exists() && !crate::runner::same_dir(&path, &repo) {
                    refine_host::worktree::remove_worktree(&repo, &path).map_err(|e| {
                        ApiError::internal(format!("could not remove {worktree}: {e}"))
                    })?;
                }
                refine_host::worktree::delete_branch(&repo, branch).map_err(|e| {
                    ApiError::internal(format!("could not delete branch {branch}: {e}"))
                })?;
            }
            Ok(())
        });
        let g = goal.clone();
        self.mutate(ctx, &i, prepare, move |tx, ()| {
            let at = clock::now();
            let mut change: Option<Change> = None;
            for round in doomed
                .iter()
                .map(|d| d.0)
                .collect::<std::collections::BTreeSet<_>>()
            {
                let mut w = atable::round_work(tx, &g.id, round)?;
                for c in w.candidates.iter_mut() {
                    if doomed.iter().any(|d| d.0 == round && d.1 == c.index) {
                        c.removed_at = Some(at.clone());
                    }
                }
                atable::set_round_work(tx, &g.id, round, &w)?;
                change = Some(round_event(
                    &g,
                    round,
                    &w,
                    format!(
                        "Removed {} unpicked candidate(s) of Goal #{}",
                        doomed.len(),
                        g.number
                    ),
                ));
            }
            let out = CandidatesRemoved {
                goal_id: g.id.clone(),
                removed: doomed.iter().map(|d| format!("{}.{}", d.0, d.1)).collect(),
                branches: doomed.iter().map(|d| d.2.clone()).collect(),
            };
            let change = change.ok_or_else(|| ApiError::internal("no candidate to remove"))?;
            Ok((out, change))
        })
        .await
    }
}
