//! The mutation pipeline: validate → idempotency claim → one transaction (state + activity +
//! operation journal + stored response) → commit → publish events. Long work returns a receipt
//! at once and runs in a task the daemon owns.

use crate::events::kind;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

use refine_model::{Activity, ApiError, ErrorCode, OperationReceipt, OperationStatus};
use refine_store::idempotency;
use refine_store::operations::{self as ops_table, NewOperation};
use refine_store::rusqlite::Connection;
use refine_store::{activity as activity_table, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{clock, new_id, Core, Ctx};

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
    pub event: Option<(&'static str, Value)>,
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
    /// The event to publish once the change is committed: a declared kind and its data.
    pub fn event<T: Serialize>(mut self, kind: crate::events::Kind<T>, data: &T) -> Change {
        self.event = Some((
            kind.name(),
            serde_json::to_value(data).unwrap_or(Value::Null),
        ));
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

/// A copy for the journal: secret-looking values replaced (the journal is shown and exported).
fn redacted(v: &Value) -> Value {
    let mut v = v.clone();
    refine_model::redact::redact_json(&mut v);
    v
}

/// A request without its top-level `null` fields, for inputs where `null` only means "not
/// given" (a create's optional fields; never a patch, where `null` clears): the journal keeps
/// what was asked (a Goal's create named eleven `null`s, half its operation row).
pub(crate) fn without_nulls(request: &impl Serialize) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(request).map_err(internal)?;
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    Ok(v)
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

/// Whether a request's write committed or its transport gave up on it: decided once, so a
/// client that was told "503, try again" never finds the write committed afterwards.
#[derive(Debug, Default)]
pub struct Settle(AtomicU8);

const PENDING: u8 = 0;
const COMMITTING: u8 = 1;
const ABANDONED: u8 = 2;

impl Settle {
    /// Inside the transaction, just before commit: false when the transport already gave up.
    pub fn commit(&self) -> bool {
        match self
            .0
            .compare_exchange(PENDING, COMMITTING, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(now) => now == COMMITTING,
        }
    }
    /// The transport's deadline passed: true when nothing of this request will commit any more
    /// (false: a commit is under way, wait for its outcome).
    pub fn abandon(&self) -> bool {
        match self
            .0
            .compare_exchange(PENDING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(now) => now == ABANDONED,
        }
    }
}

fn abandoned() -> ApiError {
    ApiError::unavailable("the request took too long and was not carried out; retry it")
        .with_details(serde_json::json!({ "retryAfter": 1 }))
}

/// An idempotency key held in memory while its request runs; released on drop, whatever path
/// the request takes (error, panic, a dropped future).
struct KeyClaim {
    core: Core,
    key: Option<String>,
}

impl Drop for KeyClaim {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.core
                .0
                .claims
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&k);
        }
    }
}

enum Claimed<T> {
    Run(KeyClaim),
    Replay(Mutated<T>),
}

impl Core {
    /// Claim the context's idempotency key: in memory first (so two racing requests cannot both
    /// run), then look for a stored answer to replay.
    async fn claim<T: DeserializeOwned + Send + 'static>(
        &self,
        ctx: &Ctx,
        op: &'static str,
        hash: &str,
    ) -> Result<Claimed<T>, ApiError> {
        let Some(key) = ctx.idempotency_key.clone() else {
            return Ok(Claimed::Run(KeyClaim {
                core: self.clone(),
                key: None,
            }));
        };
        let ident = format!("{op}\0{hash}");
        {
            let mut claims = self.0.claims.lock().unwrap_or_else(|p| p.into_inner());
            match claims.get(&key) {
                Some(running) if *running == ident => return Err(in_flight()),
                Some(_) => return Err(mismatch()),
                None => {
                    claims.insert(key.clone(), ident);
                }
            }
        }
        let guard = KeyClaim {
            core: self.clone(),
            key: Some(key.clone()),
        };
        let stored = self.read(move |c| idempotency::lookup(c, &key)).await?;
        match stored {
            None => Ok(Claimed::Run(guard)),
            Some(s) if s.operation == op && s.request_hash == hash => {
                let value: T = serde_json::from_str(&s.response).map_err(internal)?;
                Ok(Claimed::Replay(Mutated {
                    value,
                    status: s.status,
                    replayed: true,
                }))
            }
            Some(_) => Err(mismatch()),
        }
    }

    /// A full disk refuses people's writes up front (the reserve is kept for recording
    /// failures); reads go on.
    fn check_room(&self) -> Result<(), ApiError> {
        if self.0.store.has_room() {
            Ok(())
        } else {
            Err(StoreError::Full.into())
        }
    }

    /// When this context's write must have started (its own deadline, or a fresh wait).
    fn write_deadline(ctx: &Ctx) -> Instant {
        ctx.deadline
            .unwrap_or_else(|| Instant::now() + refine_store::WRITE_WAIT)
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
        // The journal of what was done, in the daemon's log too (summaries never hold secrets).
        tracing::info!(
            target: "refine_core::activity",
            operation = %activity.operation,
            actor = %activity.actor,
            surface = activity.surface.as_str(),
            "{}",
            activity.summary
        );
        if let Some((kind, data)) = &change.event {
            self.0
                .bus
                .publish_value(kind, change.app_id.clone(), data.clone());
        }
        self.0
            .bus
            .publish(kind::ACTIVITY_CREATED, activity.app_id.clone(), activity);
    }

    /// Run a mutation through the pipeline. `request` is the validated input (it keys the
    /// idempotency hash); `prepare` does slow work outside the write lock (may fail: nothing is
    /// stored); `apply` changes state inside the single write transaction.
    pub async fn mutate<T, P, Fut, A>(
        &self,
        ctx: &Ctx,
        request: &impl Serialize,
        prepare: Fut,
        apply: A,
    ) -> Result<Mutated<T>, ApiError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        P: Send + 'static,
        Fut: Future<Output = Result<P, ApiError>>,
        A: FnOnce(&Connection, P) -> Result<(T, Change), ApiError> + Send + 'static,
    {
        let op = ctx.operation()?;
        ctx.validate()?;
        self.check_room()?;
        let request = serde_json::to_value(request).map_err(internal)?;
        let hash = request_hash(op, &request);
        let _claim = match self.claim::<T>(ctx, op, &hash).await? {
            Claimed::Replay(replay) => return Ok(replay),
            Claimed::Run(claim) => claim,
        };
        let prepared = prepare.await?;
        let ctx2 = ctx.clone();
        let deadline = Self::write_deadline(ctx);
        let result = self
            .blocking(move |core| {
                let at = clock::now();
                core.0.store.write_by(deadline, |tx| {
                    let (value, change) = apply(tx, prepared)?;
                    let op_id = new_id();
                    // The journal keeps what was asked; the answer is the state just written
                    // (and, under an idempotency key, the stored response below): a Goal's
                    // create does not store the Goal a third time.
                    ops_table::insert(
                        tx,
                        &NewOperation {
                            id: &op_id,
                            kind: op,
                            status: OperationStatus::Succeeded,
                            input: &redacted(&request),
                            result: None,
                            idempotency_key: ctx2.idempotency_key.as_deref(),
                            app_id: change.app_id.as_deref(),
                            actor: &ctx2.actor,
                            surface: ctx2.surface,
                            instance: &core.0.instance,
                            at: &at,
                        },
                    )?;
                    let entry = Core::activity_entry(&ctx2, op, &change, Some(&op_id), &at);
                    activity_table::insert(tx, &entry, None)?;
                    if let Some(key) = &ctx2.idempotency_key {
                        let json = serde_json::to_string(&value).map_err(internal)?;
                        idempotency::record(
                            tx,
                            &idempotency::Record {
                                key,
                                operation: op,
                                request_hash: &hash,
                                status: 200,
                                response: &json,
                                instance: &core.0.instance,
                                at: &at,
                            },
                        )?;
                    }
                    if !ctx2.settle.commit() {
                        return Err(abandoned());
                    }
                    Ok::<_, ApiError>((value, change, entry))
                })
            })
            .await;
        let (value, change, entry) = result?;
        self.publish_after_commit(&entry, &change);
        Ok(Mutated {
            value,
            status: 200,
            replayed: false,
        })
    }

    /// Start long-running work: journal the operation as running, answer `202` with the receipt
    /// at once, and run `work` in a daemon-owned task that reports progress and its outcome.
    pub async fn start_operation<W, Fut>(
        &self,
        ctx: &Ctx,
        request: &impl Serialize,
        change: Change,
        work: W,
    ) -> Result<Mutated<OperationReceipt>, ApiError>
    where
        W: FnOnce(OperationHandle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
    {
        let op = ctx.operation()?;
        ctx.validate()?;
        self.check_room()?;
        let request = serde_json::to_value(request).map_err(internal)?;
        let hash = request_hash(op, &request);
        let _claim = match self.claim::<OperationReceipt>(ctx, op, &hash).await? {
            // The receipt as it is now (running, interrupted with its progress, done), not as
            // it was when first answered.
            Claimed::Replay(mut replay) => {
                let id = replay.value.id.clone();
                if let Some(now) = self.read(move |c| ops_table::get(c, &id)).await? {
                    replay.value = now;
                }
                return Ok(replay);
            }
            Claimed::Run(claim) => claim,
        };
        let op_id = new_id();
        let ctx2 = ctx.clone();
        let id2 = op_id.clone();
        let change2 = change.clone();
        let deadline = Self::write_deadline(ctx);
        let result = self
            .blocking(move |core| {
                let at = clock::now();
                core.0.store.write_by(deadline, |tx| {
                    ops_table::insert(
                        tx,
                        &NewOperation {
                            id: &id2,
                            kind: op,
                            status: OperationStatus::Running,
                            input: &redacted(&request),
                            result: None,
                            idempotency_key: ctx2.idempotency_key.as_deref(),
                            app_id: change2.app_id.as_deref(),
                            actor: &ctx2.actor,
                            surface: ctx2.surface,
                            instance: &core.0.instance,
                            at: &at,
                        },
                    )?;
                    let entry = Core::activity_entry(&ctx2, op, &change2, Some(&id2), &at);
                    activity_table::insert(tx, &entry, None)?;
                    let receipt =
                        ops_table::get(tx, &id2)?.ok_or_else(|| internal("operation vanished"))?;
                    if let Some(key) = &ctx2.idempotency_key {
                        let json = serde_json::to_string(&receipt).map_err(internal)?;
                        idempotency::record(
                            tx,
                            &idempotency::Record {
                                key,
                                operation: op,
                                request_hash: &hash,
                                status: 202,
                                response: &json,
                                instance: &core.0.instance,
                                at: &at,
                            },
                        )?;
                    }
                    if !ctx2.settle.commit() {
                        return Err(abandoned());
                    }
                    Ok::<_, ApiError>((receipt, entry))
                })
            })
            .await;
        let (receipt, entry) = result?;
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
        let flag = self
            .0
            .running_ops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let asked = flag.is_some_and(|f| f.load(Ordering::SeqCst));
        let stopped =
            matches!(&outcome, Err(e) if e.code == ErrorCode::Conflict && e.message == CANCELLED);
        if stopped && !asked && *self.0.shutdown.borrow() {
            // Stopped by the daemon's shutdown, not by a person: it stays `running` in the
            // journal, and the next start records it as interrupted with how far it got.
            return;
        }
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
                    .map_err(ApiError::from)
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
        self.0
            .bus
            .publish(kind::OPERATIONS_UPDATED, receipt.app_id.clone(), receipt);
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
    /// Whether the work should stop now: a person cancelled it, or the daemon is shutting down
    /// (then it is recorded as interrupted, and a retry continues it).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst) || *self.core.0.shutdown.borrow()
    }
    /// The error to return from work that stopped because it was cancelled.
    pub fn cancelled_error() -> ApiError {
        ApiError::conflict(CANCELLED)
    }
    /// Record progress inside a transaction of the work itself, so what the receipt says it did
    /// is exactly what committed (an interrupted operation then shows how far it got). Publish it
    /// with [`OperationHandle::announce`] after the commit.
    pub fn progress_in(
        &self,
        tx: &Connection,
        percent: u32,
        message: &str,
    ) -> Result<(), StoreError> {
        ops_table::set_progress(tx, &self.id, percent, Some(message), &clock::now()).map(|_| ())
    }

    /// Publish the receipt as it is stored now.
    pub async fn announce(&self) {
        let id = self.id.clone();
        if let Ok(Some(receipt)) = self.core.read(move |c| ops_table::get(c, &id)).await {
            self.core.publish_operation(&receipt);
        }
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
                    .map_err(ApiError::from)
            })
            .await;
        if let Ok(Some(receipt)) = r {
            self.core.publish_operation(&receipt);
        }
    }
}
