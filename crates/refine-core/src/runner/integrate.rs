//! Integration on approval: the target branch moves to the prepared merge (recomputed when the
//! branch moved meanwhile); a conflict or a dirty checkout refuses the approval.

use crate::{clock, Core};
use refine_host::worktree as wt;
use refine_model::work::Goal;
use refine_model::ApiError;
use refine_store::agents as table;
use serde_json::json;
use std::path::PathBuf;

impl Core {
    /// On approval: move the target branch to the prepared merge (recomputed if the branch
    /// moved meanwhile). Conflicts or a dirty checkout refuse the approval with 409.
    pub(crate) async fn integrate_on_approve(&self, goal: &Goal) -> Result<(), ApiError> {
        let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let work = self.read(move |c| table::round_work(c, &id, round)).await?;
        if !work.candidates.is_empty() && work.picked.is_none() {
            return Err(crate::bestof::pick_first(goal, work.candidates.len()));
        }
        let (Some(integration), Some(candidate)) =
            (work.integration.clone(), work.candidate_commit.clone())
        else {
            return Ok(()); // moved through review by hand: nothing to merge
        };
        if integration.merged_at.is_some() {
            return Ok(());
        }
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let repo = PathBuf::from(&app.path);
        let message = format!(
            "Merge Goal #{}: {} (round {round})",
            goal.number, goal.title
        );
        // A shared app: first catch up with what other nodes merged and pushed.
        let shared = self.link().bus.is_some() && self.app_key(&app).await.is_some();
        if shared {
            let (repo, target) = (repo.clone(), integration.target_branch.clone());
            let caught_up = self
                .blocking(move |_| {
                    crate::publish::git(&repo, &["fetch", "--quiet", "origin", &target])
                        .map_err(ApiError::unavailable)?;
                    let theirs = crate::publish::git(&repo, &["rev-parse", "FETCH_HEAD"])
                        .map_err(ApiError::internal)?;
                    let ours =
                        crate::publish::git(&repo, &["rev-parse", &format!("refs/heads/{target}")])
                            .map_err(ApiError::internal)?;
                    if ours != theirs && wt::is_ancestor(&repo, &ours, &theirs).unwrap_or(false) {
                        wt::advance_branch(&repo, &target, &ours, &theirs)
                            .map_err(|e| ApiError::conflict(e.to_string()))?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = caught_up {
                return Err(ApiError::conflict(format!(
                    "could not catch up with origin's {} before merging: {}",
                    integration.target_branch, e.message
                )));
            }
        }
        let merged = self
            .blocking(move |_| {
                let mut plan_target = integration.target_commit.clone();
                let mut merge = integration.merge_commit.clone();
                for _ in 0..3 {
                    let Some(m) = merge.clone() else { break };
                    match wt::advance_branch(&repo, &integration.target_branch, &plan_target, &m) {
                        Ok(()) => return Ok((integration.target_branch.clone(), plan_target, m)),
                        Err(wt::AdvanceError::Moved(_)) => {
                            let plan = wt::prepare_merge(&repo, &integration.target_branch, &candidate, &message)
                                .map_err(|e| ApiError::internal(e.to_string()))?;
                            if plan.merge_commit.is_none() {
                                return Err(ApiError::conflict(format!(
                                    "{} moved and the candidate now conflicts in {}; decline to open a new Round",
                                    integration.target_branch,
                                    plan.conflicts.join(", ")
                                ))
                                .with_details(json!({ "conflicts": plan.conflicts })));
                            }
                            plan_target = plan.target_commit;
                            merge = plan.merge_commit;
                        }
                        Err(e @ wt::AdvanceError::Dirty { .. }) => {
                            return Err(ApiError::conflict(e.to_string()))
                        }
                        Err(wt::AdvanceError::Git(e)) => return Err(ApiError::internal(e.to_string())),
                    }
                }
                Err(ApiError::conflict("the target branch keeps moving; try again"))
            })
            .await?;
        let (branch, target_commit, merge) = merged;
        if work.in_checkout {
            // "No worktree" mode: the app's checkout goes back to the target, now merged.
            let (repo, target) = (PathBuf::from(&app.path), branch.clone());
            let back = self
                .blocking(move |_| {
                    wt::return_to(&repo, &target).map_err(|e| ApiError::conflict(e.to_string()))
                })
                .await;
            if let Err(e) = back {
                tracing::warn!(goal = %goal.id, error = %e.message, "the checkout stays on the Goal's branch");
            }
        }
        // A shared app: the merge goes to the remote every node works from (once: a push only
        // moves the remote's branch from what it was).
        if shared {
            self.push_to_origin(
                goal,
                PathBuf::from(&app.path),
                format!("refs/heads/{branch}:refs/heads/{branch}"),
                false,
                format!("the merge into {branch} (it is merged here)"),
            )
            .await;
        }
        self.record_work(&goal.id, round, move |w| {
            if let Some(i) = w.integration.as_mut() {
                i.target_branch = branch;
                i.target_commit = target_commit;
                i.merge_commit = Some(merge);
                i.merged_at = Some(clock::now());
            }
        })
        .await?;
        Ok(())
    }
}
