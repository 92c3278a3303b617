//! `refine runner`: the runner's workers and capacity; pausing, stopping a Goal's worker,
//! lifting a provider hold, and what each Round of a Goal recorded.

use clap::Subcommand;
use refine_api::ops::runner;
use refine_core::runner::holds::ReleaseInput;
use refine_core::runner::{GoalWorkInput, RoundDetail, RunnerPauseInput, RunnerStopInput};
use refine_core::system::Empty;
use refine_model::agents::RunnerStatus;

use super::{Commands, Run};
use crate::render::{opt, state, wire, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum RunnerCmd {
    /// Workers and what each is doing; capacity; why Goals wait.
    Status,
    /// Stop admitting new Goals (running ones go on).
    Pause {
        #[arg(long)]
        reason: Option<String>,
    },
    /// Admit new Goals again.
    Resume,
    /// Stop the worker on a Goal (the Goal stays as it is and resumes later).
    Stop { goal: String },
    /// Lift the hold on an agent profile (rate-limited, or its credentials refused): go on now.
    Release { profile: String },
    /// What the automation recorded for each Round of a Goal.
    Rounds { goal: String },
}

pub const COMMANDS: Commands = &[
    ("status", &[runner::STATUS.name]),
    ("pause", &[runner::PAUSE.name]),
    ("resume", &[runner::RESUME.name]),
    ("stop", &[runner::STOP.name]),
    ("release", &[runner::RELEASE.name]),
    ("rounds", &[runner::ROUNDS.name]),
];

pub async fn run(r: &Run<'_>, cmd: &RunnerCmd) -> Result {
    let c = r.c;
    match cmd {
        RunnerCmd::Status => r.out.show(&c.run(runner::STATUS, &Empty {}).await?),
        RunnerCmd::Pause { reason } => {
            let input = RunnerPauseInput {
                reason: reason.clone(),
            };
            r.out.show(&c.run(runner::PAUSE, &input).await?)
        }
        RunnerCmd::Resume => {
            let input = RunnerPauseInput { reason: None };
            r.out.show(&c.run(runner::RESUME, &input).await?)
        }
        RunnerCmd::Stop { goal } => {
            let input = RunnerStopInput {
                goal_id: goal.clone(),
            };
            let stopped = c.run(runner::STOP, &input).await?;
            r.out.done(&stopped, |s| {
                format!(
                    "Stopped the worker; the Goal stays in {} and resumes later",
                    wire(&s.status)
                )
            })
        }
        RunnerCmd::Release { profile } => {
            let input = ReleaseInput {
                profile: profile.clone(),
            };
            let holds = c.run(runner::RELEASE, &input).await?;
            r.out.done(&holds, |_| {
                format!("Released {profile}: its Goals go on now")
            })
        }
        RunnerCmd::Rounds { goal } => {
            let input = GoalWorkInput {
                goal_id: goal.clone(),
            };
            r.out.show(&Rounds(c.run(runner::ROUNDS, &input).await?))
        }
    }
}

/// `runner status`: the summary line, why apps wait, holds, then the workers.
impl Render for RunnerStatus {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Runner: {} · {} worker(s) · limits {} total, {} per app, {} per provider · load {:.2}, {} MiB free",
            if self.paused { "paused" } else { "running" },
            self.workers.len(),
            self.max_concurrent_goals,
            self.max_per_app,
            self.max_per_provider,
            self.load_average,
            self.available_memory_mb
        ));
        for w in &self.waiting {
            p.toned(format!("  waiting: {}", w.reason), Tone::Wait);
        }
        for h in &self.holds {
            p.toned(format!("  held: {} ({})", h.reason, h.kind), Tone::Wait);
        }
        if self.workers.is_empty() {
            return;
        }
        let rows = self
            .workers
            .iter()
            .map(|w| {
                vec![
                    Cell::from(format!("#{}", w.goal_number)),
                    Cell::from(&w.goal_title),
                    Cell::from(w.round),
                    state(&w.phase),
                    Cell::from(&w.profile),
                    Cell::from(&w.started_at),
                ]
            })
            .collect();
        p.table(
            &["goal", "title", "round", "phase", "profile", "since"],
            rows,
        );
    }
}

/// `runner rounds`: each Round's record.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Rounds(pub Vec<RoundDetail>);

impl Render for Rounds {
    fn render(&self, p: &mut Printer) {
        if self.0.is_empty() {
            p.toned("(no Rounds yet)", Tone::Dim);
        }
        for d in &self.0 {
            let w = &d.work;
            let short = |c: &Option<String>| {
                c.as_ref()
                    .map_or("-".to_string(), |c| c.chars().take(10).collect())
            };
            let passed = w.quality.iter().filter(|q| q.passed).count();
            let governance = w.governance.as_ref().map_or("-".to_string(), |g| {
                if g.passed { "passed" } else { "failed" }.to_string()
            });
            let integration = w.integration.as_ref().map_or("-".to_string(), |i| {
                match (&i.merge_commit, i.conflicts.is_empty()) {
                    (Some(m), _) => format!(
                        "merged into {} ({})",
                        i.target_branch,
                        short(&Some(m.clone()))
                    ),
                    (None, false) => format!("conflicts: {}", i.conflicts.join(", ")),
                    (None, true) => format!("onto {}", i.target_branch),
                }
            });
            p.toned(format!("Round {}", d.number), Tone::Strong);
            p.fields(&[
                ("branch", Cell::from(opt(&w.branch))),
                ("base", Cell::from(short(&w.base_commit))),
                ("candidate", Cell::from(short(&w.candidate_commit))),
                ("profile", Cell::from(opt(&w.profile))),
                (
                    "quality",
                    Cell::from(format!("{passed}/{} passed", w.quality.len())),
                ),
                ("governance", state(governance)),
                ("integration", Cell::from(integration)),
                ("follow-ups", Cell::from(w.follow_ups.len())),
                ("agent runs", Cell::from(d.runs.len())),
                ("waiting", Cell::from(opt(&w.waiting))),
                ("fault", Cell::from(opt(&w.fault))),
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    #[test]
    fn the_runner_renders_from_its_typed_output() {
        let s: RunnerStatus = serde_json::from_value(json!({
            "paused": true, "maxConcurrentGoals": 4, "maxPerApp": 2, "maxPerProvider": 2,
            "resourceSlots": 4, "loadAverage": 0.5, "availableMemoryMb": 2048,
            "waiting": [{"appId": "a1", "reason": "paused: lunch"}],
            "holds": [{"profile": "codex", "kind": "rate_limit", "reason": "until 12:00", "since": "t", "until": null}],
            "workers": [{"id": "w1", "appId": "a1", "goalId": "g1", "goalNumber": 3, "goalTitle": "Coupons",
                "round": 1, "phase": "implement", "profile": "scripted", "processId": null, "startedAt": "2026-03-01T10:00:00Z"}]
        }))
        .unwrap();
        let out = shown(&s);
        assert!(
            out.starts_with("Runner: paused · 1 worker(s) · limits 4 total, 2 per app, 2 per provider · load 0.50, 2048 MiB free\n  waiting: paused: lunch\n  held: until 12:00 (rate_limit)\n"),
            "{out}"
        );
        assert!(
            out.contains("#3    Coupons  1      implement  scripted  2026-03-01T10:00:00Z"),
            "{out}"
        );

        let rounds: Vec<RoundDetail> = serde_json::from_value(json!([{
            "number": 1, "runs": [],
            "work": {"branch": "refine/3-coupons", "baseCommit": "0123456789abcdef", "candidateCommit": null,
                "quality": [{"test": "t", "command": "c", "exitCode": 0, "passed": true, "durationMs": 1,
                    "logExcerpt": "", "processId": null}],
                "governance": {"passed": false, "rules": ["R1"], "findings": "no"}}
        }]))
        .unwrap();
        let out = shown(&Rounds(rounds));
        assert!(
            out.starts_with(
                "Round 1\n  branch:       refine/3-coupons\n  base:         0123456789\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("quality:      1/1 passed\n  governance:   failed\n"),
            "{out}"
        );
        assert_eq!(shown(&Rounds(vec![])), "(no Rounds yet)\n");
    }
}
