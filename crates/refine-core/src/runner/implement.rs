//! The implement step: the agent edits the Round's worktree; what it leaves is committed as the
//! candidate (or a commit it made itself is), then quality.

use crate::agents::AgentFailure;
use crate::Core;
use refine_model::agents::{AgentProfile, Phase};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::App;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

impl Core {
    pub(crate) async fn step_implement(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let work = self.ensure_round_setup(app, profile, goal, round).await?;
        let base = work.base_commit.clone().unwrap_or_default();
        let path = PathBuf::from(work.worktree.clone().unwrap_or_default());
        let branch = work.branch.clone().unwrap_or_default();
        if let Some((index, f)) = Self::pending_follow_up(&work) {
            return self
                .implement_follow_up(app, profile, goal, round, stop, &work, index, f)
                .await;
        }
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let n = super::candidates::candidate_count(goal, &settings, &work);
        if n > 1 || !work.candidates.is_empty() {
            return self
                .step_candidates(app, profile, goal, round, n, stop)
                .await;
        }
        if work.candidate_commit.is_none() {
            // A commit an earlier attempt made but did not record is the candidate.
            let existing = self.branch_commits(&path, &base, &branch).await?;
            let candidate = match existing.first() {
                Some(c) => c.clone(),
                None => {
                    let settings = self.effective_settings(Some(app.id.clone())).await?;
                    let prompt = self.implement_prompt(app, goal, round, &work);
                    let spec = self.spec(
                        app,
                        profile,
                        goal,
                        round,
                        Phase::Implement,
                        path.clone(),
                        prompt,
                        &settings,
                    );
                    let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
                    if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                        return Ok(Next::Done);
                    }
                    let applied: Vec<String> = block["appliedGuidance"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let known: HashSet<String> =
                        work.guidance.iter().map(|g| g.id.clone()).collect();
                    let applied: Vec<String> =
                        applied.into_iter().filter(|a| known.contains(a)).collect();
                    self.record_work(&goal.id, round, move |w| w.applied_guidance = applied)
                        .await?;
                    let message = format!(
                        "Goal #{}: {} (round {round})\n\n{}",
                        goal.number,
                        goal.title,
                        block["summary"].as_str().unwrap_or("")
                    );
                    let committed = self
                        .commit_candidate(&path, message, &base, &branch)
                        .await?;
                    match committed {
                        Some(c) => c,
                        None => {
                            return self
                                .step_transition(
                                    goal,
                                    round,
                                    Action::Advance(WorkflowState::Failed),
                                    Some("the agent made no changes".into()),
                                )
                                .await;
                        }
                    }
                }
            };
            self.record_work(&goal.id, round, move |w| {
                w.candidate_commit = Some(candidate)
            })
            .await?;
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Quality), None)
            .await
    }

    /// A person's follow-up: resume the Round's implement session with it (or summarise the
    /// session into a fresh prompt), commit what changed as the new candidate, and let quality
    /// and governance look again.
    #[allow(clippy::too_many_arguments)]
    async fn implement_follow_up(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
        work: &refine_model::agents::RoundWork,
        index: usize,
        f: refine_model::agents::FollowUp,
    ) -> Result<Next, AgentFailure> {
        let path = PathBuf::from(work.worktree.clone().unwrap_or_default());
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        // The profile that made the candidate (a picked best-of-N candidate may have had its own).
        let own;
        let profile = match work.profile.as_deref() {
            Some(name) if name != profile.name => {
                own = self.profile(name).await?;
                &own
            }
            _ => profile,
        };
        let session = self.implement_session(&goal.id, round).await?;
        let resumable = session.is_some() && !profile.resume_args.is_empty();
        let prompt = if resumable {
            crate::agents::prompt::follow_up_prompt(&f.actor, &f.message)
        } else {
            let base = self.base_prompt(app, goal, round, Phase::Implement, work);
            let done = self.implement_summary(&goal.id, round).await?;
            crate::agents::prompt::follow_up_fresh_prompt(&base, &done, &f.actor, &f.message)
        };
        let mut spec = self.spec(
            app,
            profile,
            goal,
            round,
            Phase::Implement,
            path.clone(),
            prompt,
            &settings,
        );
        spec.resume = if resumable { session } else { None };
        spec.kind = "follow-up";
        let (block, answer) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
        if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
            return Ok(Next::Done);
        }
        let message = format!(
            "Goal #{}: {} (round {round}, follow-up)\n\n{}",
            goal.number,
            goal.title,
            block["summary"].as_str().unwrap_or("")
        );
        // A Round that continues an earlier one starts from that one's candidate.
        let previous = work
            .candidate_commit
            .clone()
            .or_else(|| f.previous_candidate.clone());
        let base = work.base_commit.clone().unwrap_or_default();
        let branch = work.branch.clone().unwrap_or_default();
        // A commit of the agent's own on the branch counts as well.
        let candidate = self
            .commit_candidate(&path, message, &base, &branch)
            .await?;
        let run_id = answer.run_id.clone();
        let resumed = resumable;
        self.record_work(&goal.id, round, move |w| {
            if let Some(x) = w.follow_ups.get_mut(index) {
                x.run_id = Some(run_id);
                x.resumed = resumed;
                x.previous_candidate = previous;
            }
            // The refreshed candidate is checked again from the start.
            w.candidate_commit = candidate;
            w.quality.clear();
            w.governance = None;
            w.integration = None;
        })
        .await?;
        self.step_transition(goal, round, Action::Advance(WorkflowState::Quality), None)
            .await
    }

    /// The implement phase's prompt: the base prompt, the latest plan, the answer format.
    pub(crate) fn implement_prompt(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        work: &refine_model::agents::RoundWork,
    ) -> String {
        let mut prompt = self.base_prompt(app, goal, round, Phase::Implement, work);
        let plan = goal
            .rounds
            .iter()
            .filter(|r| r.number <= round)
            .filter_map(|r| r.plan.clone())
            .next_back()
            .unwrap_or_default();
        section(&mut prompt, "Plan", &plan);
        prompt
            .push_str("\nImplement the change in this worktree. Refine commits what you leave.\n");
        prompt.push_str(&answer_format(crate::agents::prompt::IMPLEMENT_ANSWER));
        prompt
    }
}
