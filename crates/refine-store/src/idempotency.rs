//! Idempotency keys: a claim row while the work runs, the stored response once it is done.

use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// What a claim attempt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key was free and is now claimed by this request.
    Claimed,
    /// The same request already completed: replay this (status, body).
    Replay { status: u16, response: String },
    /// The same key is claimed by a request still running.
    InFlight,
    /// The key was used with a different operation or body.
    Mismatch,
}

/// Try to claim `key` for `operation` + `request_hash` in its own short transaction.
pub fn claim(
    conn: &Connection,
    key: &str,
    operation: &str,
    request_hash: &str,
    instance: &str,
    at: &str,
) -> Result<Claim> {
    type Stored = (String, String, String, Option<u16>, Option<String>);
    let row: Option<Stored> = conn
        .query_row(
            "SELECT operation, request_hash, state, status, response FROM idempotency WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    match row {
        None => {
            conn.execute(
                "INSERT INTO idempotency(key, operation, request_hash, state, instance, created_at) VALUES (?1, ?2, ?3, 'running', ?4, ?5)",
                params![key, operation, request_hash, instance, at],
            )?;
            Ok(Claim::Claimed)
        }
        Some((op, hash, _, _, _)) if op != operation || hash != request_hash => Ok(Claim::Mismatch),
        Some((_, _, state, status, response)) => match (state.as_str(), status, response) {
            ("done", Some(status), Some(response)) => Ok(Claim::Replay { status, response }),
            _ => Ok(Claim::InFlight),
        },
    }
}

/// Record the response of a claimed key (call inside the mutation's transaction).
pub fn complete(conn: &Connection, key: &str, status: u16, response: &str) -> Result<()> {
    conn.execute(
        "UPDATE idempotency SET state = 'done', status = ?2, response = ?3 WHERE key = ?1",
        params![key, status, response],
    )?;
    Ok(())
}

/// Release a claim whose request failed before changing anything.
pub fn release(conn: &Connection, key: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM idempotency WHERE key = ?1 AND state = 'running'",
        [key],
    )?;
    Ok(())
}

/// Start-up repair and housekeeping: drop claims of dead instances and keys older than `cutoff`.
pub fn sweep(conn: &Connection, current_instance: &str, cutoff: &str) -> Result<usize> {
    let a = conn.execute(
        "DELETE FROM idempotency WHERE state = 'running' AND instance != ?1",
        [current_instance],
    )?;
    let b = conn.execute("DELETE FROM idempotency WHERE created_at < ?1", [cutoff])?;
    Ok(a + b)
}
