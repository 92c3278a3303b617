//! Best-of-N: a Round implements N candidates side by side, each in its own worktree and branch
//! from the Round's base (candidate 1 uses the Round's own, where the plan was made), by its own
//! profile, and puts each through quality, governance and a prepared merge. A candidate that
//! fails is evidence, not a new Round; the Goal reaches review when at least one passed, and a
//! person picks the one to integrate (`review.pick`). Each candidate's progress is recorded as it
//! goes, so a worker that resumes after a stop or a crash redoes nothing a candidate finished.

use crate::agents::AgentFailure;
use crate::Core;
use futures::StreamExt;
use refine_host::worktree as wt;
use refine_model::agents::{AgentProfile, Candidate, CandidateStatus, Phase, RoundWork};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::{ApiError, App, Settings};
use refine_store::agents as table;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::*;

/// How many candidates the Goal's Round implements: the Goal's own number or the app's setting;
/// a Round that continues another (request changes, a follow-up) refines one candidate, and
/// "no worktree" mode has one checkout for one.
pub(crate) fn candidate_count(goal: &Goal, settings: &Settings, work: &RoundWork) -> u32 {
    if work.in_checkout {
        return 1; // one checkout, one candidate
    }
    if work.continues_round.is_some() || !work.follow_ups.is_empty() {
        return if work.candidates.is_empty() {
            1
        } else {
            work.candidates.len() as u32
        };
    }
    if !work.candidates.is_empty() {
        return work.candidates.len() as u32;
    }
    goal.candidates
        .unwrap_or(settings.runner.candidates)
        .clamp(1, 5)
}

/// The profile candidate `k` (1-based) runs: the app's `runner.candidateProfiles` in order and
/// repeated, or the worker's profile.
fn profile_name(settings: &Settings, default: &str, k: u32) -> String {
    let list = &settings.runner.candidate_profiles;
    if list.is_empty() {
        default.to_string()
    } else {
        list[(k as usize - 1) % list.len()].clone()
    }
}

/// A candidate's worktree path and branch: candidate 1 has the Round's own.
fn placement(work: &RoundWork, k: u32) -> (String, String) {
    let path = work.worktree.clone().unwrap_or_default();
    let branch = work.branch.clone().unwrap_or_default();
    if k == 1 {
        (path, branch)
    } else {
        (format!("{path}-c{k}"), format!("{branch}-c{k}"))
    }
}

impl Core {
    /// The implement step of a best-of-N Round: record the candidates, run the unfinished ones
    /// (as many at once as the capacity limits leave room for, at least one), then on to
    /// quality when one passed, or failed when none did.
    pub(crate) async fn step_candidates(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        n: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let mut work = self.ensure_round_setup(app, profile, goal, round).await?;
        if work.candidates.is_empty() {
            let candidates: Vec<Candidate> = (1..=n)
                .map(|k| {
                    let (worktree, branch) = placement(&work, k);
                    Candidate {
                        index: k,
                        profile: profile_name(&settings, &profile.name, k),
                        branch,
                        worktree,
                        // Candidate 1's worktree was prepared with the Round's.
                        environment: if k == 1 {
                            work.environment.clone()
                        } else {
                            Vec::new()
                        },
                        ..Default::default()
                    }
                })
                .collect();
            work = self
                .record_work(&goal.id, round, move |w| {
                    if w.candidates.is_empty() {
                        w.candidates = candidates;
                    }
                })
                .await?;
        }
        let pending: Vec<u32> = work
            .candidates
            .iter()
            .filter(|c| c.status == CandidateStatus::Running)
            .map(|c| c.index)
            .collect();
        if !pending.is_empty() {
            let room = self.candidate_room(goal, &settings, pending.len() as u32);
            let results: Vec<Result<(), AgentFailure>> = futures::stream::iter(pending)
                .map(|k| self.run_candidate(app, goal, round, k, stop))
                .buffer_unordered(room as usize)
                .collect()
                .await;
            self.set_weight(&goal.id, 1);
            for r in results {
                r?;
            }
        }
        if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
            return Ok(Next::Done);
        }
        let id = goal.id.clone();
        let work = self.read(move |c| table::round_work(c, &id, round)).await?;
        if work
            .candidates
            .iter()
            .all(|c| c.status == CandidateStatus::Failed)
        {
            let why: Vec<String> = work
                .candidates
                .iter()
                .map(|c| {
                    format!(
                        "c{} ({}): {}",
                        c.index,
                        c.profile,
                        c.failure.as_deref().unwrap_or("failed")
                    )
                })
                .collect();
            return self
                .step_transition(
                    goal,
                    round,
                    Action::Advance(WorkflowState::Failed),
                    Some(format!(
                        "none of the {} candidates passed — {}",
                        work.candidates.len(),
                        why.join("; ")
                    )),
                )
                .await;
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Quality), None)
            .await
    }

    /// Candidates to run at once: what the global and per-app limits leave beside the other
    /// workers, at least one; the worker counts that many against the limits meanwhile.
    fn candidate_room(&self, goal: &Goal, settings: &Settings, wanted: u32) -> u32 {
        let mut slots = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let limit = settings
            .runner
            .max_concurrent_goals
            .min(settings.runner.max_per_app)
            .max(1);
        let others: u32 = slots
            .iter()
            .filter(|(id, _)| id.as_str() != goal.id)
            .map(|(_, s)| s.weight.max(1))
            .sum();
        let room = wanted.min(limit.saturating_sub(others)).max(1);
        if let Some(s) = slots.get_mut(&goal.id) {
            s.weight = room;
        }
        room
    }

    fn set_weight(&self, goal_id: &str, weight: u32) {
        if let Some(s) = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(goal_id)
        {
            s.weight = weight;
        }
        self.wake_runner();
    }

    /// Update candidate `k`'s record.
    async fn record_candidate(
        &self,
        goal_id: &str,
        round: u32,
        k: u32,
        f: impl FnOnce(&mut Candidate) + Send + 'static,
    ) -> Result<Candidate, ApiError> {
        let w = self
            .record_work(goal_id, round, move |w| {
                if let Some(c) = w.candidates.iter_mut().find(|c| c.index == k) {
                    f(c);
                }
            })
            .await?;
        w.candidates
            .into_iter()
            .find(|c| c.index == k)
            .ok_or_else(|| ApiError::internal(format!("candidate {k} is not recorded")))
    }

    /// Settle candidate `k` as failed (with why), or passed; its usage and duration summed.
    async fn settle_candidate(
        &self,
        goal_id: &str,
        round: u32,
        k: u32,
        started: Instant,
        failure: Option<String>,
    ) -> Result<(), ApiError> {
        let id = goal_id.to_string();
        let runs = self.read(move |c| table::runs_of_goal(c, &id)).await?;
        let mine: Vec<_> = runs
            .into_iter()
            .filter(|r| r.round == Some(round) && r.candidate == Some(k))
            .collect();
        let elapsed = started.elapsed().as_millis() as u64;
        self.record_candidate(goal_id, round, k, move |c| {
            let mut usage = refine_model::transcript::Usage::default();
            for r in &mine {
                usage.add(&r.usage);
            }
            c.usage = usage;
            c.run_ids = mine.iter().map(|r| r.id.clone()).collect();
            c.duration_ms += elapsed;
            c.ended_at = Some(crate::clock::now());
            c.status = if failure.is_some() {
                CandidateStatus::Failed
            } else {
                CandidateStatus::Passed
            };
            c.failure = failure;
        })
        .await?;
        Ok(())
    }

    /// Candidate `k` from where it stands to its verdict. A provider fault or a failed setup
    /// fails the candidate; a stop, a provider limit or Refine's own trouble ends the step (the
    /// candidate goes on when the worker resumes).
    async fn run_candidate(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        k: u32,
        stop: &AtomicBool,
    ) -> Result<(), AgentFailure> {
        let started = Instant::now();
        match self.candidate_steps(app, goal, round, k, stop).await {
            Ok(failure) => {
                if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                    return Err(AgentFailure::Stopped);
                }
                self.settle_candidate(&goal.id, round, k, started, failure)
                    .await?;
                Ok(())
            }
            Err(AgentFailure::Fault(why)) => {
                self.settle_candidate(
                    &goal.id,
                    round,
                    k,
                    started,
                    Some(format!("provider fault: {why}")),
                )
                .await?;
                Ok(())
            }
            Err(AgentFailure::Setup(why)) => {
                self.settle_candidate(&goal.id, round, k, started, Some(why))
                    .await?;
                Ok(())
            }
            Err(other) => {
                let elapsed = started.elapsed().as_millis() as u64;
                let _ = self
                    .record_candidate(&goal.id, round, k, move |c| c.duration_ms += elapsed)
                    .await;
                Err(other)
            }
        }
    }

    /// The steps of candidate `k`; `Ok(Some(why))` when it failed on its merits.
    async fn candidate_steps(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        k: u32,
        stop: &AtomicBool,
    ) -> Result<Option<String>, AgentFailure> {
        let id = goal.id.clone();
        let work = self.read(move |c| table::round_work(c, &id, round)).await?;
        let Some(mut c) = work.candidates.iter().find(|c| c.index == k).cloned() else {
            return Err(AgentFailure::Error(ApiError::internal(format!(
                "candidate {k} is not recorded"
            ))));
        };
        let profile = self
            .profile(&c.profile)
            .await
            .map_err(|e| AgentFailure::Setup(format!("candidate profile: {}", e.message)))?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let base = work.base_commit.clone().unwrap_or_default();
        let dir = PathBuf::from(&c.worktree);
        if c.started_at.is_none() {
            c = self
                .record_candidate(&goal.id, round, k, |c| {
                    c.started_at = Some(crate::clock::now())
                })
                .await?;
        }
        // 1. Its own worktree (candidate 1 has the Round's, prepared already).
        if k > 1 {
            let (repo, d2, br, b2) = (
                PathBuf::from(&app.path),
                dir.clone(),
                c.branch.clone(),
                base.clone(),
            );
            // A worktree that cannot be made fails this candidate, not the others.
            let made = self
                .blocking(move |_| Ok::<_, ApiError>(wt::ensure_worktree(&repo, &d2, &br, &b2)))
                .await?;
            if let Err(e) = made {
                return Ok(Some(format!(
                    "could not create the candidate's worktree: {e}"
                )));
            }
            let env = &settings.worktree;
            let wanted = !(env.setup.is_empty() && env.copy.is_empty() && env.link.is_empty());
            if wanted && c.environment.is_empty() {
                let (steps, failed) = self
                    .prepare_environment(app, goal, round, &dir, env)
                    .await?;
                if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                    // Stopped mid-way: prepared afresh when the worker resumes.
                    return Err(AgentFailure::Stopped);
                }
                c = self
                    .record_candidate(&goal.id, round, k, move |c| c.environment = steps)
                    .await?;
                if let Some(why) = failed {
                    return Ok(Some(why));
                }
            } else if let Some(bad) = c
                .environment
                .iter()
                .find(|s| s.kind == "setup" && !s.passed)
            {
                return Ok(Some(format!("worktree setup failed: `{}`", bad.what)));
            }
        }
        // 2. The candidate commit.
        if c.commit.is_none() {
            let existing = self.branch_commits(&dir, &base, &c.branch).await?;
            let commit = match existing.first() {
                Some(x) => x.clone(),
                None => {
                    let mut prompt = self.implement_prompt(app, goal, round, &work);
                    section(
                        &mut prompt,
                        "Candidate",
                        &format!(
                            "Candidate: {k} of {}\nYou are one of several agents implementing this Goal side by side, each in its own worktree; a person compares the candidates and picks one.",
                            work.candidates.len()
                        ),
                    );
                    let mut spec = self.spec(
                        app,
                        &profile,
                        goal,
                        round,
                        Phase::Implement,
                        dir.clone(),
                        prompt,
                        &settings,
                    );
                    spec.for_candidate(Some(k));
                    let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
                    if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                        return Err(AgentFailure::Stopped);
                    }
                    let message = format!(
                        "Goal #{}: {} (round {round}, candidate {k})\n\n{}",
                        goal.number,
                        goal.title,
                        block["summary"].as_str().unwrap_or("")
                    );
                    let committed = self
                        .commit_candidate(&dir, message, &base, &c.branch)
                        .await?;
                    match committed {
                        Some(x) => x,
                        None => return Ok(Some("the agent made no changes".into())),
                    }
                }
            };
            let (d2, b2, c2) = (dir.clone(), base.clone(), commit.clone());
            let (files, ins, del) = self
                .blocking(move |_| {
                    wt::diff_stat(&d2, &b2, &c2).map_err(|e| ApiError::internal(e.to_string()))
                })
                .await?;
            c = self
                .record_candidate(&goal.id, round, k, move |c| {
                    c.commit = Some(commit);
                    c.files_changed = files;
                    c.insertions = ins;
                    c.deletions = del;
                })
                .await?;
        }
        let commit = c.commit.clone().unwrap_or_default();
        // 3. Quality: the project's tests, in its worktree.
        let app_id = app.id.clone();
        let (tests, instructions) = self.read(move |x| table::quality_tests(x, &app_id)).await?;
        if !tests.is_empty() && c.quality.len() != tests.len() {
            let at = crate::clock::now();
            let checks = self
                .run_quality(
                    app,
                    &profile,
                    goal,
                    round,
                    &dir,
                    &work,
                    &tests,
                    &instructions,
                    Some(k),
                )
                .await?;
            if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                return Err(AgentFailure::Stopped);
            }
            self.save_evaluation(&app.id, &goal.id, round, &commit, "runner", &checks, &at)
                .await?;
            c = self
                .record_candidate(&goal.id, round, k, move |c| c.quality = checks)
                .await?;
        }
        if let Some(bad) = c.quality.iter().find(|q| !q.passed) {
            return Ok(Some(super::quality::failed_check(bad, false)));
        }
        // 4. Governance on its exact diff.
        if c.governance.is_none() {
            let v = self
                .judge(
                    app,
                    &profile,
                    goal,
                    round,
                    &work,
                    &base,
                    &commit,
                    dir.clone(),
                    Some(k),
                )
                .await?;
            if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                return Err(AgentFailure::Stopped);
            }
            c = self
                .record_candidate(&goal.id, round, k, move |c| c.governance = Some(v))
                .await?;
        }
        if let Some(v) = c.governance.as_ref().filter(|v| !v.passed) {
            return Ok(Some(format!(
                "governance: {}",
                if v.findings.is_empty() {
                    "the candidate was rejected"
                } else {
                    v.findings.as_str()
                }
            )));
        }
        // 5. The merge, prepared.
        let integration = match &c.integration {
            Some(i) => i.clone(),
            None => {
                let i = self.prepare_integration(app, goal, round, &commit).await?;
                let i2 = i.clone();
                self.record_candidate(&goal.id, round, k, move |c| c.integration = Some(i2))
                    .await?;
                i
            }
        };
        if integration.merge_commit.is_none() {
            return Ok(Some(format!(
                "integration: merging into {} conflicts in {}",
                integration.target_branch,
                integration.conflicts.join(", ")
            )));
        }
        Ok(None)
    }

    /// Worktrees of a Round's candidates that still exist (for teardown and cleanup).
    pub(crate) fn candidate_worktrees(work: &RoundWork) -> Vec<PathBuf> {
        work.candidates
            .iter()
            .filter(|c| c.removed_at.is_none() && !c.worktree.is_empty())
            .map(|c| PathBuf::from(&c.worktree))
            .filter(|p| Path::new(p).exists())
            .collect()
    }
}
