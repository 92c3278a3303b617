//! Copies of the database: SQLite's online backup API (a consistent snapshot while the daemon
//! writes), the backup made before any migration, and the checks a file must pass before it may
//! replace the database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::migrations::LATEST;
use crate::{Result, StoreError};

/// The tables every Refine database has had since its first schema.
const MARK_TABLES: &[&str] = &["meta", "apps", "operations", "activity", "settings_layers"];

/// The schema version of the database at `path` without opening it for writing; `None` when
/// there is no database there yet (missing or empty file).
pub fn peek_version(path: &Path) -> Result<Option<i64>> {
    if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(None);
    }
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(Some(v))
}

/// Copy the database behind `from` into a new file `to` (a consistent snapshot).
pub fn copy(from: &Connection, to: &Path) -> Result<()> {
    if to.exists() {
        return Err(StoreError::Decode(format!(
            "{} exists already",
            to.display()
        )));
    }
    let tmp = to.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut dest = Connection::open(&tmp)?;
        {
            let b = rusqlite::backup::Backup::new(from, &mut dest)?;
            b.run_to_completion(256, Duration::from_millis(5), None)?;
        }
        // A backup is one self-contained file (no WAL beside it).
        dest.pragma_update(None, "journal_mode", "DELETE")?;
        drop(dest);
        set_private(&tmp);
        std::fs::rename(&tmp, to).map_err(|e| StoreError::Decode(e.to_string()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

/// What a file offered as a database is.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub schema_version: i64,
}

/// Check that `path` is a sound Refine database this build can open: SQLite, integrity ok, the
/// tables of Refine, a schema version it knows.
pub fn verify(path: &Path) -> std::result::Result<Verified, String> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{} cannot be opened: {e}", path.display()))?;
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|_| format!("{} is not an SQLite database", path.display()))?;
    if check != "ok" {
        return Err(format!("{} is damaged: {check}", path.display()));
    }
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(missing) = MARK_TABLES.iter().find(|t| !tables.iter().any(|x| x == *t)) {
        return Err(format!(
            "{} is not a Refine database (it has no {missing} table)",
            path.display()
        ));
    }
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if v > LATEST {
        return Err(format!(
            "{} has schema version {v}, newer than this Refine knows ({LATEST})",
            path.display()
        ));
    }
    Ok(Verified { schema_version: v })
}

/// A kept backup.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupFile {
    pub path: PathBuf,
    pub bytes: u64,
    /// Seconds since the epoch of its last change.
    pub modified: u64,
}

/// The backups in `dir` (`refine-*.db`), newest first.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let mut v: Vec<BackupFile> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.starts_with("refine-") && n.ends_with(".db"))
                })
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    Some(BackupFile {
                        path: e.path(),
                        bytes: m.len(),
                        modified: m
                            .modified()
                            .ok()?
                            .duration_since(std::time::UNIX_EPOCH)
                            .ok()?
                            .as_secs(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // Names carry a sortable UTC stamp.
    v.sort_by(|a, b| b.path.cmp(&a.path));
    v
}

/// Keep the newest `keep` backups in `dir`; returns what was removed.
pub fn prune(dir: &Path, keep: usize) -> Vec<PathBuf> {
    list(dir)
        .into_iter()
        .skip(keep.max(1))
        .filter_map(|b| std::fs::remove_file(&b.path).ok().map(|_| b.path))
        .collect()
}

/// A backup file name: `refine-<UTC stamp>-v<schema>[-<why>].db`, sortable by time.
pub fn file_name(schema: i64, why: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    );
    if why.is_empty() {
        format!("refine-{stamp}-v{schema}.db")
    } else {
        format!("refine-{stamp}-v{schema}-{why}.db")
    }
}
