//! The operation journal: durable receipts.

use crate::Cached;
use refine_model::{ApiError, OperationReceipt, OperationStatus, Surface};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::{json_col, Result, StoreError};

const COLUMNS: &str = "id, kind, status, progress, message, result, error, idempotency_key, app_id, actor, surface, created_at, updated_at, finished_at";

/// A new journal row.
pub struct NewOperation<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub status: OperationStatus,
    pub input: &'a Value,
    pub result: Option<&'a Value>,
    pub idempotency_key: Option<&'a str>,
    pub app_id: Option<&'a str>,
    pub actor: &'a str,
    pub surface: Surface,
    pub instance: &'a str,
    pub at: &'a str,
}

pub fn insert(conn: &Connection, op: &NewOperation) -> Result<()> {
    let finished = op.status.is_terminal().then_some(op.at);
    let progress = if op.status == OperationStatus::Succeeded {
        100
    } else {
        0
    };
    conn.exec(
        "INSERT INTO operations(id, kind, status, progress, input, result, idempotency_key, app_id, actor, surface, instance, created_at, updated_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
        params![
            op.id,
            op.kind,
            op.status.as_str(),
            progress,
            serde_json::to_string(op.input)?,
            op.result.map(serde_json::to_string).transpose()?,
            op.idempotency_key,
            op.app_id,
            op.actor,
            op.surface.as_str(),
            op.instance,
            op.at,
            finished,
        ],
    )?;
    Ok(())
}

/// Update progress of a running operation; returns false when it is no longer running.
pub fn set_progress(
    conn: &Connection,
    id: &str,
    progress: u32,
    message: Option<&str>,
    at: &str,
) -> Result<bool> {
    let n = conn.exec(
        "UPDATE operations SET progress = ?2, message = COALESCE(?3, message), updated_at = ?4 WHERE id = ?1 AND status = 'running'",
        params![id, progress.min(100), message, at],
    )?;
    Ok(n > 0)
}

/// Move a running operation to a terminal status; returns false when it was not running.
pub fn finish(
    conn: &Connection,
    id: &str,
    status: OperationStatus,
    result: Option<&Value>,
    error: Option<&ApiError>,
    at: &str,
) -> Result<bool> {
    let progress_sql = if status == OperationStatus::Succeeded {
        "100"
    } else {
        "progress"
    };
    let n = conn.exec(
        &format!(
            "UPDATE operations SET status = ?2, result = ?3, error = ?4, updated_at = ?5, finished_at = ?5, progress = {progress_sql}
             WHERE id = ?1 AND status = 'running'"
        ),
        params![
            id,
            status.as_str(),
            result.map(serde_json::to_string).transpose()?,
            error.map(serde_json::to_string).transpose()?,
            at
        ],
    )?;
    Ok(n > 0)
}

/// A receipt with its still-encoded columns: result, error, status, surface.
type RawRow = (
    OperationReceipt,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn from_row(r: &Row) -> rusqlite::Result<RawRow> {
    Ok((
        OperationReceipt {
            id: r.get(0)?,
            kind: r.get(1)?,
            status: OperationStatus::Running,
            progress: r.get(3)?,
            message: r.get(4)?,
            result: None,
            error: None,
            idempotency_key: r.get(7)?,
            app_id: r.get(8)?,
            actor: r.get(9)?,
            surface: Surface::System,
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
            finished_at: r.get(13)?,
        },
        r.get(5)?,
        r.get(6)?,
        r.get(2)?,
        r.get(10)?,
    ))
}

fn decode((mut op, result, error, status, surface): RawRow) -> Result<OperationReceipt> {
    op.status = OperationStatus::parse(&status)
        .ok_or_else(|| StoreError::Decode(format!("status {status}")))?;
    op.surface =
        Surface::parse(&surface).ok_or_else(|| StoreError::Decode(format!("surface {surface}")))?;
    op.result = json_col(result)?;
    op.error = error.map(|e| serde_json::from_str(&e)).transpose()?;
    Ok(op)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<OperationReceipt>> {
    conn.row(
        &format!("SELECT {COLUMNS} FROM operations WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .map(decode)
    .transpose()
}

/// Filters for listing operations, newest first.
#[derive(Default)]
pub struct OperationFilter<'a> {
    pub status: Option<OperationStatus>,
    pub kind: Option<&'a str>,
    pub app_id: Option<&'a str>,
    /// Only operations created before this one (by id).
    pub before: Option<&'a str>,
    pub limit: u32,
}

pub fn list(conn: &Connection, f: &OperationFilter) -> Result<Vec<OperationReceipt>> {
    let mut sql = format!("SELECT {COLUMNS} FROM operations WHERE 1=1");
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    if let Some(s) = f.status {
        // A literal, so the planner may use `operations_running` (plans do not look at values).
        sql.push_str(&format!(" AND status = '{}'", s.as_str()));
    }
    if let Some(k) = f.kind {
        args.push(Box::new(k.to_string()));
        sql.push_str(&format!(" AND kind = ?{}", args.len()));
    }
    if let Some(a) = f.app_id {
        args.push(Box::new(a.to_string()));
        sql.push_str(&format!(" AND app_id = ?{}", args.len()));
    }
    // Newest first is the reverse of the order rows were inserted in (their rowid): the
    // journal keeps no time index.
    if let Some(id) = f.before {
        args.push(Box::new(id.to_string()));
        sql.push_str(&format!(
            " AND rowid < (SELECT rowid FROM operations WHERE id = ?{})",
            args.len()
        ));
    }
    args.push(Box::new(f.limit));
    sql.push_str(&format!(" ORDER BY rowid DESC LIMIT ?{}", args.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

/// Start-up repair: every operation left running by another daemon instance becomes interrupted.
pub fn interrupt_stale(conn: &Connection, current_instance: &str, at: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT id FROM operations WHERE status = 'running' AND instance != ?1")?;
    let ids = stmt
        .query_map([current_instance], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let err = serde_json::to_string(&ApiError::unavailable(
        "the daemon stopped before this operation finished; retry it",
    ))?;
    conn.exec(
        "UPDATE operations SET status = 'interrupted', error = ?2, updated_at = ?3, finished_at = ?3
         WHERE status = 'running' AND instance != ?1",
        params![current_instance, err, at],
    )?;
    Ok(ids)
}

pub fn count(conn: &Connection) -> Result<u32> {
    Ok(conn.row("SELECT COUNT(*) FROM operations", [], |r| r.get(0))?)
}
