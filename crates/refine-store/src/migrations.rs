//! Embedded forward-only migrations. A released migration is never edited; add a new one.

use rusqlite::Connection;

use crate::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    // 1: foundation
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE apps (
        id             TEXT PRIMARY KEY,
        name           TEXT NOT NULL,
        path           TEXT NOT NULL UNIQUE,
        default_branch TEXT,
        shape          TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
    );
    CREATE TABLE settings_layers (
        scope    TEXT PRIMARY KEY,              -- 'global' or 'app:<id>'
        app_id   TEXT REFERENCES apps(id) ON DELETE CASCADE,
        doc      TEXT NOT NULL,                 -- partial settings object (JSON)
        revision INTEGER NOT NULL
    );
    CREATE TABLE operations (
        id              TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        status          TEXT NOT NULL,
        progress        INTEGER NOT NULL DEFAULT 0,
        message         TEXT,
        input           TEXT,
        result          TEXT,
        error           TEXT,
        idempotency_key TEXT,
        app_id          TEXT,
        actor           TEXT NOT NULL,
        surface         TEXT NOT NULL,
        instance        TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        finished_at     TEXT
    );
    CREATE INDEX operations_created ON operations(created_at);
    CREATE INDEX operations_status ON operations(status);
    CREATE TABLE activity (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        surface      TEXT NOT NULL,
        operation    TEXT NOT NULL,
        app_id       TEXT,
        target       TEXT,
        summary      TEXT NOT NULL,
        operation_id TEXT,
        data         TEXT
    );
    CREATE INDEX activity_app ON activity(app_id, seq);
    CREATE INDEX activity_at ON activity(at);
    CREATE TABLE idempotency (
        key          TEXT PRIMARY KEY,
        operation    TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state        TEXT NOT NULL,             -- 'running' or 'done'
        status       INTEGER,
        response     TEXT,
        instance     TEXT NOT NULL,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX idempotency_created ON idempotency(created_at);
    "#,
];

/// The newest schema version this build knows.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn run(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::TooNew {
            found: current,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        tracing::info!(version, "applying database migration");
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))?;
    }
    Ok(())
}
