//! The `guidance` and `guidance_revision` tables: an app's guidance entries and the one
//! revision of the collection.

use crate::Cached;
use refine_model::governance::GuidanceEntry;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

/// The collection's revision; never edited → 0.
pub fn revision(conn: &Connection, app_id: &str) -> Result<u32> {
    Ok(conn
        .row(
            "SELECT revision FROM guidance_revision WHERE app_id = ?1",
            [app_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

pub fn set_revision(conn: &Connection, app_id: &str, revision: u32) -> Result<()> {
    conn.exec(
        "INSERT INTO guidance_revision(app_id, revision) VALUES (?1, ?2)
         ON CONFLICT(app_id) DO UPDATE SET revision = excluded.revision",
        params![app_id, revision],
    )?;
    Ok(())
}

/// A new entry id (`G1`, `G2`, …), never used before.
pub fn next_id(conn: &Connection) -> Result<String> {
    Ok(format!(
        "G{}",
        crate::governance::next_number(conn, "guidance.lastEntryNumber", "guidance", "G")?
    ))
}

fn entry(r: &Row) -> rusqlite::Result<GuidanceEntry> {
    Ok(GuidanceEntry {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        enabled: r.get(3)?,
        position: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// An app's entries in order (enabled or not).
pub fn entries(conn: &Connection, app_id: &str) -> Result<Vec<GuidanceEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT id, title, body, enabled, position, created_at, updated_at FROM guidance
         WHERE app_id = ?1 ORDER BY position, created_at, id",
    )?;
    let rows = st
        .query_map([app_id], entry)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn insert(conn: &Connection, app_id: &str, e: &GuidanceEntry) -> Result<()> {
    conn.exec(
        "INSERT INTO guidance(id, app_id, position, title, body, enabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.id,
            app_id,
            e.position,
            e.title,
            e.body,
            e.enabled,
            e.created_at,
            e.updated_at
        ],
    )?;
    Ok(())
}

/// Write an entry's title, body, enabled flag, position and time.
pub fn update(conn: &Connection, app_id: &str, e: &GuidanceEntry) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE guidance SET title = ?3, body = ?4, enabled = ?5, position = ?6, updated_at = ?7
         WHERE id = ?1 AND app_id = ?2",
        params![
            e.id,
            app_id,
            e.title,
            e.body,
            e.enabled,
            e.position,
            e.updated_at
        ],
    )? > 0)
}

pub fn delete(conn: &Connection, app_id: &str, id: &str) -> Result<bool> {
    Ok(conn.exec(
        "DELETE FROM guidance WHERE id = ?1 AND app_id = ?2",
        params![id, app_id],
    )? > 0)
}
