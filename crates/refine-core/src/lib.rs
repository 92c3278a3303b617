//! Refine's application services: one module per capability group, the `Core` handle, the
//! mutation pipeline and the event bus. Nothing here knows about HTTP, Tauri or the CLI.

pub mod activity;
pub mod agents;
pub mod apps;
pub mod bestof;
pub mod cache;
pub mod changes;
pub mod chat;
pub mod clock;
pub mod cluster;
pub mod daemon;
pub mod dashboard;
pub mod diagnostics;
pub mod events;
pub mod files;
pub mod governance;
pub mod guidance;
pub mod import;
pub mod operations;
pub mod performance;
pub mod pipeline;
pub mod previews;
pub mod processes;
pub mod project;
pub mod publish;
pub mod quality;
pub mod reporters;
pub mod review;
pub mod runner;
pub mod sessions;
pub mod settings;
pub mod system;
pub mod target;
pub mod terminal;
pub mod upgrade;
pub mod webhooks;
pub mod wire;
pub mod work;
pub mod workflow;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use refine_model::{ApiError, Surface};
use refine_store::{Store, StoreError};

pub use events::EventBus;
pub use pipeline::{Change, Mutated};

/// Who is asking, through which surface, with which idempotency key and app context.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: String,
    pub surface: Surface,
    pub idempotency_key: Option<String>,
    /// The app this request is about when the input does not name one (else the active app).
    pub app_id: Option<String>,
    /// A write for this request must have started its transaction by then. Transports set it
    /// from the request's arrival ([`Ctx::arrived`]); `None` gives each write its own
    /// [`refine_store::WRITE_WAIT`].
    pub deadline: Option<Instant>,
    /// Settles, once, whether this request's write commits or its transport gave up on it.
    pub settle: Arc<pipeline::Settle>,
    /// The browser session the request authenticated with (`None`: the data dir's token, IPC).
    pub session_id: Option<String>,
    /// The client program, as it named itself (an HTTP `User-Agent`).
    pub client: Option<String>,
    /// The operation this request runs (`apps.add`): set by dispatch for every request, and by
    /// the daemon's own work (the runner, repairs) for what it does itself. Its writes are
    /// recorded and keyed under this name.
    pub op: &'static str,
}

impl Ctx {
    pub fn new(surface: Surface) -> Ctx {
        Ctx {
            actor: "user".to_string(),
            surface,
            idempotency_key: None,
            app_id: None,
            deadline: None,
            settle: Arc::default(),
            session_id: None,
            client: None,
            op: "",
        }
    }
    /// A request that arrived now: its writes must start within [`refine_store::WRITE_WAIT`].
    pub fn arrived(surface: Surface) -> Ctx {
        let mut c = Ctx::new(surface);
        c.deadline = Some(Instant::now() + refine_store::WRITE_WAIT);
        c
    }
    pub fn with_key(mut self, key: impl Into<String>) -> Ctx {
        self.idempotency_key = Some(key.into());
        self
    }
    pub fn with_actor(mut self, actor: impl Into<String>) -> Ctx {
        self.actor = actor.into();
        self
    }
    /// The same request, running operation `op` (the daemon's own work names what it does).
    pub fn for_op(&self, op: &'static str) -> Ctx {
        let mut c = self.clone();
        c.op = op;
        c
    }

    /// The operation this request runs; a write without one is a bug, refused.
    pub fn operation(&self) -> Result<&'static str, ApiError> {
        if self.op.is_empty() {
            tracing::error!("a write ran without an operation name in its context");
            return Err(ApiError::internal(
                "internal error: a write without an operation",
            ));
        }
        Ok(self.op)
    }

    /// Check the parts a client chose: actor name and idempotency key.
    pub fn validate(&self) -> Result<(), ApiError> {
        let ok = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
        };
        if !ok(&self.actor, 100) {
            return Err(ApiError::invalid(
                "the actor must be 1-100 characters without control characters",
            ));
        }
        if let Some(k) = &self.idempotency_key {
            if !ok(k, 200) {
                return Err(ApiError::invalid(
                    "the Idempotency-Key must be 1-200 characters without control characters",
                ));
            }
        }
        Ok(())
    }
}

/// Static facts of this daemon instance.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub data_dir: PathBuf,
    /// Capacity of the event replay buffer.
    pub event_buffer: usize,
}

impl CoreConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        CoreConfig {
            data_dir: data_dir.into(),
            event_buffer: 1024,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) bus: EventBus,
    pub(crate) data_dir: PathBuf,
    pub(crate) node_id: String,
    pub(crate) instance: String,
    /// The mark in every child's environment (`REFINE_OWNER`): derived from the data dir, so the
    /// next daemon of this data dir finds what a crashed one left running.
    pub(crate) owner: String,
    pub(crate) started: Instant,
    pub(crate) started_at: String,
    pub(crate) url: RwLock<Option<String>>,
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    pub(crate) running_ops: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// The last health probe of each app's running dev server: app id → (process id, result).
    pub(crate) health: Mutex<HashMap<String, (String, target::HealthCheck)>>,
    /// Chat replies this daemon is writing.
    pub(crate) chat_live: chat::LiveReplies,
    /// What agent detection last found, per profile.
    pub(crate) detections: agents::DetectCache,
    /// Browser sessions and pending login codes.
    pub(crate) sessions: sessions::Sessions,
    /// Idempotency keys of requests still running: key → operation and request hash.
    pub(crate) claims: Mutex<HashMap<String, String>>,
    pub(crate) procs: Mutex<HashMap<String, Arc<processes::Live>>>,
    /// File watchers by app id (started on an app's first files call, stopped on removal).
    pub(crate) watchers: Mutex<HashMap<String, files::Watched>>,
    /// Terminal sessions by id (they live as long as the daemon, or until closed or reaped).
    pub(crate) terms: Mutex<HashMap<String, Arc<terminal::Session>>>,
    /// Whether the idle reaper runs (started with the first session).
    pub(crate) term_reaper: AtomicBool,
    /// The scheduler and its workers.
    pub(crate) runner: runner::Runner,
    /// Held across approve (merge, then transition), decline and cancel, so a decision never
    /// lands between an approval's merge and its transition.
    pub(crate) review_lock: tokio::sync::Mutex<()>,
    /// Wakes the webhook sender when a delivery is queued.
    pub(crate) webhook_wake: tokio::sync::Notify,
    /// Running previews, by Goal id.
    pub(crate) previews: Mutex<HashMap<String, refine_model::process::Preview>>,
    /// Serialises preview starts (the cap and the one-per-Goal rule).
    pub(crate) preview_lock: tokio::sync::Mutex<()>,
    pub(crate) metrics: performance::Metrics,
    /// What the release feed said when last asked.
    pub(crate) feed: upgrade::FeedCache,
    /// The copy of the database made before this start's migrations.
    pub(crate) migration_backup: Option<PathBuf>,
    /// Diffs between two commits (the `changes.diff` cache).
    pub(crate) diffs: cache::DiffCache,
    /// Hits and misses of the kept file lists (the `files.index` cache).
    pub(crate) file_index_counters: cache::Counters,
    /// Each app's last start verdicts, with the facts they were made from.
    pub(crate) verdicts: workflow::VerdictCache,
    /// Apps as last looked up, while no write changed the apps.
    pub(crate) apps_seen: apps::AppsSeen,
    /// The cluster link (standalone until joined).
    pub(crate) cluster: cluster::ClusterState,
}

/// The handle every surface holds. Cheap to clone.
#[derive(Clone)]
pub struct Core(pub(crate) Arc<Inner>);

/// What start-up repair found and settled.
#[derive(Debug, Clone, Default)]
pub struct RepairReport {
    pub interrupted_operations: Vec<String>,
    /// Process records of the dead daemon, settled as lost (their groups killed).
    pub lost_processes: Vec<String>,
    pub swept_idempotency_keys: usize,
    pub swept_temp_files: usize,
    /// Processes a stopped daemon left running, found by their mark and killed.
    pub ended_orphans: usize,
}

impl Core {
    /// Open the database in `config.data_dir`, migrate, and run start-up repair.
    /// Call this before any listener opens.
    pub fn open(config: CoreConfig) -> Result<(Core, RepairReport), ApiError> {
        let db = config.data_dir.join("refine.db");
        daemon::ensure_private_file(&db).map_err(|e| {
            tracing::error!(error = %e, "cannot create the database file");
            ApiError::unavailable(format!("cannot create {}: {e}", db.display()))
        })?;
        let backups = config.data_dir.join(upgrade::BACKUP_DIR);
        let keep = upgrade::backups_kept(&db);
        let (store, migration_backup) = match Store::open_with(&db, Some((&backups, keep))) {
            Ok(x) => x,
            Err(StoreError::TooNew { found, supported }) => {
                let newest = refine_store::backup::list(&backups)
                    .first()
                    .map(|b| b.path.display().to_string())
                    .unwrap_or_else(|| format!("a backup from {}", backups.display()));
                return Err(ApiError::unavailable(format!(
                    "the database {} has schema version {found}, newer than this Refine knows ({supported}): a newer Refine wrote it. Run that version, or restore a backup made before the upgrade: refine restore {newest}. The database was not opened for writing.",
                    db.display()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let instance = uuid::Uuid::now_v7().to_string();
        let now = clock::now();
        let node_id = store.write(|tx| {
            if let Some(id) = refine_store::meta::get(tx, "node_id")? {
                return Ok::<_, StoreError>(id);
            }
            let id = uuid::Uuid::now_v7().to_string();
            refine_store::meta::set(tx, "node_id", &id)?;
            Ok(id)
        })?;
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let owner = owner_mark(&config.data_dir);
        let core = Core(Arc::new(Inner {
            verdicts: Default::default(),
            apps_seen: Default::default(),
            cluster: Default::default(),
            store,
            bus: EventBus::new(config.event_buffer),
            data_dir: config.data_dir.clone(),
            node_id,
            instance,
            owner,
            started: Instant::now(),
            started_at: now,
            url: RwLock::new(None),
            shutdown,
            running_ops: Mutex::new(HashMap::new()),
            claims: Mutex::new(HashMap::new()),
            sessions: sessions::Sessions::default(),
            detections: agents::DetectCache::default(),
            chat_live: Default::default(),
            health: Mutex::new(HashMap::new()),
            procs: Mutex::new(HashMap::new()),
            watchers: Mutex::new(HashMap::new()),
            terms: Mutex::new(HashMap::new()),
            term_reaper: AtomicBool::new(false),
            runner: runner::Runner::default(),
            review_lock: tokio::sync::Mutex::new(()),
            webhook_wake: tokio::sync::Notify::new(),
            previews: Mutex::new(HashMap::new()),
            preview_lock: tokio::sync::Mutex::new(()),
            metrics: performance::Metrics::new(),
            feed: Default::default(),
            migration_backup,
            diffs: Default::default(),
            file_index_counters: Default::default(),
        }));
        let report = core.repair()?;
        core.load_sessions()?;
        Ok((core, report))
    }

    fn repair(&self) -> Result<RepairReport, ApiError> {
        let now = clock::now();
        let cutoff = clock::hours_ago(24);
        let instance = self.0.instance.clone();
        let (interrupted, swept) = self.0.store.write(|tx| {
            let ids = refine_store::operations::interrupt_stale(tx, &instance, &now)?;
            let swept = refine_store::idempotency::sweep(tx, &instance, &cutoff)?;
            if !ids.is_empty() {
                let entry = refine_model::Activity {
                    id: uuid::Uuid::now_v7().to_string(),
                    at: now.clone(),
                    actor: "refine".to_string(),
                    surface: Surface::System,
                    operation: "system.repair".to_string(),
                    app_id: None,
                    target: None,
                    summary: format!(
                        "Start-up repair: {} operation(s) of a stopped daemon marked interrupted",
                        ids.len()
                    ),
                    operation_id: None,
                };
                refine_store::activity::insert(
                    tx,
                    &entry,
                    Some(&serde_json::json!({ "operations": ids })),
                )?;
            }
            Ok::<_, StoreError>((ids, swept))
        })?;
        let swept_temp_files = daemon::sweep_temp(&self.0.data_dir);
        let lost_processes = self.repair_processes(&now)?;
        // Whatever else a dead daemon of this data dir started (terminal children that ignored
        // SIGHUP, a `setsid` grandchild of a supervised process, …) carries its mark.
        let orphans = refine_host::process::end_owned(&self.0.owner, std::time::Duration::ZERO);
        let replies = self.repair_chat()?;
        if replies > 0 {
            tracing::info!(
                replies,
                "start-up repair settled chat replies a stopped daemon was writing"
            );
        }
        if orphans > 0 {
            tracing::info!(
                orphans,
                "start-up repair ended processes a stopped daemon left"
            );
        }
        if !interrupted.is_empty() || swept > 0 || swept_temp_files > 0 {
            tracing::info!(
                interrupted = interrupted.len(),
                keys = swept,
                temp_files = swept_temp_files,
                "start-up repair"
            );
        }
        Ok(RepairReport {
            lost_processes,
            interrupted_operations: interrupted,
            swept_idempotency_keys: swept,
            swept_temp_files,
            ended_orphans: orphans,
        })
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }
    pub fn bus(&self) -> &EventBus {
        &self.0.bus
    }
    pub fn data_dir(&self) -> &Path {
        &self.0.data_dir
    }
    pub fn node_id(&self) -> &str {
        &self.0.node_id
    }
    /// Record the URL the HTTP listener answers on (shown by `system.info`).
    pub fn set_url(&self, url: Option<String>) {
        *self.0.url.write().unwrap_or_else(|p| p.into_inner()) = url;
    }
    pub fn url(&self) -> Option<String> {
        self.0.url.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// Resolves once a shutdown was requested (by `system.shutdown` or a signal).
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.shutdown.subscribe()
    }
    pub fn request_shutdown(&self) {
        let _ = self.0.shutdown.send(true);
    }

    /// The environment of a child process: clean, plus `extra`, plus this daemon's owner mark.
    pub fn child_env(&self, extra: &HashMap<String, String>) -> HashMap<String, String> {
        refine_host::process::child_env(&self.0.owner, extra)
    }

    /// End everything this daemon started, on the way out: the runner's agents, terminals (and
    /// children that ignore SIGHUP), supervised processes and their groups, and last whatever
    /// else carries the owner mark (a `setsid` grandchild, say). Everything gets SIGTERM at once
    /// and a short grace together, then SIGKILL, so shutdown takes seconds, not a grace per process.
    pub async fn shutdown_cleanup(&self) {
        self.request_shutdown();
        let closing = async {
            self.close_all_terminals().await;
            self.stop_all_processes(std::time::Duration::from_millis(1500))
                .await;
        };
        let owner = self.0.owner.clone();
        let sweep = tokio::task::spawn_blocking(move || {
            refine_host::process::end_owned(&owner, std::time::Duration::from_millis(1500))
        });
        let (_, left) = tokio::join!(closing, sweep);
        let left = left.unwrap_or(0);
        if left > 0 {
            tracing::info!(left, "ended child processes on shutdown");
        }
        // Their exits are recorded once their output pipes close (the sweep ended the holders).
        self.wait_processes_recorded(std::time::Duration::from_secs(3))
            .await;
    }

    /// Background housekeeping for as long as the daemon runs: every few seconds the WAL is
    /// checkpointed when it grew and the disk reserve restored when there is room; every hour
    /// old idempotency keys and ended browser sessions are dropped.
    pub fn start_housekeeping(&self) {
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            let mut n: u64 = 0;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
                n += 1;
                let hourly = n.is_multiple_of(720);
                if n.is_multiple_of(2) {
                    let c = core.clone();
                    let _ = tokio::task::spawn_blocking(move || c.sample_resources()).await;
                }
                let _ = core
                    .blocking(move |core| {
                        core.0.store.maintain();
                        trim_heap();
                        if hourly {
                            let (instance, cutoff) =
                                (core.0.instance.clone(), clock::hours_ago(24));
                            let month = clock::hours_ago(24 * 30);
                            let _ = core.0.store.write(|tx| {
                                refine_store::idempotency::sweep(tx, &instance, &cutoff)?;
                                refine_store::sessions::sweep(tx, &month)
                            });
                        }
                        Ok(())
                    })
                    .await;
            }
        });
    }

    /// Run blocking database work off the async executor.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T, ApiError> + Send + 'static,
    {
        let core = self.clone();
        tokio::task::spawn_blocking(move || f(&core))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "blocking task failed");
                ApiError::internal("internal error")
            })?
    }

    /// A read on the reader pool, off the executor.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&refine_store::rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.blocking(move |core| core.0.store.read(f).map_err(ApiError::from))
            .await
    }
}

/// Give the heap's free pages back to the system (glibc keeps what start-up and bursts of
/// work freed resident otherwise: the command-line tree, schema parsing, request buffers).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The owner mark of a data dir: a short hash of its canonical path.
fn owner_mark(data_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let path = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    hex::encode(&digest[..12])
}

/// Map storage failures to wire errors (see `From<StoreError> for ApiError`).
/// Make a new UUIDv7 id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::OperationStatus;
    use refine_store::operations::NewOperation;

    #[test]
    fn start_up_repair_interrupts_work_of_a_dead_instance() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (core, report) = Core::open(CoreConfig::new(dir.path())).unwrap();
            assert!(report.interrupted_operations.is_empty());
            core.store()
                .write(|tx| {
                    refine_store::operations::insert(
                        tx,
                        &NewOperation {
                            id: "op-1",
                            kind: "apps.rescan",
                            status: OperationStatus::Running,
                            input: &serde_json::json!({}),
                            result: None,
                            idempotency_key: Some("k"),
                            app_id: None,
                            actor: "user",
                            surface: Surface::Cli,
                            instance: &core.0.instance,
                            at: &clock::now(),
                        },
                    )?;
                    // A claim row as daemons before in-memory claims wrote them.
                    tx.execute(
                        "INSERT INTO idempotency(key, operation, request_hash, state, instance, created_at) VALUES ('k2', 'apps.add', 'h', 'running', ?1, ?2)",
                        [&core.0.instance, &clock::now()],
                    )?;
                    Ok::<_, StoreError>(())
                })
                .unwrap();
            std::fs::create_dir_all(dir.path().join("tmp/leftover")).unwrap();
        }
        let (core, report) = Core::open(CoreConfig::new(dir.path())).unwrap();
        assert_eq!(report.interrupted_operations, vec!["op-1".to_string()]);
        assert_eq!(
            report.swept_idempotency_keys, 1,
            "the dead claim is released"
        );
        assert_eq!(report.swept_temp_files, 1);
        let op = core
            .store()
            .read(|c| refine_store::operations::get(c, "op-1"))
            .unwrap()
            .unwrap();
        assert_eq!(op.status, OperationStatus::Interrupted);
        assert!(op.error.unwrap().message.contains("retry"));
        let n: i64 = core
            .store()
            .read(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM activity WHERE operation = 'system.repair'",
                    [],
                    |r| r.get(0),
                )
                .map_err(StoreError::from)
            })
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn cancel_stops_a_running_operation() {
        let dir = tempfile::tempdir().unwrap();
        let (core, _) = Core::open(CoreConfig::new(dir.path())).unwrap();
        let ctx = Ctx::new(Surface::Cli).for_op("test.wait");
        let started = core
            .start_operation(
                &ctx,
                &serde_json::json!({}),
                Change::new("Waiting"),
                |h| async move {
                    while !h.is_cancelled() {
                        h.progress(10, Some("waiting".into())).await;
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Err(pipeline::OperationHandle::cancelled_error())
                },
            )
            .await
            .unwrap();
        assert_eq!(started.status, 202);
        let id = started.value.id.clone();
        let cancelled = core
            .operations_cancel(
                &ctx.for_op("operations.cancel"),
                operations::OperationIdInput { id: id.clone() },
            )
            .await
            .unwrap();
        assert_eq!(cancelled.value.status, OperationStatus::Cancelled);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let op = core
            .operations_get(operations::OperationIdInput { id: id.clone() })
            .await
            .unwrap();
        assert_eq!(
            op.status,
            OperationStatus::Cancelled,
            "the worker's late finish changes nothing"
        );
        let again = core
            .operations_cancel(
                &ctx.for_op("operations.cancel"),
                operations::OperationIdInput { id },
            )
            .await
            .unwrap_err();
        assert_eq!(again.code, refine_model::ErrorCode::Conflict);
    }
}
