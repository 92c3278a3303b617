//! Agent profiles, agent runs, what the automation records per Round, and the reads the
//! automation needs from quality, governance and guidance.

use refine_model::agents::{AgentProfile, AgentRun, GuidanceRef, Phase, RoundWork};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

// ---- profiles ----

/// Profiles people saved (defaults are not stored until edited).
pub fn profiles(conn: &Connection) -> Result<Vec<AgentProfile>> {
    let mut st = conn.prepare("SELECT spec FROM agent_profiles ORDER BY name")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?)?);
    }
    Ok(out)
}

pub fn put_profile(conn: &Connection, p: &AgentProfile, at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO agent_profiles(name, spec, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
        params![p.name, serde_json::to_string(p)?, at],
    )?;
    Ok(())
}

/// Remove a saved profile; true when one was removed.
pub fn delete_profile(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM agent_profiles WHERE name = ?1", [name])? > 0)
}

// ---- runs ----

const RUN_COLUMNS: &str = "id, app_id, goal_id, round, phase, attempt, profile, process_id, status, result, error, started_at, ended_at";

fn phase_of(s: &str) -> Phase {
    match s {
        "plan" => Phase::Plan,
        "implement" => Phase::Implement,
        "quality" => Phase::Quality,
        "governance" => Phase::Governance,
        _ => Phase::Chat,
    }
}

fn run_from_row(r: &Row) -> rusqlite::Result<AgentRun> {
    let phase: String = r.get(4)?;
    let result: Option<String> = r.get(9)?;
    Ok(AgentRun {
        id: r.get(0)?,
        app_id: r.get(1)?,
        goal_id: r.get(2)?,
        round: r.get(3)?,
        phase: phase_of(&phase),
        attempt: r.get(5)?,
        profile: r.get(6)?,
        process_id: r.get(7)?,
        status: r.get(8)?,
        result: result.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.get(10)?,
        started_at: r.get(11)?,
        ended_at: r.get(12)?,
    })
}

pub fn insert_run(conn: &Connection, run: &AgentRun) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO agent_runs({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
        params![
            run.id,
            run.app_id,
            run.goal_id,
            run.round,
            run.phase.as_str(),
            run.attempt,
            run.profile,
            run.process_id,
            run.status,
            run.result.as_ref().map(|v| v.to_string()),
            run.error,
            run.started_at,
            run.ended_at
        ],
    )?;
    Ok(())
}

pub fn update_run(conn: &Connection, run: &AgentRun) -> Result<()> {
    conn.execute(
        "UPDATE agent_runs SET process_id = ?2, status = ?3, result = ?4, error = ?5, ended_at = ?6 WHERE id = ?1",
        params![
            run.id,
            run.process_id,
            run.status,
            run.result.as_ref().map(|v| v.to_string()),
            run.error,
            run.ended_at
        ],
    )?;
    Ok(())
}

/// Runs of a Goal (all Rounds), oldest first.
pub fn runs_of_goal(conn: &Connection, goal_id: &str) -> Result<Vec<AgentRun>> {
    let mut st = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM agent_runs WHERE goal_id = ?1 ORDER BY started_at, rowid"
    ))?;
    let rows = st.query_map([goal_id], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_run(conn: &Connection, id: &str) -> Result<Option<AgentRun>> {
    Ok(conn
        .query_row(
            &format!("SELECT {RUN_COLUMNS} FROM agent_runs WHERE id = ?1"),
            [id],
            run_from_row,
        )
        .optional()?)
}

/// Runs still marked running (after a crash: settled at start-up).
pub fn running_runs(conn: &Connection) -> Result<Vec<AgentRun>> {
    let mut st = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM agent_runs WHERE status = 'running'"
    ))?;
    let rows = st.query_map([], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- round work ----

pub fn round_work(conn: &Connection, goal_id: &str, round: u32) -> Result<RoundWork> {
    let raw: Option<String> = conn
        .query_row(
            "SELECT work FROM rounds WHERE goal_id = ?1 AND number = ?2",
            params![goal_id, round],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match raw {
        Some(s) => serde_json::from_str(&s)?,
        None => RoundWork::default(),
    })
}

pub fn set_round_work(conn: &Connection, goal_id: &str, round: u32, w: &RoundWork) -> Result<()> {
    conn.execute(
        "UPDATE rounds SET work = ?3 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, serde_json::to_string(w)?],
    )?;
    Ok(())
}

pub fn set_round_plan(conn: &Connection, goal_id: &str, round: u32, plan: &str) -> Result<()> {
    conn.execute(
        "UPDATE rounds SET plan = ?3 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, plan],
    )?;
    Ok(())
}

/// Every Round's work of a Goal, by Round number.
pub fn works_of_goal(conn: &Connection, goal_id: &str) -> Result<Vec<(u32, RoundWork)>> {
    let mut st =
        conn.prepare("SELECT number, work FROM rounds WHERE goal_id = ?1 ORDER BY number")?;
    let rows = st.query_map([goal_id], |r| {
        Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (n, s) = r?;
        out.push((n, serde_json::from_str(&s)?));
    }
    Ok(out)
}

// ---- what the automation reads from quality, governance, guidance ----

/// The project's plain-text tests and instructions.
pub fn quality_tests(conn: &Connection, app_id: &str) -> Result<(Vec<String>, String)> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT tests, instructions FROM quality_settings WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((t, i)) => (serde_json::from_str(&t)?, i),
        None => (Vec::new(), String::new()),
    })
}

/// A governance rule as the gate cites it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleText {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// Product statement, constitution and rules of an app.
pub fn governance_texts(
    conn: &Connection,
    app_id: &str,
) -> Result<(String, String, Vec<RuleText>)> {
    let docs: Option<(String, String)> = conn
        .query_row(
            "SELECT statement, constitution FROM governance WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut st = conn.prepare(
        "SELECT id, title, body FROM governance_rules WHERE app_id = ?1 ORDER BY position, id",
    )?;
    let rules = st
        .query_map([app_id], |r| {
            Ok(RuleText {
                id: r.get(0)?,
                title: r.get(1)?,
                body: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (s, c) = docs.unwrap_or_default();
    Ok((s, c, rules))
}

/// The enabled guidance entries of an app, in order: what a Round snapshots.
pub fn enabled_guidance(conn: &Connection, app_id: &str) -> Result<Vec<GuidanceRef>> {
    let mut st = conn.prepare(
        "SELECT id, title, body FROM guidance WHERE app_id = ?1 AND enabled = 1 ORDER BY position, id",
    )?;
    let rows = st.query_map([app_id], |r| {
        Ok(GuidanceRef {
            id: r.get(0)?,
            title: r.get(1)?,
            body: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
