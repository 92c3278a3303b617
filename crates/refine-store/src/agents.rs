//! Agent profiles, agent runs, what the automation records per Round, and the reads the
//! automation needs from quality, governance and guidance.

use crate::Cached;
use refine_model::agents::{AgentProfile, AgentRun, GuidanceRef, Phase, RoundWork};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::Result;

// ---- profiles ----

/// Profiles people saved (defaults are not stored until edited).
pub fn profiles(conn: &Connection) -> Result<Vec<AgentProfile>> {
    let mut st = conn.prepare_cached("SELECT spec FROM agent_profiles ORDER BY name")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(serde_json::from_str(&r?)?);
    }
    Ok(out)
}

pub fn put_profile(conn: &Connection, p: &AgentProfile, at: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO agent_profiles(name, spec, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
        params![p.name, serde_json::to_string(p)?, at],
    )?;
    Ok(())
}

/// Remove a saved profile; true when one was removed.
pub fn delete_profile(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.exec("DELETE FROM agent_profiles WHERE name = ?1", [name])? > 0)
}

// ---- runs ----

const RUN_COLUMNS: &str = "id, app_id, goal_id, round, phase, attempt, profile, process_id, status, result, error, started_at, ended_at, provider, session_id, model, input_tokens, output_tokens, cached_tokens, cost_usd, turns, resumed, denials, kind, candidate";

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
        provider: r
            .get::<_, Option<String>>(13)?
            .and_then(|p| refine_model::agents::Provider::parse(&p)),
        session_id: r.get(14)?,
        model: r.get(15)?,
        usage: refine_model::transcript::Usage {
            input_tokens: r.get(16)?,
            output_tokens: r.get(17)?,
            cached_tokens: r.get(18)?,
            cost_usd: r.get(19)?,
        },
        turns: r.get(20)?,
        resumed: r.get(21)?,
        denials: r.get(22)?,
        kind: r.get(23)?,
        candidate: r.get(24)?,
    })
}

pub fn insert_run(conn: &Connection, run: &AgentRun) -> Result<()> {
    conn.exec(
        &format!("INSERT INTO agent_runs({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"),
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
            run.ended_at,
            run.provider.map(|p| p.as_str()),
            run.session_id,
            run.model,
            run.usage.input_tokens,
            run.usage.output_tokens,
            run.usage.cached_tokens,
            run.usage.cost_usd,
            run.turns,
            run.resumed,
            run.denials,
            run.kind,
            run.candidate
        ],
    )?;
    Ok(())
}

pub fn update_run(conn: &Connection, run: &AgentRun) -> Result<()> {
    conn.exec(
        "UPDATE agent_runs SET process_id = ?2, status = ?3, result = ?4, error = ?5, ended_at = ?6,
           session_id = ?7, model = ?8, input_tokens = ?9, output_tokens = ?10, cached_tokens = ?11,
           cost_usd = ?12, turns = ?13, denials = ?14 WHERE id = ?1",
        params![
            run.id,
            run.process_id,
            run.status,
            run.result.as_ref().map(|v| v.to_string()),
            run.error,
            run.ended_at,
            run.session_id,
            run.model,
            run.usage.input_tokens,
            run.usage.output_tokens,
            run.usage.cached_tokens,
            run.usage.cost_usd,
            run.turns,
            run.denials
        ],
    )?;
    Ok(())
}

/// Runs of a Goal (all Rounds), oldest first.
pub fn runs_of_goal(conn: &Connection, goal_id: &str) -> Result<Vec<AgentRun>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM agent_runs WHERE goal_id = ?1 ORDER BY started_at, rowid"
    ))?;
    let rows = st.query_map([goal_id], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Runs of one Round of a Goal, oldest first.
pub fn runs_of_round(conn: &Connection, goal_id: &str, round: u32) -> Result<Vec<AgentRun>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM agent_runs WHERE goal_id = ?1 AND round = ?2 ORDER BY started_at, rowid"
    ))?;
    let rows = st.query_map(params![goal_id, round], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A run as another node recorded it: inserted, or its row brought up to date.
pub fn upsert_run(conn: &Connection, run: &AgentRun) -> Result<()> {
    if get_run(conn, &run.id)?.is_some() {
        update_run(conn, run)
    } else {
        insert_run(conn, run)
    }
}

pub fn get_run(conn: &Connection, id: &str) -> Result<Option<AgentRun>> {
    Ok(conn
        .row(
            &format!("SELECT {RUN_COLUMNS} FROM agent_runs WHERE id = ?1"),
            [id],
            run_from_row,
        )
        .optional()?)
}

/// Runs still marked running (after a crash: settled at start-up).
pub fn running_runs(conn: &Connection) -> Result<Vec<AgentRun>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM agent_runs WHERE status = 'running'"
    ))?;
    let rows = st.query_map([], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Keep transcript entries of a run (a batch, in one transaction).
pub fn insert_transcript(
    conn: &Connection,
    entries: &[refine_model::transcript::TranscriptEntry],
) -> Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT OR IGNORE INTO agent_transcript(run_id, seq, at, kind, item) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in entries {
        st.execute(params![
            e.run_id,
            e.seq,
            e.at,
            e.item.kind(),
            serde_json::to_string(&e.item)?
        ])?;
    }
    Ok(())
}

/// A run's transcript from `after` (exclusive), at most `limit` entries, in order.
pub fn transcript(
    conn: &Connection,
    run_id: &str,
    after: Option<u32>,
    limit: u32,
) -> Result<Vec<refine_model::transcript::TranscriptEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT seq, at, item FROM agent_transcript WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = st.query_map(
        params![run_id, after.map(i64::from).unwrap_or(-1), limit],
        |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, item) = row?;
        out.push(refine_model::transcript::TranscriptEntry {
            run_id: run_id.to_string(),
            seq,
            at,
            item: serde_json::from_str(&item)?,
        });
    }
    Ok(out)
}

/// The last `limit` entries of a run's transcript, in order, and how many it has in all.
pub fn transcript_tail(
    conn: &Connection,
    run_id: &str,
    limit: u32,
) -> Result<(Vec<refine_model::transcript::TranscriptEntry>, u32)> {
    let total: u32 = conn.row(
        "SELECT COUNT(*) FROM agent_transcript WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    if limit == 0 {
        return Ok((Vec::new(), total));
    }
    // The first entry of the tail: the `limit`-th from the end (none: the run has fewer).
    let first: Option<u32> = conn
        .row(
            "SELECT seq FROM agent_transcript WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2",
            params![run_id, limit - 1],
            |r| r.get(0),
        )
        .optional()?;
    let entries = transcript(conn, run_id, first.and_then(|s| s.checked_sub(1)), limit)?;
    Ok((entries, total))
}

/// Tokens and cost summed over runs matching `filter` (an SQL condition on agent_runs).
fn usage_where(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<refine_model::transcript::Usage> {
    Ok(conn.row(
        &format!("SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cached_tokens), 0), SUM(cost_usd) FROM agent_runs WHERE {filter}"),
        args,
        |r| {
            Ok(refine_model::transcript::Usage {
                input_tokens: r.get::<_, i64>(0)?.min(u32::MAX as i64) as u32,
                output_tokens: r.get::<_, i64>(1)?.min(u32::MAX as i64) as u32,
                cached_tokens: r.get::<_, i64>(2)?.min(u32::MAX as i64) as u32,
                cost_usd: r.get(3)?,
            })
        },
    )?)
}

/// Usage of a Goal (all its runs).
pub fn goal_usage(conn: &Connection, goal_id: &str) -> Result<refine_model::transcript::Usage> {
    usage_where(conn, "goal_id = ?1", &[&goal_id])
}

/// Usage per day and provider since `since` (RFC 3339), for an app or all: (day, provider, usage, runs).
pub fn daily_usage(
    conn: &Connection,
    app_id: Option<&str>,
    since: &str,
) -> Result<Vec<(String, String, refine_model::transcript::Usage, u32)>> {
    let mut st = conn.prepare_cached(
        "SELECT substr(started_at, 1, 10) AS day, COALESCE(provider, profile), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(cost_usd), COUNT(*)
         FROM agent_runs WHERE started_at >= ?1 AND (?2 IS NULL OR app_id = ?2)
         GROUP BY day, COALESCE(provider, profile) ORDER BY day",
    )?;
    let rows = st.query_map(params![since, app_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            refine_model::transcript::Usage {
                input_tokens: r.get::<_, i64>(2)?.min(u32::MAX as i64) as u32,
                output_tokens: r.get::<_, i64>(3)?.min(u32::MAX as i64) as u32,
                cached_tokens: r.get::<_, i64>(4)?.min(u32::MAX as i64) as u32,
                cost_usd: r.get(5)?,
            },
            r.get::<_, u32>(6)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- round work ----

pub fn round_work(conn: &Connection, goal_id: &str, round: u32) -> Result<RoundWork> {
    let raw: Option<String> = conn
        .row(
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
    conn.exec(
        "UPDATE rounds SET work = ?3 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, serde_json::to_string(w)?],
    )?;
    Ok(())
}

pub fn set_round_plan(conn: &Connection, goal_id: &str, round: u32, plan: &str) -> Result<()> {
    conn.exec(
        "UPDATE rounds SET plan = ?3 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, plan],
    )?;
    Ok(())
}

/// Every Round's work of a Goal, by Round number.
pub fn works_of_goal(conn: &Connection, goal_id: &str) -> Result<Vec<(u32, RoundWork)>> {
    let mut st =
        conn.prepare_cached("SELECT number, work FROM rounds WHERE goal_id = ?1 ORDER BY number")?;
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
        .row(
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
        .row(
            "SELECT statement, constitution FROM governance WHERE app_id = ?1",
            [app_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut st = conn.prepare_cached(
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
    let mut st = conn.prepare_cached(
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
