//! Decisions on a shared app's Goal from any node. The node that works a Goal holds its lease,
//! worktree and candidate, so approve, decline, retry and cancel are taken there: another node
//! sends the decision over NATS (a request on `refine.decide.<node id>`), the owner takes it
//! through its own pipeline as the person who asked, and answers with the result or the error,
//! which the asking node returns as its own. Decisions stay serialised on the owner; the asking
//! node sees the Goal change when the owner publishes it.

use std::time::Duration;

use futures::StreamExt;
use refine_model::work::Goal;
use refine_model::workflow::WorkflowState;
use refine_model::{ApiError, Surface};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MAX_MESSAGE, STATE_VERSION};
use crate::pipeline::Mutated;
use crate::workflow::{DeclineInput, GoalActionInput, TransitionResult};
use crate::{Core, Ctx};

/// How long the asking node waits for the owner's answer (an approval merges and pushes).
const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// The client name a forwarded decision runs under on the owner (it is never forwarded again).
const FORWARDED: &str = "refine cluster: a decision asked on another node";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DecisionOp {
    Approve,
    Decline,
    Retry,
    Cancel,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Decision {
    state_version: u32,
    op: DecisionOp,
    input: Value,
    actor: String,
    surface: Surface,
    idempotency_key: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Answer {
    Ok(Box<TransitionResult>),
    Error(ApiError),
}

pub(crate) fn subject(node: &str) -> String {
    format!("refine.decide.{node}")
}

impl Core {
    /// Take decision `op` on the node that works the Goal when that is another node of a shared
    /// app: `Some(result)` then, `None` when it is this node's to take.
    pub(crate) async fn decide_elsewhere<T: Serialize>(
        &self,
        ctx: &Ctx,
        goal: &Goal,
        op: DecisionOp,
        input: &T,
    ) -> Result<Option<Mutated<TransitionResult>>, ApiError> {
        if goal.node_id == self.node_id()
            || !(goal.status.is_running() || goal.status == WorkflowState::Review)
            || self.shared_key(&goal.app_id).await.is_none()
        {
            return Ok(None);
        }
        let name = self
            .find_node(&goal.node_id)
            .await
            .map(|n| n.name)
            .unwrap_or_else(|_| goal.node_id.clone());
        if ctx.client.as_deref() == Some(FORWARDED) {
            // Asked of this node as the owner, but the Goal moved on to another node meanwhile.
            return Err(ApiError::conflict(format!(
                "Goal #{} is now worked on node {name}: ask again",
                goal.number
            )));
        }
        let link = self.link();
        let Some(bus) = link.bus.filter(|_| link.connected) else {
            return Err(ApiError::unavailable(format!(
                "the cluster is unreachable: Goal #{} is worked on node {name}, which takes the decisions on it; try again when the cluster is back",
                goal.number
            )));
        };
        let d = Decision {
            state_version: STATE_VERSION,
            op,
            input: serde_json::to_value(input).map_err(|e| ApiError::internal(e.to_string()))?,
            actor: ctx.actor.clone(),
            surface: ctx.surface,
            idempotency_key: ctx.idempotency_key.clone(),
        };
        let body = serde_json::to_vec(&d).map_err(|e| ApiError::internal(e.to_string()))?;
        let raw = bus
            .request(subject(&goal.node_id), body, ANSWER_WAIT)
            .await
            .map_err(|e| {
                ApiError::unavailable(format!(
                    "node {name}, which works Goal #{}, did not answer ({e}); nothing was decided, try again when it is up",
                    goal.number
                ))
            })?;
        if raw.len() > MAX_MESSAGE {
            return Err(ApiError::internal(format!(
                "node {name} answered with {} bytes",
                raw.len()
            )));
        }
        match serde_json::from_slice::<Answer>(&raw) {
            Ok(Answer::Ok(value)) => Ok(Some(Mutated {
                value: *value,
                status: 200,
                replayed: false,
            })),
            Ok(Answer::Error(e)) => Err(e),
            Err(e) => Err(ApiError::internal(format!(
                "node {name} answered with something that is not a decision's result: {e}"
            ))),
        }
    }

    /// A decision another node sent this one (the Goal's owner), checked like any input.
    async fn take_decision(&self, raw: &[u8]) -> Answer {
        if raw.len() > MAX_MESSAGE {
            return Answer::Error(ApiError::invalid(format!(
                "a decision of {} bytes, more than the {MAX_MESSAGE} accepted",
                raw.len()
            )));
        }
        let d: Decision = match serde_json::from_slice(raw) {
            Ok(d) => d,
            Err(e) => {
                self.reject(format!("a decision that is not one: {e}"));
                return Answer::Error(ApiError::invalid(format!("not a decision: {e}")));
            }
        };
        if d.state_version > STATE_VERSION {
            return Answer::Error(ApiError::invalid(format!(
                "the asking node speaks cluster state version {}, this node only {STATE_VERSION}: upgrade this node",
                d.state_version
            )));
        }
        let mut ctx = Ctx::new(d.surface).with_actor(d.actor);
        ctx.idempotency_key = d.idempotency_key;
        ctx.client = Some(FORWARDED.to_string());
        let parse = |v: Value| -> Result<GoalActionInput, ApiError> {
            serde_json::from_value(v).map_err(|e| ApiError::invalid(e.to_string()))
        };
        let result = match d.op {
            DecisionOp::Approve => match parse(d.input) {
                Ok(i) => {
                    self.workflow_approve(&ctx.for_op("workflow.approve"), i)
                        .await
                }
                Err(e) => Err(e),
            },
            DecisionOp::Retry => match parse(d.input) {
                Ok(i) => self.workflow_retry(&ctx.for_op("workflow.retry"), i).await,
                Err(e) => Err(e),
            },
            DecisionOp::Cancel => match parse(d.input) {
                Ok(i) => {
                    self.workflow_cancel(&ctx.for_op("workflow.cancel"), i)
                        .await
                }
                Err(e) => Err(e),
            },
            DecisionOp::Decline => match serde_json::from_value::<DeclineInput>(d.input) {
                Ok(i) => {
                    self.workflow_decline(&ctx.for_op("workflow.decline"), i)
                        .await
                }
                Err(e) => Err(ApiError::invalid(e.to_string())),
            },
        };
        match result {
            Ok(m) => Answer::Ok(Box::new(m.value)),
            Err(e) => Answer::Error(e),
        }
    }
}

/// Answer the decisions other nodes send this one, until the task is ended.
pub(crate) async fn serve(core: Core, bus: super::bus::Bus, node: String) {
    loop {
        match bus.subscribe(subject(&node)).await {
            Ok(mut sub) => {
                while let Some(m) = sub.next().await {
                    let Some(reply) = m.reply else { continue };
                    let (core, bus) = (core.clone(), bus.clone());
                    tokio::spawn(async move {
                        let answer = Box::pin(core.take_decision(&m.payload)).await;
                        let body = serde_json::to_vec(&answer).unwrap_or_default();
                        bus.answer(reply, body).await;
                    });
                }
            }
            Err(e) => tracing::debug!(error = %e, "subscribing to decisions"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
