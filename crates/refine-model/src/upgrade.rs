//! This version, the newest release a feed knows of, the database's schema and its backups.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// One release of a release feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub version: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// What the release feed said when last asked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedState {
    /// The feed (the `upgrade.feed` setting); empty when none is set.
    pub source: String,
    pub checked_at: Option<String>,
    /// The newest release it lists.
    pub latest: Option<Release>,
    /// Whether that is newer than this version.
    pub newer: bool,
    /// Why the last look failed.
    pub error: Option<String>,
}

/// A copy of the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupInfo {
    pub path: String,
    pub bytes: f64,
    pub created_at: String,
    /// The schema version inside (from the file name).
    pub schema_version: Option<u32>,
}

/// The database's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaStatus {
    pub version: u32,
    /// The newest schema this build knows.
    pub latest_known: u32,
    /// Migrations this build would still apply (none once the daemon runs: it migrates at start).
    pub pending: Vec<u32>,
    /// The backup made before this start's migrations, if there were any.
    pub backup_before_migration: Option<String>,
}

/// Everything `upgrade.status` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeStatus {
    pub version: String,
    pub schema: SchemaStatus,
    pub feed: FeedState,
    /// Newest first.
    pub backups: Vec<BackupInfo>,
    pub backups_dir: String,
}
