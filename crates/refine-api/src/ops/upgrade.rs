//! This version and the newest release, the database's schema and backups.

use refine_core::system::Empty;
use refine_core::upgrade::BackupInput;
use refine_model::upgrade::{BackupInfo, UpgradeStatus};

use crate::registry::{Method::*, Op, OpDef};

pub const STATUS: Op<Empty, UpgradeStatus> = Op::query(
    "upgrade.status",
    Get,
    "/api/v1/upgrade",
    "This version; the newest release of the release feed (the `upgrade.feed` setting) as last looked at (daily), with its notes; the database's schema version, the newest this build knows, pending migrations and the backup made before this start's migrations; the kept backups.",
    true,
);

pub const CHECK: Op<Empty, UpgradeStatus> = Op::mutation(
    "upgrade.check",
    Post,
    "/api/v1/upgrade/check",
    "Look at the release feed now (a JSON document: `{\"releases\": [{version, date, notes, url}]}`), then answer as upgrade.status. 422 when no feed is set or it is not a release feed; 503 when it cannot be reached.",
    true,
);

pub const BACKUP: Op<BackupInput, BackupInfo> = Op::mutation(
    "upgrade.backup",
    Post,
    "/api/v1/upgrade/backups",
    "Copy the database now with SQLite's online backup (writes go on): to the data dir's `backups/` (keeping the newest `upgrade.backupsKept`), or to a new `.db` file of your choosing. `refine restore FILE` puts one back.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        STATUS.handle(|core, _, _| async move { core.upgrade_status().await }),
        CHECK.handle(|core, ctx, _| async move { core.upgrade_check(&ctx).await }),
        BACKUP.handle(|core, ctx, i| async move { core.upgrade_backup(&ctx, i).await }),
    ]
}
