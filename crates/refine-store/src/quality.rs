//! The `quality_settings` and `quality_evaluations` tables.

use crate::Cached;
use refine_model::quality::{QualityEvaluation, QualitySettings};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

/// An app's settings; never edited → empty with revision 0.
pub fn settings(conn: &Connection, app_id: &str) -> Result<QualitySettings> {
    let row: Option<(String, String, u32)> = conn
        .row(
            "SELECT tests, instructions, revision FROM quality_settings WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        Some((tests, instructions, revision)) => QualitySettings {
            app_id: app_id.to_string(),
            tests: serde_json::from_str(&tests)?,
            instructions,
            revision,
        },
        None => QualitySettings {
            app_id: app_id.to_string(),
            tests: Vec::new(),
            instructions: String::new(),
            revision: 0,
        },
    })
}

/// Store an app's settings as they are in `s` (revision included).
pub fn put_settings(conn: &Connection, s: &QualitySettings) -> Result<()> {
    conn.exec(
        "INSERT INTO quality_settings(app_id, tests, instructions, revision) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(app_id) DO UPDATE SET tests = excluded.tests,
             instructions = excluded.instructions, revision = excluded.revision",
        params![
            s.app_id,
            serde_json::to_string(&s.tests)?,
            s.instructions,
            s.revision
        ],
    )?;
    Ok(())
}

const EVAL_COLUMNS: &str =
    "id, app_id, goal_id, round, commit_sha, trigger, passed, checks, error, started_at, ended_at";

fn evaluation(r: &Row) -> rusqlite::Result<(QualityEvaluation, String)> {
    Ok((
        QualityEvaluation {
            id: r.get(0)?,
            app_id: r.get(1)?,
            goal_id: r.get(2)?,
            round: r.get(3)?,
            commit_sha: r.get(4)?,
            trigger: r.get(5)?,
            passed: r.get(6)?,
            checks: Vec::new(),
            error: r.get(8)?,
            started_at: r.get(9)?,
            ended_at: r.get(10)?,
        },
        r.get(7)?,
    ))
}

fn decode((mut e, checks): (QualityEvaluation, String)) -> Result<QualityEvaluation> {
    e.checks = serde_json::from_str(&checks)?;
    Ok(e)
}

/// Record an evaluation (as started, or finished).
pub fn insert_evaluation(conn: &Connection, e: &QualityEvaluation) -> Result<()> {
    conn.exec(
        &format!(
            "INSERT INTO quality_evaluations({EVAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ),
        params![
            e.id,
            e.app_id,
            e.goal_id,
            e.round,
            e.commit_sha,
            e.trigger,
            e.passed,
            serde_json::to_string(&e.checks)?,
            e.error,
            e.started_at,
            e.ended_at
        ],
    )?;
    Ok(())
}

pub fn get_evaluation(conn: &Connection, id: &str) -> Result<Option<QualityEvaluation>> {
    conn.row(
        &format!("SELECT {EVAL_COLUMNS} FROM quality_evaluations WHERE id = ?1"),
        [id],
        evaluation,
    )
    .optional()?
    .map(decode)
    .transpose()
}

/// An app's evaluations (of one Goal, when given), newest first.
pub fn evaluations(
    conn: &Connection,
    app_id: &str,
    goal_id: Option<&str>,
    limit: u32,
) -> Result<Vec<QualityEvaluation>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {EVAL_COLUMNS} FROM quality_evaluations
         WHERE app_id = ?1 AND (?2 IS NULL OR goal_id = ?2)
         ORDER BY started_at DESC, rowid DESC LIMIT ?3"
    ))?;
    let rows = st
        .query_map(params![app_id, goal_id, limit], evaluation)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}
