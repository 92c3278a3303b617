//! `refine upgrade [--check]`, `refine backup [FILE]`, `refine restore FILE`: versions, the
//! release feed, and the database's backups. Backup works with or without a daemon; restore
//! only with none (it replaces the database under it).

use std::path::{Path, PathBuf};

use clap::Args;
use refine_api::ops::upgrade;
use refine_client::CliError;
use refine_core::system::Empty;
use refine_core::upgrade::BackupInput;
use refine_model::upgrade::{BackupInfo, UpgradeStatus};

use super::perf::bytes;
use super::{Commands, Run};
use crate::output::Output;
use crate::render::{opt, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct UpgradeArgs {
    /// Look at the release feed now (else: what it said when last looked at, daily).
    #[arg(long)]
    check: bool,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// A new `.db` file (default: the data dir's `backups/`, keeping the newest few).
    file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A backup (`refine upgrade` lists them) or another copy of a Refine database.
    file: PathBuf,
}

pub const UPGRADE_COMMANDS: Commands = &[("", &[upgrade::STATUS.name, upgrade::CHECK.name])];
pub const BACKUP_COMMANDS: Commands = &[("", &[upgrade::BACKUP.name])];

pub async fn status(r: &Run<'_>, a: &UpgradeArgs) -> Result {
    let s = if a.check {
        r.c.run(upgrade::CHECK, &Empty {}).await?
    } else {
        r.c.run(upgrade::STATUS, &Empty {}).await?
    };
    r.out.show(&s)
}

fn absolute(file: &Path) -> Result<String> {
    std::path::absolute(file)
        .map(|p| p.to_string_lossy().to_string())
        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))
}

pub async fn backup(r: &Run<'_>, a: &BackupArgs) -> Result {
    let input = BackupInput {
        path: a.file.as_deref().map(absolute).transpose()?,
    };
    let b = r.c.run(upgrade::BACKUP, &input).await?;
    r.out.done(&b, said)
}

fn said(b: &BackupInfo) -> String {
    format!("Backed up the database to {} ({})", b.path, bytes(b.bytes))
}

/// `refine backup` with no daemon running: copy the data dir's database directly.
pub fn backup_offline(data_dir: &Path, a: &BackupArgs, out: &Output) -> Result {
    let db = data_dir.join("refine.db");
    if std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(CliError::Usage(format!(
            "there is no database at {} to back up",
            db.display()
        )));
    }
    let target = match &a.file {
        Some(f) => PathBuf::from(absolute(f)?),
        None => {
            let dir = data_dir.join(refine_core::upgrade::BACKUP_DIR);
            refine_core::daemon::ensure_private_dir(&dir)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let v = refine_store::backup::peek_version(&db)
                .map_err(|e| CliError::Usage(e.to_string()))?
                .unwrap_or(0);
            dir.join(refine_store::backup::file_name(v, ""))
        }
    };
    let from = refine_store::rusqlite::Connection::open_with_flags(
        &db,
        refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", db.display())))?;
    refine_store::backup::copy(&from, &target)
        .map_err(|e| CliError::Usage(format!("cannot back up to {}: {e}", target.display())))?;
    let info = BackupInfo {
        path: target.to_string_lossy().to_string(),
        bytes: std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0) as f64,
        created_at: String::new(),
        schema_version: refine_store::backup::peek_version(&target)
            .ok()
            .flatten()
            .map(|v| v as u32),
    };
    out.done(&info, said)
}

/// `refine restore FILE`: only while no daemon uses the data dir (its lock is taken here).
pub fn restore(data_dir: &Path, a: &RestoreArgs, out: &Output) -> Result {
    let file = PathBuf::from(absolute(&a.file)?);
    let _lock =
        refine_core::daemon::DataDir::open(data_dir).map_err(|e| match e {
            refine_core::daemon::DataDirError::Locked { running, .. } => CliError::Usage(format!(
            "a Refine daemon is using this data dir{}; stop it first (refine stop), then restore",
            running.map(|r| format!(" (pid {})", r.pid)).unwrap_or_default()
        )),
            other => CliError::Usage(other.to_string()),
        })?;
    let saved = refine_core::upgrade::restore_offline(data_dir, &file).map_err(CliError::Usage)?;
    let v = refine_store::backup::peek_version(&data_dir.join("refine.db"))
        .ok()
        .flatten()
        .unwrap_or(0);
    let answer = serde_json::json!({
        "restored": file,
        "schemaVersion": v,
        "previous": saved,
    });
    out.done(&answer, |_| {
        format!(
            "Restored {} (schema version {v}){}. Start Refine again; it migrates what it needs to.",
            file.display(),
            saved
                .as_ref()
                .map(|p| format!("; the database it replaced is kept at {}", p.display()))
                .unwrap_or_default()
        )
    })
}

impl Render for UpgradeStatus {
    fn render(&self, p: &mut Printer) {
        let latest = match (&self.feed.latest, self.feed.newer) {
            (Some(r), true) => format!(
                "{} is available{}",
                r.version,
                r.url
                    .as_ref()
                    .map(|u| format!(" — {u}"))
                    .unwrap_or_default()
            ),
            (Some(r), false) => format!("up to date (the feed's newest is {})", r.version),
            (None, _) if self.feed.source.is_empty() => {
                "no release feed set (settings upgrade.feed)".into()
            }
            (None, _) => "not looked at yet (refine upgrade --check)".into(),
        };
        p.fields(&[
            ("version", Cell::from(&self.version)),
            ("latest", Cell::from(latest)),
            (
                "feed",
                Cell::from(if self.feed.source.is_empty() {
                    "-".to_string()
                } else {
                    self.feed.source.clone()
                }),
            ),
            ("checked", Cell::from(opt(&self.feed.checked_at))),
            (
                "schema",
                Cell::from(format!(
                    "{} (this build knows up to {}{})",
                    self.schema.version,
                    self.schema.latest_known,
                    if self.schema.pending.is_empty() {
                        String::new()
                    } else {
                        format!(", {} pending", self.schema.pending.len())
                    }
                )),
            ),
            (
                "backed up before migrating",
                Cell::from(opt(&self.schema.backup_before_migration)),
            ),
        ]);
        if let Some(e) = &self.feed.error {
            p.toned(format!("  the last look failed: {e}"), Tone::Bad);
        }
        if let Some(r) = self.feed.latest.as_ref().filter(|_| self.feed.newer) {
            if !r.notes.is_empty() {
                p.blank();
                p.line(format!("Release notes of {}:", r.version));
                for l in r.notes.lines() {
                    p.line(format!("  {l}"));
                }
            }
        }
        p.blank();
        p.line(format!("Backups in {}", self.backups_dir));
        let rows = self
            .backups
            .iter()
            .map(|b| {
                vec![
                    Cell::from(&b.path),
                    Cell::from(opt(&b.schema_version)),
                    Cell::from(bytes(b.bytes)),
                    Cell::from(&b.created_at),
                ]
            })
            .collect();
        p.table(&["backup", "schema", "size", "made"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn the_status_says_what_is_new_and_lists_backups() {
        let s: UpgradeStatus = serde_json::from_value(serde_json::json!({
            "version": "0.1.0",
            "schema": {"version": 8, "latestKnown": 8, "pending": [], "backupBeforeMigration": "/d/backups/refine-x-v7-pre-migration.db"},
            "feed": {"source": "/srv/feed.json", "checkedAt": "2026-12-02T10:00:00.000Z",
                     "latest": {"version": "0.2.0", "date": null, "notes": "Faster boards\nA doctor", "url": "https://example.invalid/0.2.0"},
                     "newer": true, "error": null},
            "backups": [{"path": "/d/backups/refine-x-v7-pre-migration.db", "bytes": 2048.0, "createdAt": "2026-12-02T09:00:00.000Z", "schemaVersion": 7}],
            "backupsDir": "/d/backups"
        }))
        .unwrap();
        let text = shown(&s);
        assert!(
            text.contains("0.2.0 is available — https://example.invalid/0.2.0"),
            "{text}"
        );
        assert!(
            text.contains("schema:                      8 (this build knows up to 8)"),
            "{text}"
        );
        assert!(text.contains("  Faster boards\n  A doctor"), "{text}");
        assert!(
            text.contains("/d/backups/refine-x-v7-pre-migration.db  7       2.0 KiB"),
            "{text}"
        );
    }
}
