//! `refine quality`: the app's plain-text quality tests and instructions, the evaluation
//! history, and evaluating a Goal's candidate by hand. Writes send the revision just read, so a
//! concurrent edit makes the command fail (exit 4) instead of overwriting it.

use clap::{Args, Subcommand};
use refine_api::ops::{apps, quality};
use refine_core::quality::{
    QualityEvaluationIdInput, QualityHistoryInput, QualitySettingsInput, UpdateQualitySettingsInput,
};
use refine_core::runner::EvaluateInput;
use refine_model::quality::{QualityEvaluation, QualitySettings};

use super::apps::app_opt;
use super::{read_text, text_or_file, Commands, Run};
use crate::render::{opt, state, Cell, Printer, Render};
use crate::Result;

#[derive(Args, Debug)]
pub struct QualityArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: QualityCmd,
}

#[derive(Subcommand, Debug)]
pub enum QualityCmd {
    /// The plain-text tests, numbered.
    Tests,
    /// Replace all tests: `refine quality set-tests "Checkout works" "Coupons apply"`, or one
    /// per line from a file (`--file -` reads standard input). No tests and no file clears them.
    SetTests {
        tests: Vec<String>,
        #[arg(long, conflicts_with = "tests")]
        file: Option<String>,
    },
    /// Show the instructions, or set them (TEXT, or `--file F|-`).
    Instructions {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Evaluations, newest first.
    History {
        /// Only this Goal's (`12`, `#12` or its id).
        #[arg(long)]
        goal: Option<String>,
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: u32,
    },
    /// One evaluation with every check.
    Show { id: String },
    /// Run the tests against a Goal's candidate now (the agent proposes one command per test).
    Evaluate {
        /// The Goal (`12`, `#12` or its id).
        goal: String,
        /// Round (default: the latest with a candidate).
        #[arg(long)]
        round: Option<u32>,
    },
}

pub const COMMANDS: Commands = &[
    ("tests", &[quality::SETTINGS_GET.name, apps::LIST.name]),
    (
        "set-tests",
        &[
            quality::SETTINGS_UPDATE.name,
            quality::SETTINGS_GET.name,
            apps::LIST.name,
        ],
    ),
    (
        "instructions",
        &[
            quality::SETTINGS_GET.name,
            quality::SETTINGS_UPDATE.name,
            apps::LIST.name,
        ],
    ),
    (
        "history",
        &[quality::EVALUATIONS_LIST.name, apps::LIST.name],
    ),
    ("show", &[quality::EVALUATIONS_GET.name]),
    (
        "evaluate",
        &[quality::EVALUATE.name, quality::EVALUATIONS_GET.name],
    ),
];

pub async fn run(r: &Run<'_>, a: &QualityArgs) -> Result {
    let c = r.c;
    let app_id = app_opt(c, &a.app).await?;
    let input = QualitySettingsInput {
        app_id: app_id.clone(),
    };
    let settings = || c.run(quality::SETTINGS_GET, &input);
    match &a.cmd {
        QualityCmd::Tests => r.out.show(&settings().await?),
        QualityCmd::SetTests { tests, file } => {
            let tests: Vec<String> = match file {
                Some(f) => read_text(f)?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                None => tests.clone(),
            };
            let q = settings().await?;
            let input = UpdateQualitySettingsInput {
                app_id: app_id.clone(),
                revision: q.revision,
                tests,
                instructions: q.instructions,
            };
            r.out.show(&c.run(quality::SETTINGS_UPDATE, &input).await?)
        }
        QualityCmd::Instructions { text, file } => {
            let q = settings().await?;
            let Some(text) = text_or_file(text, file)? else {
                return r.out.show(&Instructions(q));
            };
            let input = UpdateQualitySettingsInput {
                app_id: app_id.clone(),
                revision: q.revision,
                tests: q.tests,
                instructions: text,
            };
            let saved = c.run(quality::SETTINGS_UPDATE, &input).await?;
            r.out.done(&saved, |q| {
                format!("Saved the instructions (revision {})", q.revision)
            })
        }
        QualityCmd::History { goal, limit } => {
            let input = QualityHistoryInput {
                app_id: app_id.clone(),
                goal_id: goal.clone(),
                limit: Some(*limit),
            };
            let list = c.run(quality::EVALUATIONS_LIST, &input).await?;
            r.out.show(&EvaluationList(list))
        }
        QualityCmd::Show { id } => {
            let input = QualityEvaluationIdInput { id: id.clone() };
            r.out.show(&c.run(quality::EVALUATIONS_GET, &input).await?)
        }
        QualityCmd::Evaluate { goal, round } => {
            eprintln!("Evaluating Goal {goal}'s candidate…");
            let input = EvaluateInput {
                goal_id: goal.clone(),
                round: *round,
            };
            let done = c.run(quality::EVALUATE, &input).await?;
            let input = QualityEvaluationIdInput { id: done.id };
            r.out.show(&c.run(quality::EVALUATIONS_GET, &input).await?)
        }
    }
}

/// `passed`, `failed`, `error` (ended without a verdict) or `running`.
fn verdict(e: &QualityEvaluation) -> &'static str {
    match (e.passed, &e.ended_at) {
        (Some(true), _) => "passed",
        (Some(false), _) => "failed",
        (None, Some(_)) => "error",
        (None, None) => "running",
    }
}

/// `quality tests` (and `set-tests`): the tests, numbered, and the revision.
impl Render for QualitySettings {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .tests
            .iter()
            .enumerate()
            .map(|(i, t)| vec![Cell::from(i + 1), Cell::from(t)])
            .collect();
        p.table(&["#", "test"], rows);
        p.line(format!("revision {}", self.revision));
    }
}

/// `quality instructions`: the instructions of the quality settings.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Instructions(pub QualitySettings);

impl Render for Instructions {
    fn render(&self, p: &mut Printer) {
        block(p, "Instructions", &self.0.instructions);
    }
}

/// `Label:` and the text indented, or `Label: (none)`.
pub fn block(p: &mut Printer, label: &str, text: &str) {
    if text.trim().is_empty() {
        p.line(format!("{label}: (none)"));
        return;
    }
    p.line(format!("{label}:"));
    for l in text.lines() {
        p.line(format!("  {l}"));
    }
}

/// `quality history`: one row per evaluation.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct EvaluationList(pub Vec<QualityEvaluation>);

impl Render for EvaluationList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|e| {
                let ok = e.checks.iter().filter(|x| x.passed).count();
                vec![
                    Cell::from(&e.started_at),
                    state(verdict(e)),
                    Cell::from(format!("{ok}/{}", e.checks.len())),
                    Cell::from(&e.trigger),
                    Cell::from(e.round.map_or("-".to_string(), |r| format!("round {r}"))),
                    Cell::from(
                        e.commit_sha
                            .as_ref()
                            .map_or("-".to_string(), |c| c.chars().take(10).collect()),
                    ),
                    Cell::from(&e.id),
                ]
            })
            .collect();
        p.table(
            &[
                "started", "result", "checks", "trigger", "round", "commit", "id",
            ],
            rows,
        );
    }
}

/// `quality show` and `evaluate`: the verdict, then every check.
impl Render for QualityEvaluation {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "{} — {} ({}, started {})",
            self.id,
            verdict(self),
            self.trigger,
            self.started_at
        ));
        if let Some(err) = &self.error {
            p.line(format!("  error: {err}"));
        }
        let rows = self
            .checks
            .iter()
            .map(|x| {
                vec![
                    if x.passed {
                        state("pass")
                    } else {
                        state("FAIL")
                    },
                    Cell::from(&x.test),
                    Cell::from(&x.command),
                    Cell::from(opt(&x.exit_code)),
                    Cell::from(format!("{} ms", x.duration_ms)),
                ]
            })
            .collect();
        p.table(&["", "test", "command", "exit", "took"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    #[test]
    fn quality_renders_from_its_typed_output() {
        let q: QualitySettings = serde_json::from_value(json!({
            "appId": "a1", "tests": ["The cart shows a coupon field", "Totals are integer cents"],
            "instructions": "Run npm test,\nthen open /cart.", "revision": 3
        }))
        .unwrap();
        assert_eq!(
            shown(&q),
            "#  TEST\n1  The cart shows a coupon field\n2  Totals are integer cents\nrevision 3\n"
        );
        assert_eq!(
            shown(&Instructions(q)),
            "Instructions:\n  Run npm test,\n  then open /cart.\n"
        );

        let e: QualityEvaluation = serde_json::from_value(json!({
            "id": "ev1", "appId": "a1", "goalId": "g1", "round": 2, "commitSha": "abcdef0123456789",
            "trigger": "manual", "passed": false, "error": null,
            "startedAt": "2026-03-01T10:00:00Z", "endedAt": "2026-03-01T10:01:00Z",
            "checks": [
                {"test": "the greeting file exists", "command": "test -f w.txt", "exitCode": 0, "passed": true,
                 "durationMs": 12, "logExcerpt": "", "processId": null},
                {"test": "totals", "command": "npm test", "exitCode": 1, "passed": false,
                 "durationMs": 900, "logExcerpt": "1 failing", "processId": "p1"}
            ]
        }))
        .unwrap();
        let one = shown(&e);
        assert!(
            one.starts_with("ev1 — failed (manual, started 2026-03-01T10:00:00Z)\n"),
            "{one}"
        );
        assert!(
            one.contains("pass  the greeting file exists  test -f w.txt  0     12 ms"),
            "{one}"
        );
        assert!(one.contains("FAIL  totals"), "{one}");
        let list = shown(&EvaluationList(vec![e]));
        assert!(
            list.contains(
                "2026-03-01T10:00:00Z  failed  1/2     manual   round 2  abcdef0123  ev1"
            ),
            "{list}"
        );
        assert_eq!(shown(&EvaluationList(vec![])), "(none)\n");
    }
}
