//! The `goals`, `goal_labels`, `rounds` and `goal_transitions` tables.

use crate::Cached;
use std::collections::HashMap;

use refine_model::work::{EvidenceLink, ExternalRef, Goal, Round};
use refine_model::workflow::{GoalFacts, WorkflowState};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};

use crate::{Result, StoreError};

const SELECT: &str = "SELECT g.id, g.app_id, g.number, g.title, g.prompt, g.notes, g.status, g.priority, \
    g.reporter_id, r.name, g.assignee, g.feature_id, f.name, g.position, g.node_id, g.labels, \
    g.ext_source, g.ext_id, g.ext_url, g.created_at, g.updated_at, g.deleted_at, g.candidates, g.pinned_node \
    FROM goals g LEFT JOIN reporters r ON r.id = g.reporter_id LEFT JOIN features f ON f.id = g.feature_id";

type RawGoal = (Goal, String, String);

fn from_row(r: &Row) -> rusqlite::Result<RawGoal> {
    from_row_at(r, 0)
}

/// [`from_row`] for a row whose goal columns start at column `at`.
fn from_row_at(r: &Row, at: usize) -> rusqlite::Result<RawGoal> {
    let ext_source: Option<String> = r.get(at + 16)?;
    let ext_id: Option<String> = r.get(at + 17)?;
    let external = match (ext_source, ext_id) {
        (Some(source), Some(id)) => Some(ExternalRef {
            source,
            id,
            url: r.get(at + 18)?,
        }),
        _ => None,
    };
    Ok((
        Goal {
            id: r.get(at)?,
            app_id: r.get(at + 1)?,
            number: r.get(at + 2)?,
            title: r.get(at + 3)?,
            prompt: r.get(at + 4)?,
            notes: r.get(at + 5)?,
            status: WorkflowState::Backlog,
            priority: r.get(at + 7)?,
            reporter_id: r.get(at + 8)?,
            reporter_name: r.get(at + 9)?,
            assignee: r.get(at + 10)?,
            feature_id: r.get(at + 11)?,
            feature_name: r.get(at + 12)?,
            position: r.get(at + 13)?,
            node_id: r.get(at + 14)?,
            labels: Vec::new(),
            external,
            created_at: r.get(at + 19)?,
            updated_at: r.get(at + 20)?,
            deleted_at: r.get(at + 21)?,
            candidates: r.get(at + 22)?,
            pinned_node: r.get(at + 23)?,
            rounds: Vec::new(),
        },
        r.get(at + 6)?,
        r.get(at + 15)?,
    ))
}

fn decode((mut g, status, labels): RawGoal) -> Result<Goal> {
    g.status = WorkflowState::parse(&status)
        .ok_or_else(|| StoreError::Decode(format!("goal status {status}")))?;
    g.labels = serde_json::from_str(&labels)?;
    Ok(g)
}

/// Attach rounds to goals (one query).
fn with_rounds(conn: &Connection, mut goals: Vec<Goal>) -> Result<Vec<Goal>> {
    if goals.is_empty() {
        return Ok(goals);
    }
    let ids: Vec<&str> = goals.iter().map(|g| g.id.as_str()).collect();
    let mut map = rounds_of(conn, &ids)?;
    for g in &mut goals {
        g.rounds = map.remove(&g.id).unwrap_or_default();
    }
    Ok(goals)
}

pub fn rounds_of(conn: &Connection, ids: &[&str]) -> Result<HashMap<String, Vec<Round>>> {
    let mut out: HashMap<String, Vec<Round>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT goal_id, number, request, plan, outcome, evidence, started_at, ended_at FROM rounds WHERE goal_id IN ({marks}) ORDER BY goal_id, number"
        ))?;
        let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        for row in rows {
            let (goal, number, request, plan, outcome, evidence, started_at, ended_at) = row?;
            let evidence: Vec<EvidenceLink> = serde_json::from_str(&evidence)?;
            out.entry(goal).or_default().push(Round {
                number,
                request,
                plan,
                outcome,
                evidence,
                started_at,
                ended_at,
            });
        }
    }
    Ok(out)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Goal>> {
    let g = conn
        .row(&format!("{SELECT} WHERE g.id = ?1"), [id], from_row)
        .optional()?
        .map(decode)
        .transpose()?;
    Ok(match g {
        Some(g) => with_rounds(conn, vec![g])?.pop(),
        None => None,
    })
}

pub fn get_by_number(conn: &Connection, app_id: &str, number: u32) -> Result<Option<Goal>> {
    let id: Option<String> = conn
        .row(
            "SELECT id FROM goals WHERE app_id = ?1 AND number = ?2",
            params![app_id, number],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => get(conn, &id),
        None => Ok(None),
    }
}

pub fn find_external(
    conn: &Connection,
    app_id: &str,
    source: &str,
    ext_id: &str,
) -> Result<Option<Goal>> {
    let id: Option<String> = conn
        .row(
            "SELECT id FROM goals WHERE app_id = ?1 AND ext_source = ?2 AND ext_id = ?3",
            params![app_id, source, ext_id],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => get(conn, &id),
        None => Ok(None),
    }
}

pub fn next_number(conn: &Connection, app_id: &str) -> Result<u32> {
    Ok(conn.row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM goals WHERE app_id = ?1",
        [app_id],
        |r| r.get(0),
    )?)
}

/// Make the goal's label rows its labels. Rows already right are not written (the trigger
/// `goal_labels_follow` keeps their status, priority and number), so most updates write none.
fn sync_labels(conn: &Connection, g: &Goal, new: bool) -> Result<()> {
    if !new {
        conn.prepare_cached(
            "DELETE FROM goal_labels WHERE goal_id = ?1 AND label NOT IN (SELECT value FROM json_each(?2))",
        )?
        .execute(params![g.id, serde_json::to_string(&g.labels)?])?;
    }
    // What the rows carry is read from the Goal's row as written, not from `g`.
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO goal_labels(goal_id, label, app_id, live, status, priority, number) \
         SELECT id, ?2, app_id, deleted_at IS NULL, status, priority, number FROM goals WHERE id = ?1",
    )?;
    for l in &g.labels {
        stmt.execute(params![g.id, l])?;
    }
    Ok(())
}

/// Insert a new goal (and its labels). Rounds are added with [`insert_round`].
pub fn insert(conn: &Connection, g: &Goal) -> Result<()> {
    let ext = g.external.as_ref();
    conn.exec(
        "INSERT INTO goals(id, app_id, number, title, prompt, notes, status, priority, reporter_id, assignee, feature_id, position, node_id, labels, ext_source, ext_id, ext_url, created_at, updated_at, deleted_at, candidates, pinned_node)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        params![
            g.id,
            g.app_id,
            g.number,
            g.title,
            g.prompt,
            g.notes,
            g.status.as_str(),
            g.priority,
            g.reporter_id,
            g.assignee,
            g.feature_id,
            g.position,
            g.node_id,
            serde_json::to_string(&g.labels)?,
            ext.map(|e| &e.source),
            ext.map(|e| &e.id),
            ext.and_then(|e| e.url.as_ref()),
            g.created_at,
            g.updated_at,
            g.deleted_at,
            g.candidates,
            g.pinned_node,
        ],
    )?;
    sync_labels(conn, g, true)
}

/// Write every column of an existing goal (and its labels).
pub fn update(conn: &Connection, g: &Goal) -> Result<()> {
    let ext = g.external.as_ref();
    conn.exec(
        "UPDATE goals SET title = ?2, prompt = ?3, notes = ?4, status = ?5, priority = ?6, reporter_id = ?7, assignee = ?8,
         feature_id = ?9, position = ?10, node_id = ?11, labels = ?12, ext_source = ?13, ext_id = ?14, ext_url = ?15,
         updated_at = ?16, deleted_at = ?17, candidates = ?18, pinned_node = ?19 WHERE id = ?1",
        params![
            g.id,
            g.title,
            g.prompt,
            g.notes,
            g.status.as_str(),
            g.priority,
            g.reporter_id,
            g.assignee,
            g.feature_id,
            g.position,
            g.node_id,
            serde_json::to_string(&g.labels)?,
            ext.map(|e| &e.source),
            ext.map(|e| &e.id),
            ext.and_then(|e| e.url.as_ref()),
            g.updated_at,
            g.deleted_at,
            g.candidates,
            g.pinned_node,
        ],
    )?;
    sync_labels(conn, g, false)
}

pub fn insert_round(
    conn: &Connection,
    goal_id: &str,
    number: u32,
    request: &str,
    at: &str,
) -> Result<()> {
    conn.exec(
        "INSERT INTO rounds(goal_id, number, request, started_at) VALUES (?1, ?2, ?3, ?4)",
        params![goal_id, number, request, at],
    )?;
    Ok(())
}

/// Add a link to a Round's evidence (once per address).
pub fn add_evidence(
    conn: &Connection,
    goal_id: &str,
    round: u32,
    link: &EvidenceLink,
) -> Result<()> {
    let json: Option<String> = conn
        .row(
            "SELECT evidence FROM rounds WHERE goal_id = ?1 AND number = ?2",
            params![goal_id, round],
            |r| r.get(0),
        )
        .optional()?;
    let Some(json) = json else {
        return Ok(());
    };
    let mut links: Vec<EvidenceLink> = serde_json::from_str(&json)?;
    if links.iter().any(|l| l.href == link.href) {
        return Ok(());
    }
    links.push(link.clone());
    conn.exec(
        "UPDATE rounds SET evidence = ?3 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, serde_json::to_string(&links)?],
    )?;
    Ok(())
}

/// Close the goal's open round with an outcome.
pub fn end_round(conn: &Connection, goal_id: &str, outcome: &str, at: &str) -> Result<()> {
    conn.exec(
        "UPDATE rounds SET outcome = ?2, ended_at = ?3 WHERE goal_id = ?1 AND ended_at IS NULL",
        params![goal_id, outcome, at],
    )?;
    Ok(())
}

pub fn record_transition(
    conn: &Connection,
    g: &Goal,
    from: Option<WorkflowState>,
    to: WorkflowState,
    at: &str,
    actor: &str,
) -> Result<()> {
    conn.exec(
        "INSERT INTO goal_transitions(goal_id, app_id, from_status, to_status, at, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![g.id, g.app_id, from.map(|s| s.as_str()), to.as_str(), at, actor],
    )?;
    Ok(())
}

/// How a goal list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Priority high → low, then number.
    Priority,
    Newest,
    Oldest,
    Updated,
    Number,
    Title,
}

impl Sort {
    fn column(self) -> (&'static str, bool) {
        match self {
            Sort::Priority => ("g.priority", true),
            Sort::Newest => ("g.created_at", true),
            Sort::Oldest => ("g.created_at", false),
            Sort::Updated => ("g.updated_at", true),
            Sort::Number => ("g.number", false),
            Sort::Title => ("g.title", false),
        }
    }
}

/// Which goals to list.
#[derive(Debug, Default)]
pub struct GoalFilter {
    pub app_id: String,
    pub statuses: Vec<WorkflowState>,
    /// `Some(None)`: goals without a feature.
    pub feature_id: Option<Option<String>>,
    pub label: Option<String>,
    pub reporter_id: Option<String>,
    pub assignee: Option<String>,
    pub node_id: Option<String>,
    /// Full-text query (FTS5 syntax already sanitised).
    pub text: Option<String>,
    pub deleted: bool,
    pub sort: Option<Sort>,
    /// (sort value, number) of the last item of the previous page.
    pub after: Option<(serde_json::Value, u32)>,
    pub limit: u32,
}

/// A page of goals.
pub struct GoalPage {
    pub goals: Vec<Goal>,
    /// (sort value, number) of the last item when more follow.
    pub next: Option<(serde_json::Value, u32)>,
    /// Matching goals in all pages (first page only), at most [`TOTAL_CAP`].
    pub total: Option<u32>,
    /// More than [`TOTAL_CAP`] goals match.
    pub total_capped: bool,
}

/// Largest total a goal page counts exactly.
pub const TOTAL_CAP: u32 = 10_000;

pub fn list(conn: &Connection, f: &GoalFilter) -> Result<GoalPage> {
    // A label filter is driven from the label's rows (`goal_labels_page`: app, label, live,
    // status, priority, number): the app, status and priority conditions and the priority order
    // are asked of them, so the page and its count read one index range.
    let t = if f.label.is_some() { "gl" } else { "g" };
    let mut cond = format!(" WHERE {t}.app_id = ?1");
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(f.app_id.clone())];
    let mut push = |sql: &str, v: Box<dyn ToSql>, cond: &mut String| {
        args.push(v);
        cond.push_str(&sql.replace("?#", &format!("?{}", args.len())));
    };
    cond.push_str(match (f.label.is_some(), f.deleted) {
        (true, deleted) => {
            if deleted {
                " AND gl.live = 0"
            } else {
                " AND gl.live = 1"
            }
        }
        (false, true) => " AND g.deleted_at IS NOT NULL",
        (false, false) => " AND g.deleted_at IS NULL",
    });
    if !f.statuses.is_empty() {
        let list = f
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(",");
        cond.push_str(&format!(" AND {t}.status IN ({list})"));
    }
    let mut join = String::new();
    if let Some(l) = &f.label {
        join.push_str(" JOIN goal_labels gl ON gl.goal_id = g.id");
        push(" AND gl.label = ?#", Box::new(l.clone()), &mut cond);
    }
    // Conditions only the goal row answers.
    let label_only = cond.len();
    match &f.feature_id {
        Some(Some(fid)) => push(" AND g.feature_id = ?#", Box::new(fid.clone()), &mut cond),
        Some(None) => cond.push_str(" AND g.feature_id IS NULL"),
        None => {}
    }
    if let Some(r) = &f.reporter_id {
        push(" AND g.reporter_id = ?#", Box::new(r.clone()), &mut cond);
    }
    if let Some(a) = &f.assignee {
        push(" AND g.assignee = ?#", Box::new(a.clone()), &mut cond);
    }
    if let Some(n) = &f.node_id {
        push(" AND g.node_id = ?#", Box::new(n.clone()), &mut cond);
    }
    // Full text: the matches drive the query (joined by rowid), unless there are so many that
    // walking the sort order and keeping the matching ones is cheaper (see below).
    let mut from = join.clone();
    let mut text_arg = None;
    if let Some(t) = &f.text {
        from.push_str(" JOIN goals_fts ON goals_fts.rowid = g.rowid");
        push(" AND goals_fts MATCH ?#", Box::new(t.clone()), &mut cond);
        text_arg = Some(args.len());
    }
    // Counting is bounded: past TOTAL_CAP the page says "at least" instead of reading every row.
    let total = if f.after.is_none() {
        let rows = if f.label.is_some() && cond.len() == label_only {
            format!("goal_labels gl{cond}")
        } else {
            format!("goals g{from}{cond}")
        };
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {rows} LIMIT {})",
            TOTAL_CAP + 1
        );
        Some(conn.row(&sql, params_from_iter(args.iter()), |r| r.get::<_, u32>(0))?)
    } else {
        None
    };
    let total_capped = total.is_some_and(|t| t > TOTAL_CAP);
    let total = total.map(|t| t.min(TOTAL_CAP));
    let sort = f.sort.unwrap_or(Sort::Priority);
    let (col, desc) = sort.column();
    let col = col.replace("g.priority", &format!("{t}.priority"));
    let mut page_cond = cond.clone();
    if let Some((v, n)) = &f.after {
        let v: Box<dyn ToSql> = match v {
            serde_json::Value::Number(x) => Box::new(x.as_i64().unwrap_or(0)),
            other => Box::new(other.as_str().unwrap_or_default().to_string()),
        };
        args.push(v);
        let vi = args.len();
        args.push(Box::new(*n));
        let ni = args.len();
        let cmp = if desc { "<" } else { ">" };
        page_cond.push_str(&format!(
            " AND ({col} {cmp} ?{vi} OR ({col} = ?{vi} AND {t}.number > ?{ni}))"
        ));
    }
    let order = format!(
        "ORDER BY {col} {}, {t}.number ASC",
        if desc { "DESC" } else { "ASC" }
    );
    let rows = match (&f.text, text_arg) {
        (Some(text), Some(at)) if sort == Sort::Priority && common_text(conn, text)? => {
            let cond = format!("{join}{page_cond}");
            page_of_common_text(conn, text, at, &cond, &args, &order, f.limit + 1)?
        }
        _ => {
            args.push(Box::new(f.limit + 1));
            let sql = format!("{SELECT}{from}{page_cond} {order} LIMIT ?{}", args.len());
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args.iter()), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        }
    };
    let mut goals = rows.into_iter().map(decode).collect::<Result<Vec<_>>>()?;
    let more = goals.len() > f.limit as usize;
    goals.truncate(f.limit as usize);
    let cursor = if more {
        goals.last().map(|g| {
            let v = match sort {
                Sort::Priority => serde_json::json!(g.priority),
                Sort::Newest | Sort::Oldest => serde_json::json!(g.created_at),
                Sort::Updated => serde_json::json!(g.updated_at),
                Sort::Number => serde_json::json!(g.number),
                Sort::Title => serde_json::json!(g.title),
            };
            (v, g.number)
        })
    } else {
        None
    };
    Ok(GoalPage {
        goals: with_rounds(conn, goals)?,
        next: cursor,
        total,
        total_capped,
    })
}

/// More full-text matches than this (over every app) make a page walk the sort order instead
/// of sorting every match.
const COMMON_TEXT: u32 = 2_000;

/// Whether a full-text query matches so many goals that [`page_of_common_text`] is cheaper.
fn common_text(conn: &Connection, text: &str) -> Result<bool> {
    let n: u32 = conn.row(
        "SELECT COUNT(*) FROM (SELECT 1 FROM goals_fts WHERE goals_fts MATCH ?1 LIMIT ?2)",
        params![text, COMMON_TEXT + 1],
        |r| r.get(0),
    )?;
    Ok(n > COMMON_TEXT)
}

/// A page of a full-text query that matches many goals: the matching rowids in a set, then the
/// goals in index order (priority), keeping matches until the page is full — a few hundred
/// index entries instead of sorting tens of thousands of matches.
fn page_of_common_text(
    conn: &Connection,
    text: &str,
    text_at: usize,
    cond: &str,
    args: &[Box<dyn ToSql>],
    order: &str,
    want: u32,
) -> Result<Vec<RawGoal>> {
    let mut stmt = conn.prepare_cached("SELECT rowid FROM goals_fts WHERE goals_fts MATCH ?1")?;
    let matches = stmt
        .query_map([text], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<std::collections::HashSet<i64>>>()?;
    // The same conditions, less the text one (the set stands for it).
    let cond = cond.replace(
        &format!(" AND goals_fts MATCH ?{text_at}"),
        &format!(" AND ?{text_at} IS NOT NULL"),
    );
    let mut stmt = conn.prepare_cached(&format!("SELECT g.rowid FROM goals g{cond} {order}"))?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut picked = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if matches.contains(&id) {
            picked.push(id);
            if picked.len() >= want as usize {
                break;
            }
        }
    }
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; picked.len()].join(",");
    let mut stmt = conn.prepare(&format!(
        "SELECT g.rowid, {} WHERE g.rowid IN ({marks})",
        &SELECT["SELECT ".len()..]
    ))?;
    let mut by_rowid: HashMap<i64, RawGoal> = stmt
        .query_map(params_from_iter(picked.iter()), |r| {
            let id: i64 = r.get(0)?;
            Ok((id, from_row_at(r, 1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(picked.iter().filter_map(|id| by_rowid.remove(id)).collect())
}

/// Every live goal of an app, in number order (exports, eligibility).
pub fn all(conn: &Connection, app_id: &str) -> Result<Vec<Goal>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE g.app_id = ?1 AND g.deleted_at IS NULL ORDER BY g.number"
    ))?;
    let rows = stmt
        .query_map([app_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let goals = rows.into_iter().map(decode).collect::<Result<Vec<_>>>()?;
    with_rounds(conn, goals)
}

/// Which live goals the start rules and the scheduler look at: everything not yet done or
/// cancelled, backlog only within a Feature (it holds the Feature's later Goals back).
const FACTS: &str = "SELECT g.rowid, g.app_id, g.id, g.title, g.number, g.status, g.priority, g.feature_id, f.name, g.position, g.node_id
     FROM goals g LEFT JOIN features f ON f.id = g.feature_id
     WHERE g.deleted_at IS NULL AND g.status NOT IN ('done', 'cancelled')
       AND (g.status != 'backlog' OR g.feature_id IS NOT NULL)";

type FactRow = (i64, String, GoalFacts);

fn fact_row(r: &Row) -> rusqlite::Result<(i64, String, String, GoalFacts)> {
    let fid: Option<String> = r.get(7)?;
    let fname: Option<String> = r.get(8)?;
    let pos: Option<u32> = r.get(9)?;
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(5)?,
        GoalFacts {
            id: r.get(2)?,
            title: r.get(3)?,
            number: r.get(4)?,
            status: WorkflowState::Backlog,
            priority: r.get(6)?,
            feature: fid.map(|f| (f, fname.unwrap_or_default(), pos.unwrap_or(0))),
            node_id: r.get(10)?,
        },
    ))
}

fn decode_facts(
    rows: impl Iterator<Item = rusqlite::Result<(i64, String, String, GoalFacts)>>,
) -> Result<Vec<FactRow>> {
    let mut out = Vec::new();
    for row in rows {
        let (rowid, app, status, mut f) = row?;
        f.status = WorkflowState::parse(&status)
            .ok_or_else(|| StoreError::Decode(format!("goal status {status}")))?;
        out.push((rowid, app, f));
    }
    Ok(out)
}

/// The facts eligibility needs, for the goals of an app it looks at (see [`FACTS`]).
pub fn facts(conn: &Connection, app_id: &str) -> Result<Vec<GoalFacts>> {
    Ok(facts_rows(conn, app_id)?
        .into_iter()
        .map(|(_, _, f)| f)
        .collect())
}

/// [`facts`] with each goal's rowid and app.
pub(crate) fn facts_rows(conn: &Connection, app_id: &str) -> Result<Vec<FactRow>> {
    let mut stmt = conn.prepare_cached(&format!("{FACTS} AND g.app_id = ?1"))?;
    let rows = stmt.query_map([app_id], fact_row)?;
    decode_facts(rows)
}

/// The facts of these goals (by rowid), of whatever app; goals that are gone or no longer
/// looked at are missing from the answer.
pub(crate) fn facts_of_rows(conn: &Connection, rowids: &[i64]) -> Result<Vec<FactRow>> {
    let mut out = Vec::new();
    for chunk in rowids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare(&format!("{FACTS} AND g.rowid IN ({marks})"))?;
        let rows = stmt.query_map(params_from_iter(chunk.iter()), fact_row)?;
        out.extend(decode_facts(rows)?);
    }
    Ok(out)
}

/// Goal count per status for an app (live goals), from the counts the triggers keep.
pub fn count_by_status(conn: &Connection, app_id: &str) -> Result<Vec<(WorkflowState, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, SUM(n) FROM goal_counts WHERE app_id = ?1 GROUP BY status HAVING SUM(n) > 0",
    )?;
    let rows = stmt
        .query_map([app_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, n)| WorkflowState::parse(&s).map(|s| (s, n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn goal(n: u32, title: &str, status: WorkflowState, priority: i32) -> Goal {
        Goal {
            id: format!("g{n:05}"),
            app_id: "a1".into(),
            number: n,
            title: title.into(),
            prompt: String::new(),
            notes: String::new(),
            status,
            priority,
            reporter_id: None,
            reporter_name: None,
            assignee: None,
            feature_id: None,
            feature_name: None,
            position: None,
            node_id: "node".into(),
            labels: vec![format!("l{}", n % 3)],
            external: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            deleted_at: None,
            candidates: None,
            pinned_node: None,
            rounds: vec![],
        }
    }

    /// A new store with app `a1`.
    fn store_with_app() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        s.write(|c| {
            Ok::<_, StoreError>(c.execute(
                "INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a1', 'a', '/a', '{}', 't', 't')",
                [],
            )?)
        })
        .unwrap();
        (dir, s)
    }

    /// Every page of a filter, walked with its cursor: the Goals, and the first page's total.
    fn walk(s: &Store, mut filter: GoalFilter) -> (Vec<Goal>, Option<u32>) {
        let (mut out, mut total) = (Vec::new(), None);
        loop {
            let page = s.read(|c| list(c, &filter)).unwrap();
            total = total.or(page.total);
            out.extend(page.goals);
            match page.next {
                Some(n) => filter.after = Some(n),
                None => return (out, total),
            }
        }
    }

    /// Every page of a search among the Goals labelled l1.
    fn all_pages(s: &Store, text: &str, statuses: Vec<WorkflowState>) -> Vec<u32> {
        let filter = GoalFilter {
            app_id: "a1".into(),
            statuses,
            label: Some("l1".into()),
            text: Some(text.into()),
            limit: 200,
            ..Default::default()
        };
        walk(s, filter).0.iter().map(|g| g.number).collect()
    }

    /// A word in thousands of goals pages by walking the priority order; a rare one by its
    /// matches. Both give what sorting every match would, with the other filters applied.
    #[test]
    fn common_and_rare_words_page_alike() {
        let (_dir, s) = store_with_app();
        s.write(|c| {
            for n in 1..=(COMMON_TEXT * 3) {
                let title = if n % 7 == 0 {
                    "rare coupon"
                } else {
                    "coupon field"
                };
                let status = if n % 2 == 0 {
                    WorkflowState::Todo
                } else {
                    WorkflowState::Backlog
                };
                insert(c, &goal(n, title, status, (n % 5) as i32))?;
            }
            insert(c, &goal(90_000, "nothing to see", WorkflowState::Todo, 9))?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let expected = |pred: &dyn Fn(u32) -> bool| {
            let mut v: Vec<u32> = (1..=(COMMON_TEXT * 3))
                .filter(|n| n % 3 == 1 && pred(*n))
                .collect();
            v.sort_by_key(|n| (std::cmp::Reverse(n % 5), *n));
            v
        };
        assert!(s.read(|c| common_text(c, "\"coupon\"*")).unwrap());
        assert!(!s.read(|c| common_text(c, "\"rare\"*")).unwrap());
        assert_eq!(all_pages(&s, "\"coupon\"*", vec![]), expected(&|_| true));
        assert_eq!(
            all_pages(&s, "\"rare\"*", vec![]),
            expected(&|n| n % 7 == 0)
        );
        assert_eq!(
            all_pages(&s, "\"coupon\"*", vec![WorkflowState::Todo]),
            expected(&|n| n % 2 == 0)
        );
        let first = s
            .read(|c| {
                list(
                    c,
                    &GoalFilter {
                        app_id: "a1".into(),
                        text: Some("\"coupon\"*".into()),
                        limit: 10,
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(first.total, Some(COMMON_TEXT * 3));
        assert_eq!(first.goals.len(), 10);
        assert!(first.goals.iter().all(|g| g.priority == 4));
    }

    /// A label filter reads the label's own rows; they follow the Goal's status, priority,
    /// labels and deletion, and page and count like any other filter.
    #[test]
    fn label_pages_follow_the_goals() {
        let (_dir, s) = store_with_app();
        s.write(|c| {
            for n in 1..=300 {
                let status = if n % 2 == 0 {
                    WorkflowState::Todo
                } else {
                    WorkflowState::Backlog
                };
                insert(c, &goal(n, "task", status, (n % 5) as i32))?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let pages = |label: &str, statuses: Vec<WorkflowState>, deleted: bool| {
            let filter = GoalFilter {
                app_id: "a1".into(),
                statuses,
                label: Some(label.into()),
                deleted,
                limit: 7,
                ..Default::default()
            };
            let (goals, total) = walk(&s, filter);
            let got: Vec<(u32, i32)> = goals.iter().map(|g| (g.number, g.priority)).collect();
            (got, total)
        };
        let by_priority = |mut v: Vec<(u32, i32)>| {
            v.sort_by_key(|(n, p)| (std::cmp::Reverse(*p), *n));
            v
        };
        let l1_todo: Vec<(u32, i32)> = (1..=300u32)
            .filter(|n| n % 3 == 1 && n % 2 == 0)
            .map(|n| (n, (n % 5) as i32))
            .collect();
        let (got, total) = pages("l1", vec![WorkflowState::Todo], false);
        assert_eq!(got, by_priority(l1_todo.clone()));
        assert_eq!(total, Some(l1_todo.len() as u32));

        // Goal 4 (l1, todo, priority 4): raised, moved on, relabelled; goal 10 deleted.
        s.write(|c| {
            let mut g = get(c, "g00004")?.unwrap();
            g.priority = 9;
            update(c, &g)?;
            let mut g = get(c, "g00016")?.unwrap();
            g.status = WorkflowState::Done;
            update(c, &g)?;
            let mut g = get(c, "g00022")?.unwrap();
            g.labels = vec!["l2".into(), "urgent".into()];
            update(c, &g)?;
            let mut g = get(c, "g00010")?.unwrap();
            g.deleted_at = Some("2026-01-02T00:00:00.000Z".into());
            update(c, &g)?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        let mut want: Vec<(u32, i32)> = l1_todo
            .iter()
            .copied()
            .filter(|(n, _)| ![16, 22, 10].contains(n))
            .map(|(n, p)| if n == 4 { (n, 9) } else { (n, p) })
            .collect();
        want = by_priority(want);
        let (got, total) = pages("l1", vec![WorkflowState::Todo], false);
        assert_eq!(got[0], (4, 9), "the raised Goal leads");
        assert_eq!(got, want);
        assert_eq!(total, Some(want.len() as u32));
        assert_eq!(pages("urgent", vec![], false).0, vec![(22, 22 % 5)]);
        assert_eq!(
            pages("l1", vec![WorkflowState::Done], false).0,
            vec![(16, 1)]
        );
        assert_eq!(
            pages("l1", vec![], true).0,
            vec![(10, 0)],
            "the trash by label"
        );
        assert!(pages("l1", vec![], false).0.iter().all(|(n, _)| *n != 10));
        let rows: u32 = s
            .read(|c| {
                Ok::<_, StoreError>(c.query_row(
                    "SELECT COUNT(*) FROM goal_labels WHERE goal_id = 'g00022'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(rows, 2, "the old label's row is gone");
    }

    /// Every connection plans a statement once, whatever its parameters (the planner's
    /// stability guarantee): without it the daemon re-prepared most cached statements on each
    /// use — `goals.create` spent a tenth of its time parsing and planning.
    #[test]
    fn every_connection_keeps_its_plans() {
        let (_dir, s) = store_with_app();
        let qpsg = rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG;
        assert!(s
            .write(|c| Ok::<_, StoreError>(c.db_config(qpsg)?))
            .unwrap());
        assert!(s.read(|c| Ok::<_, StoreError>(c.db_config(qpsg)?)).unwrap());
    }
}
