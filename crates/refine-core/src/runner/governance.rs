//! The governance step: a verdict on the exact candidate diff against the product statement,
//! constitution and rules; then the merge is prepared (integrate) and the Goal waits in review.

use crate::agents::AgentFailure;
use crate::Core;
use refine_host::worktree as wt;
use refine_model::agents::{AgentProfile, GovernanceVerdict, Integration, Phase};
use refine_model::work::Goal;
use refine_model::workflow::{Action, WorkflowState};
use refine_model::{ApiError, App};
use refine_store::agents as table;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

impl Core {
    pub(crate) async fn step_governance(
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
                .step_transition(goal, round, Action::Advance(WorkflowState::Review), None)
                .await;
        }
        let candidate = work
            .candidate_commit
            .clone()
            .ok_or_else(|| ApiError::internal("no candidate commit recorded"))?;
        let base = work.base_commit.clone().unwrap_or_default();
        let verdict = match &work.governance {
            Some(v) => v.clone(),
            None => {
                let dir = PathBuf::from(work.worktree.clone().unwrap_or_default());
                let v = self
                    .judge(
                        app, profile, goal, round, &work, &base, &candidate, dir, None,
                    )
                    .await?;
                if stop.load(Ordering::SeqCst) || !self.unchanged(goal, round).await {
                    return Ok(Next::Done);
                }
                let v2 = v.clone();
                self.record_work(&goal.id, round, move |w| w.governance = Some(v2))
                    .await?;
                v
            }
        };
        if !verdict.passed {
            let finding = format!(
                "governance: {}{}",
                if verdict.findings.is_empty() {
                    "the candidate was rejected"
                } else {
                    verdict.findings.as_str()
                },
                if verdict.rules.is_empty() {
                    String::new()
                } else {
                    format!(" (rules {})", verdict.rules.join(", "))
                }
            );
            return self.finding(app, goal, round, finding).await;
        }
        // Integrate: prepare the merge; the target branch moves when a person approves.
        let integration = match &work.integration {
            Some(i) if i.merge_commit.is_some() => i.clone(),
            _ => {
                let i = self
                    .prepare_integration(app, goal, round, &candidate)
                    .await?;
                let i2 = i.clone();
                self.record_work(&goal.id, round, move |w| w.integration = Some(i2))
                    .await?;
                i
            }
        };
        if integration.merge_commit.is_none() {
            let finding = format!(
                "integration: merging into {} conflicts in {}",
                integration.target_branch,
                integration.conflicts.join(", ")
            );
            return self.finding(app, goal, round, finding).await;
        }
        self.step_transition(goal, round, Action::Advance(WorkflowState::Review), None)
            .await
    }

    /// A governance verdict on the exact diff `base..candidate` (run in `dir`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn judge(
        &self,
        app: &App,
        profile: &AgentProfile,
        goal: &Goal,
        round: u32,
        work: &refine_model::agents::RoundWork,
        base: &str,
        candidate: &str,
        dir: PathBuf,
        index: Option<u32>,
    ) -> Result<GovernanceVerdict, AgentFailure> {
        let app_id = app.id.clone();
        let (statement, constitution, rules) = self
            .read(move |c| table::governance_texts(c, &app_id))
            .await?;
        Ok(
            if statement.trim().is_empty() && constitution.trim().is_empty() && rules.is_empty() {
                GovernanceVerdict {
                    passed: true,
                    rules: Vec::new(),
                    findings:
                        "no product statement, constitution or rules are set; nothing to check"
                            .into(),
                }
            } else {
                let settings = self.effective_settings(Some(app.id.clone())).await?;
                let repo = PathBuf::from(&app.path);
                let (b2, c2) = (base.to_string(), candidate.to_string());
                let diff = self
                    .blocking(move |_| {
                        wt::diff_text(&repo, &b2, &c2, DIFF_LIMIT)
                            .map_err(|e| ApiError::internal(e.to_string()))
                    })
                    .await?;
                let mut prompt = self.base_prompt(app, goal, round, Phase::Governance, work);
                section(&mut prompt, "Product statement", &statement);
                section(&mut prompt, "Constitution", &constitution);
                let r: Vec<String> = rules
                    .iter()
                    .map(|r| format!("[{}] {}: {}", r.id, r.title, r.body))
                    .collect();
                section(&mut prompt, "Rules", &r.join("\n"));
                section(
                    &mut prompt,
                    "Candidate diff",
                    &format!("```diff\n{diff}\n```"),
                );
                prompt.push_str("\nJudge this exact diff against the statement, constitution and rules. Cite the rule ids your verdict rests on.\n");
                prompt.push_str(&answer_format(
                    "{\"verdict\": \"pass\", \"rules\": [\"R1\"], \"findings\": \"…\"}",
                ));
                let mut spec = self.spec(
                    app,
                    profile,
                    goal,
                    round,
                    Phase::Governance,
                    dir,
                    prompt,
                    &settings,
                );
                spec.for_candidate(index);
                let (block, _) = self.run_phase(&spec, &self.on_process(&goal.id)).await?;
                let known: HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
                GovernanceVerdict {
                    passed: block["verdict"]
                        .as_str()
                        .map(|s| s.eq_ignore_ascii_case("pass"))
                        .unwrap_or(false),
                    rules: block["rules"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str())
                                .filter(|v| known.contains(v))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                    findings: block["findings"].as_str().unwrap_or_default().to_string(),
                }
            },
        )
    }

    /// The merge of `candidate` into the app's target branch, prepared without touching any
    /// checkout (conflicts listed when there is none).
    pub(crate) async fn prepare_integration(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        candidate: &str,
    ) -> Result<Integration, ApiError> {
        let repo = PathBuf::from(&app.path);
        let target = target_branch(app);
        let message = format!(
            "Merge Goal #{}: {} (round {round})",
            goal.number, goal.title
        );
        let (t2, c2) = (target.clone(), candidate.to_string());
        let plan = self
            .blocking(move |_| {
                wt::prepare_merge(&repo, &t2, &c2, &message)
                    .map_err(|e| ApiError::internal(format!("could not prepare the merge: {e}")))
            })
            .await?;
        Ok(Integration {
            target_branch: target,
            target_commit: plan.target_commit,
            merge_commit: plan.merge_commit,
            conflicts: plan.conflicts,
            merged_at: None,
        })
    }
}
