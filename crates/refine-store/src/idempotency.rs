//! Idempotency keys: the stored response of every completed keyed mutation, written inside the
//! mutation's own transaction. A key that is still running is claimed in the daemon's memory
//! (one daemon per data dir), so a claim costs no write and a request that never reached its
//! transaction leaves nothing behind.

use crate::Cached;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// A completed keyed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub operation: String,
    pub request_hash: String,
    pub status: u16,
    pub response: String,
}

/// The stored outcome of `key`, if its request completed.
pub fn lookup(conn: &Connection, key: &str) -> Result<Option<Stored>> {
    Ok(conn
        .row(
            "SELECT operation, request_hash, status, response FROM idempotency WHERE key = ?1 AND state = 'done'",
            [key],
            |r| {
                Ok(Stored {
                    operation: r.get(0)?,
                    request_hash: r.get(1)?,
                    status: r.get(2)?,
                    response: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// What a keyed request answered; call inside the mutation's transaction.
pub struct Record<'a> {
    pub key: &'a str,
    pub operation: &'a str,
    pub request_hash: &'a str,
    pub status: u16,
    pub response: &'a str,
    pub instance: &'a str,
    pub at: &'a str,
}

/// Store the response of a keyed request (inside the mutation's transaction).
pub fn record(conn: &Connection, r: &Record) -> Result<()> {
    conn.exec(
        "INSERT INTO idempotency(key, operation, request_hash, state, status, response, instance, created_at)
         VALUES (?1, ?2, ?3, 'done', ?4, ?5, ?6, ?7)
         ON CONFLICT(key) DO UPDATE SET operation = excluded.operation, request_hash = excluded.request_hash,
           state = 'done', status = excluded.status, response = excluded.response,
           instance = excluded.instance, created_at = excluded.created_at",
        params![r.key, r.operation, r.request_hash, r.status, r.response, r.instance, r.at],
    )?;
    Ok(())
}

/// Start-up repair and housekeeping: drop claim rows older daemons left (`running`, from the
/// time claims were rows) and keys older than `cutoff`.
pub fn sweep(conn: &Connection, current_instance: &str, cutoff: &str) -> Result<usize> {
    let a = conn.exec(
        "DELETE FROM idempotency WHERE state = 'running' AND instance != ?1",
        [current_instance],
    )?;
    let b = conn.exec("DELETE FROM idempotency WHERE created_at < ?1", [cutoff])?;
    Ok(a + b)
}
