//! The data directory: its permissions, the one-daemon lock, the token and `daemon.json`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Default port of the loopback listener (`--port` / `REFINE_PORT` override; 0 picks a free one).
pub const DEFAULT_PORT: u16 = 7878;
const TOKEN_FILE: &str = "token";
const INFO_FILE: &str = "daemon.json";
const TMP_DIR: &str = "tmp";

/// What a running daemon publishes about itself in `daemon.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonInfo {
    pub url: String,
    pub port: u16,
    pub pid: u32,
    pub version: String,
    pub started_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("another Refine daemon already runs for {dir}{}", .running.as_ref().map(|i| format!(" (pid {}, {})", i.pid, i.url)).unwrap_or_default())]
    Locked {
        dir: PathBuf,
        running: Option<DaemonInfo>,
    },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token file {0} is malformed; delete it to create a new one")]
    BadToken(PathBuf),
}

/// `$REFINE_HOME`, else `$XDG_DATA_HOME/refine`, else `~/.local/share/refine`.
pub fn default_data_dir() -> PathBuf {
    if let Some(h) = std::env::var_os("REFINE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("refine");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".local/share/refine")
}

/// An opened, locked data directory. The lock is released on drop.
///
/// The lock is an advisory `flock` on the directory itself: a lock file could be deleted while
/// the daemon runs (and a second daemon would then start beside it), the directory cannot be
/// without taking everything else with it.
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> DataDirError + 'a {
    move |source| DataDirError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Create `path` (and parents) and force mode 0700 on it.
pub fn ensure_private_dir(path: &Path) -> Result<(), DataDirError> {
    fs::create_dir_all(path).map_err(io("cannot create data dir", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
        .map_err(io("cannot restrict data dir", path))?;
    Ok(())
}

impl DataDir {
    /// Create (mode 0700) and lock the data dir; fails if another daemon holds it.
    pub fn open(path: &Path) -> Result<DataDir, DataDirError> {
        ensure_private_dir(path)?;
        let path = path
            .canonicalize()
            .map_err(io("cannot resolve data dir", path))?;
        let lock = File::open(&path).map_err(io("cannot open data dir", &path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(DataDirError::Locked {
                    running: read_daemon_info(&path),
                    dir: path,
                })
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("cannot lock data dir", &path)(e)),
        }
        // Belt and braces: a daemon whose `daemon.json` names a live process that still answers
        // on its port holds this data dir even if the lock was somehow lost.
        if let Some(info) = read_daemon_info(&path) {
            if info.pid != std::process::id() && daemon_alive(&info) {
                return Err(DataDirError::Locked {
                    running: Some(info),
                    dir: path,
                });
            }
        }
        Ok(DataDir { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The per-install secret: read it, or create 256 random bits (hex) in a 0600 file.
    pub fn token(&self) -> Result<String, DataDirError> {
        let p = self.path.join(TOKEN_FILE);
        if p.exists() {
            fs::set_permissions(&p, fs::Permissions::from_mode(0o600))
                .map_err(io("cannot restrict token", &p))?;
            return read_token(&self.path)?.ok_or(DataDirError::BadToken(p));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| DataDirError::Io {
            what: "cannot draw random bytes for",
            path: p.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let token = hex::encode(bytes);
        write_private(&p, token.as_bytes())?;
        Ok(token)
    }

    pub fn write_info(&self, info: &DaemonInfo) -> Result<(), DataDirError> {
        let body = serde_json::to_vec_pretty(info).expect("daemon info serializes");
        write_private(&self.path.join(INFO_FILE), &body)
    }

    /// Remove `daemon.json` on the way out, if it is still this process's.
    pub fn remove_info(&self) {
        if read_daemon_info(&self.path).is_some_and(|i| i.pid == std::process::id()) {
            let _ = fs::remove_file(self.path.join(INFO_FILE));
        }
    }
}

/// Create `path` empty with mode 0600 if missing, else force 0600 on it. SQLite gives its
/// `-wal` and `-shm` files the database file's mode, so they stay private too.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

/// Write a file atomically (temp + rename) with mode 0600.
pub fn write_private(path: &Path, body: &[u8]) -> Result<(), DataDirError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io("cannot write", &tmp))?;
    f.write_all(body).map_err(io("cannot write", &tmp))?;
    f.sync_all().map_err(io("cannot sync", &tmp))?;
    fs::rename(&tmp, path).map_err(io("cannot rename into place", path))?;
    Ok(())
}

/// Read the token of a data dir (for the CLI). `Ok(None)` when it is not there or malformed.
pub fn read_token(dir: &Path) -> Result<Option<String>, DataDirError> {
    let p = dir.join(TOKEN_FILE);
    let mut s = String::new();
    match File::open(&p) {
        Ok(mut f) => {
            f.read_to_string(&mut s)
                .map_err(io("cannot read token", &p))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("cannot read token", &p)(e)),
    }
    let t = s.trim().to_string();
    Ok((t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit())).then_some(t))
}

/// Whether the daemon `info` describes is running: its pid is a live process and something
/// accepts connections on its port.
pub fn daemon_alive(info: &DaemonInfo) -> bool {
    let pid_alive = std::fs::metadata(format!("/proc/{}", info.pid)).is_ok();
    pid_alive
        && std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], info.port)),
            std::time::Duration::from_millis(300),
        )
        .is_ok()
}

/// The `daemon.json` of a data dir, if a daemon wrote one.
pub fn read_daemon_info(dir: &Path) -> Option<DaemonInfo> {
    let body = fs::read(dir.join(INFO_FILE)).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Remove leftovers in `<data>/tmp` of a previous run; returns how many.
pub fn sweep_temp(dir: &Path) -> usize {
    let tmp = dir.join(TMP_DIR);
    let mut n = 0;
    if let Ok(entries) = fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let p = e.path();
            let ok = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            if ok.is_ok() {
                n += 1;
            }
        }
    }
    // Half-written daemon.json/token temp files from an interrupted atomic write.
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().contains(".tmp-")
                && fs::remove_file(e.path()).is_ok()
            {
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_token_and_modes() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        let a = DataDir::open(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let t = a.token().unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(a.token().unwrap(), t, "the token is stable");
        let tmode = fs::metadata(dir.join("token"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(tmode, 0o600);
        a.write_info(&DaemonInfo {
            url: "http://127.0.0.1:1".into(),
            port: 1,
            pid: 42,
            version: "x".into(),
            started_at: "t".into(),
        })
        .unwrap();
        match DataDir::open(&dir) {
            Err(e @ DataDirError::Locked { .. }) => {
                assert!(e.to_string().contains("pid 42"), "{e}")
            }
            other => panic!("expected a lock error, got {:?}", other.err()),
        }
        // There is no lock file to delete: the directory itself is locked.
        assert!(!dir.join("daemon.lock").exists());
        drop(a);
        DataDir::open(&dir).expect("the lock is released on drop");
    }

    #[test]
    fn a_live_daemon_in_daemon_json_holds_the_dir() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Our parent process is alive; pretend it is a daemon answering on `port`.
        let other = DaemonInfo {
            url: format!("http://127.0.0.1:{port}"),
            port,
            pid: std::os::unix::process::parent_id(),
            version: "x".into(),
            started_at: "t".into(),
        };
        ensure_private_dir(&dir).unwrap();
        write_private(&dir.join(INFO_FILE), &serde_json::to_vec(&other).unwrap()).unwrap();
        assert!(matches!(
            DataDir::open(&dir),
            Err(DataDirError::Locked { .. })
        ));
        drop(listener);
        let a = DataDir::open(&dir).expect("nothing answers on the port any more");
        a.remove_info();
        assert!(
            dir.join(INFO_FILE).exists(),
            "another process's daemon.json is left alone"
        );
    }
}
