//! Prompts: every agent run's prompt starts from the Goal's base prompt (phase, Goal, what
//! should change, notes, why this Round, guidance); each step adds its own sections and the
//! answer format of the completion contract.

use crate::Core;
use refine_model::agents::{Phase, RoundWork, RESULT_FENCE};
use refine_model::work::Goal;
use refine_model::App;

/// Text blocks of a prompt.
pub(crate) fn section(out: &mut String, title: &str, body: &str) {
    if body.trim().is_empty() {
        return;
    }
    out.push_str("\n## ");
    out.push_str(title);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
}

pub(crate) fn answer_format(example: &str) -> String {
    format!(
        "\n## Answer\nWork in the current directory. End your answer with exactly one block:\n{RESULT_FENCE}\n{example}\n```\n"
    )
}

impl Core {
    pub(crate) fn base_prompt(
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
}
