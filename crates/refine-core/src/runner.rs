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

use crate::events::kind;
use refine_model::event::{GoalRef, RunnerPaused};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use refine_host::worktree as wt;
use refine_model::agents::{Provider, QualityCheck, RoundWork, RunnerStatus, WorkerInfo};
use refine_model::workflow::WorkflowState;
use refine_model::{ApiError, App, Surface};
use refine_store::agents as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::agents::prompt::{answer_format, section};
use crate::agents::AgentFailure;

mod candidates;
mod follow_up;
pub use follow_up::TellInput;
pub(crate) use worker::same_dir;
mod environment;
mod governance;
pub mod holds;
mod implement;
mod integrate;
mod plan;
mod quality;
mod scheduler;
mod worker;
use crate::{clock, new_id, Change, Core, Ctx, Mutated};

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
    /// Agent runs it counts for against the capacity limits (best-of-N runs several).
    weight: u32,
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
    /// Profiles held back for every Goal (rate limits, refused credentials), by profile name.
    holds: Mutex<HashMap<String, holds::Hold>>,
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
            kind::RUNNER_WORKER_ENDED,
            Some(self.app_id.clone()),
            &GoalRef {
                goal_id: self.goal_id.clone(),
            },
        );
        self.core.wake_runner();
        self.core.announce_now();
        let (core, goal) = (self.core.clone(), self.goal_id.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { core.release(&goal).await });
        }
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

pub(crate) enum Next {
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

    /// The workers running now.
    pub(crate) fn workers(&self) -> Vec<WorkerInfo> {
        self.runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|s| s.info.clone())
            .collect()
    }

    /// `runner.status`
    pub async fn runner_status(&self) -> Result<RunnerStatus, ApiError> {
        let s = self.effective_settings(None).await?;
        let mut workers = self.workers();
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
            holds: self.provider_holds(),
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
        let reason = input.reason.clone();
        let actor = ctx.actor.clone();
        let r = self
            .mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
                let now = refine_store::meta::get(tx, PAUSE_KEY)?;
                if now.is_some() == paused {
                    return Err(ApiError::conflict(if paused {
                        "the runner is already paused"
                    } else {
                        "the runner is not paused"
                    }));
                }
                if paused {
                    let v = json!({ "reason": reason, "since": clock::now(), "by": actor });
                    refine_store::meta::set(tx, PAUSE_KEY, &v.to_string())?;
                } else {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [PAUSE_KEY])
                        .map_err(|e| ApiError::from(refine_store::StoreError::from(e)))?;
                }
                let change = Change::new(if paused {
                    "Paused the runner"
                } else {
                    "Resumed the runner"
                })
                .event(
                    if paused {
                        kind::RUNNER_PAUSED
                    } else {
                        kind::RUNNER_RESUMED
                    },
                    &RunnerPaused { paused },
                );
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
    pub async fn runner_stop(
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
        self.mutate(ctx, &input, prepare, move |_, ()| {
            let change = Change::new(format!(
                "Stopped the worker on Goal #{} (it stays in {} and resumes later)",
                goal.number,
                goal.status.as_str()
            ))
            .app(Some(goal.app_id.clone()))
            .target(goal.id.clone())
            .event(
                kind::RUNNER_STOPPED,
                &GoalRef {
                    goal_id: goal.id.clone(),
                },
            );
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
    pub async fn quality_evaluate(
        &self,
        ctx: &Ctx,
        input: EvaluateInput,
    ) -> Result<Mutated<Evaluation>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        let app = self
            .apps_get(crate::apps::AppIdInput {
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
        // The checkout gets the app's worktree environment too (copies, links, setup).
        let prepared = match self
            .prepare_environment(&app, &goal, round, &dir, &settings.worktree)
            .await
        {
            Ok((_, None)) => Ok(()),
            Ok((_, Some(why))) => Err(ApiError::precondition(why)),
            Err(AgentFailure::Error(e)) => Err(e),
            Err(_) => Err(ApiError::conflict("the evaluation's setup was stopped")),
        };
        if let Err(e) = prepared {
            let (repo, d2) = (PathBuf::from(&app.path), dir.clone());
            let _ = self
                .blocking(move |_| {
                    let _ = wt::remove_worktree(&repo, &d2);
                    Ok(())
                })
                .await;
            return Err(e);
        }
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
                None,
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
            Err(AgentFailure::Fault(f)) | Err(AgentFailure::Setup(f)) => {
                return Err(ApiError::unavailable(f))
            }
            Err(AgentFailure::Error(e)) => return Err(e),
            Err(AgentFailure::Limited { message, reset, .. }) => {
                return Err(ApiError::new(
                    refine_model::ErrorCode::TooManyRequests,
                    format!("the agent's provider is rate-limited: {message}"),
                )
                .with_details(json!({ "retryAfter": reset.map(|t| (t - time::OffsetDateTime::now_utc()).whole_seconds().max(1)).unwrap_or(60) })))
            }
            Err(AgentFailure::Unauthorized { message, .. }) => {
                return Err(ApiError::precondition(format!(
                    "the agent's provider refused the credentials: {message}"
                )))
            }
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
        self.mutate(ctx, &input, async { Ok(()) }, move |_, ()| {
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
        })
        .await
    }

    /// `runner.goal_work`: each Round's recorded work and agent runs.
    pub async fn runner_rounds(&self, input: GoalWorkInput) -> Result<Vec<RoundDetail>, ApiError> {
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
pub(crate) fn target_branch(app: &App) -> String {
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
