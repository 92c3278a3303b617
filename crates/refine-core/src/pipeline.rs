//! The mutation pipeline: validate → idempotency claim → one transaction (state + activity +
//! operation journal + stored response) → commit → publish events. Long work returns a receipt
//! at once and runs in a task the daemon owns.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use refine_model::{Activity, ApiError, ErrorCode, OperationReceipt, OperationStatus};
use refine_store::idempotency::{self, Claim};
use refine_store::operations::{self as ops_table, NewOperation};
use refine_store::rusqlite::Transaction;
use refine_store::{activity as activity_table, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{clock, new_id, store_error, Core, Ctx};

/// The result of a mutation: its value, the HTTP-style status, and whether it was replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutated<T> {
    pub value: T,
    pub status: u16,
    pub replayed: bool,
}

/// What a mutation changed, for the audit log and the live event.
#[derive(Debug, Clone)]
pub struct Change {
    pub summary: String,
    pub app_id: Option<String>,
    pub target: Option<String>,
    /// Event kind (e.g. `apps.added`) and its data; published after commit.
    pub event: Option<(String, Value)>,
}

impl Change {
    pub fn new(summary: impl Into<String>) -> Change {
        Change {
            summary: summary.into(),
            app_id: None,
            target: None,
            event: None,
        }
    }
    pub fn app(mut self, app_id: Option<String>) -> Change {
        self.app_id = app_id;
        self
    }
    pub fn target(mut self, target: impl Into<String>) -> Change {
        self.target = Some(target.into());
        self
    }
    pub fn event(mut self, kind: &str, data: Value) -> Change {
        self.event = Some((kind.to_string(), data));
        self
    }
}

fn request_hash(op: &str, request: &Value) -> String {
    let mut h = Sha256::new();
    h.update(op.as_bytes());
    h.update([0]);
    h.update(canonical(request).to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The same JSON with object keys sorted, so key order never changes a request's identity.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn in_flight() -> ApiError {
    ApiError::conflict("a request with this Idempotency-Key is still running; retry shortly")
        .with_details(serde_json::json!({ "retryAfter": 1 }))
}

fn mismatch() -> ApiError {
    ApiError::precondition("this Idempotency-Key was already used for a different request")
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "pipeline error");
    ApiError::internal("internal error")
}

impl Core {
    /// Claim the context's idempotency key, if any. `Ok(Some(..))` means: replay this.
    async fn claim<T: DeserializeOwned + Send + 'static>(
        &self,
        ctx: &Ctx,
        op: &'static str,
        hash: &str,
    ) -> Result<Option<Mutated<T>>, ApiError> {
        let Some(key) = ctx.idempotency_key.clone() else {
            return Ok(None);
        };
        let hash = hash.to_string();
        let claim = self
            .blocking(move |core| {
                let at = clock::now();
                core.0
                    .store
                    .write(|tx| idempotency::claim(tx, &key, op, &hash, &core.0.instance, &at))
                    .map_err(store_error)
            })
            .await?;
        match claim {
            Claim::Claimed => Ok(None),
            Claim::InFlight => Err(in_flight()),
            Claim::Mismatch => Err(mismatch()),
            Claim::Replay { status, response } => {
                let value: T = serde_json::from_str(&response).map_err(internal)?;
                Ok(Some(Mutated {
                    value,
                    status,
                    replayed: true,
                }))
            }
        }
    }

    async fn release(&self, ctx: &Ctx) {
        if let Some(key) = ctx.idempotency_key.clone() {
            let _ = self
                .blocking(move |core| {
                    core.0
                        .store
                        .write(|tx| idempotency::release(tx, &key))
                        .map_err(store_error)
                })
                .await;
        }
    }

    fn activity_entry(
        ctx: &Ctx,
        op: &str,
        change: &Change,
        operation_id: Option<&str>,
        at: &str,
    ) -> Activity {
        Activity {
            id: new_id(),
            at: at.to_string(),
            actor: ctx.actor.clone(),
            surface: ctx.surface,
            operation: op.to_string(),
            app_id: change.app_id.clone(),
            target: change.target.clone(),
            summary: change.summary.clone(),
            operation_id: operation_id.map(str::to_string),
        }
    }

    fn publish_after_commit(&self, activity: &Activity, change: &Change) {
        if let Some((kind, data)) = &change.event {
            self.0
                .bus
                .publish(kind, change.app_id.clone(), data.clone());
        }
        self.0.bus.publish(
            "activity.created",
            activity.app_id.clone(),
            serde_json::to_value(activity).unwrap_or(Value::Null),
        );
    }

    /// Run a mutation through the pipeline. `request` is the validated input (it keys the
    /// idempotency hash); `prepare` does slow work outside the write lock (may fail: nothing is
    /// stored); `apply` changes state inside the single write transaction.
    pub async fn mutate<T, P, Fut, A>(
        &self,
        ctx: &Ctx,
        op: &'static str,
        request: &impl Serialize,
        prepare: Fut,
        apply: A,
    ) -> Result<Mutated<T>, ApiError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        P: Send + 'static,
        Fut: Future<Output = Result<P, ApiError>>,
        A: FnOnce(&Transaction, P) -> Result<(T, Change), ApiError> + Send + 'static,
    {
        ctx.validate()?;
        let request = serde_json::to_value(request).map_err(internal)?;
        let hash = request_hash(op, &request);
        if let Some(replay) = self.claim::<T>(ctx, op, &hash).await? {
            return Ok(replay);
        }
        let prepared = match prepare.await {
            Ok(p) => p,
            Err(e) => {
                self.release(ctx).await;
                return Err(e);
            }
        };
        let ctx2 = ctx.clone();
        let result = self
            .blocking(move |core| {
                let at = clock::now();
                core.0.store.write(|tx| {
                    let (value, change) = apply(tx, prepared)?;
                    let json = serde_json::to_value(&value).map_err(internal)?;
                    let op_id = new_id();
                    ops_table::insert(
                        tx,
                        &NewOperation {
                            id: &op_id,
                            kind: op,
                            status: OperationStatus::Succeeded,
                            input: &request,
                            result: Some(&json),
                            idempotency_key: ctx2.idempotency_key.as_deref(),
                            app_id: change.app_id.as_deref(),
                            actor: &ctx2.actor,
                            surface: ctx2.surface,
                            instance: &core.0.instance,
                            at: &at,
                        },
                    )
                    .map_err(store_error)?;
                    let entry = Core::activity_entry(&ctx2, op, &change, Some(&op_id), &at);
                    activity_table::insert(tx, &entry, None).map_err(store_error)?;
                    if let Some(key) = &ctx2.idempotency_key {
                        idempotency::complete(tx, key, 200, &json.to_string())
                            .map_err(store_error)?;
                    }
                    Ok::<_, ApiError>((value, change, entry))
                })
            })
            .await;
        match result {
            Ok((value, change, entry)) => {
                self.publish_after_commit(&entry, &change);
                Ok(Mutated {
                    value,
                    status: 200,
                    replayed: false,
                })
            }
            Err(e) => {
                self.release(ctx).await;
                Err(e)
            }
        }
    }

    /// Start long-running work: journal the operation as running, answer `202` with the receipt
    /// at once, and run `work` in a daemon-owned task that reports progress and its outcome.
    pub async fn start_operation<W, Fut>(
        &self,
        ctx: &Ctx,
        op: &'static str,
        request: &impl Serialize,
        change: Change,
        work: W,
    ) -> Result<Mutated<OperationReceipt>, ApiError>
    where
        W: FnOnce(OperationHandle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
    {
        ctx.validate()?;
        let request = serde_json::to_value(request).map_err(internal)?;
        let hash = request_hash(op, &request);
        if let Some(replay) = self.claim::<OperationReceipt>(ctx, op, &hash).await? {
            return Ok(replay);
        }
        let op_id = new_id();
        let ctx2 = ctx.clone();
        let id2 = op_id.clone();
        let change2 = change.clone();
        let result = self
            .blocking(move |core| {
                let at = clock::now();
                core.0.store.write(|tx| {
                    ops_table::insert(
                        tx,
                        &NewOperation {
                            id: &id2,
                            kind: op,
                            status: OperationStatus::Running,
                            input: &request,
                            result: None,
                            idempotency_key: ctx2.idempotency_key.as_deref(),
                            app_id: change2.app_id.as_deref(),
                            actor: &ctx2.actor,
                            surface: ctx2.surface,
                            instance: &core.0.instance,
                            at: &at,
                        },
                    )
                    .map_err(store_error)?;
                    let entry = Core::activity_entry(&ctx2, op, &change2, Some(&id2), &at);
                    activity_table::insert(tx, &entry, None).map_err(store_error)?;
                    let receipt = ops_table::get(tx, &id2)
                        .map_err(store_error)?
                        .ok_or_else(|| internal("operation vanished"))?;
                    if let Some(key) = &ctx2.idempotency_key {
                        let json = serde_json::to_string(&receipt).map_err(internal)?;
                        idempotency::complete(tx, key, 202, &json).map_err(store_error)?;
                    }
                    Ok::<_, ApiError>((receipt, entry))
                })
            })
            .await;
        let (receipt, entry) = match result {
            Ok(r) => r,
            Err(e) => {
                self.release(ctx).await;
                return Err(e);
            }
        };
        self.publish_after_commit(
            &entry,
            &Change {
                event: None,
                ..change.clone()
            },
        );
        self.publish_operation(&receipt);

        let cancel = Arc::new(AtomicBool::new(false));
        self.0
            .running_ops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(op_id.clone(), cancel.clone());
        let handle = OperationHandle {
            core: self.clone(),
            id: op_id.clone(),
            cancel,
        };
        let core = self.clone();
        let ctx3 = ctx.clone();
        tokio::spawn(async move {
            let outcome = work(handle).await;
            core.finish_operation(&ctx3, op, &op_id, &change, outcome)
                .await;
        });
        Ok(Mutated {
            value: receipt,
            status: 202,
            replayed: false,
        })
    }

    async fn finish_operation(
        &self,
        ctx: &Ctx,
        op: &'static str,
        id: &str,
        change: &Change,
        outcome: Result<Value, ApiError>,
    ) {
        self.0
            .running_ops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let (status, result, error) = match outcome {
            Ok(v) => (OperationStatus::Succeeded, Some(v), None),
            Err(e) if e.code == ErrorCode::Conflict && e.message == CANCELLED => {
                (OperationStatus::Cancelled, None, None)
            }
            Err(e) => (OperationStatus::Failed, None, Some(e)),
        };
        let id2 = id.to_string();
        let ctx2 = ctx.clone();
        let mut change2 = change.clone();
        change2.summary = format!("{} {}", change.summary, status.as_str());
        let done = self
            .blocking(move |core| {
                let at = clock::now();
                core.0
                    .store
                    .write(|tx| {
                        if !ops_table::finish(
                            tx,
                            &id2,
                            status,
                            result.as_ref(),
                            error.as_ref(),
                            &at,
                        )? {
                            // Already settled (cancelled by a person): nothing more to record.
                            return Ok::<_, StoreError>(None);
                        }
                        let entry = Core::activity_entry(&ctx2, op, &change2, Some(&id2), &at);
                        activity_table::insert(tx, &entry, None)?;
                        Ok(Some((ops_table::get(tx, &id2)?, entry)))
                    })
                    .map_err(store_error)
            })
            .await;
        match done {
            Ok(Some((Some(receipt), entry))) => {
                self.publish_after_commit(
                    &entry,
                    &Change {
                        event: None,
                        ..change.clone()
                    },
                );
                self.publish_operation(&receipt);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(operation = id, error = %e.message, "could not record the end of an operation")
            }
        }
    }

    pub(crate) fn publish_operation(&self, receipt: &OperationReceipt) {
        self.0.bus.publish(
            "operations.updated",
            receipt.app_id.clone(),
            serde_json::to_value(receipt).unwrap_or(Value::Null),
        );
    }

    /// Signal a running operation of this daemon to stop; false when none runs with that id.
    pub(crate) fn signal_cancel(&self, id: &str) -> bool {
        match self
            .0
            .running_ops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
        {
            Some(flag) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

const CANCELLED: &str = "operation cancelled";

/// Given to long-running work: report progress, notice cancellation.
#[derive(Clone)]
pub struct OperationHandle {
    core: Core,
    id: String,
    cancel: Arc<AtomicBool>,
}

impl OperationHandle {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
    /// The error to return from work that stopped because it was cancelled.
    pub fn cancelled_error() -> ApiError {
        ApiError::conflict(CANCELLED)
    }
    /// Record progress (0..=100) durably and publish it.
    pub async fn progress(&self, percent: u32, message: Option<String>) {
        let id = self.id.clone();
        let r = self
            .core
            .blocking(move |core| {
                let at = clock::now();
                core.0
                    .store
                    .write(|tx| {
                        if ops_table::set_progress(tx, &id, percent, message.as_deref(), &at)? {
                            ops_table::get(tx, &id)
                        } else {
                            Ok(None)
                        }
                    })
                    .map_err(store_error)
            })
            .await;
        if let Ok(Some(receipt)) = r {
            self.core.publish_operation(&receipt);
        }
    }
}
