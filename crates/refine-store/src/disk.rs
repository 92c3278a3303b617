//! Keeping the database's disk usable. The WAL is checkpointed and cut back when it passes a
//! bound (SQLite's own passive checkpoints cannot finish while a reader holds an old snapshot,
//! and the file never shrinks by itself). A reserve file of [`RESERVE`] bytes sits beside the
//! database: when a write fails and the disk is (nearly) full, the reserve is deleted so that
//! the daemon can still record the failure (an operation marked failed, a run settled) and keep
//! its WAL readable; people's writes are refused (507) until the disk has room and the reserve
//! is back.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::Connection;

/// The WAL is checkpointed and truncated when a write leaves it larger than this.
pub const WAL_BOUND: u64 = 32 * 1024 * 1024;
/// …and by housekeeping when larger than this (after a burst, when writes pause).
pub const IDLE_WAL_BOUND: u64 = 4 * 1024 * 1024;
/// Space held back for recording failures on a full disk.
pub const RESERVE: u64 = 8 * 1024 * 1024;

pub(crate) struct Disk {
    dir: PathBuf,
    wal: PathBuf,
    reserve: PathBuf,
    /// The reserve was given up (the disk filled) and is not back yet.
    spent: AtomicBool,
    /// When a checkpoint was last tried: while a reader pins an old snapshot, trying on every
    /// commit would only slow writes down.
    last_try: std::sync::Mutex<Option<std::time::Instant>>,
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0)
        .then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

impl Disk {
    pub(crate) fn new(db: &Path) -> Disk {
        let dir = db.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        let d = Disk {
            reserve: dir.join("reserve"),
            dir,
            wal: PathBuf::from(wal),
            spent: AtomicBool::new(false),
            last_try: std::sync::Mutex::new(None),
        };
        if d.write_reserve().is_err() {
            d.spent.store(true, Ordering::SeqCst);
        }
        d
    }

    fn write_reserve(&self) -> std::io::Result<()> {
        if fs::metadata(&self.reserve).is_ok_and(|m| m.len() == RESERVE) {
            return Ok(());
        }
        let tmp = self.dir.join("reserve.tmp");
        let r = (|| {
            let mut f = fs::File::create(&tmp)?;
            // Allocate the blocks without writing them where the file system can.
            use std::os::fd::AsRawFd;
            let rc = unsafe { libc::posix_fallocate(f.as_raw_fd(), 0, RESERVE as libc::off_t) };
            if rc == libc::ENOSPC {
                return Err(std::io::Error::from_raw_os_error(rc));
            }
            if rc != 0 {
                let zeros = vec![0u8; 1024 * 1024];
                for _ in 0..(RESERVE / zeros.len() as u64) {
                    f.write_all(&zeros)?;
                }
            }
            f.sync_all()?;
            fs::rename(&tmp, &self.reserve)
        })();
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r
    }

    pub(crate) fn wal_size(&self) -> u64 {
        fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0)
    }

    pub(crate) fn checkpoint_if_grown(&self, conn: &Connection, bound: u64) {
        if self.wal_size() <= bound {
            return;
        }
        {
            let mut last = self.last_try.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(2)) {
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        // Readers are short; wait for them briefly, never long (the writer is held).
        let _ = conn.busy_timeout(std::time::Duration::from_millis(200));
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        }) {
            Ok((busy, log, done)) => {
                tracing::debug!(busy, log, done, "checkpointed the WAL")
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }

    pub(crate) fn after_commit(&self, conn: &Connection) {
        self.checkpoint_if_grown(conn, WAL_BOUND);
    }

    /// A write failed: when the disk is (nearly) full, give up the reserve.
    pub(crate) fn after_failure(&self) {
        let low = free_bytes(&self.dir).is_some_and(|f| f < RESERVE / 2);
        if low && !self.spent.swap(true, Ordering::SeqCst) {
            let _ = fs::remove_file(&self.reserve);
            tracing::error!(
                dir = %self.dir.display(),
                "the disk holding Refine's data is full: gave up the reserve to record failures; writes are refused until there is room"
            );
        }
    }

    pub(crate) fn has_room(&self) -> bool {
        !self.spent.load(Ordering::SeqCst) || self.restore_reserve()
    }

    /// Put the reserve back once the disk has room for it and as much again; true when it is.
    pub(crate) fn restore_reserve(&self) -> bool {
        if !self.spent.load(Ordering::SeqCst) {
            return true;
        }
        if free_bytes(&self.dir).is_none_or(|f| f < 2 * RESERVE) {
            return false;
        }
        if self.write_reserve().is_ok() {
            self.spent.store(false, Ordering::SeqCst);
            tracing::info!("the disk has room again; writes are accepted");
            true
        } else {
            false
        }
    }
}
