//! The plan step: the agent proposes a plan (recorded once per Round), then implement.

use crate::agents::AgentFailure;
use crate::Core;
use refine_model::agents::{AgentProfile, Phase};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::App;
use refine_store::agents as table;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

impl Core {
    pub(crate) async fn step_plan(
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
                    .map_err(ApiError::from)
            })
            .await?;
            self.round_changed(&goal.id, round);
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Implement), None)
            .await
    }
}
