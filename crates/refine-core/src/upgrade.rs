//! upgrade: this version against the newest release of a configured feed (a JSON document at a
//! URL or path, looked at daily and on demand, never required), the database's schema, and its
//! backups — made before every migration, on demand, and before a restore.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use refine_model::upgrade::{BackupInfo, FeedState, Release, SchemaStatus, UpgradeStatus};
use refine_model::ApiError;
use refine_store::backup;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{clock, Change, Core, Ctx, Mutated};

/// The data dir's folder of database backups.
pub const BACKUP_DIR: &str = "backups";
/// Largest feed document read.
const FEED_MAX: usize = 1024 * 1024;

/// Where to write a backup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupInput {
    /// An absolute path ending in `.db` inside the data dir, the home directory or the temporary
    /// directory; it must not exist yet. Default: a new file in the data dir's `backups/` (the
    /// oldest beyond `upgrade.backupsKept` are removed).
    #[serde(default)]
    pub path: Option<String>,
}

/// What the feed said, kept between looks.
#[derive(Default)]
pub(crate) struct FeedCache(pub(crate) Mutex<FeedState>);

/// How many backups the settings keep, read without opening the database for writing (start-up,
/// before migrations).
pub fn backups_kept(db: &Path) -> usize {
    let read = || -> Option<u64> {
        let c = refine_store::rusqlite::Connection::open_with_flags(
            db,
            refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .ok()?;
        let doc: String = c
            .query_row(
                "SELECT doc FROM settings_layers WHERE scope = 'global'",
                [],
                |r| r.get(0),
            )
            .ok()?;
        serde_json::from_str::<serde_json::Value>(&doc).ok()?["upgrade"]["backupsKept"].as_u64()
    };
    read()
        .map(|n| n.clamp(1, 100) as usize)
        .unwrap_or_else(|| refine_model::settings::UpgradeSettings::default().backups_kept as usize)
}

/// `1.2.10` > `1.2.9`; a suffix (`-rc.1`) sorts before the release.
fn version_key(v: &str) -> (Vec<u64>, bool) {
    let v = v.trim().trim_start_matches('v');
    let (core, pre) = match v.split_once('-') {
        Some((c, _)) => (c, true),
        None => (v, false),
    };
    (
        core.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect(),
        !pre,
    )
}

/// The newest release of a feed document: `{"releases": [{version, date, notes, url}, …]}` or
/// one release object.
pub fn newest_release(doc: &serde_json::Value) -> Result<Release, String> {
    let list: Vec<Release> = if let Some(a) = doc.get("releases") {
        serde_json::from_value(a.clone()).map_err(|e| format!("its releases are malformed: {e}"))?
    } else if doc.get("version").is_some() {
        vec![serde_json::from_value(doc.clone()).map_err(|e| format!("malformed release: {e}"))?]
    } else {
        return Err("it has neither `releases` nor `version`".into());
    };
    list.into_iter()
        .filter(|r| !r.version.trim().is_empty())
        .max_by(|a, b| version_key(&a.version).cmp(&version_key(&b.version)))
        .ok_or_else(|| "it lists no release".into())
}

fn schema_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("refine-")?;
    rest.split('-')
        .find_map(|p| p.strip_prefix('v')?.trim_end_matches(".db").parse().ok())
}

fn backup_info(b: &backup::BackupFile) -> BackupInfo {
    let name = b
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    BackupInfo {
        path: b.path.to_string_lossy().to_string(),
        bytes: b.bytes as f64,
        created_at: time::OffsetDateTime::from_unix_timestamp(b.modified as i64)
            .map(clock::format)
            .unwrap_or_default(),
        schema_version: schema_of(name),
    }
}

/// Whether `path` may be written by a request: absolute, the wanted extension, new, in the data
/// dir, the home directory or the temporary directory (its folder's symlinks resolved).
pub(crate) fn writable_path(
    data_dir: &Path,
    given: &str,
    ext: &str,
    what: &str,
) -> Result<PathBuf, ApiError> {
    let path = Path::new(given);
    if !path.is_absolute() {
        return Err(ApiError::invalid(format!(
            "{what} path {given:?} must be absolute"
        )));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| n.ends_with(ext) && n.len() > ext.len())
        .ok_or_else(|| ApiError::invalid(format!("{what} path {given:?} must end in {ext}")))?;
    let parent = path
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .ok_or_else(|| ApiError::invalid(format!("the folder of {given:?} does not exist")))?;
    let allowed: Vec<PathBuf> = [
        Some(data_dir.to_path_buf()),
        std::env::var_os("HOME").map(PathBuf::from),
        Some(std::env::temp_dir()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|p| p.canonicalize().ok())
    .collect();
    if !allowed.iter().any(|a| parent.starts_with(a)) {
        return Err(ApiError::forbidden(format!(
            "a {what} may be written only inside the data dir, the home directory or {}; not to {}",
            std::env::temp_dir().display(),
            parent.display()
        )));
    }
    let full = parent.join(name);
    if full.symlink_metadata().is_ok() {
        return Err(ApiError::conflict(format!(
            "{} exists already; choose a new name",
            full.display()
        )));
    }
    Ok(full)
}

impl Core {
    fn backups_dir(&self) -> PathBuf {
        self.0.data_dir.join(BACKUP_DIR)
    }

    /// `upgrade.status`
    pub async fn upgrade_status(&self) -> Result<UpgradeStatus, ApiError> {
        let settings = self.effective_settings(None).await?;
        let version = self.0.store.schema_version()? as u32;
        let mut feed = self
            .0
            .feed
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        feed.source = settings.upgrade.feed.clone();
        let dir = self.backups_dir();
        Ok(UpgradeStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            schema: SchemaStatus {
                version,
                latest_known: refine_store::migrations::LATEST as u32,
                pending: (version + 1..=refine_store::migrations::LATEST as u32).collect(),
                backup_before_migration: self
                    .0
                    .migration_backup
                    .as_ref()
                    .map(|p| p.to_string_lossy().to_string()),
            },
            feed,
            backups: backup::list(&dir).iter().map(backup_info).collect(),
            backups_dir: dir.to_string_lossy().to_string(),
        })
    }

    /// Read the feed now. Errors when none is set or it cannot be read or understood; the
    /// kept state records the failure either way.
    pub(crate) async fn fetch_feed(&self) -> Result<FeedState, ApiError> {
        let source = self.effective_settings(None).await?.upgrade.feed;
        if source.trim().is_empty() {
            return Err(ApiError::precondition(
                "no release feed is set: set upgrade.feed to a URL or file path of a JSON release feed",
            ));
        }
        let read = read_feed(&source).await;
        let now = clock::now();
        let mut state = FeedState {
            source: source.clone(),
            checked_at: Some(now),
            ..Default::default()
        };
        let result = read.and_then(|doc| {
            newest_release(&doc).map_err(|e| {
                ApiError::precondition(format!(
                    "the release feed {source} is not a release feed: {e}"
                ))
            })
        });
        match &result {
            Ok(latest) => {
                state.newer = version_key(&latest.version) > version_key(env!("CARGO_PKG_VERSION"));
                state.latest = Some(latest.clone());
            }
            Err(e) => {
                // Keep what an earlier look found; say why this one failed.
                let old = self
                    .0
                    .feed
                    .0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                state.latest = old.latest;
                state.newer = old.newer;
                state.error = Some(e.message.clone());
            }
        }
        *self.0.feed.0.lock().unwrap_or_else(|p| p.into_inner()) = state.clone();
        result.map(|_| state)
    }

    /// `upgrade.check`
    pub async fn upgrade_check(&self, ctx: &Ctx) -> Result<Mutated<UpgradeStatus>, ApiError> {
        let state = self.fetch_feed().await?;
        let status = self.upgrade_status().await?;
        let summary = match (&state.latest, state.newer) {
            (Some(r), true) => format!("Release {} is available", r.version),
            (Some(r), false) => format!("Up to date (the feed's newest is {})", r.version),
            (None, _) => "Checked the release feed".to_string(),
        };
        self.mutate(
            ctx,
            &crate::system::Empty {},
            async { Ok(()) },
            move |_, ()| Ok((status, Change::new(summary))),
        )
        .await
    }

    /// Look at the feed once a day while the daemon runs (when one is set; failures are kept
    /// in the status, never raised).
    pub fn start_feed_checks(&self) {
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
                let _ = core.fetch_feed().await;
            }
        });
    }

    /// `upgrade.backup`
    pub async fn upgrade_backup(
        &self,
        ctx: &Ctx,
        input: BackupInput,
    ) -> Result<Mutated<BackupInfo>, ApiError> {
        let keep = self.effective_settings(None).await?.upgrade.backups_kept as usize;
        let dir = self.backups_dir();
        let default = input.path.is_none();
        let target = match input.path.as_deref() {
            Some(p) => writable_path(&self.0.data_dir, p, ".db", "backup")?,
            None => {
                crate::daemon::ensure_private_dir(&dir)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                let v = self.0.store.schema_version()?;
                dir.join(backup::file_name(v, ""))
            }
        };
        let t = target.clone();
        let info = self
            .blocking(move |core| {
                core.0.store.backup_to(&t)?;
                if default {
                    backup::prune(&dir, keep);
                }
                let m = std::fs::metadata(&t).map_err(|e| ApiError::internal(e.to_string()))?;
                Ok(backup_info(&backup::BackupFile {
                    path: t.clone(),
                    bytes: m.len(),
                    modified: m
                        .modified()
                        .ok()
                        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_secs())
                        .unwrap_or(0),
                }))
            })
            .await?;
        let summary = format!("Backed up the database to {}", info.path);
        self.mutate(ctx, &input, async { Ok(()) }, move |_, ()| {
            Ok((info, Change::new(summary)))
        })
        .await
    }
}

async fn read_feed(source: &str) -> Result<serde_json::Value, ApiError> {
    let s = source.trim();
    let bytes: Vec<u8> = if s.starts_with("http://") || s.starts_with("https://") {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let resp = client.get(s).send().await.map_err(|e| {
            ApiError::unavailable(format!("the release feed {s} cannot be reached: {e}"))
        })?;
        if !resp.status().is_success() {
            return Err(ApiError::unavailable(format!(
                "the release feed {s} answered {}",
                resp.status()
            )));
        }
        let b = resp
            .bytes()
            .await
            .map_err(|e| ApiError::unavailable(format!("the release feed {s} broke off: {e}")))?;
        b.to_vec()
    } else {
        let path = s.strip_prefix("file://").unwrap_or(s);
        if !Path::new(path).is_absolute() {
            return Err(ApiError::precondition(format!(
                "the release feed {s:?} is neither an http(s) URL nor an absolute file path"
            )));
        }
        tokio::fs::read(path).await.map_err(|e| {
            ApiError::precondition(format!("the release feed {path} cannot be read: {e}"))
        })?
    };
    if bytes.len() > FEED_MAX {
        return Err(ApiError::precondition(format!(
            "the release feed {s} is larger than {FEED_MAX} bytes"
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::precondition(format!("the release feed {s} is not JSON: {e}")))
}

/// Replace the database of the data dir `data_dir` with `file` — with no daemon running (the
/// caller holds the data dir's lock). The file is verified first, the current database is
/// backed up, then the copy is put in place in one rename. Returns the backup of what was there.
pub fn restore_offline(data_dir: &Path, file: &Path) -> Result<Option<PathBuf>, String> {
    let verified = backup::verify(file)?;
    let db = data_dir.join("refine.db");
    let dir = data_dir.join(BACKUP_DIR);
    let mut saved = None;
    if std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) > 0 {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let v = backup::peek_version(&db).ok().flatten().unwrap_or(0);
        let to = dir.join(backup::file_name(v, "before-restore"));
        let from = refine_store::rusqlite::Connection::open_with_flags(
            &db,
            refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .map_err(|e| format!("cannot read the current database: {e}"))?;
        backup::copy(&from, &to)
            .map_err(|e| format!("cannot back up the current database: {e}"))?;
        saved = Some(to);
    }
    let staged = data_dir.join("refine.db.restore");
    let _ = std::fs::remove_file(&staged);
    let src = refine_store::rusqlite::Connection::open_with_flags(
        file,
        refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    backup::copy(&src, &staged).map_err(|e| format!("cannot copy {}: {e}", file.display()))?;
    for side in ["refine.db-wal", "refine.db-shm"] {
        let _ = std::fs::remove_file(data_dir.join(side));
    }
    std::fs::rename(&staged, &db).map_err(|e| format!("cannot put the copy in place: {e}"))?;
    tracing::info!(from = %file.display(), schema = verified.schema_version, "restored the database");
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers_and_feeds_give_their_newest() {
        assert!(version_key("0.10.0") > version_key("0.9.3"));
        assert!(version_key("v1.0.0") > version_key("1.0.0-rc.2"));
        let doc = serde_json::json!({"releases": [
            {"version": "0.2.0", "notes": "b"},
            {"version": "0.10.1", "notes": "newest", "url": "https://example.invalid/r"},
            {"version": "0.9.0"}
        ]});
        assert_eq!(newest_release(&doc).unwrap().version, "0.10.1");
        assert_eq!(
            newest_release(&serde_json::json!({"version": "1.0.0"}))
                .unwrap()
                .version,
            "1.0.0"
        );
        assert!(newest_release(&serde_json::json!({"releases": []})).is_err());
        assert!(newest_release(&serde_json::json!([1, 2])).is_err());
        assert_eq!(
            schema_of("refine-20261202T100000000Z-v8-pre-migration.db"),
            Some(8)
        );
        assert_eq!(schema_of("refine-20261202T100000000Z-v9.db"), Some(9));
    }
}
