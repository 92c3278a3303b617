//! WAL checkpoints off the writer's path. SQLite's own auto-checkpoint runs inside the commit
//! that crosses its threshold: that write (and every one queued behind it) waits while a few
//! thousand pages are copied into the database and it is fsync'd. Here the writer's WAL hook
//! only notes how far the log has grown, and a thread of its own, on its own connection, runs
//! a PASSIVE checkpoint (it takes no write lock: writes go on meanwhile). The writer still
//! truncates a WAL that outgrew [`crate::disk::WAL_BOUND`] (a reader holding an old snapshot
//! can keep a passive checkpoint from finishing), and housekeeping still trims it when idle.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::Result;

/// Frames in the WAL past which a checkpoint is due (SQLite's auto-checkpoint default).
const DUE_FRAMES: i32 = 1000;

#[derive(Default)]
struct State {
    due: bool,
    stop: bool,
}

#[derive(Default)]
struct Signal {
    state: Mutex<State>,
    wake: Condvar,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The checkpoint thread; stopped and joined when dropped (with the store).
pub(crate) struct Checkpointer {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Start the thread for the database at `path` and hook `writer`'s commits to it (this
    /// replaces the writer's auto-checkpoint).
    pub(crate) fn start(path: &Path, writer: &mut Connection) -> Result<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(1))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let signal = Arc::new(Signal::default());
        let s = signal.clone();
        let thread = std::thread::Builder::new()
            .name("refine-checkpoint".into())
            .spawn(move || run(conn, &s))
            .map_err(|e| crate::StoreError::Decode(format!("checkpoint thread: {e}")))?;
        let s = signal.clone();
        // Frames in the WAL after the last commit, and when the next checkpoint is due: once
        // per DUE_FRAMES of growth, not on every commit while a checkpoint cannot finish.
        let mut last = 0;
        let mut due_at = DUE_FRAMES;
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames: i32| {
            if frames < last {
                // The log started over from its beginning.
                due_at = DUE_FRAMES;
            }
            last = frames;
            if frames >= due_at {
                due_at = frames + DUE_FRAMES;
                s.lock().due = true;
                s.wake.notify_one();
            }
            Ok(())
        }))?;
        Ok(Checkpointer {
            signal,
            thread: Some(thread),
        })
    }
}

fn run(conn: Connection, signal: &Signal) {
    loop {
        {
            let mut st = signal.lock();
            while !st.due && !st.stop {
                st = signal.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.stop {
                return;
            }
            st.due = false;
        }
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        }) {
            Ok((busy, log, done)) => tracing::trace!(busy, log, done, "checkpointed the WAL"),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.signal.lock().stop = true;
        self.signal.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
