//! The writer's WAL writes, coalesced: a VFS that wraps the default one and, for write-ahead
//! log files only, gathers the frames SQLite appends while committing and hands them to the
//! file in one write when SQLite syncs (or reads, sizes, truncates or closes) the log.
//!
//! SQLite writes each WAL frame as two writes (its 24-byte header, then the page), so a commit
//! of 30 pages was 60 `pwrite` calls before its `fsync`; now it is one. Nothing about
//! durability changes: a commit is acknowledged only after `xSync`, which writes what is
//! gathered before it syncs, and a process that dies before that had not committed either.
//! Other connections read only frames a commit published, which happens after that sync (the
//! writer runs with `synchronous = FULL`, so every commit syncs).

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name connections open with to get coalesced WAL writes.
pub(crate) const VFS_NAME: &str = "refine-wal";
const VFS_NAME_C: &CStr = c"refine-wal";

/// Above this many gathered bytes the log is written out at once (a large transaction's
/// frames do not pile up in memory).
const GATHER_MAX: usize = 1 << 20;

/// The most one write hands to the default VFS (a multiple of the page size under its limit).
const WRITE_MAX: usize = 31 * 4096;

/// Writes handed to the log file since start (tests read it to see that frames are gathered).
static FLUSHES: AtomicU64 = AtomicU64::new(0);

/// A log file: SQLite's handle first (it points at [`METHODS`]), then the gathered bytes, then
/// the default VFS's own handle for the same file.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    gathered: *mut Gathered,
}

#[derive(Default)]
struct Gathered {
    start: i64,
    bytes: Vec<u8>,
}

/// Where the default VFS's handle sits inside ours (aligned for any field it has).
const INNER_AT: usize = std::mem::size_of::<WalFile>().next_multiple_of(16);

struct Registered {
    /// The default VFS (it outlives the process).
    inner: *mut ffi::sqlite3_vfs,
}

// SAFETY: the pointer names SQLite's static default VFS, which is never freed or moved.
unsafe impl Send for Registered {}
unsafe impl Sync for Registered {}

static REGISTERED: OnceLock<Result<Registered, String>> = OnceLock::new();

/// Register the VFS once; `Err` when SQLite has no default VFS to wrap.
pub(crate) fn register() -> Result<(), String> {
    REGISTERED
        .get_or_init(|| {
            // SAFETY: SQLite's documented VFS API; the struct registered is leaked, so it
            // lives as long as SQLite may use it.
            unsafe {
                let inner = ffi::sqlite3_vfs_find(std::ptr::null());
                if inner.is_null() {
                    return Err("SQLite has no default VFS".into());
                }
                let mut vfs: ffi::sqlite3_vfs = *inner;
                vfs.szOsFile = (INNER_AT + (*inner).szOsFile as usize) as c_int;
                vfs.pNext = std::ptr::null_mut();
                vfs.zName = VFS_NAME_C.as_ptr();
                vfs.xOpen = Some(open);
                let vfs = Box::leak(Box::new(vfs));
                let rc = ffi::sqlite3_vfs_register(vfs, 0);
                if rc != ffi::SQLITE_OK {
                    return Err(format!("registering the WAL VFS failed ({rc})"));
                }
                Ok(Registered { inner })
            }
        })
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

/// Writes handed to log files so far.
#[cfg(test)]
fn flushes() -> u64 {
    FLUSHES.load(Ordering::Relaxed)
}

fn inner_vfs() -> *mut ffi::sqlite3_vfs {
    match REGISTERED.get() {
        Some(Ok(r)) => r.inner,
        _ => unreachable!("the VFS opens files only once registered"),
    }
}

/// The default VFS's handle inside ours.
unsafe fn inner(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    (f as *mut u8).add(INNER_AT) as *mut ffi::sqlite3_file
}

unsafe fn methods(f: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    &*(*f).pMethods
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let vfs = inner_vfs();
    let Some(open_inner) = (*vfs).xOpen else {
        return ffi::SQLITE_CANTOPEN;
    };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Not a log: the default VFS's handle is the whole handle (ours is large enough).
        return open_inner(vfs, name, file, flags, out_flags);
    }
    (*file).pMethods = std::ptr::null();
    let rc = open_inner(vfs, name, inner(file), flags, out_flags);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let wal = file as *mut WalFile;
    (*wal).gathered = Box::into_raw(Box::default());
    (*wal).base.pMethods = &METHODS;
    ffi::SQLITE_OK
}

/// Hand what is gathered to the file, in writes the default VFS takes whole (it writes at most
/// 128 KiB less a byte per call).
unsafe fn flush(f: *mut ffi::sqlite3_file) -> c_int {
    let g = &mut *(*(f as *mut WalFile)).gathered;
    if g.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    let file = inner(f);
    let Some(write) = methods(file).xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let mut at = g.start;
    let mut rc = ffi::SQLITE_OK;
    for part in g.bytes.chunks(WRITE_MAX) {
        rc = write(
            file,
            part.as_ptr() as *const c_void,
            part.len() as c_int,
            at,
        );
        FLUSHES.fetch_add(1, Ordering::Relaxed);
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += part.len() as i64;
    }
    g.bytes.clear();
    rc
}

unsafe extern "C" fn close(f: *mut ffi::sqlite3_file) -> c_int {
    let flushed = flush(f);
    let file = inner(f);
    let closed = match methods(file).xClose {
        Some(close) => close(file),
        None => ffi::SQLITE_OK,
    };
    let wal = f as *mut WalFile;
    drop(Box::from_raw((*wal).gathered));
    (*wal).gathered = std::ptr::null_mut();
    if flushed != ffi::SQLITE_OK {
        flushed
    } else {
        closed
    }
}

unsafe extern "C" fn read(f: *mut ffi::sqlite3_file, buf: *mut c_void, n: c_int, at: i64) -> c_int {
    let rc = flush(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let file = inner(f);
    match methods(file).xRead {
        Some(read) => read(file, buf, n, at),
        None => ffi::SQLITE_IOERR_READ,
    }
}

unsafe extern "C" fn write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    n: c_int,
    at: i64,
) -> c_int {
    let g = &mut *(*(f as *mut WalFile)).gathered;
    if !g.bytes.is_empty() && at != g.start + g.bytes.len() as i64 {
        // Not the next bytes of what is gathered: that goes first, as written.
        let rc = flush(f);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    let g = &mut *(*(f as *mut WalFile)).gathered;
    if g.bytes.is_empty() {
        g.start = at;
    }
    g.bytes
        .extend_from_slice(std::slice::from_raw_parts(buf as *const u8, n as usize));
    if g.bytes.len() >= GATHER_MAX {
        return flush(f);
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    let rc = flush(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let file = inner(f);
    match methods(file).xTruncate {
        Some(truncate) => truncate(file, size),
        None => ffi::SQLITE_IOERR_TRUNCATE,
    }
}

unsafe extern "C" fn sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let rc = flush(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let file = inner(f);
    match methods(file).xSync {
        Some(sync) => sync(file, flags),
        None => ffi::SQLITE_IOERR_FSYNC,
    }
}

unsafe extern "C" fn file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let rc = flush(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let file = inner(f);
    match methods(file).xFileSize {
        Some(file_size) => file_size(file, size),
        None => ffi::SQLITE_IOERR_FSTAT,
    }
}

unsafe extern "C" fn lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let file = inner(f);
    match methods(file).xLock {
        Some(lock) => lock(file, level),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let file = inner(f);
    match methods(file).xUnlock {
        Some(unlock) => unlock(file, level),
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let file = inner(f);
    match methods(file).xCheckReservedLock {
        Some(check) => check(file, out),
        None => {
            *out = 0;
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn file_control(f: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    let rc = flush(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let file = inner(f);
    match methods(file).xFileControl {
        Some(control) => control(file, op, arg),
        None => ffi::SQLITE_NOTFOUND,
    }
}

unsafe extern "C" fn sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    let file = inner(f);
    match methods(file).xSectorSize {
        Some(size) => size(file),
        None => 4096,
    }
}

unsafe extern "C" fn device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    let file = inner(f);
    match methods(file).xDeviceCharacteristics {
        Some(chars) => chars(file),
        None => 0,
    }
}

/// A log file's methods: version 1 (a log has no shared memory and is never memory-mapped).
static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{meta, Store, StoreError};
    use rusqlite::{Connection, OpenFlags};

    fn count(c: &Connection) -> i64 {
        c.query_row("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'", [], |r| {
            r.get(0)
        })
        .unwrap()
    }

    #[test]
    fn a_commit_is_one_log_write_and_is_on_disk_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let s = Store::open(&db).unwrap();
        // One transaction touching many pages: one write of the log, at its sync.
        let blob = "x".repeat(3000);
        let before = flushes();
        s.write(|c| {
            for i in 0..40 {
                meta::set(c, &format!("k{i}"), &blob)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let during = flushes() - before;
        // Other stores of this process may flush meanwhile (tests run in parallel), but 40
        // pages written frame by frame would be 80 writes.
        assert!(
            (1..10).contains(&during),
            "log writes for one commit: {during}"
        );

        // What the commit wrote is in the files now, readable without this process's VFS:
        // a copy of the database and its log (as a crash would leave them) has every row.
        let copy = dir.path().join("copy.db");
        std::fs::copy(&db, &copy).unwrap();
        std::fs::copy(db.with_extension("db-wal"), copy.with_extension("db-wal")).unwrap();
        let c = Connection::open(&copy).unwrap();
        assert_eq!(count(&c), 40);

        // Another connection of this process sees it too, and a transaction larger than the
        // gathering bound is written out in parts and read back whole.
        let big = "y".repeat(3500);
        s.write(|c| {
            for i in 40..700 {
                meta::set(c, &format!("k{i}"), &big)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let r = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        assert_eq!(count(&r), 700);
        let v: String = r
            .query_row("SELECT value FROM meta WHERE key = 'k699'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, big);
        drop(s);
        let c = Connection::open(&db).unwrap();
        assert_eq!(count(&c), 700);
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}
