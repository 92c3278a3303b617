//! The `app_lifecycle` table: an app's edited lifecycle commands (JSON) and their revision.

use crate::Cached;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::Result;

pub fn get(conn: &Connection, app_id: &str) -> Result<Option<(Value, u32)>> {
    let row: Option<(String, u32)> = conn
        .row(
            "SELECT config, revision FROM app_lifecycle WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(c, r)| Ok((serde_json::from_str(&c)?, r)))
        .transpose()
}

pub fn put(conn: &Connection, app_id: &str, config: &Value, revision: u32) -> Result<()> {
    conn.exec(
        "INSERT INTO app_lifecycle(app_id, config, revision) VALUES (?1, ?2, ?3)
         ON CONFLICT(app_id) DO UPDATE SET config = excluded.config, revision = excluded.revision",
        params![app_id, serde_json::to_string(config)?, revision],
    )?;
    Ok(())
}
