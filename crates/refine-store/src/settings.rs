//! Stored settings layers (partial objects with a revision each).

use crate::Cached;
use refine_model::SettingsLayer;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::Result;

/// The layer key for the global layer or an app's layer.
pub fn scope_key(app_id: Option<&str>) -> String {
    match app_id {
        None => "global".to_string(),
        Some(id) => format!("app:{id}"),
    }
}

/// The stored layer, or an empty one at revision 0.
pub fn get(conn: &Connection, app_id: Option<&str>) -> Result<SettingsLayer> {
    let row: Option<(String, u32)> = conn
        .row(
            "SELECT doc, revision FROM settings_layers WHERE scope = ?1",
            [scope_key(app_id)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None => SettingsLayer {
            values: Value::Object(Default::default()),
            revision: 0,
        },
        Some((doc, revision)) => SettingsLayer {
            values: serde_json::from_str(&doc)?,
            revision,
        },
    })
}

pub fn put(conn: &Connection, app_id: Option<&str>, values: &Value, revision: u32) -> Result<()> {
    conn.exec(
        "INSERT INTO settings_layers(scope, app_id, doc, revision) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(scope) DO UPDATE SET doc = excluded.doc, revision = excluded.revision",
        params![
            scope_key(app_id),
            app_id,
            serde_json::to_string(values)?,
            revision
        ],
    )?;
    Ok(())
}
