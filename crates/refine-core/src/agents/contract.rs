//! The completion contract: every phase's answer ends with one `refine-result` JSON block. A
//! run without a usable block gets at most [`MAX_REPAIRS`] repair prompts (resuming the same
//! provider session where it can), then the phase fails as a provider fault.

use crate::Core;

use super::*;

impl Core {
    /// Run a phase under the completion contract: the first prompt, then at most
    /// [`MAX_REPAIRS`] repair prompts while the answer has no readable block.
    pub(crate) async fn run_phase(
        &self,
        spec: &RunSpec,
        on_process: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<(serde_json::Value, Answer), AgentFailure> {
        let mut last_error = String::new();
        let mut session: Option<String> = None;
        for attempt in 0..=MAX_REPAIRS {
            let mut s = spec.clone();
            if attempt > 0 {
                // Resume the session that gave the unusable answer, where the provider can.
                let resumed = session.is_some() && !spec.profile.resume_args.is_empty();
                s.resume = if resumed { session.clone() } else { None };
                s.kind = "repair";
                s.prompt = super::prompt::repair_prompt(
                    &spec.prompt,
                    attempt,
                    MAX_REPAIRS,
                    &last_error,
                    resumed,
                );
            }
            let answer = self.run_agent_once(&s, attempt, on_process).await?;
            if answer.session_id.is_some() {
                session = answer.session_id.clone();
            }
            match &answer.block {
                Ok(v) => return Ok((v.clone(), answer)),
                Err(e) => {
                    let tail: String = answer
                        .output
                        .trim_end()
                        .chars()
                        .rev()
                        .take(160)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    last_error = if tail.is_empty() {
                        e.clone()
                    } else {
                        format!("{e} (it ended with: “{tail}”)")
                    };
                }
            }
        }
        Err(AgentFailure::Fault(format!(
            "the agent {} gave no usable answer after {MAX_REPAIRS} repair prompts: {last_error}",
            spec.profile.name
        )))
    }
}
