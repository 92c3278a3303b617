//! SQLite storage: one writer connection (`BEGIN IMMEDIATE`, synchronous FULL), a small pool of
//! readers, WAL, foreign keys, busy timeout, and embedded forward-only migrations.
//! All calls are blocking; async callers run them on a blocking thread.

pub mod activity;
pub mod agents;
pub mod apps;
pub mod backup;
pub mod chat;
mod disk;
pub mod features;
pub mod goals;
pub mod governance;
pub mod guidance;
pub mod idempotency;
pub mod lifecycle;
pub mod meta;
pub mod migrations;
pub mod operations;
pub mod processes;
pub mod quality;
pub mod reporters;
pub mod review;
pub mod sessions;
pub mod settings;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

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
    writer: parking_lot::Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    reader_ready: Condvar,
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
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
        let writer = Connection::open(path)?;
        configure(&writer, true)?;
        migrations::run(&writer)?;
        // Refresh the planner's statistics where they are stale (cheap when nothing changed).
        writer.execute_batch("PRAGMA optimize=0x10002;")?;
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
            writer: parking_lot::Mutex::new(writer),
            readers: Mutex::new(readers),
            reader_ready: Condvar::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` in one `BEGIN IMMEDIATE` transaction on the single writer; commit on `Ok`.
    /// Waits at most [`WRITE_WAIT`] for the writer and the lock.
    pub fn write<T, E>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_by(Instant::now() + WRITE_WAIT, f)
    }

    /// Like [`Store::write`], but the transaction must have started by `deadline`: waiting for
    /// the writer connection (other writes of this daemon) and for the database lock (another
    /// process) both count against it. Past it the answer is `Busy` and nothing is written —
    /// one bound for the whole wait, however many writers queue.
    pub fn write_by<T, E>(
        &self,
        deadline: Instant,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self
            .writer
            .try_lock_until(deadline)
            .ok_or(StoreError::Busy)?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(StoreError::Busy.into());
        }
        conn.busy_timeout(left).map_err(StoreError::from)?;
        let result = (|| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::from)?;
            let out = f(&tx)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(out)
        })();
        match &result {
            Ok(_) => self.disk.after_commit(&conn),
            // Whatever failed: if it was the disk, give back the reserve so that the failure
            // itself can still be recorded.
            Err(_) => self.disk.after_failure(),
        }
        result
    }

    /// Whether a person's write may go ahead: false while the disk is full (the reserve was
    /// given up and has not come back), so what is left stays for recording failures.
    pub fn has_room(&self) -> bool {
        self.disk.has_room()
    }

    /// Housekeeping (call every few seconds): checkpoint a grown WAL, restore the reserve once
    /// the disk has room again.
    pub fn maintain(&self) {
        if let Some(conn) = self.writer.try_lock_for(Duration::from_millis(50)) {
            self.disk.checkpoint_if_grown(&conn, disk::IDLE_WAL_BOUND);
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
        let conn = self.writer.lock();
        let res: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
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
