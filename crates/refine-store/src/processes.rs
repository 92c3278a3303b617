//! The `processes` table: every supervised process, live or ended.

use crate::Cached;
use refine_model::process::{ProcessInfo, ProcessOwner, ProcessStatus};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{Result, StoreError};

const COLUMNS: &str = "id, app_id, argv, cwd, env_keys, label, owner, status, pid, started_at, ended_at, exit_code, signal, error";

type Raw = (ProcessInfo, String, String, String, String);

fn from_row(r: &Row) -> rusqlite::Result<Raw> {
    Ok((
        ProcessInfo {
            id: r.get(0)?,
            app_id: r.get(1)?,
            argv: Vec::new(),
            cwd: r.get(3)?,
            env_keys: Vec::new(),
            label: r.get(5)?,
            owner: ProcessOwner::default(),
            status: ProcessStatus::Lost,
            pid: r.get(8)?,
            started_at: r.get(9)?,
            ended_at: r.get(10)?,
            exit_code: r.get(11)?,
            signal: r.get(12)?,
            error: r.get(13)?,
        },
        r.get(2)?,
        r.get(4)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn decode((mut p, argv, env, owner, status): Raw) -> Result<ProcessInfo> {
    p.argv = serde_json::from_str(&argv)?;
    p.env_keys = serde_json::from_str(&env)?;
    p.owner = serde_json::from_str(&owner)?;
    p.status = ProcessStatus::parse(&status)
        .ok_or_else(|| StoreError::Decode(format!("process status {status}")))?;
    Ok(p)
}

pub fn insert(conn: &Connection, p: &ProcessInfo, instance: &str) -> Result<()> {
    conn.exec(
        &format!("INSERT INTO processes({COLUMNS}, instance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
        params![
            p.id,
            p.app_id,
            serde_json::to_string(&p.argv)?,
            p.cwd,
            serde_json::to_string(&p.env_keys)?,
            p.label,
            serde_json::to_string(&p.owner)?,
            p.status.as_str(),
            p.pid,
            p.started_at,
            p.ended_at,
            p.exit_code,
            p.signal,
            p.error,
            instance,
        ],
    )?;
    Ok(())
}

/// Record the spawned pid, its group and start time.
pub fn set_running(
    conn: &Connection,
    id: &str,
    pid: u32,
    pgid: i32,
    start_ticks: Option<u64>,
) -> Result<()> {
    conn.exec(
        "UPDATE processes SET status = 'running', pid = ?2, pgid = ?3, start_ticks = ?4 WHERE id = ?1",
        params![id, pid, pgid, start_ticks.map(|t| t as i64)],
    )?;
    Ok(())
}

pub fn finish(
    conn: &Connection,
    id: &str,
    status: ProcessStatus,
    code: Option<i32>,
    signal: Option<i32>,
    error: Option<&str>,
    at: &str,
) -> Result<()> {
    conn.exec(
        "UPDATE processes SET status = ?2, exit_code = ?3, signal = ?4, error = COALESCE(?5, error), ended_at = ?6 WHERE id = ?1",
        params![id, status.as_str(), code, signal, error, at],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<ProcessInfo>> {
    conn.row(
        &format!("SELECT {COLUMNS} FROM processes WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .map(decode)
    .transpose()
}

pub fn list(
    conn: &Connection,
    app_id: Option<&str>,
    live_only: bool,
    limit: u32,
) -> Result<Vec<ProcessInfo>> {
    let mut sql = format!("SELECT {COLUMNS} FROM processes WHERE 1=1");
    if app_id.is_some() {
        sql.push_str(" AND app_id = ?1");
    }
    if live_only {
        sql.push_str(" AND status IN ('starting', 'running')");
    }
    sql.push_str(&format!(" ORDER BY started_at DESC, id DESC LIMIT {limit}"));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = match app_id {
        Some(a) => stmt
            .query_map([a], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        None => stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    };
    rows.into_iter().map(decode).collect()
}

/// A live record left by another daemon instance.
pub struct StaleProcess {
    pub id: String,
    pub pid: Option<u32>,
    pub pgid: Option<i32>,
    /// Start time of the leader in clock ticks (to tell it from a reused pid).
    pub start_ticks: Option<u64>,
}

/// Live records left by other daemon instances.
pub fn stale(conn: &Connection, instance: &str) -> Result<Vec<StaleProcess>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, pid, pgid, start_ticks FROM processes WHERE status IN ('starting', 'running') AND instance != ?1",
    )?;
    let rows = stmt
        .query_map([instance], |r| {
            Ok(StaleProcess {
                id: r.get(0)?,
                pid: r.get(1)?,
                pgid: r.get(2)?,
                start_ticks: r.get::<_, Option<i64>>(3)?.map(|t| t as u64),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
