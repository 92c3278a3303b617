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

/// The answer an implement run ends with.
pub(crate) const IMPLEMENT_ANSWER: &str =
    "{\"summary\": \"what you changed\", \"appliedGuidance\": [\"G1\"]}";

/// A repair prompt. Resuming the same session, the agent has the task already: only what was
/// wrong is said; a fresh run gets the whole task again first.
pub(crate) fn repair_prompt(
    original: &str,
    attempt: u32,
    max: u32,
    problem: &str,
    resumed: bool,
) -> String {
    let ask = format!(
        "## Repair {attempt} of {max}\nYour previous answer could not be used: {problem}.\nDo the task again and end your answer with exactly one block:\n{RESULT_FENCE}\n{{ … }}\n```\n"
    );
    if resumed {
        ask
    } else {
        format!("{original}\n\n{ask}")
    }
}

/// A person's follow-up to the implement session it resumes.
pub(crate) fn follow_up_prompt(actor: &str, message: &str) -> String {
    let mut p = String::from("# Refine: implement phase (follow-up)\n");
    section(&mut p, &format!("Follow-up from {actor}"), message);
    p.push_str(
        "\nChange the worktree as asked. Refine commits what you leave as the new candidate.\n",
    );
    p.push_str(&answer_format(IMPLEMENT_ANSWER));
    p
}

/// The same follow-up for a provider that cannot resume: the task, what was done so far, then
/// the message.
pub(crate) fn follow_up_fresh_prompt(base: &str, done: &str, actor: &str, message: &str) -> String {
    let mut p = base.to_string();
    section(&mut p, "What was done so far in this Round", done);
    section(&mut p, &format!("Follow-up from {actor}"), message);
    p.push_str("\nThe worktree holds the work so far. Change it as the follow-up asks. Refine commits what you leave.\n");
    p.push_str(&answer_format(IMPLEMENT_ANSWER));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_and_follow_up_prompts() {
        assert_eq!(
            repair_prompt("TASK", 1, 2, "no refine-result block", true),
            "## Repair 1 of 2\nYour previous answer could not be used: no refine-result block.\nDo the task again and end your answer with exactly one block:\n```refine-result\n{ … }\n```\n"
        );
        assert!(repair_prompt("TASK", 2, 2, "bad JSON", false)
            .starts_with("TASK\n\n## Repair 2 of 2\n"));
        assert_eq!(
            follow_up_prompt("ana", "Rename the flag to --dry."),
            "# Refine: implement phase (follow-up)\n\n## Follow-up from ana\nRename the flag to --dry.\n\nChange the worktree as asked. Refine commits what you leave as the new candidate.\n\n## Answer\nWork in the current directory. End your answer with exactly one block:\n```refine-result\n{\"summary\": \"what you changed\", \"appliedGuidance\": [\"G1\"]}\n```\n"
        );
        let fresh = follow_up_fresh_prompt(
            "# Refine: implement phase\nGoal: #3 X\n",
            "- add a.txt\n",
            "ana",
            "Also b.txt",
        );
        assert!(fresh.contains("## What was done so far in this Round\n- add a.txt\n"));
        assert!(fresh.contains("## Follow-up from ana\nAlso b.txt\n"));
    }
}
