//! runner: the scheduler and the workers that move Goals from todo to review by themselves.
//!
//! The scheduler admits eligible todo Goals (the workflow's eligibility rules) and resumes Goals
//! left in plan..governance (after a restart or a stop), up to the capacity limits (global, per
//! app, per provider, and what free CPU and memory admit — always at least one). Each worker runs
//! the Round's steps: plan → implement (a worktree on `refine/<goal>/round-<n>` from the recorded
//! base; the candidate commit) → quality (one command per plain-text test, run supervised) →
//! governance (a verdict on the exact diff) → integrate (a merge prepared without touching any
//! checkout) → review. Before each transition and side effect the worker re-reads the Goal; if
//! its status or Round changed, it stops. Every step is idempotent: what an earlier attempt
//! produced (plan, candidate commit, check results) is reused, so work is at-least-once and a
//! crash never leaves two candidates in one Round.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use refine_host::worktree as wt;
use refine_model::agents::{
    AgentProfile, DetectionState, GovernanceVerdict, Integration, Phase, Provider, QualityCheck,
    RoundWork, RunnerStatus, WorkerInfo, RESULT_FENCE,
};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::{ApiError, App, Settings, Surface};
use refine_store::agents as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::agents::{AgentFailure, RunSpec};
use crate::{clock, new_id, store_error, Change, Core, Ctx, Mutated};

const PAUSE_KEY: &str = "runner_paused";
/// Largest diff the governance gate is shown.
const DIFF_LIMIT: usize = 200 * 1024;
/// A Goal stopped by a person waits this long before the scheduler picks it up again.
const STOP_HOLD: Duration = Duration::from_secs(30);
/// How long a detection result is trusted.
const DETECT_TTL: Duration = Duration::from_secs(30);

/// A worker the runner has running.
struct Slot {
    info: WorkerInfo,
    provider: Provider,
    /// Set by stop / cancel: the worker ends at its next check.
    stop: Arc<AtomicBool>,
}

/// The runner's live state (in the daemon).
#[derive(Default)]
pub(crate) struct Runner {
    slots: Mutex<HashMap<String, Slot>>,
    wake: tokio::sync::Notify,
    started: AtomicBool,
    /// Goals held back after a stop, until the instant.
    held: Mutex<HashMap<String, Instant>>,
    /// Detection results by profile name.
    /// Why Goals wait that people should know (profile not installed…), by app.
    waiting: Mutex<HashMap<String, String>>,
    /// Consecutive step errors by Goal (Refine's own trouble, retried with back-off).
    errors: Mutex<HashMap<String, u32>>,
}

/// Removes a worker's slot when its task ends, however it ends (also on a panic).
struct SlotGuard {
    core: Core,
    goal_id: String,
    app_id: String,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.core
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.goal_id);
        self.core.bus().publish(
            "runner.worker_ended",
            Some(self.app_id.clone()),
            json!({ "goalId": self.goal_id }),
        );
        self.core.wake_runner();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunnerPauseInput {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunnerStopInput {
    pub goal_id: String,
}

/// What `runner.stop` did: the Goal keeps its state and resumes later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStopped {
    pub goal_id: String,
    pub status: WorkflowState,
}

/// Evaluate a Goal's candidate against the project's tests, by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluateInput {
    pub goal_id: String,
    /// Round (default: the latest with a candidate).
    #[serde(default)]
    pub round: Option<u32>,
}

/// The result of a manual evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub id: String,
    pub goal_id: String,
    pub round: u32,
    pub commit: String,
    pub passed: bool,
    pub checks: Vec<QualityCheck>,
}

/// One Round's recorded work, for the Goal page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoundDetail {
    pub number: u32,
    pub work: RoundWork,
    pub runs: Vec<refine_model::agents::AgentRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalWorkInput {
    pub goal_id: String,
}

fn runner_ctx() -> Ctx {
    let mut c = Ctx::new(Surface::System);
    c.actor = "runner".to_string();
    c
}

/// The runner's context for one app's Goals (whatever app people have selected).
fn app_ctx(app_id: &str) -> Ctx {
    let mut c = runner_ctx();
    c.app_id = Some(app_id.to_string());
    c
}

/// A transition reason fit for the audit log: no control characters but newlines and tabs,
/// at most 2,000 characters.
fn clean_reason(r: &str) -> String {
    let mut out = String::with_capacity(r.len().min(2100));
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape sequence (colours, cursor moves): skip it through its final letter.
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        if !c.is_control() || c == '\n' || c == '\t' {
            out.push(c);
        }
    }
    if out.chars().count() > 2000 {
        out = out.chars().take(1999).collect::<String>() + "…";
    }
    out
}

/// Consecutive step errors before the Goal fails with the error as its fault.
const MAX_STEP_ERRORS: u32 = 5;

/// Free CPU and memory, as Goals they admit (0 when the machine is busy).
fn resource_slots() -> (u32, f64, u64) {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    let mem_mb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(4096);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    // An agent is mostly waiting on its model; allow two per idle core, 512 MiB each.
    let by_cpu = ((cpus * 2.0) - load).floor().max(0.0) as u32;
    let by_mem = (mem_mb / 512) as u32;
    (by_cpu.min(by_mem), load, mem_mb)
}

/// Text blocks of a prompt.
fn section(out: &mut String, title: &str, body: &str) {
    if body.trim().is_empty() {
        return;
    }
    out.push_str("\n## ");
    out.push_str(title);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
}

fn answer_format(example: &str) -> String {
    format!(
        "\n## Answer\nWork in the current directory. End your answer with exactly one block:\n{RESULT_FENCE}\n{example}\n```\n"
    )
}

enum Next {
    /// Go on with the next step.
    Continue,
    /// The Goal left the automation (review, failed, cancelled, changed by someone): stop.
    Done,
}

impl Core {
    fn runner(&self) -> &Runner {
        &self.0.runner
    }

    /// Wake the scheduler (something changed).
    pub(crate) fn wake_runner(&self) {
        self.runner().wake.notify_one();
    }

    /// Start the scheduler once (the daemon calls this when it listens).
    pub fn start_runner(&self) {
        if self.runner().started.swap(true, Ordering::SeqCst) {
            return;
        }
        // Agent runs of a dead daemon are settled (their processes already were).
        let _ = self.0.store.write(|tx| {
            for mut run in table::running_runs(tx)? {
                run.status = "lost".into();
                run.error = Some("the daemon stopped while it ran".into());
                run.ended_at = Some(clock::now());
                table::update_run(tx, &run)?;
            }
            Ok::<_, refine_store::StoreError>(())
        });
        // Prompt files and evaluation checkouts of a dead daemon.
        let _ = std::fs::remove_dir_all(self.0.data_dir.join("runs"));
        let _ = std::fs::remove_dir_all(self.0.data_dir.join("evaluations"));
        let core = self.clone();
        tokio::spawn(async move { core.schedule_loop().await });
        let core = self.clone();
        tokio::spawn(async move {
            let (_, mut rx) = core.bus().subscribe(None);
            let mut shutdown = core.shutdown_signal();
            loop {
                tokio::select! {
                    e = rx.recv() => match e {
                        Ok(e) if e.kind.starts_with("work.") || e.kind.starts_with("workflow.")
                            || e.kind.starts_with("settings.") || e.kind.starts_with("agents.profile")
                            || (e.kind.starts_with("runner.") && e.kind != "runner.worker" && e.kind != "runner.round") || e.kind.starts_with("apps.") => core.wake_runner(),
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => core.wake_runner(),
                        Err(_) => break,
                    },
                    _ = shutdown.changed() => break,
                }
            }
        });
    }

    async fn schedule_loop(&self) {
        let mut shutdown = self.shutdown_signal();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.schedule_once().await {
                tracing::warn!(error = %e.message, "scheduler pass failed");
            }
            let poll = self
                .effective_settings(None)
                .await
                .map(|s| s.runner.poll_seconds)
                .unwrap_or(5);
            tokio::select! {
                _ = self.runner().wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(poll as u64)) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Shutdown: stop the agents; Goals stay where they are and resume on the next start.
        let procs: Vec<String> = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter_map(|s| {
                s.stop.store(true, Ordering::SeqCst);
                s.info.process_id.clone()
            })
            .collect();
        for p in procs {
            let _ = self.stop_process_quiet(&p).await;
        }
    }

    fn runner_paused(&self) -> Result<Option<String>, ApiError> {
        self.0
            .store
            .read(|c| refine_store::meta::get(c, PAUSE_KEY))
            .map_err(store_error)
    }

    async fn detection_state(&self, p: &AgentProfile) -> (DetectionState, String) {
        let d = self.detection_of(p, DETECT_TTL).await;
        (d.state, d.diagnosis)
    }

    /// One scheduler pass over every app.
    async fn schedule_once(&self) -> Result<(), ApiError> {
        if self.runner_paused()?.is_some() {
            return Ok(());
        }
        let global = self.effective_settings(None).await?;
        let apps = self.list_apps().await?;
        // Free CPU and memory, counted down as this pass admits Goals (the load average lags).
        let mut free = resource_slots().0;
        let now = Instant::now();
        self.runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > now);
        for app in apps {
            let settings = self.effective_settings(Some(app.id.clone())).await?;
            let app_id = app.id.clone();
            let node = self.node_id().to_string();
            let (paused, eligible, active) = self
                .read(move |c| {
                    let paused =
                        refine_store::meta::get(c, &format!("automation_paused:{app_id}"))?
                            .is_some();
                    Ok((paused, c, app_id)).map(|(p, c, a)| {
                        let e = crate::workflow::eligibility(c, &a);
                        let active = refine_store::goals::facts(c, &a).map(|f| {
                            f.into_iter()
                                .filter(|g| {
                                    g.node_id == node
                                        && matches!(
                                            g.status,
                                            WorkflowState::Plan
                                                | WorkflowState::Implement
                                                | WorkflowState::Quality
                                                | WorkflowState::Governance
                                        )
                                })
                                .map(|g| (g.id, g.priority))
                                .collect::<Vec<_>>()
                        });
                        (p, e, active)
                    })
                })
                .await?;
            if paused {
                continue;
            }
            let eligible = eligible?;
            let mut active = active.map_err(store_error)?;
            active.sort_by_key(|g| std::cmp::Reverse(g.1));
            let profile = match self.profile(&settings.agents.default_profile).await {
                Ok(p) => p,
                Err(e) => {
                    self.set_waiting(&app.id, Some(e.message));
                    continue;
                }
            };
            let candidates: Vec<String> = active
                .into_iter()
                .map(|(id, _)| id)
                .chain(eligible.eligible.into_iter().map(|g| g.goal_id))
                .collect();
            if candidates.is_empty() {
                self.set_waiting(&app.id, None);
                continue;
            }
            let (state, why) = self.detection_state(&profile).await;
            if state != DetectionState::Installed {
                self.set_waiting(
                    &app.id,
                    Some(format!("agent profile {}: {why}", profile.name)),
                );
                continue;
            }
            self.set_waiting(&app.id, None);
            for goal_id in candidates {
                if !self.admit(&global, &settings, &app, &profile, &goal_id, &mut free) {
                    break;
                }
            }
        }
        Ok(())
    }

    fn set_waiting(&self, app: &str, why: Option<String>) {
        let mut w = self
            .runner()
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match why {
            Some(w2) => {
                w.insert(app.to_string(), w2);
            }
            None => {
                w.remove(app);
            }
        }
    }

    /// Start a worker for the Goal if capacity allows; false when the app is full.
    fn admit(
        &self,
        global: &Settings,
        settings: &Settings,
        app: &App,
        profile: &AgentProfile,
        goal_id: &str,
        free: &mut u32,
    ) -> bool {
        if self
            .runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(goal_id)
        {
            return true;
        }
        let mut slots = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if slots.contains_key(goal_id) {
            return true;
        }
        let total = slots.len() as u32;
        let per_app = slots.values().filter(|s| s.info.app_id == app.id).count() as u32;
        let per_provider = slots
            .values()
            .filter(|s| s.provider == profile.provider)
            .count() as u32;
        if total >= global.runner.max_concurrent_goals
            || per_app
                >= settings
                    .runner
                    .max_per_app
                    .min(settings.runner.max_concurrent_goals)
            || per_provider >= settings.runner.max_per_provider
        {
            return false;
        }
        if total > 0 && *free == 0 {
            return false;
        }
        *free = free.saturating_sub(1);
        let stop = Arc::new(AtomicBool::new(false));
        slots.insert(
            goal_id.to_string(),
            Slot {
                info: WorkerInfo {
                    id: new_id(),
                    app_id: app.id.clone(),
                    goal_id: goal_id.to_string(),
                    goal_number: 0,
                    goal_title: String::new(),
                    round: 0,
                    phase: "starting".into(),
                    profile: profile.name.clone(),
                    process_id: None,
                    started_at: clock::now(),
                },
                provider: profile.provider,
                stop: stop.clone(),
            },
        );
        drop(slots);
        let core = self.clone();
        let app = app.clone();
        let profile = profile.clone();
        let goal_id = goal_id.to_string();
        tokio::spawn(async move {
            let _guard = SlotGuard {
                core: core.clone(),
                goal_id: goal_id.clone(),
                app_id: app.id.clone(),
            };
            let result = core.work_goal(&app, &profile, &goal_id, &stop).await;
            if let Err(e) = result {
                tracing::warn!(goal = %goal_id, error = %e.message, "runner worker ended with an error");
            }
        });
        true
    }

    fn update_slot(&self, goal_id: &str, f: impl FnOnce(&mut WorkerInfo)) {
        let info = {
            let mut slots = self
                .runner()
                .slots
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let Some(s) = slots.get_mut(goal_id) else {
                return;
            };
            f(&mut s.info);
            s.info.clone()
        };
        self.bus().publish(
            "runner.worker",
            Some(info.app_id.clone()),
            serde_json::to_value(&info).unwrap_or_default(),
        );
    }

    /// The worker: step the Goal until it leaves the automation or is stopped.
    async fn work_goal(
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
                Err(AgentFailure::Fault(why)) => {
                    if stop.load(Ordering::SeqCst) || !self.unchanged(&goal, round).await {
                        return Ok(());
                    }
                    let w2 = why.clone();
                    self.record_work(&goal.id, round, move |w| w.fault = Some(w2))
                        .await?;
                    let failed = self
                        .step_transition(
                            &goal,
                            round,
                            Action::Advance(WorkflowState::Failed),
                            Some(format!("provider fault: {why}")),
                        )
                        .await;
                    if failed.is_err() {
                        self.hold(&goal.id, Duration::from_secs(30));
                    }
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

    fn hold(&self, goal_id: &str, d: Duration) {
        self.runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(goal_id.to_string(), Instant::now() + d);
    }

    /// Whether the Goal is still where the worker left it (same status and Round).
    async fn unchanged(&self, goal: &Goal, round: u32) -> bool {
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
    async fn step_transition(
        &self,
        goal: &Goal,
        round: u32,
        action: Action,
        reason: Option<String>,
    ) -> Result<Next, AgentFailure> {
        if !self.unchanged(goal, round).await {
            return Ok(Next::Done);
        }
        let reason = reason.as_deref().map(clean_reason);
        let input = json!({ "goalId": goal.id, "action": format!("{action:?}"), "round": round, "reason": reason });
        let r = self
            .transition_expecting(
                &app_ctx(&goal.app_id),
                "workflow.advance",
                &input,
                goal.id.clone(),
                action,
                reason,
                Some((goal.status, round)),
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

    async fn record_work(
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
                        Ok(w)
                    })
                    .map_err(store_error)
            })
            .await?;
        self.bus().publish(
            "runner.round",
            None,
            json!({ "goalId": goal_id, "round": round, "work": w }),
        );
        Ok(w)
    }

    fn worktree_path(&self, app: &App, goal: &Goal, round: u32) -> PathBuf {
        self.0
            .data_dir
            .join("worktrees")
            .join(&app.id)
            .join(format!("{}-r{round}", goal.number))
    }

    /// Base commit, branch, worktree and guidance snapshot of the Round (recorded once).
    async fn ensure_round_setup(
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
            let path = self.worktree_path(app, goal, round);
            let name = profile.name.clone();
            work = self
                .record_work(&goal.id, round, move |w| {
                    if w.base_commit.is_none() {
                        w.base_commit = Some(base);
                        w.branch = Some(branch);
                        w.worktree = Some(path.to_string_lossy().to_string());
                        w.guidance = guidance;
                        w.profile = Some(name);
                    }
                })
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
        self.blocking(move |_| {
            wt::ensure_worktree(&repo2, &path2, &branch2, &base2).map_err(|e| {
                ApiError::precondition(format!("could not create the Goal's worktree: {e}"))
            })
        })
        .await?;
        Ok(work)
    }

    fn base_prompt(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        phase: Phase,
        work: &RoundWork,
    ) -> String {
        let mut p = format!(
            "# Refine: {} phase\nPhase: {}\nRound: {round}\nGoal: #{} {}\nApp: {}\n",
            phase.as_str(),
            phase.as_str(),
            goal.number,
            goal.title,
            app.name
        );
        section(&mut p, "What should change", &goal.prompt);
        if !goal.notes.trim().is_empty() {
            section(&mut p, "Notes", &goal.notes);
        }
        if let Some(r) = goal.rounds.iter().find(|r| r.number == round) {
            if round > 1 {
                section(&mut p, "Why this Round", &r.request);
            }
        }
        if !work.guidance.is_empty() {
            let g: Vec<String> = work
                .guidance
                .iter()
                .map(|g| format!("[{}] {}: {}", g.id, g.title, g.body))
                .collect();
            section(
                &mut p,
                "Guidance (follow it; report the ids you applied)",
                &g.join("\n"),
            );
        }
        p
    }

    #[allow(clippy::too_many_arguments)]
    fn spec(
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
        }
    }

    fn on_process(&self, goal_id: &str) -> impl Fn(&str) + Send + Sync + 'static {
        let core = self.clone();
        let goal_id = goal_id.to_string();
        move |pid: &str| {
            let pid = pid.to_string();
            core.update_slot(&goal_id, |w| w.process_id = Some(pid));
        }
    }

    /// The commits on the Round's branch that its base does not have, newest first.
    async fn branch_commits(
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

    async fn step_plan(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let work = self.ensure_round_setup(app, profile, goal, round).await?;
        let planned = goal
            .rounds
            .iter()
            .find(|r| r.number == round)
            .and_then(|r| r.plan.clone());
        if planned.is_none() {
            let settings = self.effective_settings(Some(app.id.clone())).await?;
            let mut prompt = self.base_prompt(app, goal, round, Phase::Plan, &work);
            prompt.push_str(
                "\nPropose a short, concrete plan for this change. Do not edit files yet.\n",
            );
            prompt.push_str(&answer_format("{\"plan\": \"the steps, as Markdown\"}"));
            let cwd = PathBuf::from(work.worktree.clone().unwrap_or_default());
            let spec = self.spec(
                app,
                profile,
                goal,
                round,
                Phase::Plan,
                cwd,
                prompt,
                &settings,
            );
            let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
            if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                return Ok(Next::Done);
            }
            let plan = block["plan"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| block.to_string());
            let id = goal.id.clone();
            self.blocking(move |core| {
                core.0
                    .store
                    .write(|tx| table::set_round_plan(tx, &id, round, &plan))
                    .map_err(store_error)
            })
            .await?;
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Implement), None)
            .await
    }

    async fn step_implement(
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
        if work.candidate_commit.is_none() {
            // A commit an earlier attempt made but did not record is the candidate.
            let existing = self.branch_commits(&path, &base, &branch).await?;
            let candidate = match existing.first() {
                Some(c) => c.clone(),
                None => {
                    let settings = self.effective_settings(Some(app.id.clone())).await?;
                    let mut prompt = self.base_prompt(app, goal, round, Phase::Implement, &work);
                    let plan = goal
                        .rounds
                        .iter()
                        .filter(|r| r.number <= round)
                        .filter_map(|r| r.plan.clone())
                        .next_back()
                        .unwrap_or_default();
                    section(&mut prompt, "Plan", &plan);
                    prompt.push_str(
                        "\nImplement the change in this worktree. Refine commits what you leave.\n",
                    );
                    prompt.push_str(&answer_format(
                        "{\"summary\": \"what you changed\", \"appliedGuidance\": [\"G1\"]}",
                    ));
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
                    let p2 = path.clone();
                    let committed = self
                        .blocking(move |_| {
                            wt::commit_all(&p2, &message).map_err(|e| {
                                ApiError::internal(format!("could not commit the candidate: {e}"))
                            })
                        })
                        .await?;
                    // The agent may have committed on the branch itself: that is the candidate.
                    let committed = match committed {
                        Some(c) => Some(c),
                        None => self
                            .branch_commits(&path, &base, &branch)
                            .await?
                            .into_iter()
                            .next(),
                    };
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

    /// Rounds this Goal opened because checks sent it back (the retry budget counts these).
    fn check_rounds(goal: &Goal) -> u32 {
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
    async fn finding(
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

    /// Ask the agent for one command per test, run each in `dir`, and return the checks.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run_quality(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        dir: &Path,
        work: &RoundWork,
        tests: &[String],
        instructions: &str,
    ) -> Result<Vec<QualityCheck>, AgentFailure> {
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let mut prompt = self.base_prompt(app, goal, round, Phase::Quality, work);
        let list: Vec<String> = tests
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}. {t}", i + 1))
            .collect();
        section(&mut prompt, "Tests of this project", &list.join("\n"));
        section(&mut prompt, "Instructions", instructions);
        prompt.push_str("\nFor each test, propose one non-interactive shell command that checks it in this worktree (exit code 0 = passes). Do not run them; Refine does.\n");
        prompt.push_str(&answer_format(
            "{\"tests\": [{\"test\": 1, \"command\": \"npm test\"}]}",
        ));
        let spec = self.spec(
            app,
            profile,
            goal,
            round,
            Phase::Quality,
            dir.to_path_buf(),
            prompt,
            &settings,
        );
        let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
        let proposed = block["tests"].as_array().cloned().unwrap_or_default();
        let mut checks = Vec::new();
        for (i, test) in tests.iter().enumerate() {
            let command = proposed
                .iter()
                .find(|p| {
                    p["test"].as_u64() == Some(i as u64 + 1)
                        || p["test"].as_str() == Some(test.as_str())
                        || p["test"].as_str() == Some(&(i + 1).to_string())
                })
                .and_then(|p| p["command"].as_str())
                .map(str::to_string);
            if self.stop_requested(&goal.id) {
                return Err(AgentFailure::Stopped);
            }
            let Some(command) = command else {
                checks.push(QualityCheck {
                    test: test.clone(),
                    command: String::new(),
                    exit_code: None,
                    passed: false,
                    duration_ms: 0,
                    log_excerpt: "the agent proposed no command for this test".into(),
                    process_id: None,
                });
                continue;
            };
            let started = Instant::now();
            let (info, mut done) = self
                .start_owned_process(
                    &app.id,
                    crate::processes::StartProcessInput {
                        app_id: Some(app.id.clone()),
                        argv: vec!["sh".into(), "-c".into(), command.clone()],
                        cwd: None,
                        env: None,
                        label: Some(format!("quality #{} r{round}: test {}", goal.number, i + 1)),
                        owner: Some(refine_model::process::ProcessOwner {
                            goal_id: Some(goal.id.clone()),
                            round: Some(round),
                            operation_id: None,
                        }),
                    },
                    dir.to_path_buf(),
                    None,
                )
                .await?;
            (self.on_process(&goal.id))(&info.id);
            let timeout = Duration::from_secs(settings.agents.run_timeout_minutes as u64 * 60);
            let timed_out = tokio::time::timeout(timeout, done.wait_for(|d| *d))
                .await
                .is_err();
            if timed_out {
                let _ = self.stop_process_quiet(&info.id).await;
            }
            let fin = self
                .get_process(crate::processes::ProcessIdInput {
                    id: info.id.clone(),
                })
                .await?;
            if fin.status == refine_model::process::ProcessStatus::Stopped && !timed_out {
                return Err(AgentFailure::Stopped);
            }
            let mut log_excerpt = self.process_tail(&info.id, 20).await;
            if timed_out {
                log_excerpt.push_str(&format!(
                    "\n(timed out after {} s and was stopped)",
                    timeout.as_secs()
                ));
            }
            checks.push(QualityCheck {
                test: test.clone(),
                command,
                exit_code: fin.exit_code,
                passed: fin.exit_code == Some(0) && !timed_out,
                duration_ms: started.elapsed().as_millis() as u64,
                log_excerpt,
                process_id: Some(info.id.clone()),
            });
        }
        Ok(checks)
    }

    #[allow(clippy::too_many_arguments)]
    async fn save_evaluation(
        &self,
        app_id: &str,
        goal_id: &str,
        round: u32,
        commit: &str,
        trigger: &str,
        checks: &[QualityCheck],
        started_at: &str,
    ) -> Result<String, ApiError> {
        let id = new_id();
        let passed = checks.iter().all(|c| c.passed);
        let (id2, app, goal, commit, trigger, checks_json, started) = (
            id.clone(),
            app_id.to_string(),
            goal_id.to_string(),
            commit.to_string(),
            trigger.to_string(),
            serde_json::to_string(checks).unwrap_or_default(),
            started_at.to_string(),
        );
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| {
                    tx.execute(
                        "INSERT INTO quality_evaluations(id, app_id, goal_id, round, commit_sha, trigger, passed, checks, started_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        refine_store::rusqlite::params![id2, app, goal, round, commit, trigger, passed, checks_json, started, clock::now()],
                    )?;
                    Ok(())
                })
                .map_err(store_error)
        })
        .await?;
        self.bus().publish(
            "quality.evaluated",
            Some(app_id.to_string()),
            json!({ "id": id, "goalId": goal_id, "round": round, "passed": passed }),
        );
        Ok(id)
    }

    async fn step_quality(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let work = self.ensure_round_setup(app, profile, goal, round).await?;
        let app_id = app.id.clone();
        let (tests, instructions) = self.read(move |c| table::quality_tests(c, &app_id)).await?;
        let done = !work.quality.is_empty() && work.quality.len() == tests.len();
        let checks = if tests.is_empty() {
            Vec::new()
        } else if done {
            work.quality.clone()
        } else {
            let started = clock::now();
            let dir = PathBuf::from(work.worktree.clone().unwrap_or_default());
            let checks = self
                .run_quality(
                    app,
                    profile,
                    goal,
                    round,
                    &dir,
                    &work,
                    &tests,
                    &instructions,
                )
                .await?;
            if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                return Ok(Next::Done);
            }
            let c2 = checks.clone();
            self.record_work(&goal.id, round, move |w| w.quality = c2)
                .await?;
            self.save_evaluation(
                &app.id,
                &goal.id,
                round,
                work.candidate_commit.as_deref().unwrap_or_default(),
                "runner",
                &checks,
                &started,
            )
            .await?;
            checks
        };
        if let Some(bad) = checks.iter().find(|c| !c.passed) {
            let excerpt: String = bad
                .log_excerpt
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" / ");
            let finding = format!(
                "quality: test “{}” failed ({}{}){}",
                bad.test,
                if bad.command.is_empty() {
                    "no command".to_string()
                } else {
                    format!("`{}`", bad.command)
                },
                bad.exit_code
                    .map(|c| format!(", exit {c}"))
                    .unwrap_or_default(),
                if excerpt.is_empty() {
                    String::new()
                } else {
                    format!(": {excerpt}")
                }
            );
            return self.finding(app, goal, round, finding).await;
        }
        self.step_transition(
            goal,
            round,
            Action::Advance(WorkflowState::Governance),
            None,
        )
        .await
    }

    async fn step_governance(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let work = self.ensure_round_setup(app, profile, goal, round).await?;
        let candidate = work
            .candidate_commit
            .clone()
            .ok_or_else(|| ApiError::internal("no candidate commit recorded"))?;
        let base = work.base_commit.clone().unwrap_or_default();
        let verdict = match &work.governance {
            Some(v) => v.clone(),
            None => {
                let app_id = app.id.clone();
                let (statement, constitution, rules) = self
                    .read(move |c| table::governance_texts(c, &app_id))
                    .await?;
                let v = if statement.trim().is_empty()
                    && constitution.trim().is_empty()
                    && rules.is_empty()
                {
                    GovernanceVerdict {
                        passed: true,
                        rules: Vec::new(),
                        findings:
                            "no product statement, constitution or rules are set; nothing to check"
                                .into(),
                    }
                } else {
                    let settings = self.effective_settings(Some(app.id.clone())).await?;
                    let repo = PathBuf::from(&app.path);
                    let (b2, c2) = (base.clone(), candidate.clone());
                    let diff = self
                        .blocking(move |_| {
                            wt::diff_text(&repo, &b2, &c2, DIFF_LIMIT)
                                .map_err(|e| ApiError::internal(e.to_string()))
                        })
                        .await?;
                    let mut prompt = self.base_prompt(app, goal, round, Phase::Governance, &work);
                    section(&mut prompt, "Product statement", &statement);
                    section(&mut prompt, "Constitution", &constitution);
                    let r: Vec<String> = rules
                        .iter()
                        .map(|r| format!("[{}] {}: {}", r.id, r.title, r.body))
                        .collect();
                    section(&mut prompt, "Rules", &r.join("\n"));
                    section(
                        &mut prompt,
                        "Candidate diff",
                        &format!("```diff\n{diff}\n```"),
                    );
                    prompt.push_str("\nJudge this exact diff against the statement, constitution and rules. Cite the rule ids your verdict rests on.\n");
                    prompt.push_str(&answer_format(
                        "{\"verdict\": \"pass\", \"rules\": [\"R1\"], \"findings\": \"…\"}",
                    ));
                    let dir = PathBuf::from(work.worktree.clone().unwrap_or_default());
                    let spec = self.spec(
                        app,
                        profile,
                        goal,
                        round,
                        Phase::Governance,
                        dir,
                        prompt,
                        &settings,
                    );
                    let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
                    let known: HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
                    GovernanceVerdict {
                        passed: block["verdict"]
                            .as_str()
                            .map(|s| s.eq_ignore_ascii_case("pass"))
                            .unwrap_or(false),
                        rules: block["rules"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|v| v.as_str())
                                    .filter(|v| known.contains(v))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        findings: block["findings"].as_str().unwrap_or_default().to_string(),
                    }
                };
                if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                    return Ok(Next::Done);
                }
                let v2 = v.clone();
                self.record_work(&goal.id, round, move |w| w.governance = Some(v2))
                    .await?;
                v
            }
        };
        if !verdict.passed {
            let finding = format!(
                "governance: {}{}",
                if verdict.findings.is_empty() {
                    "the candidate was rejected"
                } else {
                    verdict.findings.as_str()
                },
                if verdict.rules.is_empty() {
                    String::new()
                } else {
                    format!(" (rules {})", verdict.rules.join(", "))
                }
            );
            return self.finding(app, goal, round, finding).await;
        }
        // Integrate: prepare the merge; the target branch moves when a person approves.
        let integration = match &work.integration {
            Some(i) if i.merge_commit.is_some() => i.clone(),
            _ => {
                let repo = PathBuf::from(&app.path);
                let target = target_branch(app);
                let message = format!(
                    "Merge Goal #{}: {} (round {round})",
                    goal.number, goal.title
                );
                let (t2, c2) = (target.clone(), candidate.clone());
                let plan = self
                    .blocking(move |_| {
                        wt::prepare_merge(&repo, &t2, &c2, &message).map_err(|e| {
                            ApiError::internal(format!("could not prepare the merge: {e}"))
                        })
                    })
                    .await?;
                let i = Integration {
                    target_branch: target,
                    target_commit: plan.target_commit,
                    merge_commit: plan.merge_commit,
                    conflicts: plan.conflicts,
                    merged_at: None,
                };
                let i2 = i.clone();
                self.record_work(&goal.id, round, move |w| w.integration = Some(i2))
                    .await?;
                i
            }
        };
        if integration.merge_commit.is_none() {
            let finding = format!(
                "integration: merging into {} conflicts in {}",
                integration.target_branch,
                integration.conflicts.join(", ")
            );
            return self.finding(app, goal, round, finding).await;
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Review), None)
            .await
    }

    /// On approval: move the target branch to the prepared merge (recomputed if the branch
    /// moved meanwhile). Conflicts or a dirty checkout refuse the approval with 409.
    pub(crate) async fn integrate_on_approve(&self, goal: &Goal) -> Result<(), ApiError> {
        let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let work = self.read(move |c| table::round_work(c, &id, round)).await?;
        let (Some(integration), Some(candidate)) =
            (work.integration.clone(), work.candidate_commit.clone())
        else {
            return Ok(()); // moved through review by hand: nothing to merge
        };
        if integration.merged_at.is_some() {
            return Ok(());
        }
        let app = self
            .get_app(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let repo = PathBuf::from(&app.path);
        let message = format!(
            "Merge Goal #{}: {} (round {round})",
            goal.number, goal.title
        );
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
            .list_processes(
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

    /// `runner.status`
    pub async fn runner_status(&self) -> Result<RunnerStatus, ApiError> {
        let s = self.effective_settings(None).await?;
        let mut workers: Vec<WorkerInfo> = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|s| s.info.clone())
            .collect();
        workers.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        let (free, load, mem) = resource_slots();
        Ok(RunnerStatus {
            paused: self.runner_paused()?.is_some(),
            workers,
            max_concurrent_goals: s.runner.max_concurrent_goals,
            max_per_app: s.runner.max_per_app,
            max_per_provider: s.runner.max_per_provider,
            resource_slots: free.max(1),
            load_average: load,
            available_memory_mb: mem,
            waiting: self
                .runner()
                .waiting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(a, w)| refine_model::agents::RunnerWait {
                    app_id: a.clone(),
                    reason: w.clone(),
                })
                .collect(),
        })
    }

    /// `runner.pause` / `runner.resume`: stop admitting new work (running workers go on).
    pub async fn set_runner_paused(
        &self,
        ctx: &Ctx,
        input: RunnerPauseInput,
        paused: bool,
    ) -> Result<Mutated<RunnerStatus>, ApiError> {
        if let Some(r) = &input.reason {
            crate::wire::text("reason", r, 2000, false)?;
        }
        let op = if paused {
            "runner.pause"
        } else {
            "runner.resume"
        };
        let reason = input.reason.clone();
        let actor = ctx.actor.clone();
        let r = self
            .mutate(ctx, op, &input, async { Ok(()) }, move |tx, ()| {
                let now = refine_store::meta::get(tx, PAUSE_KEY).map_err(store_error)?;
                if now.is_some() == paused {
                    return Err(ApiError::conflict(if paused {
                        "the runner is already paused"
                    } else {
                        "the runner is not paused"
                    }));
                }
                if paused {
                    let v = json!({ "reason": reason, "since": clock::now(), "by": actor });
                    refine_store::meta::set(tx, PAUSE_KEY, &v.to_string()).map_err(store_error)?;
                } else {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [PAUSE_KEY])
                        .map_err(|e| store_error(e.into()))?;
                }
                let change = Change::new(if paused {
                    "Paused the runner"
                } else {
                    "Resumed the runner"
                })
                .event(op, json!({ "paused": paused }));
                Ok((json!({ "paused": paused }), change))
            })
            .await?;
        self.wake_runner();
        Ok(Mutated {
            value: self.runner_status().await?,
            status: r.status,
            replayed: r.replayed,
        })
    }

    /// `runner.stop`: stop a Goal's worker and its process; the Goal stays as it is and is
    /// picked up again later.
    pub async fn stop_worker(
        &self,
        ctx: &Ctx,
        input: RunnerStopInput,
    ) -> Result<Mutated<WorkerStopped>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        let busy = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&goal.id);
        if !busy {
            return Err(ApiError::conflict(format!(
                "no worker is on Goal #{}",
                goal.number
            )));
        }
        let core = self.clone();
        let gid = goal.id.clone();
        let prepare = async move {
            core.runner()
                .held
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(gid.clone(), Instant::now() + STOP_HOLD);
            core.stop_goal_work(&gid).await;
            Ok(())
        };
        self.mutate(ctx, "runner.stop", &input, prepare, move |_, ()| {
            let change = Change::new(format!(
                "Stopped the worker on Goal #{} (it stays in {} and resumes later)",
                goal.number,
                goal.status.as_str()
            ))
            .app(Some(goal.app_id.clone()))
            .target(goal.id.clone())
            .event("runner.stopped", json!({ "goalId": goal.id }));
            Ok((
                WorkerStopped {
                    goal_id: goal.id.clone(),
                    status: goal.status,
                },
                change,
            ))
        })
        .await
    }

    /// `quality.evaluate`: run the project's tests against a Goal's candidate, by hand.
    pub async fn evaluate_quality(
        &self,
        ctx: &Ctx,
        input: EvaluateInput,
    ) -> Result<Mutated<Evaluation>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        let app = self
            .get_app(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let gid = goal.id.clone();
        let works = self.read(move |c| table::works_of_goal(c, &gid)).await?;
        let (round, work) = works
            .into_iter()
            .rfind(|(n, w)| w.candidate_commit.is_some() && input.round.is_none_or(|r| r == *n))
            .ok_or_else(|| {
                ApiError::precondition(format!(
                    "Goal #{} has no candidate to evaluate yet",
                    goal.number
                ))
            })?;
        let candidate = work.candidate_commit.clone().unwrap_or_default();
        let app_id = app.id.clone();
        let (tests, instructions) = self.read(move |c| table::quality_tests(c, &app_id)).await?;
        if tests.is_empty() {
            return Err(ApiError::precondition(
                "the project has no quality tests; add some in quality settings",
            ));
        }
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let profile = self.profile(&settings.agents.default_profile).await?;
        // A fresh checkout of the exact candidate, so the Goal's own worktree is untouched.
        let dir = self.0.data_dir.join("evaluations").join(new_id());
        let (repo, d2, c2) = (PathBuf::from(&app.path), dir.clone(), candidate.clone());
        self.blocking(move |_| {
            std::fs::create_dir_all(d2.parent().expect("parent"))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let o = std::process::Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(["worktree", "add", "--quiet", "--detach"])
                .arg(&d2)
                .args(["--end-of-options", &c2])
                .output()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if !o.status.success() {
                return Err(ApiError::internal(
                    String::from_utf8_lossy(&o.stderr).to_string(),
                ));
            }
            Ok(())
        })
        .await?;
        let started = clock::now();
        let checks = self
            .run_quality(
                &app,
                &profile,
                &goal,
                round,
                &dir,
                &work,
                &tests,
                &instructions,
            )
            .await;
        let (repo, d2) = (PathBuf::from(&app.path), dir.clone());
        let _ = self
            .blocking(move |_| {
                let _ = wt::remove_worktree(&repo, &d2);
                Ok(())
            })
            .await;
        let checks = match checks {
            Ok(c) => c,
            Err(AgentFailure::Stopped) => {
                return Err(ApiError::conflict("the evaluation was stopped"))
            }
            Err(AgentFailure::Fault(f)) => return Err(ApiError::unavailable(f)),
            Err(AgentFailure::Error(e)) => return Err(e),
        };
        let id = self
            .save_evaluation(
                &app.id, &goal.id, round, &candidate, "manual", &checks, &started,
            )
            .await?;
        let passed = checks.iter().all(|c| c.passed);
        let value = Evaluation {
            id,
            goal_id: goal.id.clone(),
            round,
            commit: candidate,
            passed,
            checks,
        };
        let v2 = value.clone();
        self.mutate(
            ctx,
            "quality.evaluate",
            &input,
            async { Ok(()) },
            move |_, ()| {
                let change = Change::new(format!(
                    "Evaluated Goal #{} round {}: {}",
                    goal.number,
                    v2.round,
                    if v2.passed {
                        "all tests pass"
                    } else {
                        "tests fail"
                    }
                ))
                .app(Some(goal.app_id.clone()))
                .target(goal.id.clone());
                Ok((v2, change))
            },
        )
        .await
    }

    /// `runner.goal_work`: each Round's recorded work and agent runs.
    pub async fn goal_work(&self, input: GoalWorkInput) -> Result<Vec<RoundDetail>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        let id = goal.id.clone();
        let (works, runs) = self
            .read(move |c| Ok((table::works_of_goal(c, &id)?, table::runs_of_goal(c, &id)?)))
            .await?;
        Ok(works
            .into_iter()
            .map(|(n, work)| RoundDetail {
                number: n,
                work,
                runs: runs
                    .iter()
                    .filter(|r| r.round == Some(n))
                    .cloned()
                    .collect(),
            })
            .collect())
    }
}

/// The branch Goals integrate into: the app's default branch.
fn target_branch(app: &App) -> String {
    app.default_branch
        .clone()
        .unwrap_or_else(|| "main".to_string())
}

#[cfg(test)]
mod tests {
    use super::clean_reason;

    #[test]
    fn reasons_lose_escape_codes_and_control_characters_and_are_bounded() {
        assert_eq!(
            clean_reason("quality: \u{1b}[31mFAIL\u{1b}[0m\r\n\tline\u{7}"),
            "quality: FAIL\n\tline"
        );
        let long = "x".repeat(5000);
        let c = clean_reason(&long);
        assert_eq!(c.chars().count(), 2000);
        assert!(c.ends_with('…'));
    }
}
