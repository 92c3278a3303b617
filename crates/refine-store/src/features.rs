//! The `features` table; a Feature's Goals are the goals pointing at it, ordered by position.

use crate::Cached;
use refine_model::work::{feature_status, Feature};
use refine_model::workflow::WorkflowState;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// A feature row without its derived fields.
pub struct FeatureRow {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

pub fn insert(conn: &Connection, f: &FeatureRow) -> Result<()> {
    conn.exec(
        "INSERT INTO features(id, app_id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![f.id, f.app_id, f.name, f.description, f.created_at, f.updated_at],
    )?;
    Ok(())
}

pub fn update(
    conn: &Connection,
    id: &str,
    name: &str,
    description: &str,
    at: &str,
) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE features SET name = ?2, description = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, name, description, at],
    )? > 0)
}

pub fn touch(conn: &Connection, id: &str, at: &str) -> Result<()> {
    conn.exec(
        "UPDATE features SET updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Delete a feature; its goals stay, without a feature.
pub fn delete(conn: &Connection, id: &str) -> Result<bool> {
    conn.exec(
        "UPDATE goals SET feature_id = NULL, position = NULL WHERE feature_id = ?1",
        [id],
    )?;
    Ok(conn.exec("DELETE FROM features WHERE id = ?1", [id])? > 0)
}

/// The feature's live goals in order: (id, status).
pub fn goals_in(conn: &Connection, feature_id: &str) -> Result<Vec<(String, WorkflowState)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, status FROM goals WHERE feature_id = ?1 AND deleted_at IS NULL ORDER BY position, number",
    )?;
    let rows = stmt
        .query_map([feature_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, s)| {
            (
                id,
                WorkflowState::parse(&s).unwrap_or(WorkflowState::Backlog),
            )
        })
        .collect())
}

/// The position after the Feature's last live goal (0 when it has none).
pub fn next_position(conn: &Connection, feature_id: &str) -> Result<u32> {
    Ok(conn.row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM goals WHERE feature_id = ?1 AND deleted_at IS NULL",
        [feature_id],
        |r| r.get(0),
    )?)
}

/// Give the listed goals positions 0..n in this order.
pub fn set_order(conn: &Connection, feature_id: &str, ordered: &[String]) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("UPDATE goals SET position = ?3 WHERE id = ?1 AND feature_id = ?2")?;
    for (i, id) in ordered.iter().enumerate() {
        stmt.execute(params![id, feature_id, i as u32])?;
    }
    Ok(())
}

fn build(conn: &Connection, row: FeatureRow) -> Result<Feature> {
    let goals = goals_in(conn, &row.id)?;
    let states: Vec<WorkflowState> = goals.iter().map(|(_, s)| *s).collect();
    Ok(Feature {
        status: feature_status(&states),
        done: states.iter().filter(|s| **s == WorkflowState::Done).count() as u32,
        total: states
            .iter()
            .filter(|s| **s != WorkflowState::Cancelled)
            .count() as u32,
        goal_ids: goals.into_iter().map(|(id, _)| id).collect(),
        id: row.id,
        app_id: row.app_id,
        name: row.name,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<FeatureRow> {
    Ok(FeatureRow {
        id: r.get(0)?,
        app_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

/// A Feature's own row, without its Goals (cheap).
pub fn get_row(conn: &Connection, id: &str) -> Result<Option<FeatureRow>> {
    Ok(conn
        .row(
            "SELECT id, app_id, name, description, created_at, updated_at FROM features WHERE id = ?1",
            [id],
            row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Feature>> {
    let r = conn
        .row(
            "SELECT id, app_id, name, description, created_at, updated_at FROM features WHERE id = ?1",
            [id],
            row,
        )
        .optional()?;
    r.map(|r| build(conn, r)).transpose()
}

pub fn find_by_name(conn: &Connection, app_id: &str, name: &str) -> Result<Option<Feature>> {
    let id: Option<String> = conn
        .row(
            "SELECT id FROM features WHERE app_id = ?1 AND name = ?2",
            params![app_id, name],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| get(conn, &id)).transpose().map(Option::flatten)
}

pub fn list(conn: &Connection, app_id: &str) -> Result<Vec<Feature>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, app_id, name, description, created_at, updated_at FROM features WHERE app_id = ?1 ORDER BY created_at, name",
    )?;
    let rows = stmt
        .query_map([app_id], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|r| build(conn, r)).collect()
}

/// One Feature's progress: (id, name, status, done, total).
pub type Progress = (String, String, refine_model::work::FeatureStatus, u32, u32);

/// Per-feature progress in one grouped query (the dashboard's view; no goal ids).
pub fn progress(conn: &Connection, app_id: &str) -> Result<Vec<Progress>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.name, c.status, COALESCE(c.n, 0) FROM features f
         LEFT JOIN goal_counts c ON c.app_id = f.app_id AND c.feature_id = f.id AND c.n > 0
         WHERE f.app_id = ?1 ORDER BY f.created_at, f.name, f.id",
    )?;
    let rows = stmt
        .query_map([app_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    type Counts = Vec<(WorkflowState, u32)>;
    let mut out: Vec<(String, String, Counts)> = Vec::new();
    for (id, name, status, n) in rows {
        if out.last().map(|l| &l.0) != Some(&id) {
            out.push((id.clone(), name, Vec::new()));
        }
        if let Some(s) = status.as_deref().and_then(WorkflowState::parse) {
            out.last_mut().expect("pushed").2.push((s, n));
        }
    }
    Ok(out
        .into_iter()
        .map(|(id, name, counts)| {
            let states: Vec<WorkflowState> = counts.iter().map(|(s, _)| *s).collect();
            let done = counts
                .iter()
                .filter(|(s, _)| *s == WorkflowState::Done)
                .map(|(_, n)| n)
                .sum();
            let total = counts
                .iter()
                .filter(|(s, _)| *s != WorkflowState::Cancelled)
                .map(|(_, n)| n)
                .sum();
            (id, name, feature_status(&states), done, total)
        })
        .collect())
}
