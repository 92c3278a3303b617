//! workflow: moving Goals through the states (the table is `refine_model::workflow`), start
//! eligibility, and the durable pause flag of the automation.

use crate::cluster::decide::DecisionOp;
use crate::events::kind;
use refine_model::event::GoalTransitioned;
use refine_model::work::Goal;
use refine_model::workflow::{self as rules, Action, WorkflowState};
use refine_model::ApiError;
use refine_store::goals as gtable;
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use refine_model::agents::RoundWork;

use crate::work::find_goal;

/// What a transition that opens a new Round writes besides it, inside its transaction: the
/// Round's request and, optionally, the Round's work to start from. Given the Goal as it was
/// and the new Round's number.
pub(crate) type RoundHook = Box<
    dyn FnOnce(&Connection, &Goal, u32) -> Result<(String, Option<RoundWork>), ApiError> + Send,
>;
use crate::{clock, wire, Change, Core, Ctx, Mutated};

/// A person moves a Goal between backlog and todo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveInput {
    pub goal_id: String,
    pub to: WorkflowState,
}

/// Step a Goal through the automated states (what runner workers do), with the same guards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceInput {
    pub goal_id: String,
    pub to: WorkflowState,
    /// Why (e.g. the quality finding that sends it back to implement).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Approve, retry or cancel a Goal, with an optional note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalActionInput {
    pub goal_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Decline a Goal in review: back to todo with a new Round, or cancel it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeclineInput {
    pub goal_id: String,
    /// What should change in the next attempt.
    #[serde(default)]
    pub reason: Option<String>,
    /// Cancel instead of sending it back.
    #[serde(default)]
    pub cancel: Option<bool>,
}

/// The result of a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionResult {
    pub from: WorkflowState,
    pub to: WorkflowState,
    pub new_round: bool,
    pub goal: Goal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppScopeInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartableGoal {
    pub goal_id: String,
    pub number: u32,
    pub title: String,
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockedGoal {
    pub goal_id: String,
    pub number: u32,
    pub title: String,
    pub priority: i32,
    pub reason: String,
}

/// What may start now, and why everything else in todo waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Eligibility {
    /// Highest priority first (at most the asked `limit`).
    pub eligible: Vec<StartableGoal>,
    /// In number order (at most the asked `limit`).
    pub blocked: Vec<BlockedGoal>,
    /// Automation is paused: nothing starts by itself.
    pub paused: bool,
    /// How many may start, and how many wait, in all.
    pub eligible_total: u32,
    pub blocked_total: u32,
}

/// Which app, and how many of each list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EligibleInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// At most this many Goals in each list (default 200, at most 100,000); the totals count
    /// them all.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Default and largest `limit` of `workflow.eligible`.
const ELIGIBLE_LIMIT: u32 = 200;
const ELIGIBLE_LIMIT_MAX: u32 = 100_000;

/// Pause or resume automation for an app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PauseInput {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The durable automation flag of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationState {
    pub app_id: String,
    pub paused: bool,
    pub reason: Option<String>,
    pub since: Option<String>,
    pub by: Option<String>,
}

fn pause_key(app: &str) -> String {
    format!("automation_paused:{app}")
}

fn automation(conn: &Connection, app: &str) -> Result<AutomationState, ApiError> {
    let raw = refine_store::meta::get(conn, &pause_key(app))?;
    Ok(
        match raw.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok()) {
            Some(v) => AutomationState {
                app_id: app.to_string(),
                paused: true,
                reason: v["reason"].as_str().map(str::to_string),
                since: v["since"].as_str().map(str::to_string),
                by: v["by"].as_str().map(str::to_string),
            },
            None => AutomationState {
                app_id: app.to_string(),
                paused: false,
                reason: None,
                since: None,
                by: None,
            },
        },
    )
}

/// Verdicts for every todo Goal of an app, from the database as `conn` sees it (inside a
/// transition's transaction: the authoritative check).
pub(crate) fn eligibility(conn: &Connection, app: &str) -> Result<Eligibility, ApiError> {
    let facts = gtable::facts(conn, app)?;
    let mut e = verdicts(&facts);
    e.paused = automation(conn, app)?.paused;
    Ok(e)
}

/// The start rules applied to an app's facts (`paused` left false).
fn verdicts(facts: &[rules::GoalFacts]) -> Eligibility {
    let verdicts = rules::eligibility(facts);
    let mut eligible = Vec::new();
    let mut blocked = Vec::new();
    let by_id: std::collections::HashMap<&str, &rules::GoalFacts> =
        facts.iter().map(|f| (f.id.as_str(), f)).collect();
    for v in verdicts {
        let f = by_id[v.goal_id.as_str()];
        match v.reason {
            None => eligible.push(StartableGoal {
                goal_id: f.id.clone(),
                number: f.number,
                title: f.title.clone(),
                priority: f.priority,
            }),
            Some(reason) => blocked.push(BlockedGoal {
                goal_id: f.id.clone(),
                number: f.number,
                title: f.title.clone(),
                priority: f.priority,
                reason,
            }),
        }
    }
    eligible.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.number.cmp(&b.number)));
    Eligibility {
        eligible_total: eligible.len() as u32,
        blocked_total: blocked.len() as u32,
        eligible,
        blocked,
        paused: false,
    }
}

/// Each app's last verdicts and the facts snapshot they came from: while no Goal of the app
/// changed, the store hands out the same snapshot and the verdicts are reused.
type Verdicts = (Arc<Vec<rules::GoalFacts>>, Arc<Eligibility>);

#[derive(Default)]
pub(crate) struct VerdictCache(Mutex<HashMap<String, Verdicts>>);

impl Core {
    /// The app's live facts (kept in memory by the store) and the verdicts on them.
    pub(crate) fn facts_and_verdicts(&self, app: &str) -> Result<Verdicts, ApiError> {
        let facts = self.0.store.goal_facts(app)?;
        let mut cache = self.0.verdicts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((f, e)) = cache.get(app) {
            if Arc::ptr_eq(f, &facts) {
                return Ok((facts, e.clone()));
            }
        }
        let e = Arc::new(verdicts(&facts));
        cache.insert(app.to_string(), (facts.clone(), e.clone()));
        Ok((facts, e))
    }

    /// [`eligibility`] from the kept facts, outside any transaction; at most `limit` Goals in
    /// each list.
    pub(crate) async fn eligibility_now(
        &self,
        app: &str,
        limit: usize,
    ) -> Result<Eligibility, ApiError> {
        let app = app.to_string();
        self.blocking(move |core| {
            let (_, e) = core.facts_and_verdicts(&app)?;
            let paused = core.0.store.read(|c| automation(c, &app))?.paused;
            Ok(Eligibility {
                eligible: e.eligible.iter().take(limit).cloned().collect(),
                blocked: e.blocked.iter().take(limit).cloned().collect(),
                paused,
                eligible_total: e.eligible_total,
                blocked_total: e.blocked_total,
            })
        })
        .await
    }
}

fn outcome_of(from: WorkflowState, to: WorkflowState, action: Action) -> Option<&'static str> {
    match (to, action) {
        (WorkflowState::Done, _) => Some("approved"),
        (WorkflowState::Failed, _) => Some("failed"),
        (WorkflowState::Cancelled, Action::Decline { .. }) => Some("declined and cancelled"),
        (WorkflowState::Cancelled, _) => Some("cancelled"),
        (WorkflowState::Todo, Action::Decline { .. }) => Some("declined"),
        (WorkflowState::Implement, Action::RequestChanges) => Some("changes requested"),
        // Only a step back from the checks ends the attempt; plan → implement continues it.
        (WorkflowState::Implement, Action::Advance(_))
            if matches!(from, WorkflowState::Quality | WorkflowState::Governance) =>
        {
            Some("sent back by checks")
        }
        _ => None,
    }
}

impl Core {
    /// Apply one workflow action to a Goal through the pipeline.
    pub(crate) async fn transition(
        &self,
        ctx: &Ctx,
        input: &impl Serialize,
        goal_ref: String,
        action: Action,
        reason: Option<String>,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        self.transition_expecting(ctx, input, goal_ref, action, reason, None, None)
            .await
    }

    /// [`Core::transition`], refused with 409 inside the transaction unless the Goal is still in
    /// `expect` (status and latest Round): the runner's check and its step are one atomic act.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn transition_expecting(
        &self,
        ctx: &Ctx,
        input: &impl Serialize,
        goal_ref: String,
        action: Action,
        reason: Option<String>,
        expect: Option<(WorkflowState, u32)>,
        hook: Option<RoundHook>,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        if let Some(r) = &reason {
            wire::text("reason", r, 10_000, true)?;
        }
        let app = self.resolve_app(ctx, None).await.ok().map(|a| a.id);
        let actor = ctx.actor.clone();
        self.mutate(ctx, input, async { Ok(()) }, move |tx, ()| {
            let mut g = find_goal(tx, app.as_deref(), &goal_ref)?;
            if g.deleted_at.is_some() {
                return Err(ApiError::conflict(format!(
                    "Goal #{} is deleted; restore it first",
                    g.number
                )));
            }
            let from = g.status;
            if let Some((status, round)) = expect {
                let latest = g.rounds.iter().map(|r| r.number).max().unwrap_or(1);
                if g.status != status || latest != round {
                    return Err(ApiError::conflict(format!(
                        "Goal #{} changed meanwhile (it is in {}, Round {latest})",
                        g.number,
                        g.status.as_str()
                    )));
                }
            }
            let t = rules::transition(from, action).map_err(|why| {
                ApiError::conflict(format!("Goal #{}: {why}", g.number))
                    .with_details(json!({ "from": from, "reason": why }))
            })?;
            // Starting work also needs the start rules (feature order, priority).
            if from == WorkflowState::Todo && t.to == WorkflowState::Plan {
                let e = eligibility(tx, &g.app_id)?;
                if let Some(b) = e.blocked.iter().find(|b| b.goal_id == g.id) {
                    return Err(ApiError::conflict(format!(
                        "Goal #{} cannot start: {}",
                        g.number, b.reason
                    ))
                    .with_details(json!({ "from": from, "reason": b.reason })));
                }
            }
            let at = clock::now();
            if let Some(outcome) = outcome_of(from, t.to, action) {
                let outcome = match &reason {
                    Some(r) => format!("{outcome}: {r}"),
                    None => outcome.to_string(),
                };
                gtable::end_round(tx, &g.id, &outcome, &at)?;
            }
            if t.new_round {
                let next = g.rounds.iter().map(|r| r.number).max().unwrap_or(0) + 1;
                let default_request = match (action, &reason) {
                    (Action::Retry, r) => format!(
                        "Retry after failure{}",
                        r.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                    (Action::Decline { .. }, r) => format!(
                        "Review declined{}",
                        r.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                    (_, r) => format!(
                        "Checks sent it back{}",
                        r.as_ref().map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                };
                let (request, work) = match hook {
                    Some(h) => h(tx, &g, next)?,
                    None => (default_request, None),
                };
                gtable::insert_round(tx, &g.id, next, &request, &at)?;
                if let Some(w) = work {
                    refine_store::agents::set_round_work(tx, &g.id, next, &w)?;
                }
            }
            g.status = t.to;
            g.updated_at = at.clone();
            gtable::update(tx, &g)?;
            gtable::record_transition(tx, &g, Some(from), t.to, &at, &actor)?;
            let goal =
                gtable::get(tx, &g.id)?.ok_or_else(|| ApiError::internal("goal vanished"))?;
            let summary = format!(
                "Goal #{} “{}”: {} → {}{}",
                goal.number,
                goal.title,
                from.as_str(),
                t.to.as_str(),
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            let change = Change::new(summary)
                .app(Some(goal.app_id.clone()))
                .target(goal.id.clone())
                .event(
                    kind::WORKFLOW_TRANSITIONED,
                    &GoalTransitioned {
                        goal_id: goal.id.clone(),
                        from,
                        to: t.to,
                        new_round: t.new_round,
                        goal: goal.clone(),
                    },
                );
            Ok((
                TransitionResult {
                    from,
                    to: t.to,
                    new_round: t.new_round,
                    goal,
                },
                change,
            ))
        })
        .await
    }

    /// `workflow.move`
    pub async fn workflow_move(
        &self,
        ctx: &Ctx,
        i: MoveInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        self.transition(ctx, &i, i.goal_id.clone(), Action::Move(i.to), None)
            .await
    }

    /// `workflow.advance`
    pub async fn workflow_advance(
        &self,
        ctx: &Ctx,
        i: AdvanceInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        self.transition(
            ctx,
            &i,
            i.goal_id.clone(),
            Action::Advance(i.to),
            i.reason.clone(),
        )
        .await
    }

    /// `workflow.approve`
    pub async fn workflow_approve(
        &self,
        ctx: &Ctx,
        i: GoalActionInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        // In a cluster, the node that works the Goal takes the decision.
        if let Some(r) = self
            .decision_elsewhere(ctx, &i.goal_id, DecisionOp::Approve, &i)
            .await?
        {
            return Ok(r);
        }
        // The prepared merge lands on the target branch first; a conflict refuses the approval.
        let _decision = self.0.review_lock.lock().await;
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: i.goal_id.clone(),
                },
            )
            .await?;
        if goal.status == WorkflowState::Review {
            self.integrate_on_approve(&goal).await?;
        }
        let done = self
            .transition(
                ctx,
                &i,
                i.goal_id.clone(),
                Action::Approve,
                i.reason.clone(),
            )
            .await?;
        // Done: its worktrees are torn down and removed in the background (the branches stay).
        let core = self.clone();
        let id = goal.id.clone();
        tokio::spawn(async move {
            if let Err(e) = core.tear_down_worktrees(&id).await {
                tracing::warn!(goal = %id, error = %e.message, "tearing down the worktrees failed");
            }
        });
        Ok(done)
    }

    /// `workflow.decline`
    pub async fn workflow_decline(
        &self,
        ctx: &Ctx,
        i: DeclineInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        let action = Action::Decline {
            cancel: i.cancel.unwrap_or(false),
        };
        if let Some(r) = self
            .decision_elsewhere(ctx, &i.goal_id, DecisionOp::Decline, &i)
            .await?
        {
            return Ok(r);
        }
        let _decision = self.0.review_lock.lock().await;
        self.transition(ctx, &i, i.goal_id.clone(), action, i.reason.clone())
            .await
    }

    /// In a cluster: a decision on a Goal another node works is taken on that node, and its
    /// answer is this one's.
    async fn decision_elsewhere<T: serde::Serialize>(
        &self,
        ctx: &Ctx,
        goal_id: &str,
        op: DecisionOp,
        input: &T,
    ) -> Result<Option<Mutated<TransitionResult>>, ApiError> {
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: goal_id.to_string(),
                },
            )
            .await?;
        self.decide_elsewhere(ctx, &goal, op, input).await
    }

    /// `workflow.retry`
    pub async fn workflow_retry(
        &self,
        ctx: &Ctx,
        i: GoalActionInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        if let Some(r) = self
            .decision_elsewhere(ctx, &i.goal_id, DecisionOp::Retry, &i)
            .await?
        {
            return Ok(r);
        }
        self.transition(ctx, &i, i.goal_id.clone(), Action::Retry, i.reason.clone())
            .await
    }

    /// `workflow.cancel`
    pub async fn workflow_cancel(
        &self,
        ctx: &Ctx,
        i: GoalActionInput,
    ) -> Result<Mutated<TransitionResult>, ApiError> {
        // Cancelled first, so no worker step goes on; then its processes are stopped. The
        // worktree and branch stay as evidence.
        if let Some(r) = self
            .decision_elsewhere(ctx, &i.goal_id, DecisionOp::Cancel, &i)
            .await?
        {
            return Ok(r);
        }
        let decision = self.0.review_lock.lock().await;
        let r = self
            .transition(ctx, &i, i.goal_id.clone(), Action::Cancel, i.reason.clone())
            .await?;
        drop(decision);
        self.stop_goal_work(&r.value.goal.id).await;
        Ok(r)
    }

    /// `workflow.eligible`
    pub async fn workflow_eligible(
        &self,
        ctx: &Ctx,
        i: EligibleInput,
    ) -> Result<Eligibility, ApiError> {
        let limit = i.limit.unwrap_or(ELIGIBLE_LIMIT);
        if limit == 0 || limit > ELIGIBLE_LIMIT_MAX {
            return Err(ApiError::invalid(format!(
                "limit must be 1 to {ELIGIBLE_LIMIT_MAX}"
            )));
        }
        let app = self.work_app(ctx, i.app_id.as_deref()).await?;
        self.eligibility_now(&app, limit as usize).await
    }

    /// `workflow.automation`
    pub async fn automation(
        &self,
        ctx: &Ctx,
        i: AppScopeInput,
    ) -> Result<AutomationState, ApiError> {
        let app = self.work_app(ctx, i.app_id.as_deref()).await?;
        self.read(move |c| Ok(automation(c, &app))).await?
    }

    /// `workflow.pause` / `workflow.resume`
    pub async fn set_paused(
        &self,
        ctx: &Ctx,
        i: PauseInput,
        paused: bool,
    ) -> Result<Mutated<AutomationState>, ApiError> {
        if let Some(r) = &i.reason {
            wire::text("reason", r, 2000, false)?;
        }
        let app = self.work_app(ctx, i.app_id.as_deref()).await?;
        let actor = ctx.actor.clone();
        let reason = i.reason.clone();
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            let now = automation(tx, &app)?;
            if now.paused == paused {
                return Err(ApiError::conflict(if paused {
                    "automation is already paused"
                } else {
                    "automation is not paused"
                }));
            }
            if paused {
                let v = json!({ "reason": reason, "since": clock::now(), "by": actor });
                refine_store::meta::set(tx, &pause_key(&app), &v.to_string())?;
            } else {
                refine_store::meta::delete(tx, &pause_key(&app))?;
            }
            let state = automation(tx, &app)?;
            let summary = if paused {
                format!(
                    "Paused automation{}",
                    reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )
            } else {
                "Resumed automation".to_string()
            };
            let change = Change::new(summary)
                .app(Some(app.clone()))
                .event(kind::WORKFLOW_AUTOMATION, &state);
            Ok((state, change))
        })
        .await
    }
}
