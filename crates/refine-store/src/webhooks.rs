//! The `webhooks` and `webhook_deliveries` tables.

use crate::Cached;
use refine_model::webhooks::{Webhook, WebhookDelivery};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

const HOOK: &str = "id, app_id, url, events, secret, allow_http, enabled, created_at, updated_at";

/// A webhook and its secret.
fn hook(r: &Row) -> rusqlite::Result<(Webhook, String)> {
    let events: String = r.get(3)?;
    let secret: String = r.get(4)?;
    let hint: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Ok((
        Webhook {
            id: r.get(0)?,
            app_id: r.get(1)?,
            url: r.get(2)?,
            events: serde_json::from_str(&events).unwrap_or_default(),
            allow_http: r.get(5)?,
            enabled: r.get(6)?,
            secret_hint: hint,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
        },
        secret,
    ))
}

/// Every webhook of an app (`None`: of every app), oldest first, with its secret.
pub fn list(conn: &Connection, app_id: Option<&str>) -> Result<Vec<(Webhook, String)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {HOOK} FROM webhooks WHERE ?1 IS NULL OR app_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = st
        .query_map(params![app_id], hook)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<(Webhook, String)>> {
    Ok(conn
        .row(
            &format!("SELECT {HOOK} FROM webhooks WHERE id = ?1"),
            [id],
            hook,
        )
        .optional()?)
}

/// Store a new webhook.
pub fn insert(conn: &Connection, w: &Webhook, secret: &str) -> Result<()> {
    conn.exec(
        &format!("INSERT INTO webhooks ({HOOK}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            w.id,
            w.app_id,
            w.url,
            serde_json::to_string(&w.events).unwrap_or_else(|_| "[]".into()),
            secret,
            w.allow_http,
            w.enabled,
            w.created_at,
            w.updated_at
        ],
    )?;
    Ok(())
}

/// Change a webhook in place (its deliveries stay: no delete-and-insert).
pub fn update(conn: &Connection, w: &Webhook) -> Result<()> {
    conn.exec(
        "UPDATE webhooks SET url = ?2, events = ?3, allow_http = ?4, enabled = ?5, updated_at = ?6
         WHERE id = ?1",
        params![
            w.id,
            w.url,
            serde_json::to_string(&w.events).unwrap_or_else(|_| "[]".into()),
            w.allow_http,
            w.enabled,
            w.updated_at
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.exec("DELETE FROM webhooks WHERE id = ?1", [id])?;
    Ok(())
}

const DELIVERY: &str =
    "id, webhook_id, event_id, event_kind, status, attempts, response_code, error,
    next_at, created_at, delivered_at";

fn delivery(r: &Row) -> rusqlite::Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.get(0)?,
        webhook_id: r.get(1)?,
        event_id: r.get(2)?,
        event_kind: r.get(3)?,
        status: r.get(4)?,
        attempts: r.get(5)?,
        response_code: r.get(6)?,
        error: r.get(7)?,
        next_attempt_at: r.get(8)?,
        created_at: r.get(9)?,
        delivered_at: r.get(10)?,
    })
}

/// A new pending delivery, due now; answers its id.
pub fn enqueue(
    conn: &Connection,
    webhook_id: &str,
    event_id: &str,
    kind: &str,
    payload: &str,
    now: &str,
) -> Result<u32> {
    conn.exec(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_kind, payload, status, attempts, next_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)",
        params![webhook_id, event_id, kind, payload, now],
    )?;
    Ok(conn.last_insert_rowid() as u32)
}

/// Deliveries whose next attempt is due at `now`, oldest first, with their payloads.
pub fn due(conn: &Connection, now: &str, limit: u32) -> Result<Vec<(WebhookDelivery, String)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {DELIVERY}, payload FROM webhook_deliveries
         WHERE status = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![now, limit], |r| Ok((delivery(r)?, r.get(11)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The earliest next attempt of any pending delivery.
pub fn next_due(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.row(
        "SELECT MIN(next_at) FROM webhook_deliveries WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// Record an attempt's outcome.
pub fn record(conn: &Connection, d: &WebhookDelivery) -> Result<()> {
    conn.exec(
        "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, response_code = ?4, error = ?5,
         next_at = ?6, delivered_at = ?7 WHERE id = ?1",
        params![
            d.id,
            d.status,
            d.attempts,
            d.response_code,
            d.error,
            d.next_attempt_at,
            d.delivered_at
        ],
    )?;
    Ok(())
}

/// A webhook's deliveries, newest first.
pub fn deliveries(conn: &Connection, webhook_id: &str, limit: u32) -> Result<Vec<WebhookDelivery>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {DELIVERY} FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![webhook_id, limit], delivery)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get_delivery(conn: &Connection, id: u32) -> Result<Option<WebhookDelivery>> {
    Ok(conn
        .row(
            &format!("SELECT {DELIVERY} FROM webhook_deliveries WHERE id = ?1"),
            [id],
            delivery,
        )
        .optional()?)
}
