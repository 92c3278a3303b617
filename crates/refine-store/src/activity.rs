//! The append-only audit log.

use crate::Cached;
use refine_model::{Activity, Surface};
use rusqlite::{params, Connection, Row};
use serde_json::Value;

use crate::{Result, StoreError};

pub fn insert(conn: &Connection, a: &Activity, data: Option<&Value>) -> Result<i64> {
    conn.exec(
        "INSERT INTO activity(id, at, actor, surface, operation, app_id, target, summary, operation_id, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            a.id,
            a.at,
            a.actor,
            a.surface.as_str(),
            a.operation,
            a.app_id,
            a.target,
            a.summary,
            a.operation_id,
            data.map(serde_json::to_string).transpose()?,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Filters for the audit log; results newest first.
#[derive(Default)]
pub struct ActivityFilter<'a> {
    pub app_id: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub surface: Option<Surface>,
    pub operation: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    /// Cursor: only entries with a sequence number below this.
    pub before_seq: Option<i64>,
    pub limit: u32,
}

fn from_row(r: &Row) -> rusqlite::Result<(i64, Activity, String)> {
    Ok((
        r.get(0)?,
        Activity {
            id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            surface: Surface::System,
            operation: r.get(5)?,
            app_id: r.get(6)?,
            target: r.get(7)?,
            summary: r.get(8)?,
            operation_id: r.get(9)?,
        },
        r.get(4)?,
    ))
}

/// Entries matching the filter with their sequence numbers (for cursors).
pub fn list(conn: &Connection, f: &ActivityFilter) -> Result<Vec<(i64, Activity)>> {
    let mut sql = String::from(
        "SELECT seq, id, at, actor, surface, operation, app_id, target, summary, operation_id FROM activity WHERE 1=1",
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    let mut add = |cond: &str, v: Box<dyn rusqlite::ToSql>, sql: &mut String| {
        args.push(v);
        sql.push_str(&format!(" AND {cond} ?{}", args.len()));
    };
    if let Some(v) = f.app_id {
        add("app_id =", Box::new(v.to_string()), &mut sql);
    }
    if let Some(v) = f.actor {
        add("actor =", Box::new(v.to_string()), &mut sql);
    }
    if let Some(v) = f.surface {
        add("surface =", Box::new(v.as_str()), &mut sql);
    }
    if let Some(v) = f.operation {
        // `apps` matches every `apps.*` operation; `apps.add` matches exactly.
        if v.contains('.') {
            add("operation =", Box::new(v.to_string()), &mut sql);
        } else {
            add("operation LIKE", Box::new(format!("{v}.%")), &mut sql);
        }
    }
    if let Some(v) = f.since {
        add("at >=", Box::new(v.to_string()), &mut sql);
    }
    if let Some(v) = f.until {
        add("at <", Box::new(v.to_string()), &mut sql);
    }
    if let Some(v) = f.before_seq {
        add("seq <", Box::new(v), &mut sql);
    }
    args.push(Box::new(f.limit));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", args.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(seq, mut a, surface)| {
            a.surface = Surface::parse(&surface)
                .ok_or_else(|| StoreError::Decode(format!("surface {surface}")))?;
            Ok((seq, a))
        })
        .collect()
}

pub fn count(conn: &Connection, app_id: Option<&str>) -> Result<u32> {
    Ok(match app_id {
        Some(a) => conn.row(
            "SELECT COUNT(*) FROM activity WHERE app_id = ?1",
            [a],
            |r| r.get(0),
        )?,
        None => conn.row("SELECT COUNT(*) FROM activity", [], |r| r.get(0))?,
    })
}
