//! The quality step: the agent proposes one command per plain-text test, Refine runs each
//! supervised in the worktree; the exit code is the verdict.

use crate::agents::AgentFailure;
use crate::events::kind;
use crate::{clock, new_id, Core};
use refine_model::agents::{AgentProfile, Phase, QualityCheck, RoundWork};
use refine_model::event::QualityEvaluated;
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::{ApiError, App};
use refine_store::agents as table;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// One line on a failed check: the test, its command and exit code (and with `excerpt` the
/// last lines of its output).
pub(crate) fn failed_check(bad: &QualityCheck, excerpt: bool) -> String {
    let tail: String = if excerpt {
        let lines: Vec<&str> = bad.log_excerpt.lines().rev().take(3).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
    } else {
        String::new()
    };
    format!(
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
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        }
    )
}

/// What a supervised command did.
pub(crate) struct CommandRun {
    pub exit_code: Option<i32>,
    pub passed: bool,
    pub duration_ms: u64,
    pub log_excerpt: String,
    pub process_id: String,
}

impl Core {
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
        candidate: Option<u32>,
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
        let mut spec = self.spec(
            app,
            profile,
            goal,
            round,
            Phase::Quality,
            dir.to_path_buf(),
            prompt,
            &settings,
        );
        spec.for_candidate(candidate);
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
            let ran = self
                .supervised_command(
                    app,
                    goal,
                    round,
                    dir,
                    &command,
                    format!("quality #{} r{round}: test {}", goal.number, i + 1),
                    Duration::from_secs(settings.agents.run_timeout_minutes as u64 * 60),
                )
                .await?;
            checks.push(QualityCheck {
                test: test.clone(),
                command,
                exit_code: ran.exit_code,
                passed: ran.passed,
                duration_ms: ran.duration_ms,
                log_excerpt: ran.log_excerpt,
                process_id: Some(ran.process_id),
            });
        }
        Ok(checks)
    }

    /// Run one shell command supervised in `dir` (a process of the Goal's Round, listed on the
    /// Processes page), stopped after `timeout`; its exit code and the end of its output.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn supervised_command(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        dir: &Path,
        command: &str,
        label: String,
        timeout: Duration,
    ) -> Result<CommandRun, AgentFailure> {
        let started = Instant::now();
        let (info, mut done) = self
            .start_owned_process(
                &app.id,
                crate::processes::StartProcessInput {
                    app_id: Some(app.id.clone()),
                    argv: vec!["sh".into(), "-c".into(), command.to_string()],
                    cwd: None,
                    env: None,
                    label: Some(label),
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
        let timed_out = tokio::time::timeout(timeout, done.wait_for(|d| *d))
            .await
            .is_err();
        if timed_out {
            let _ = self.stop_process_quiet(&info.id).await;
        }
        let fin = self
            .processes_get(crate::processes::ProcessIdInput {
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
        Ok(CommandRun {
            exit_code: fin.exit_code,
            passed: fin.exit_code == Some(0) && !timed_out,
            duration_ms: started.elapsed().as_millis() as u64,
            log_excerpt,
            process_id: info.id,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn save_evaluation(
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
                    Ok::<_, refine_store::StoreError>(())
                })
                .map_err(ApiError::from)
        })
        .await?;
        self.bus().publish(
            kind::QUALITY_EVALUATED,
            Some(app_id.to_string()),
            &QualityEvaluated {
                id: id.clone(),
                goal_id: goal_id.to_string(),
                round,
                passed,
            },
        );
        Ok(id)
    }

    pub(crate) async fn step_quality(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        stop: &AtomicBool,
    ) -> Result<Next, AgentFailure> {
        let work = self.ensure_round_setup(app, profile, goal, round).await?;
        if !work.candidates.is_empty() && work.picked.is_none() {
            // Best-of-N: each candidate was checked on its own; a person picks in review.
            return self
                .step_transition(
                    goal,
                    round,
                    Action::Advance(WorkflowState::Governance),
                    None,
                )
                .await;
        }
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
                    None,
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
            let finding = failed_check(bad, true);
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
}
