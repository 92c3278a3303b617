//! A worker: steps one Goal until it leaves the automation (review, failed, cancelled, changed
//! by someone) or is stopped; the shared pieces every step uses (fenced transitions, Round
//! records, the worktree, findings that open a new Round).

use crate::agents::{AgentFailure, RunSpec};
use crate::events::kind;
use crate::Core;
use refine_host::worktree as wt;
use refine_model::agents::{AgentProfile, Phase, RoundWork};
use refine_model::event::RoundChanged;
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::{ApiError, App, Settings};
use refine_store::agents as table;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// Whether two paths name the same directory.
pub(crate) fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

impl Core {
    /// The worker: step the Goal until it leaves the automation or is stopped.
    pub(crate) async fn work_goal(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal_id: &str,
        stop: &AtomicBool,
    ) -> Result<(), ApiError> {
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let goal = self.get_goal_any(goal_id).await?;
            let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
            self.update_slot(goal_id, |w| {
                w.goal_number = goal.number;
                w.goal_title = goal.title.clone();
                w.round = round;
                w.phase = goal.status.as_str().to_string();
            });
            let step = match goal.status {
                WorkflowState::Todo => {
                    match self
                        .step_transition(&goal, round, Action::Advance(WorkflowState::Plan), None)
                        .await
                    {
                        Ok(n) => Ok(n),
                        // Someone else moved it, or it is no longer eligible: leave it.
                        Err(_) => Ok(Next::Done),
                    }
                }
                WorkflowState::Plan => self.step_plan(app, profile, &goal, round, stop).await,
                WorkflowState::Implement => {
                    self.step_implement(app, profile, &goal, round, stop).await
                }
                WorkflowState::Quality => self.step_quality(app, profile, &goal, round, stop).await,
                WorkflowState::Governance => {
                    self.step_governance(app, profile, &goal, round, stop).await
                }
                _ => Ok(Next::Done),
            };
            match step {
                Ok(Next::Continue) => {
                    self.runner()
                        .errors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(goal_id);
                    continue;
                }
                Ok(Next::Done) => return Ok(()),
                Err(AgentFailure::Stopped) => return Ok(()),
                Err(AgentFailure::Limited {
                    profile,
                    reset,
                    message,
                }) => {
                    // Not a failure: the Goal waits where it is, its budget untouched, and so
                    // does every Goal on this profile, until the limit resets.
                    let hold = self.hold_limited(&profile, reset, &message);
                    let why = hold.reason.clone();
                    let _ = self
                        .record_work(&goal.id, round, move |w| w.waiting = Some(why))
                        .await;
                    return Ok(());
                }
                Err(AgentFailure::Unauthorized { profile, message }) => {
                    let hold = self.hold_unauthorized(&profile, &message).await;
                    let why = hold.reason.clone();
                    let _ = self
                        .record_work(&goal.id, round, move |w| w.waiting = Some(why))
                        .await;
                    return Ok(());
                }
                Err(f @ (AgentFailure::Fault(_) | AgentFailure::Setup(_))) => {
                    if stop.load(Ordering::SeqCst) || !self.unchanged(&goal, round).await {
                        return Ok(());
                    }
                    let (why, reason) = match f {
                        AgentFailure::Setup(why) => (why.clone(), why),
                        AgentFailure::Fault(why) => (why.clone(), format!("provider fault: {why}")),
                        _ => unreachable!("matched above"),
                    };
                    self.record_work(&goal.id, round, move |w| w.fault = Some(why))
                        .await?;
                    let failed = self
                        .step_transition(
                            &goal,
                            round,
                            Action::Advance(WorkflowState::Failed),
                            Some(reason),
                        )
                        .await;
                    if failed.is_err() {
                        self.hold(&goal.id, Duration::from_secs(30));
                    }
                    return Ok(());
                }
                Err(AgentFailure::Error(e))
                    if e.code == refine_model::ErrorCode::PreconditionFailed =>
                {
                    // Something a person can fix (a dirty checkout…): the Goal waits, saying
                    // why, and tries again now and then; it does not count against the Goal.
                    let why = e.message.clone();
                    let _ = self
                        .record_work(&goal.id, round, move |w| w.waiting = Some(why))
                        .await;
                    self.hold(&goal.id, Duration::from_secs(10));
                    return Ok(());
                }
                Err(AgentFailure::Error(e)) => {
                    // Refine's own trouble (busy database, process cap, git): try again with
                    // back-off; after MAX_STEP_ERRORS in a row the Goal fails, saying why.
                    let n = {
                        let mut errors = self
                            .runner()
                            .errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner());
                        let n = errors.entry(goal.id.clone()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    tracing::warn!(goal = %goal.id, error = %e.message, attempt = n, "runner step failed");

                    if n >= MAX_STEP_ERRORS
                        && !stop.load(Ordering::SeqCst)
                        && self.unchanged(&goal, round).await
                    {
                        self.runner()
                            .errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&goal.id);
                        let why =
                            format!("Refine could not go on after {n} attempts: {}", e.message);
                        let w2 = why.clone();
                        let _ = self
                            .record_work(&goal.id, round, move |w| w.fault = Some(w2))
                            .await;
                        if self
                            .step_transition(
                                &goal,
                                round,
                                Action::Advance(WorkflowState::Failed),
                                Some(why),
                            )
                            .await
                            .is_err()
                        {
                            self.hold(&goal.id, Duration::from_secs(60));
                        }
                    } else {
                        self.hold(&goal.id, Duration::from_secs(5 * (1u64 << n.min(6))));
                    }
                    return Ok(());
                }
            }
        }
    }

    pub(crate) fn hold(&self, goal_id: &str, d: Duration) {
        self.runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(goal_id.to_string(), Instant::now() + d);
    }

    /// Whether the Goal is still where the worker left it (same status and Round).
    pub(crate) async fn unchanged(&self, goal: &Goal, round: u32) -> bool {
        match self.get_goal_any(&goal.id).await {
            Ok(now) => {
                now.status == goal.status
                    && now.deleted_at.is_none()
                    && now.node_id == self.node_id()
                    && now.rounds.iter().map(|r| r.number).max().unwrap_or(1) == round
            }
            Err(_) => false,
        }
    }

    /// Transition if the Goal is unchanged; `Done` when it is not or the step leaves the
    /// automation.
    pub(crate) async fn step_transition(
        &self,
        goal: &Goal,
        round: u32,
        action: Action,
        reason: Option<String>,
    ) -> Result<Next, AgentFailure> {
        if !self.unchanged(goal, round).await {
            return Ok(Next::Done);
        }
        // Fenced: in a cluster, a step lands only while this node still holds the Goal's lease
        // (renewed right now, at the revision it was held at).
        if let Err(why) = self.fence(&goal.id, &goal.app_id).await {
            tracing::warn!(goal = %goal.id, reason = %why, "not transitioning a Goal this node no longer holds");
            return Err(AgentFailure::Stopped);
        }
        // Leaving implement with a candidate: a shared app's remote gets it (fenced above).
        if matches!(action, Action::Advance(WorkflowState::Quality)) {
            self.push_candidate(goal, round).await;
        }
        let reason = reason.as_deref().map(clean_reason);
        let input = json!({ "goalId": goal.id, "action": format!("{action:?}"), "round": round, "reason": reason });
        let r = self
            .transition_expecting(
                &app_ctx(&goal.app_id).for_op("workflow.advance"),
                &input,
                goal.id.clone(),
                action,
                reason,
                Some((goal.status, round)),
                None,
            )
            .await?;
        Ok(match r.value.to {
            WorkflowState::Plan
            | WorkflowState::Implement
            | WorkflowState::Quality
            | WorkflowState::Governance => Next::Continue,
            _ => Next::Done,
        })
    }

    pub(crate) async fn record_work(
        &self,
        goal_id: &str,
        round: u32,
        f: impl FnOnce(&mut RoundWork) + Send + 'static,
    ) -> Result<RoundWork, ApiError> {
        let id = goal_id.to_string();
        let w = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| {
                        let mut w = table::round_work(tx, &id, round)?;
                        f(&mut w);
                        table::set_round_work(tx, &id, round, &w)?;
                        Ok::<_, refine_store::StoreError>(w)
                    })
                    .map_err(ApiError::from)
            })
            .await?;
        self.bus().publish(
            kind::RUNNER_ROUND,
            None,
            &RoundChanged {
                goal_id: goal_id.to_string(),
                round,
                work: w.clone(),
            },
        );
        Ok(w)
    }

    pub(crate) fn worktree_path(&self, app: &App, goal: &Goal, round: u32) -> PathBuf {
        self.0
            .data_dir
            .join("worktrees")
            .join(&app.id)
            .join(format!("{}-r{round}", goal.number))
    }

    /// Base commit, branch, worktree and guidance snapshot of the Round (recorded once).
    pub(crate) async fn ensure_round_setup(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
    ) -> Result<RoundWork, AgentFailure> {
        let mut work = self
            .read({
                let id = goal.id.clone();
                move |c| table::round_work(c, &id, round)
            })
            .await?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let repo = PathBuf::from(&app.path);
        let in_checkout = settings.worktree.mode == refine_model::settings::WorktreeMode::Checkout;
        // "No worktree" mode works in the app's own checkout.
        let path = if in_checkout {
            repo.clone()
        } else {
            self.worktree_path(app, goal, round)
        };
        if work.base_commit.is_none() {
            let target = target_branch(app);
            let base = refine_host::changes::resolve(&repo, &format!("refs/heads/{target}"))
                .or_else(|_| refine_host::changes::resolve(&repo, "HEAD"))
                .map_err(|e| {
                    ApiError::precondition(format!("the app has no commit to start from: {e}"))
                })?;
            let app_id = app.id.clone();
            let guidance = self
                .read(move |c| table::enabled_guidance(c, &app_id))
                .await?;
            let branch = format!(
                "{}{}/round-{round}",
                settings.git.branch_prefix, goal.number
            );
            let name = profile.name.clone();
            // A shared app's Round another node left a candidate of on the remote (it went
            // down, this node took the Goal over): go on from that candidate, on its base.
            let resumed = if in_checkout {
                None
            } else {
                self.fetch_candidate(app, &branch, &base).await
            };
            let base = resumed.as_ref().map_or(base, |(b, _)| b.clone());
            let candidate = resumed.map(|(_, c)| c);
            work = self
                .record_work(&goal.id, round, move |w| {
                    if w.base_commit.is_none() {
                        w.candidate_commit = w.candidate_commit.take().or(candidate);
                        w.base_commit = Some(base);
                        w.branch = Some(branch);
                        w.worktree = Some(path.to_string_lossy().to_string());
                        w.guidance = guidance;
                        w.profile = Some(name);
                        w.in_checkout = in_checkout;
                    }
                })
                .await?;
        } else if work.worktree.is_none() {
            // Another node's Round, heard over the bus (that node went down and this one took
            // the Goal over): map it onto a worktree here and go on from its evidence.
            work = self
                .adopt_round(app, goal, round, work, path, in_checkout)
                .await?;
        }
        if work.waiting.is_some() {
            // The provider answers again: the Goal no longer waits.
            work = self
                .record_work(&goal.id, round, |w| w.waiting = None)
                .await?;
        }
        let (Some(base), Some(branch), Some(path)) =
            (&work.base_commit, &work.branch, &work.worktree)
        else {
            return Err(AgentFailure::Error(ApiError::internal(
                "round setup incomplete",
            )));
        };
        let (repo2, path2, branch2, base2) = (
            repo.clone(),
            PathBuf::from(path),
            branch.clone(),
            base.clone(),
        );
        // The app's own checkout is never made a worktree (nor removed), whatever was recorded.
        let checkout = work.in_checkout || same_dir(Path::new(path), &repo);
        self.blocking(move |_| {
            if checkout {
                // Never a worktree here: the path is the app's own checkout.
                wt::checkout_in_place(&repo2, &branch2, &base2).map_err(|e| {
                    ApiError::precondition(format!(
                        "the Goal cannot run in the app's checkout: {e}"
                    ))
                })
            } else {
                wt::ensure_worktree(&repo2, &path2, &branch2, &base2).map_err(|e| {
                    ApiError::precondition(format!("could not create the Goal's worktree: {e}"))
                })
            }
        })
        .await?;
        // A new worktree (not one a later Round continues) gets the app's environment once; the
        // app's own checkout has its files already (only the setup commands run there).
        let mut env = settings.worktree.clone();
        if checkout {
            env.copy.clear();
            env.link.clear();
        }
        let env = &env;
        let wanted = !(env.setup.is_empty() && env.copy.is_empty() && env.link.is_empty());
        if wanted && work.environment.is_empty() && work.continues_round.is_none() {
            let (steps, failed) = self
                .prepare_environment(app, goal, round, Path::new(path), env)
                .await?;
            work = self
                .record_work(&goal.id, round, move |w| w.environment = steps)
                .await?;
            if let Some(why) = failed {
                return Err(AgentFailure::Setup(why));
            }
        } else if let Some(failed) = work
            .environment
            .iter()
            .find(|s| s.kind == "setup" && !s.passed)
        {
            // Resumed after a failed setup was recorded: the Round still cannot go on.
            return Err(AgentFailure::Setup(format!(
                "worktree setup failed: `{}`; its output is with Round {round}",
                failed.what
            )));
        }
        Ok(work)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spec(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        phase: Phase,
        cwd: PathBuf,
        prompt: String,
        settings: &Settings,
    ) -> RunSpec {
        RunSpec {
            app_id: app.id.clone(),
            goal_id: Some(goal.id.clone()),
            round: Some(round),
            phase,
            profile: profile.clone(),
            cwd,
            prompt,
            label: format!(
                "agent {} · #{} {} r{round}",
                profile.name,
                goal.number,
                phase.as_str()
            ),
            timeout: Duration::from_secs(settings.agents.run_timeout_minutes as u64 * 60),
            resume: None,
            kind: "run",
            candidate: None,
        }
    }

    pub(crate) fn on_process(&self, goal_id: &str) -> impl Fn(&str) + Send + Sync + 'static {
        let core = self.clone();
        let goal_id = goal_id.to_string();
        move |pid: &str| {
            let pid = pid.to_string();
            core.update_slot(&goal_id, |w| w.process_id = Some(pid));
        }
    }

    /// Commit what the agent left in `dir` as the candidate; when it left nothing, a commit it
    /// made on the branch itself is the candidate (none: it made no change).
    pub(crate) async fn commit_candidate(
        &self,
        dir: &Path,
        message: String,
        base: &str,
        branch: &str,
    ) -> Result<Option<String>, ApiError> {
        let d2 = dir.to_path_buf();
        let committed = self
            .blocking(move |_| {
                wt::commit_all(&d2, &message)
                    .map_err(|e| ApiError::internal(format!("could not commit the candidate: {e}")))
            })
            .await?;
        match committed {
            Some(c) => Ok(Some(c)),
            None => Ok(self
                .branch_commits(dir, base, branch)
                .await?
                .into_iter()
                .next()),
        }
    }

    /// The commits on the Round's branch that its base does not have, newest first.
    pub(crate) async fn branch_commits(
        &self,
        worktree: &Path,
        base: &str,
        branch: &str,
    ) -> Result<Vec<String>, ApiError> {
        let (p, b, br) = (worktree.to_path_buf(), base.to_string(), branch.to_string());
        self.blocking(move |_| {
            wt::commits_between(&p, &b, &format!("refs/heads/{br}"))
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await
    }

    /// Rounds this Goal opened because checks sent it back (the retry budget counts these).
    pub(crate) fn check_rounds(goal: &Goal) -> u32 {
        // A person's retry gives the Goal its whole budget again.
        let since = goal
            .rounds
            .iter()
            .filter(|r| r.request.starts_with("Retry after failure"))
            .map(|r| r.number)
            .max()
            .unwrap_or(0);
        goal.rounds
            .iter()
            .filter(|r| r.number >= since)
            .filter(|r| {
                r.outcome
                    .as_deref()
                    .is_some_and(|o| o.starts_with("sent back by checks"))
            })
            .count() as u32
    }

    /// A finding: a new Round with it as the request, or failed when the budget is spent.
    pub(crate) async fn finding(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        finding: String,
    ) -> Result<Next, AgentFailure> {
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        if Self::check_rounds(goal) >= settings.runner.retry_budget {
            return self
                .step_transition(
                    goal,
                    round,
                    Action::Advance(WorkflowState::Failed),
                    Some(format!(
                        "{finding} (retry budget of {} Rounds spent)",
                        settings.runner.retry_budget
                    )),
                )
                .await;
        }
        self.step_transition(
            goal,
            round,
            Action::Advance(WorkflowState::Implement),
            Some(finding),
        )
        .await
    }

    /// Whether the Goal's worker was told to stop (cancel, stop, shutdown).
    pub(crate) fn stop_requested(&self, goal_id: &str) -> bool {
        self.runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(goal_id)
            .is_some_and(|s| s.stop.load(Ordering::SeqCst))
    }

    /// Stop a Goal's worker and every process it owns (cancel, stop).
    /// Whether a worker of this node is working the Goal now.
    pub(crate) fn slot_running(&self, goal_id: &str) -> bool {
        self.runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(goal_id)
    }

    pub(crate) async fn stop_goal_work(&self, goal_id: &str) {
        if let Some(s) = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(goal_id)
        {
            s.stop.store(true, Ordering::SeqCst);
        }
        let app_id = self.get_goal_any(goal_id).await.ok().map(|g| g.app_id);
        let owned: Vec<String> = self
            .processes_list(
                &runner_ctx(),
                crate::processes::ListProcessesInput {
                    app_id,
                    live: Some(true),
                    limit: Some(500),
                },
            )
            .await
            .map(|v| {
                v.into_iter()
                    .filter(|p| {
                        p.owner.goal_id.as_deref() == Some(goal_id)
                            && p.status == refine_model::process::ProcessStatus::Running
                    })
                    .map(|p| p.id)
                    .collect()
            })
            .unwrap_or_default();
        for id in owned {
            let _ = self.stop_process_quiet(&id).await;
        }
    }
}
