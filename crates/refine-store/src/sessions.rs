//! Browser sessions: what a browser presents instead of the data dir's token. Only a hash of
//! each secret is stored.

use crate::Cached;
use refine_model::session::BrowserSession;
use rusqlite::{params, Connection, Row};

use crate::Result;

/// A session row with the hash of its secret (for the daemon's lookup table).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub session: BrowserSession,
    pub secret_hash: String,
}

fn row(r: &Row) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        session: BrowserSession {
            id: r.get("id")?,
            label: r.get("label")?,
            created_at: r.get("created_at")?,
            last_used_at: r.get("last_used_at")?,
            expires_at: r.get("expires_at")?,
            revoked_at: r.get("revoked_at")?,
            current: false,
        },
        secret_hash: r.get("secret_hash")?,
    })
}

pub fn insert(conn: &Connection, s: &BrowserSession, secret_hash: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO browser_sessions(id, secret_hash, label, created_at, last_used_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.id, secret_hash, s.label, s.created_at, s.last_used_at, s.expires_at],
    )?;
    Ok(())
}

/// Every session, newest first (revoked and expired ones included, for the record).
pub fn list(conn: &Connection) -> Result<Vec<SessionRow>> {
    let mut st = conn.prepare_cached("SELECT * FROM browser_sessions ORDER BY created_at DESC")?;
    let rows = st
        .query_map([], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Revoke a live session; false when there is none with that id (or it was revoked already).
pub fn revoke(conn: &Connection, id: &str, at: &str) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE browser_sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, at],
    )? > 0)
}

/// A session was used: slide its expiry.
pub fn touch(conn: &Connection, id: &str, at: &str, expires_at: &str) -> Result<()> {
    conn.exec(
        "UPDATE browser_sessions SET last_used_at = ?2, expires_at = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, at, expires_at],
    )?;
    Ok(())
}

/// Drop sessions that ended (expired or revoked) before `cutoff`.
pub fn sweep(conn: &Connection, cutoff: &str) -> Result<usize> {
    Ok(conn.exec(
        "DELETE FROM browser_sessions WHERE expires_at < ?1 OR revoked_at < ?1",
        [cutoff],
    )?)
}
