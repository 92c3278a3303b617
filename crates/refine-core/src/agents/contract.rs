//! The completion contract: every phase's answer ends with one `refine-result` JSON block. A
//! run without a usable block gets at most [`MAX_REPAIRS`] repair prompts (resuming the same
//! provider session where it can), then the phase fails as a provider fault.

use crate::Core;
use refine_model::agents::{self as model};

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
        for attempt in 0..=MAX_REPAIRS {
            let mut s = spec.clone();
            if attempt > 0 {
                s.prompt = format!(
                    "{}\n\n## Repair {attempt} of {MAX_REPAIRS}\nYour previous answer could not be used: {last_error}.\nDo the task again and end your answer with exactly one block:\n{}\n{{ … }}\n```\n",
                    spec.prompt,
                    model::RESULT_FENCE
                );
            }
            let answer = self.run_agent_once(&s, attempt, on_process).await?;
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
