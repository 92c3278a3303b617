//! The `governance` and `governance_rules` tables: an app's statement, constitution and rules,
//! and one revision for all of it.

use crate::Cached;
use refine_model::governance::{Governance, GovernanceRule};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

/// The next free number for ids `<prefix><n>` of `table`: never one that was handed out before
/// (the high-water mark lives in `meta` under `key`, so removed ids stay retired). Ids are
/// unique across the install, so an id names one entry wherever it is cited.
pub(crate) fn next_number(conn: &Connection, key: &str, table: &str, prefix: &str) -> Result<u64> {
    let stored: u64 = crate::meta::get(conn, key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let highest: Option<i64> = conn.row(
        &format!(
            "SELECT MAX(CAST(SUBSTR(id, 2) AS INTEGER)) FROM {table} WHERE SUBSTR(id, 1, 1) = ?1"
        ),
        [prefix],
        |r| r.get(0),
    )?;
    let n = stored.max(highest.unwrap_or(0).max(0) as u64) + 1;
    crate::meta::set(conn, key, &n.to_string())?;
    Ok(n)
}

/// A new rule id (`R1`, `R2`, …), never used before.
pub fn next_rule_id(conn: &Connection) -> Result<String> {
    Ok(format!(
        "R{}",
        next_number(conn, "governance.lastRuleNumber", "governance_rules", "R")?
    ))
}

fn rule(r: &Row) -> rusqlite::Result<GovernanceRule> {
    Ok(GovernanceRule {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        position: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

const RULE_SELECT: &str =
    "SELECT id, title, body, position, created_at, updated_at FROM governance_rules";

/// An app's rules in order.
pub fn rules(conn: &Connection, app_id: &str) -> Result<Vec<GovernanceRule>> {
    let mut st = conn.prepare_cached(&format!(
        "{RULE_SELECT} WHERE app_id = ?1 ORDER BY position, created_at, id"
    ))?;
    let rows = st
        .query_map([app_id], rule)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Everything of an app's governance; never edited → empty with revision 0.
pub fn get(conn: &Connection, app_id: &str) -> Result<Governance> {
    let doc: Option<(String, String, u32, String)> = conn
        .row(
            "SELECT statement, constitution, revision, updated_at FROM governance WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let rules = rules(conn, app_id)?;
    Ok(match doc {
        Some((statement, constitution, revision, updated_at)) => Governance {
            app_id: app_id.to_string(),
            statement,
            constitution,
            rules,
            revision,
            updated_at: Some(updated_at),
        },
        None => Governance {
            app_id: app_id.to_string(),
            statement: String::new(),
            constitution: String::new(),
            rules,
            revision: 0,
            updated_at: None,
        },
    })
}

/// Store the statement, constitution and revision of `g` (not its rules).
pub fn put_doc(conn: &Connection, g: &Governance, at: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO governance(app_id, statement, constitution, revision, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(app_id) DO UPDATE SET statement = excluded.statement,
             constitution = excluded.constitution, revision = excluded.revision,
             updated_at = excluded.updated_at",
        params![g.app_id, g.statement, g.constitution, g.revision, at],
    )?;
    Ok(())
}

pub fn insert_rule(conn: &Connection, app_id: &str, r: &GovernanceRule) -> Result<()> {
    conn.exec(
        "INSERT INTO governance_rules(id, app_id, position, title, body, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            r.id,
            app_id,
            r.position,
            r.title,
            r.body,
            r.created_at,
            r.updated_at
        ],
    )?;
    Ok(())
}

/// Write a rule's title, body, position and time (of the app's rule with that id).
pub fn update_rule(conn: &Connection, app_id: &str, r: &GovernanceRule) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE governance_rules SET title = ?3, body = ?4, position = ?5, updated_at = ?6
         WHERE id = ?1 AND app_id = ?2",
        params![r.id, app_id, r.title, r.body, r.position, r.updated_at],
    )? > 0)
}

pub fn delete_rule(conn: &Connection, app_id: &str, id: &str) -> Result<bool> {
    Ok(conn.exec(
        "DELETE FROM governance_rules WHERE id = ?1 AND app_id = ?2",
        params![id, app_id],
    )? > 0)
}
