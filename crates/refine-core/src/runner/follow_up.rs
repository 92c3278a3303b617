//! Follow-ups: a person tells a Goal's agent something while the Goal is in review. The Goal
//! goes back to implement in the same Round; the implement step resumes the Round's implement
//! session with the message (or, for a provider that cannot resume, a fresh prompt with the
//! earlier transcript summarised), commits what changed as the new candidate, and quality and
//! governance look at it again before it returns to review.

use refine_model::agents::{FollowUp, RoundWork};
use refine_model::workflow::{Action, WorkflowState};
use refine_model::ApiError;
use refine_store::agents as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::workflow::TransitionResult;
use crate::{clock, Core, Ctx, Mutated};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TellInput {
    /// The Goal (`12`, `#12` or its id).
    pub goal_id: String,
    /// What the agent should do next, in plain words.
    pub message: String,
}

impl Core {
    /// `runner.tell`: send a follow-up to the agent of a Goal in review.
    pub async fn runner_tell(
        &self,
        ctx: &Ctx,
        input: TellInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        let message = input.message.trim().to_string();
        if message.is_empty() || message.chars().count() > 20_000 {
            return Err(ApiError::invalid("the message must be 1-20,000 characters"));
        }
        let goal = self.get_goal_any(&input.goal_id).await?;
        if goal.status != WorkflowState::Review {
            return Err(ApiError::conflict(format!(
                "Goal #{} is in {}; a follow-up goes to a Goal in review",
                goal.number,
                goal.status.as_str()
            )));
        }
        let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        self.require_picked(&goal, round).await?;
        self.require_clean_checkout(&goal, round).await?;
        // Pending first: the worker that picks the Goal up in implement must find it.
        let f = FollowUp {
            at: clock::now(),
            actor: ctx.actor.clone(),
            message: message.clone(),
            run_id: None,
            resumed: false,
            previous_candidate: None,
        };
        let f2 = f.clone();
        self.record_work(&goal.id, round, move |w| w.follow_ups.push(f2))
            .await?;
        let reason = format!("follow-up from {}: {}", ctx.actor, one_line(&message));
        let moved = self
            .transition(ctx, &input, goal.id.clone(), Action::FollowUp, Some(reason))
            .await;
        if moved.is_err() {
            let at = f.at.clone();
            let _ = self
                .record_work(&goal.id, round, move |w| {
                    w.follow_ups.retain(|x| x.at != at)
                })
                .await;
        }
        moved
    }

    /// The follow-up the implement step has to handle, if any.
    pub(crate) fn pending_follow_up(work: &RoundWork) -> Option<(usize, FollowUp)> {
        work.follow_ups
            .iter()
            .enumerate()
            .find(|(_, f)| f.run_id.is_none())
            .map(|(i, f)| (i, f.clone()))
    }

    /// The Round and the earlier ones it continues ("request changes"), newest first.
    pub(crate) async fn continued_rounds(
        &self,
        goal_id: &str,
        round: u32,
    ) -> Result<Vec<u32>, ApiError> {
        let id = goal_id.to_string();
        self.read(move |c| {
            let mut chain = vec![round];
            let mut at = round;
            while let Some(prev) = table::round_work(c, &id, at)?.continues_round {
                if prev >= at || chain.len() > 100 {
                    break;
                }
                chain.push(prev);
                at = prev;
            }
            Ok(chain)
        })
        .await
    }

    /// The provider session of the latest implement run of the Round (or of the Round it
    /// continues), to resume.
    /// The Goal's runs that made its candidates: in a best-of-N Round only the picked
    /// candidate's (another candidate's session is another worktree, maybe another provider).
    async fn picked_runs(
        &self,
        goal_id: &str,
    ) -> Result<Vec<refine_model::agents::AgentRun>, ApiError> {
        let id = goal_id.to_string();
        let (runs, works) = self
            .read(move |c| Ok((table::runs_of_goal(c, &id)?, table::works_of_goal(c, &id)?)))
            .await?;
        let picks: std::collections::HashMap<u32, Option<u32>> = works
            .into_iter()
            .filter(|(_, w)| !w.candidates.is_empty())
            .map(|(n, w)| (n, w.picked))
            .collect();
        Ok(runs
            .into_iter()
            .filter(|r| match r.round.and_then(|n| picks.get(&n)) {
                Some(picked) => r.candidate == *picked,
                None => true,
            })
            .collect())
    }

    pub(crate) async fn implement_session(
        &self,
        goal_id: &str,
        round: u32,
    ) -> Result<Option<String>, ApiError> {
        let chain = self.continued_rounds(goal_id, round).await?;
        let runs = self.picked_runs(goal_id).await?;
        Ok(chain.iter().find_map(|n| {
            runs.iter()
                .rev()
                .filter(|r| {
                    r.round == Some(*n) && r.phase == refine_model::agents::Phase::Implement
                })
                .find_map(|r| r.session_id.clone())
        }))
    }

    /// What the Round's implement runs did, briefly, for a provider that cannot resume.
    pub(crate) async fn implement_summary(
        &self,
        goal_id: &str,
        round: u32,
    ) -> Result<String, ApiError> {
        let chain = self.continued_rounds(goal_id, round).await?;
        let runs = self.picked_runs(goal_id).await?;
        let mut out = String::new();
        for r in runs.iter().filter(|r| {
            r.round.is_some_and(|n| chain.contains(&n))
                && r.phase == refine_model::agents::Phase::Implement
        }) {
            let rid = r.id.clone();
            let entries = self
                .read(move |c| table::transcript(c, &rid, None, 400))
                .await?;
            for e in entries {
                use refine_model::transcript::TranscriptItem as T;
                let line = match &e.item {
                    T::Text { text } => Some(format!("- said: {}", one_line(text))),
                    T::FileChange { path, change } => Some(format!("- {change} {path}")),
                    T::Command {
                        command, exit_code, ..
                    } => Some(format!(
                        "- ran `{}` (exit {})",
                        one_line(command),
                        exit_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "?".into())
                    )),
                    _ => None,
                };
                if let Some(l) = line {
                    if out.len() < 8000 {
                        out.push_str(&l);
                        out.push('\n');
                    }
                }
            }
        }
        Ok(out)
    }
}

fn one_line(s: &str) -> String {
    refine_model::transcript::excerpt(s.lines().next().unwrap_or("").trim(), 200)
}
