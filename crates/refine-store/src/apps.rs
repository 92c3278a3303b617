//! The `apps` table.

use crate::Cached;
use refine_model::{App, AppShape};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{meta, Result};

/// Key in `meta` holding the active app id.
pub const ACTIVE_KEY: &str = "active_app";

const COLUMNS: &str = "id, name, path, default_branch, shape, created_at, updated_at";

fn from_row(r: &Row, active: Option<&str>) -> rusqlite::Result<(App, String)> {
    let id: String = r.get(0)?;
    let shape: String = r.get(4)?;
    Ok((
        App {
            active: active == Some(id.as_str()),
            id,
            name: r.get(1)?,
            path: r.get(2)?,
            default_branch: r.get(3)?,
            shape: AppShape::default(),
            created_at: r.get(5)?,
            updated_at: r.get(6)?,
        },
        shape,
    ))
}

fn decode((mut app, shape): (App, String)) -> Result<App> {
    app.shape = serde_json::from_str(&shape)?;
    Ok(app)
}

pub fn insert(conn: &Connection, app: &App) -> Result<()> {
    conn.exec(
        &format!("INSERT INTO apps({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            app.id,
            app.name,
            app.path,
            app.default_branch,
            serde_json::to_string(&app.shape)?,
            app.created_at,
            app.updated_at
        ],
    )?;
    Ok(())
}

pub fn update_shape(
    conn: &Connection,
    id: &str,
    shape: &AppShape,
    branch: Option<&str>,
    at: &str,
) -> Result<bool> {
    let n = conn.exec(
        "UPDATE apps SET shape = ?2, default_branch = COALESCE(?3, default_branch), updated_at = ?4 WHERE id = ?1",
        params![id, serde_json::to_string(shape)?, branch, at],
    )?;
    Ok(n > 0)
}

pub fn list(conn: &Connection) -> Result<Vec<App>> {
    let active = meta::get(conn, ACTIVE_KEY)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM apps ORDER BY name, created_at"
    ))?;
    let rows = stmt
        .query_map([], |r| from_row(r, active.as_deref()))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<App>> {
    let active = meta::get(conn, ACTIVE_KEY)?;
    let row = conn
        .row(
            &format!("SELECT {COLUMNS} FROM apps WHERE id = ?1"),
            [id],
            |r| from_row(r, active.as_deref()),
        )
        .optional()?;
    row.map(decode).transpose()
}

pub fn find_by_path(conn: &Connection, path: &str) -> Result<Option<App>> {
    let active = meta::get(conn, ACTIVE_KEY)?;
    let row = conn
        .row(
            &format!("SELECT {COLUMNS} FROM apps WHERE path = ?1"),
            [path],
            |r| from_row(r, active.as_deref()),
        )
        .optional()?;
    row.map(decode).transpose()
}

pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.exec("DELETE FROM apps WHERE id = ?1", [id])? > 0)
}

pub fn count(conn: &Connection) -> Result<u32> {
    Ok(conn.row("SELECT COUNT(*) FROM apps", [], |r| r.get(0))?)
}

pub fn active_id(conn: &Connection) -> Result<Option<String>> {
    meta::get(conn, ACTIVE_KEY)
}
