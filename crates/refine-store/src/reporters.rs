//! The `reporters` and `todos` tables.

use crate::Cached;
use refine_model::work::{Reporter, ReporterKind, Todo};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{Result, StoreError};

fn kind_str(k: ReporterKind) -> &'static str {
    match k {
        ReporterKind::Person => "person",
        ReporterKind::Agent => "agent",
        ReporterKind::System => "system",
    }
}

fn reporter(r: &Row) -> rusqlite::Result<(Reporter, String)> {
    Ok((
        Reporter {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: ReporterKind::Person,
            created_at: r.get(3)?,
            removed_at: r.get(4)?,
            open_todos: r.get(5)?,
        },
        r.get(2)?,
    ))
}

fn decode((mut rep, kind): (Reporter, String)) -> Result<Reporter> {
    rep.kind = match kind.as_str() {
        "person" => ReporterKind::Person,
        "agent" => ReporterKind::Agent,
        "system" => ReporterKind::System,
        other => return Err(StoreError::Decode(format!("reporter kind {other}"))),
    };
    Ok(rep)
}

const SELECT: &str = "SELECT r.id, r.name, r.kind, r.created_at, r.removed_at, \
    (SELECT COUNT(*) FROM todos t WHERE t.reporter_id = r.id AND t.done = 0) FROM reporters r";

pub fn insert(conn: &Connection, id: &str, name: &str, kind: ReporterKind, at: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO reporters(id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, name, kind_str(kind), at],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Reporter>> {
    conn.row(&format!("{SELECT} WHERE r.id = ?1"), [id], reporter)
        .optional()?
        .map(decode)
        .transpose()
}

pub fn find_live_by_name(conn: &Connection, name: &str) -> Result<Option<Reporter>> {
    conn.row(
        &format!("{SELECT} WHERE r.name = ?1 AND r.removed_at IS NULL"),
        [name],
        reporter,
    )
    .optional()?
    .map(decode)
    .transpose()
}

pub fn list(conn: &Connection, include_removed: bool) -> Result<Vec<Reporter>> {
    let sql = if include_removed {
        format!("{SELECT} ORDER BY r.name")
    } else {
        format!("{SELECT} WHERE r.removed_at IS NULL ORDER BY r.name")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([], reporter)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

pub fn rename(conn: &Connection, id: &str, name: &str) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE reporters SET name = ?2 WHERE id = ?1",
        params![id, name],
    )? > 0)
}

/// Move everything of `from` to `into` and retire `from`. Returns goals moved.
pub fn merge(conn: &Connection, from: &str, into: &str, at: &str) -> Result<u32> {
    let goals = conn.exec(
        "UPDATE goals SET reporter_id = ?2 WHERE reporter_id = ?1",
        params![from, into],
    )?;
    let base: u32 = conn.row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM todos WHERE reporter_id = ?1",
        [into],
        |r| r.get(0),
    )?;
    conn.exec(
        "UPDATE todos SET reporter_id = ?2, position = position + ?3 WHERE reporter_id = ?1",
        params![from, into, base],
    )?;
    conn.exec(
        "UPDATE reporters SET removed_at = ?2, merged_into = ?3 WHERE id = ?1",
        params![from, at, into],
    )?;
    Ok(goals as u32)
}

pub fn remove(conn: &Connection, id: &str, at: &str) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE reporters SET removed_at = ?2 WHERE id = ?1 AND removed_at IS NULL",
        params![id, at],
    )? > 0)
}

fn todo(r: &Row) -> rusqlite::Result<Todo> {
    Ok(Todo {
        id: r.get(0)?,
        reporter_id: r.get(1)?,
        text: r.get(2)?,
        done: r.get(3)?,
        position: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

const TODO_SELECT: &str =
    "SELECT id, reporter_id, text, done, position, created_at, updated_at FROM todos";

pub fn todos(conn: &Connection, reporter_id: &str) -> Result<Vec<Todo>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{TODO_SELECT} WHERE reporter_id = ?1 ORDER BY position"
    ))?;
    let rows = stmt
        .query_map([reporter_id], todo)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get_todo(conn: &Connection, id: &str) -> Result<Option<Todo>> {
    Ok(conn
        .row(&format!("{TODO_SELECT} WHERE id = ?1"), [id], todo)
        .optional()?)
}

pub fn insert_todo(conn: &Connection, t: &Todo) -> Result<()> {
    conn.exec(
        "INSERT INTO todos(id, reporter_id, text, done, position, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![t.id, t.reporter_id, t.text, t.done, t.position, t.created_at, t.updated_at],
    )?;
    Ok(())
}

pub fn update_todo(conn: &Connection, t: &Todo) -> Result<()> {
    conn.exec(
        "UPDATE todos SET text = ?2, done = ?3, position = ?4, updated_at = ?5 WHERE id = ?1",
        params![t.id, t.text, t.done, t.position, t.updated_at],
    )?;
    Ok(())
}

pub fn delete_todo(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.exec("DELETE FROM todos WHERE id = ?1", [id])? > 0)
}

pub fn next_todo_position(conn: &Connection, reporter_id: &str) -> Result<u32> {
    Ok(conn.row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM todos WHERE reporter_id = ?1",
        [reporter_id],
        |r| r.get(0),
    )?)
}
