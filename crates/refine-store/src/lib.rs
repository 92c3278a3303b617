//! SQLite storage: one writer connection (`BEGIN IMMEDIATE`, synchronous FULL), a small pool of
//! readers, WAL, foreign keys, busy timeout, and embedded forward-only migrations.
//! All calls are blocking; async callers run them on a blocking thread.

pub mod activity;
pub mod agents;
pub mod apps;
pub mod backup;
pub mod chat;
mod checkpointer;
mod disk;
mod facts;
pub mod features;
pub mod goals;
pub mod governance;
pub mod guidance;
pub mod idempotency;
pub mod lifecycle;
pub mod meta;
pub mod migrations;
pub mod nodes;
pub mod operations;
pub mod processes;
pub mod quality;
pub mod reporters;
pub mod review;
pub mod sessions;
pub mod settings;
mod walbuf;
pub mod webhooks;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

pub use rusqlite;

/// How long a reader waits for a lock held by someone else before giving up with `Busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long, in all, a write may wait for the writer connection and the database's write lock
/// when its caller set no deadline of its own.
pub const WRITE_WAIT: Duration = Duration::from_secs(10);
const READERS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is busy (locked by another writer)")]
    Busy,
    #[error("the disk is full")]
    Full,
    #[error("the database file is read-only or not writable")]
    ReadOnly,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored data could not be decoded: {0}")]
    Decode(String),
    #[error("the database schema version {found} is newer than this build supports ({supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("the write could not be committed")]
    NotCommitted,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                C::DatabaseBusy | C::DatabaseLocked => return StoreError::Busy,
                C::DiskFull => return StoreError::Full,
                C::ReadOnly => return StoreError::ReadOnly,
                _ => {}
            }
        }
        StoreError::Sqlite(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

/// Storage failures on the wire: busy → 503 with a retry hint, disk full → 507; any other
/// detail goes to the log only.
impl From<StoreError> for refine_model::ApiError {
    fn from(e: StoreError) -> Self {
        use refine_model::{ApiError, ErrorCode};
        match e {
            StoreError::Busy => ApiError::new(
                ErrorCode::Unavailable,
                "the database is busy; retry shortly",
            )
            .with_details(serde_json::json!({ "retryAfter": 1 })),
            StoreError::Full => ApiError::new(
                ErrorCode::InsufficientStorage,
                "the disk holding Refine's data is full; free space and retry",
            ),
            StoreError::ReadOnly => ApiError::unavailable("Refine's database is read-only"),
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError::internal("internal storage error")
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database: one writer, several readers.
pub struct Store {
    path: PathBuf,
    disk: disk::Disk,
    /// parking_lot's mutex: a write waits for it only until its deadline (std has no timed lock).
    writer: parking_lot::Mutex<Writer>,
    /// Writes waiting for the writer connection: while any wait, a finished write leaves its
    /// batch's transaction open for them (group commit).
    queued: AtomicUsize,
    /// Writes kept and transactions committed since the store opened (writes per commit is
    /// what group commit saves).
    writes: AtomicU64,
    commits: AtomicU64,
    /// [`BATCH_AGE`], but for tests.
    batch_age: Duration,
    batches: Mutex<Batches>,
    batch_settled: Condvar,
    facts: facts::FactsCache,
    readers: Mutex<Vec<Connection>>,
    reader_ready: Condvar,
    /// Copies the WAL into the database off the writer's path.
    _checkpointer: checkpointer::Checkpointer,
}

/// The writer connection and the batch whose transaction is open on it, if any.
struct Writer {
    conn: Connection,
    open: Option<u64>,
    last: u64,
    /// Writes in the open batch, and when it began.
    members: usize,
    began: Instant,
}

/// How batches ended, for the writes that wait on a commit another write makes.
#[derive(Default)]
struct Batches {
    /// Every batch up to this one has committed or failed.
    settled: u64,
    /// Recent batches that failed, and how.
    failed: VecDeque<(u64, Failure)>,
}

/// Why a batch failed, told to each of its writes (a `StoreError` is not `Clone`).
#[derive(Debug, Clone, Copy)]
enum Failure {
    Busy,
    Full,
    ReadOnly,
    Other,
}

impl Failure {
    fn of(e: &StoreError) -> Failure {
        match e {
            StoreError::Busy => Failure::Busy,
            StoreError::Full => Failure::Full,
            StoreError::ReadOnly => Failure::ReadOnly,
            _ => Failure::Other,
        }
    }
    fn error(self) -> StoreError {
        match self {
            Failure::Busy => StoreError::Busy,
            Failure::Full => StoreError::Full,
            Failure::ReadOnly => StoreError::ReadOnly,
            Failure::Other => StoreError::NotCommitted,
        }
    }
}

/// How many failed batches are remembered for their waiting writes.
const FAILED_KEPT: usize = 256;
/// How often a write waiting on its batch's commit checks that someone is still there to make it.
const SETTLE_POLL: Duration = Duration::from_millis(5);
/// A batch commits once it holds this many writes or is this old, queue or not: a steady
/// stream of writers never holds the first ones back for long.
const BATCH_MAX: usize = 64;
const BATCH_AGE: Duration = Duration::from_millis(20);

/// Statements through the connection's statement cache: the same SQL is parsed once per
/// connection, not once per call.
pub trait Cached {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Statements each connection keeps parsed (the store has a few hundred distinct ones).
const STATEMENT_CACHE: usize = 256;

/// Run one statement kept parsed (the writer's `BEGIN`, savepoints and `COMMIT` run for every
/// write).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // One plan per statement whatever its parameters (the query planner stability guarantee).
    // Without it SQLite marks a statement whose parameter it compared with a partial index's
    // condition or a sampled key (`sqlite_stat4`) to be parsed and planned again whenever that
    // parameter gets a new value: most cached statements were re-prepared on nearly every use
    // (a Goal's create re-prepared a dozen). Conditions a partial index depends on are written
    // as literals in the SQL, so the plans stay the same.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // Sorts, statement journals and temporary indexes in memory: no temp file is created and
    // unlinked for every write.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if writer {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // After a checkpoint the WAL file is cut back to this instead of keeping its peak size.
        conn.pragma_update(None, "journal_size_limit", disk::WAL_BOUND as i64)?;
    }
    Ok(())
}

impl Store {
    /// Open (creating if needed) the database at `path` and run pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, None).map(|(s, _)| s)
    }

    /// Like [`Store::open`]; with `backups` (a folder and how many to keep), a database that
    /// needs migrating is first copied there. A database newer than this build is refused
    /// before anything opens it for writing. Returns the backup made, if any.
    pub fn open_with(
        path: &Path,
        backups: Option<(&Path, usize)>,
    ) -> Result<(Store, Option<PathBuf>)> {
        let version = backup::peek_version(path)?;
        if let Some(found) = version.filter(|v| *v > migrations::LATEST) {
            return Err(StoreError::TooNew {
                found,
                supported: migrations::LATEST,
            });
        }
        let mut made = None;
        if let (Some(v), Some((dir, keep))) = (version, backups) {
            if v < migrations::LATEST {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Decode(e.to_string()))?;
                let to = dir.join(backup::file_name(v, "pre-migration"));
                let from = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                backup::copy(&from, &to)?;
                tracing::info!(from = v, to = migrations::LATEST, backup = %to.display(), "backed up the database before migrating");
                backup::prune(dir, keep);
                made = Some(to);
            }
        }
        let store = Store::open_now(path)?;
        Ok((store, made))
    }

    fn open_now(path: &Path) -> Result<Store> {
        // The writer's log writes are gathered into one write per commit (see `walbuf`).
        walbuf::register().map_err(StoreError::Decode)?;
        let mut writer =
            Connection::open_with_flags_and_vfs(path, OpenFlags::default(), walbuf::VFS_NAME)?;
        configure(&writer, true)?;
        migrations::run(&writer)?;
        // Refresh the planner's statistics where they are stale (cheap when nothing changed).
        writer.execute_batch("PRAGMA optimize=0x10002;")?;
        let facts = facts::FactsCache::default();
        facts.watch(&mut writer)?;
        let checkpointer = checkpointer::Checkpointer::start(path, &mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&r, false)?;
            readers.push(r);
        }
        Ok(Store {
            disk: disk::Disk::new(path),
            path: path.to_path_buf(),
            writer: parking_lot::Mutex::new(Writer {
                conn: writer,
                open: None,
                last: 0,
                members: 0,
                began: Instant::now(),
            }),
            queued: AtomicUsize::new(0),
            writes: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            batch_age: BATCH_AGE,
            batches: Mutex::new(Batches::default()),
            batch_settled: Condvar::new(),
            facts,
            readers: Mutex::new(readers),
            reader_ready: Condvar::new(),
            _checkpointer: checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` in one `BEGIN IMMEDIATE` transaction on the single writer; commit on `Ok`.
    /// Waits at most [`WRITE_WAIT`] for the writer and the lock.
    pub fn write<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_by(Instant::now() + WRITE_WAIT, f)
    }

    /// Like [`Store::write`], but the transaction must have started by `deadline`: waiting for
    /// the writer connection (other writes of this daemon) and for the database lock (another
    /// process) both count against it. Past it the answer is `Busy` and nothing is written —
    /// one bound for the whole wait, however many writers queue.
    ///
    /// Group commit: writes that queue for the writer while another runs share its
    /// transaction, each in a savepoint of its own (a failed write undoes only itself), and
    /// the last of the batch commits for all — one fsync for the batch. A write returns only
    /// once its batch is durable; when the commit fails, every write of the batch fails.
    pub fn write_by<T, E>(
        &self,
        deadline: Instant,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let held = self.writer.try_lock_until(deadline);
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let Some(mut w) = held else {
            // Timed out: a batch left open for the queue must not be left without a committer.
            if let Some(mut w) = self.writer.try_lock() {
                self.commit_if_alone(&mut w);
            }
            return Err(StoreError::Busy.into());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.commit_if_alone(&mut w);
            return Err(StoreError::Busy.into());
        }
        let batch = match Self::begin(&mut w, left) {
            Ok(b) => b,
            Err(e) => {
                self.disk.after_failure();
                return Err(e.into());
            }
        };
        let out = match run(&w.conn, "SAVEPOINT refine_write") {
            Ok(()) => f(&w.conn),
            Err(e) => Err(StoreError::from(e).into()),
        };
        let kept = match &out {
            Ok(_) => run(&w.conn, "RELEASE refine_write"),
            Err(_) => w
                .conn
                .execute_batch("ROLLBACK TO refine_write; RELEASE refine_write"),
        };
        if kept.is_err() || w.conn.is_autocommit() {
            // The savepoint could not be closed, or SQLite rolled the whole transaction back
            // (an I/O error, a full disk): the batch's earlier writes are gone with it.
            let _ = w.conn.execute_batch("ROLLBACK");
            w.open = None;
            self.facts.flush();
            self.disk.after_failure();
            let failure = kept
                .err()
                .map(|e| Failure::of(&StoreError::from(e)))
                .unwrap_or(if self.disk.has_room() {
                    Failure::Other
                } else {
                    Failure::Full
                });
            self.settle(batch, Some(failure));
            return match out {
                Err(e) => Err(e),
                Ok(_) => Err(failure.error().into()),
            };
        }
        if out.is_err() {
            // Nothing of this write is kept; the batch goes on (or commits, if it is alone).
            self.disk.after_failure();
            self.commit_if_alone(&mut w);
            return out;
        }
        w.members += 1;
        self.writes.fetch_add(1, Ordering::Relaxed);
        if self.queued.load(Ordering::SeqCst) == 0
            || w.members >= BATCH_MAX
            || w.began.elapsed() >= self.batch_age
        {
            let committed = self.commit(&mut w);
            drop(w);
            return committed.map_err(E::from).and(out);
        }
        // Others are queued: the last of them commits this write with theirs.
        drop(w);
        match self.wait_settled(batch) {
            None => out,
            Some(failure) => Err(failure.error().into()),
        }
    }

    /// The open batch, or a new one in a fresh `BEGIN IMMEDIATE` transaction.
    fn begin(w: &mut Writer, wait: Duration) -> Result<u64> {
        if let Some(b) = w.open {
            return Ok(b);
        }
        w.conn.busy_timeout(wait)?;
        run(&w.conn, "BEGIN IMMEDIATE")?;
        w.last += 1;
        w.open = Some(w.last);
        w.members = 0;
        w.began = Instant::now();
        Ok(w.last)
    }

    /// Commit the open batch (if any) and tell its waiting writes.
    fn commit(&self, w: &mut Writer) -> Result<()> {
        let Some(batch) = w.open.take() else {
            return Ok(());
        };
        let committed = run(&w.conn, "COMMIT");
        if committed.is_err() && !w.conn.is_autocommit() {
            let _ = w.conn.execute_batch("ROLLBACK");
        }
        // Before the batch's writes are told: a write that returned is in the facts' view.
        self.facts.flush();
        match committed {
            Ok(()) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.settle(batch, None);
                self.disk.after_commit(&w.conn);
                Ok(())
            }
            Err(e) => {
                let e = StoreError::from(e);
                self.disk.after_failure();
                self.settle(batch, Some(Failure::of(&e)));
                Err(e)
            }
        }
    }

    /// Commit the open batch unless a queued write will join it (and commit it) next.
    fn commit_if_alone(&self, w: &mut Writer) {
        if w.open.is_some() && self.queued.load(Ordering::SeqCst) == 0 {
            let _ = self.commit(w);
        }
    }

    fn settle(&self, batch: u64, failure: Option<Failure>) {
        let mut b = self.batches.lock().unwrap_or_else(|p| p.into_inner());
        b.settled = b.settled.max(batch);
        if let Some(f) = failure {
            b.failed.push_back((batch, f));
            if b.failed.len() > FAILED_KEPT {
                b.failed.pop_front();
            }
        }
        drop(b);
        self.batch_settled.notify_all();
    }

    /// Wait until `batch` committed (`None`) or failed. Should every write queued behind it
    /// have given up, this write commits the batch itself.
    fn wait_settled(&self, batch: u64) -> Option<Failure> {
        let mut b = self.batches.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if b.settled >= batch {
                return b.failed.iter().find(|(n, _)| *n == batch).map(|(_, f)| *f);
            }
            let (next, timeout) = self
                .batch_settled
                .wait_timeout(b, SETTLE_POLL)
                .unwrap_or_else(|p| p.into_inner());
            b = next;
            if timeout.timed_out() && b.settled < batch {
                drop(b);
                if let Some(mut w) = self.writer.try_lock() {
                    if w.open == Some(batch) {
                        let _ = self.commit(&mut w);
                    }
                }
                b = self.batches.lock().unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// (writes kept, transactions committed) since the store opened.
    pub fn write_counts(&self) -> (u64, u64) {
        (
            self.writes.load(Ordering::Relaxed),
            self.commits.load(Ordering::Relaxed),
        )
    }

    /// Whether a person's write may go ahead: false while the disk is full (the reserve was
    /// given up and has not come back), so what is left stays for recording failures.
    pub fn has_room(&self) -> bool {
        self.disk.has_room()
    }

    /// Housekeeping (call every few seconds): checkpoint a grown WAL, restore the reserve once
    /// the disk has room again.
    pub fn maintain(&self) {
        if let Some(mut w) = self.writer.try_lock_for(Duration::from_millis(50)) {
            self.commit_if_alone(&mut w);
            if w.open.is_none() {
                self.disk.checkpoint_if_grown(&w.conn, disk::IDLE_WAL_BOUND);
            }
        }
        self.disk.restore_reserve();
    }

    /// Bytes of the write-ahead log now.
    pub fn wal_size(&self) -> u64 {
        self.disk.wal_size()
    }

    /// Run `f` on a reader connection (waits for a free one).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = {
            let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(c) = pool.pop() {
                    break c;
                }
                pool = self
                    .reader_ready
                    .wait(pool)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        let out = f(&conn);
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        self.reader_ready.notify_one();
        out
    }

    /// `PRAGMA integrity_check` on the writer; `Ok(())` when the database is sound.
    pub fn integrity_check(&self) -> Result<Result<(), String>> {
        let w = self.writer.lock();
        let res: String = w
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(if res == "ok" { Ok(()) } else { Err(res) })
    }

    /// `PRAGMA quick_check` on a reader (it does not block writes); `Ok(())` when sound.
    pub fn quick_check(&self) -> Result<Result<(), String>> {
        self.read(|c| {
            let res: Vec<String> = c
                .prepare("PRAGMA quick_check(20)")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(if res == ["ok"] {
                Ok(())
            } else {
                Err(res.join("; "))
            })
        })
    }

    /// Copy the database as it is now into a new file `to` (online: writes go on meanwhile).
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        self.read(|c| backup::copy(c, to))
    }

    /// The schema version after migrations.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
    }
}

/// Turn an optional JSON column into a value.
pub(crate) fn json_col(s: Option<String>) -> Result<Option<serde_json::Value>> {
    match s {
        None => Ok(None),
        Some(s) => Ok(Some(serde_json::from_str(&s)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn store() -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        s.batch_age = Duration::from_secs(600);
        (dir, Arc::new(s))
    }

    fn value(s: &Store, key: &str) -> Option<String> {
        s.read(|c| meta::get(c, key)).unwrap()
    }

    /// A write that holds the writer until `n` other writes queue behind it.
    fn hold_until_queued(
        s: &Arc<Store>,
        n: usize,
        key: &'static str,
    ) -> std::thread::JoinHandle<()> {
        let s2 = s.clone();
        std::thread::spawn(move || {
            s2.write(|c| {
                meta::set(c, key, "1")?;
                while s2.queued.load(Ordering::SeqCst) < n {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok::<_, StoreError>(())
            })
            .unwrap()
        })
    }

    #[test]
    fn a_grown_wal_is_copied_into_the_database_off_the_writer() {
        let (dir, s) = store();
        let db = dir.path().join("t.db");
        let size = || std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let before = size();
        // Each commit writes a page of its own (a 3 KB value): past 1,000 frames a checkpoint
        // is due.
        let blob = "x".repeat(3000);
        for i in 0..1200 {
            s.write(|c| meta::set(c, &format!("k{i}"), &blob)).unwrap();
        }
        let t0 = Instant::now();
        while size() < before + 400 * 3000 && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            size() >= before + 400 * 3000,
            "the database file holds the checkpointed pages: {} bytes",
            size()
        );
        assert_eq!(value(&s, "k1199").map(|v| v.len()), Some(3000));
        // Dropping the store stops the checkpoint thread (and closes its connection).
        drop(s);
    }

    #[test]
    fn the_apps_generation_moves_only_when_apps_or_meta_were_written() {
        let (_dir, s) = store();
        let g0 = s.apps_generation();
        s.write(|c| meta::set(c, "a", "1")).unwrap();
        let g1 = s.apps_generation();
        assert!(g1 > g0);
        s.write(|c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS t_other(x)")?;
            c.execute("INSERT INTO t_other(x) VALUES (1)", [])?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(s.apps_generation(), g1, "another table's write");
        // A refused write that touched meta still moves it (a re-read costs nothing wrong).
        let _ = s.write(|c| {
            meta::set(c, "b", "1")?;
            Err::<(), _>(StoreError::Busy)
        });
        assert!(s.apps_generation() >= g1);
    }

    #[test]
    fn queued_writes_share_one_commit_and_a_failed_one_leaves_no_trace() {
        let (_d, s) = store();
        let (_, commits_before) = s.write_counts();
        let first = hold_until_queued(&s, 2, "a");
        while s.writer.try_lock().is_some() {
            std::thread::yield_now();
        }
        let ok = {
            let s = s.clone();
            std::thread::spawn(move || s.write(|c| meta::set(c, "b", "1")))
        };
        let bad = {
            let s = s.clone();
            std::thread::spawn(move || {
                s.write(|c| {
                    meta::set(c, "c", "1")?;
                    Err::<(), _>(StoreError::Decode("refused".into()))
                })
            })
        };
        first.join().unwrap();
        ok.join().unwrap().unwrap();
        assert!(matches!(bad.join().unwrap(), Err(StoreError::Decode(_))));
        assert_eq!(value(&s, "a").as_deref(), Some("1"));
        assert_eq!(value(&s, "b").as_deref(), Some("1"));
        assert_eq!(value(&s, "c"), None, "the refused write is rolled back");
        let (writes, commits) = s.write_counts();
        assert_eq!(writes, 2);
        assert_eq!(
            commits - commits_before,
            1,
            "three writes, one batch, one commit"
        );
    }

    #[test]
    fn many_concurrent_writers_all_land_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let s = Arc::new(Store::open(&path).unwrap());
            let threads: Vec<_> = (0..16)
                .map(|t| {
                    let s = s.clone();
                    std::thread::spawn(move || {
                        for i in 0..40 {
                            s.write(|c| meta::set(c, &format!("k{t}-{i}"), "v"))
                                .unwrap();
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let (writes, commits) = s.write_counts();
            assert_eq!(writes, 640);
            assert!(commits >= 1 && commits <= writes);
        }
        let s = Store::open(&path).unwrap();
        let n: i64 = s
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'", [], |r| {
                    r.get(0)
                })
                .map_err(StoreError::from)
            })
            .unwrap();
        assert_eq!(n, 640);
    }

    #[test]
    fn a_write_past_its_deadline_is_busy_and_leaves_the_batch_committed() {
        let (_d, s) = store();
        let s2 = s.clone();
        let holder = std::thread::spawn(move || {
            s2.write(|c| {
                meta::set(c, "held", "1")?;
                std::thread::sleep(Duration::from_millis(150));
                Ok::<_, StoreError>(())
            })
        });
        while s.writer.try_lock().is_some() {
            std::thread::yield_now();
        }
        let late = s.write_by(Instant::now() + Duration::from_millis(20), |c| {
            meta::set(c, "late", "1")
        });
        assert!(matches!(late, Err(StoreError::Busy)));
        holder.join().unwrap().unwrap();
        assert_eq!(value(&s, "held").as_deref(), Some("1"));
        assert_eq!(value(&s, "late"), None);
        assert!(
            s.writer.lock().open.is_none(),
            "no transaction is left open"
        );
    }
}
