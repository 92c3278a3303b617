//! The `nodes` table (every node this one has heard of, with what it last announced) and Goal
//! pins (`goals.pinned_node`).

use crate::Cached;
use refine_model::work::Round;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Result;

/// One node as last heard of: its announcement (JSON) and when (RFC 3339, the bus's clock for
/// other nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub id: String,
    pub info: String,
    pub last_seen: String,
}

pub fn upsert(conn: &Connection, id: &str, info: &str, last_seen: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO nodes(id, info, last_seen) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET info = excluded.info, last_seen = excluded.last_seen",
        params![id, info, last_seen],
    )?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<NodeRow>> {
    let mut stmt = conn.prepare_cached("SELECT id, info, last_seen FROM nodes ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(NodeRow {
                id: r.get(0)?,
                info: r.get(1)?,
                last_seen: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<NodeRow>> {
    Ok(conn
        .row(
            "SELECT id, info, last_seen FROM nodes WHERE id = ?1",
            [id],
            |r| {
                Ok(NodeRow {
                    id: r.get(0)?,
                    info: r.get(1)?,
                    last_seen: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Forget a node (it left the cluster).
pub fn delete(conn: &Connection, id: &str) -> Result<usize> {
    Ok(conn.exec("DELETE FROM nodes WHERE id = ?1", [id])?)
}

/// Live Goals of an app by status (from the counts the triggers keep).
pub fn status_counts(conn: &Connection, app_id: &str) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, sum(n) FROM goal_counts WHERE app_id = ?1 GROUP BY status",
    )?;
    let rows = stmt
        .query_map([app_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Forget every node but `keep` (leaving a cluster).
pub fn forget_others(conn: &Connection, keep: &str) -> Result<usize> {
    Ok(conn.exec("DELETE FROM nodes WHERE id <> ?1", [keep])?)
}

/// Pin a Goal to a node, or unpin it (`None`). The row's `updated_at` moves too.
pub fn set_pin(conn: &Connection, goal_id: &str, node: Option<&str>, at: &str) -> Result<usize> {
    Ok(conn.exec(
        "UPDATE goals SET pinned_node = ?2, updated_at = ?3 WHERE id = ?1",
        params![goal_id, node, at],
    )?)
}

/// The live Goals of an app pinned to some node: (Goal id, node id).
pub fn pins(conn: &Connection, app_id: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, pinned_node FROM goals WHERE app_id = ?1 AND pinned_node IS NOT NULL AND deleted_at IS NULL",
    )?;
    let rows = stmt
        .query_map([app_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Queued Goals (todo) of every app: (app id, how many, the oldest's creation time).
pub fn queues(conn: &Connection) -> Result<Vec<(String, u32, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT app_id, count(*), min(created_at) FROM goals WHERE status = 'todo' AND deleted_at IS NULL GROUP BY app_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Goals of an app written after change number `since`: (id, updated_at, change number), in
/// the order they were written.
pub fn goals_changed_since(
    conn: &Connection,
    app_id: &str,
    since: i64,
) -> Result<Vec<(String, String, i64)>> {
    changed_since(conn, "goals", app_id, since)
}

/// Features of an app written after change number `since`, as `goals_changed_since`.
pub fn features_changed_since(
    conn: &Connection,
    app_id: &str,
    since: i64,
) -> Result<Vec<(String, String, i64)>> {
    changed_since(conn, "features", app_id, since)
}

fn changed_since(
    conn: &Connection,
    table: &str,
    app_id: &str,
    since: i64,
) -> Result<Vec<(String, String, i64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, updated_at, change_seq FROM {table} WHERE app_id = ?1 AND change_seq > ?2 ORDER BY change_seq"
    ))?;
    let rows = stmt
        .query_map(params![app_id, since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Make a Goal's Rounds exactly these (another node's copy of them). What the automation
/// recorded for a Round (`work`) stays, and so does a plan the copy does not have yet: those
/// travel in their own documents.
pub fn replace_rounds(conn: &Connection, goal_id: &str, rounds: &[Round]) -> Result<()> {
    let numbers: Vec<u32> = rounds.iter().map(|r| r.number).collect();
    conn.exec(
        "DELETE FROM rounds WHERE goal_id = ?1 AND number NOT IN (SELECT value FROM json_each(?2))",
        params![goal_id, serde_json::to_string(&numbers)?],
    )?;
    for r in rounds {
        conn.exec(
            "INSERT INTO rounds(goal_id, number, request, plan, outcome, evidence, started_at, ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(goal_id, number) DO UPDATE SET request = excluded.request,
               plan = COALESCE(excluded.plan, rounds.plan), outcome = excluded.outcome,
               evidence = excluded.evidence, started_at = excluded.started_at, ended_at = excluded.ended_at",
            params![
                goal_id,
                r.number,
                r.request,
                r.plan,
                r.outcome,
                serde_json::to_string(&r.evidence)?,
                r.started_at,
                r.ended_at
            ],
        )?;
    }
    Ok(())
}

/// A Round's plan and recorded work as another node has them (false: no such Round here yet).
pub fn set_round_evidence(
    conn: &Connection,
    goal_id: &str,
    round: u32,
    plan: Option<&str>,
    work: &str,
) -> Result<bool> {
    Ok(conn.exec(
        "UPDATE rounds SET plan = COALESCE(?3, plan), work = ?4 WHERE goal_id = ?1 AND number = ?2",
        params![goal_id, round, plan, work],
    )? > 0)
}

/// The Rounds of the live Goals `node` works or has in review: (Goal id, Round).
pub fn owned_rounds(conn: &Connection, node: &str) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, r.number FROM goals g JOIN rounds r ON r.goal_id = g.id
         WHERE g.node_id = ?1 AND g.deleted_at IS NULL
           AND g.status IN ('plan', 'implement', 'quality', 'governance', 'review')",
    )?;
    let rows = stmt
        .query_map([node], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A Feature as another node has it (created or overwritten).
pub fn upsert_feature(conn: &Connection, f: &crate::features::FeatureRow) -> Result<()> {
    conn.exec(
        "INSERT INTO features(id, app_id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, updated_at = excluded.updated_at",
        params![f.id, f.app_id, f.name, f.description, f.created_at, f.updated_at],
    )?;
    Ok(())
}

/// The node a Goal is worked on.
pub fn set_owner(conn: &Connection, goal_id: &str, node: &str, at: &str) -> Result<usize> {
    Ok(conn.exec(
        "UPDATE goals SET node_id = ?2, updated_at = ?3 WHERE id = ?1 AND node_id <> ?2",
        params![goal_id, node, at],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_upserted_listed_and_forgotten() {
        let t = tempfile::tempdir().unwrap();
        let s = crate::Store::open(&t.path().join("db")).unwrap();
        s.write(|tx| {
            upsert(tx, "b", "{\"n\":1}", "2026-01-01T00:00:00Z")?;
            upsert(tx, "a", "{}", "2026-01-01T00:00:00Z")?;
            upsert(tx, "b", "{\"n\":2}", "2026-01-01T00:00:05Z")
        })
        .unwrap();
        let all = s.read(list).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].info, "{\"n\":2}");
        assert_eq!(all[1].last_seen, "2026-01-01T00:00:05Z");
        assert_eq!(s.write(|c| forget_others(c, "a")).unwrap(), 1);
        assert!(s.read(|c| get(c, "b")).unwrap().is_none());
        assert!(s.read(|c| get(c, "a")).unwrap().is_some());
    }

    #[test]
    fn changes_are_numbered_in_commit_order_whatever_their_stamps() {
        let t = tempfile::tempdir().unwrap();
        let s = crate::Store::open(&t.path().join("db")).unwrap();
        let exec = |sql: &str| {
            s.write(|c| {
                c.execute_batch(sql)?;
                Ok::<_, crate::StoreError>(())
            })
            .unwrap()
        };
        exec(
                "INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a1', 'a', '/a', '{}', 't', 't');
                 INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a2', 'b', '/b', '{}', 't', 't');
                 INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                   VALUES ('g1', 'a1', 1, 'G', 'todo', 'n1', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.000Z');
                 INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                   VALUES ('g2', 'a1', 2, 'G', 'todo', 'n1', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:02.000Z');
                 INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                   VALUES ('g3', 'a2', 1, 'G', 'todo', 'n1', '2026-01-01T00:00:03.000Z', '2026-01-01T00:00:03.000Z');
                 INSERT INTO features(id, app_id, name, created_at, updated_at)
                   VALUES ('f1', 'a1', 'F', '2026-01-01T00:00:09.000Z', '2026-01-01T00:00:09.000Z');",
        );
        let changed = |since| s.read(|c| goals_changed_since(c, "a1", since)).unwrap();
        let all = changed(0);
        let ids: Vec<&str> = all.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(ids, ["g1", "g2"], "{all:?}");
        // A node published up to g2; g1 is then written with a stamp older than g2's (taken
        // before its write waited its turn): it still comes after the mark.
        let mark = all[1].2;
        exec("UPDATE goals SET status = 'plan', updated_at = '2026-01-01T00:00:01.500Z' WHERE id = 'g1'");
        let after = changed(mark);
        assert_eq!(after.len(), 1, "{after:?}");
        assert_eq!(after[0].0, "g1");
        assert_eq!(after[0].1, "2026-01-01T00:00:01.500Z");
        assert!(after[0].2 > mark);
        // A write that leaves the stamp alone is not a change to publish.
        exec("UPDATE goals SET position = 3 WHERE id = 'g2'");
        assert_eq!(changed(after[0].2), []);
        // Numbers are the app's own; Features have theirs.
        let other = s.read(|c| goals_changed_since(c, "a2", 0)).unwrap();
        assert_eq!(other.len(), 1);
        let fs = s.read(|c| features_changed_since(c, "a1", 0)).unwrap();
        assert_eq!(fs.len(), 1);
        exec("UPDATE features SET updated_at = '2026-01-01T00:00:00.000Z' WHERE id = 'f1'");
        let fs2 = s
            .read(|c| features_changed_since(c, "a1", fs[0].2))
            .unwrap();
        assert_eq!(fs2.len(), 1, "{fs2:?}");
    }

    #[test]
    fn another_nodes_rounds_keep_the_work_and_plan_recorded_here() {
        let t = tempfile::tempdir().unwrap();
        let s = crate::Store::open(&t.path().join("db")).unwrap();
        let round = |n: u32, plan: Option<&str>| Round {
            number: n,
            request: "first attempt".into(),
            plan: plan.map(str::to_string),
            outcome: None,
            evidence: vec![],
            started_at: "2026-01-01T00:00:00Z".into(),
            ended_at: None,
        };
        s.write(|c| {
            c.execute_batch(
                "INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a1', 'a', '/a', '{}', 't', 't');
                 INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                   VALUES ('g1', 'a1', 1, 'G', 'implement', 'n1', 't', 't');",
            )?;
            replace_rounds(c, "g1", &[round(1, Some("the plan")), round(2, None)])?;
            let w = refine_model::agents::RoundWork {
                base_commit: Some("abc".into()),
                ..Default::default()
            };
            crate::agents::set_round_work(c, "g1", 1, &w)?;
            // A copy without the plan (older) and without Round 2.
            replace_rounds(c, "g1", &[round(1, None)])
        })
        .unwrap();
        let (work, plan, rounds) = s
            .read(|c| {
                Ok::<_, crate::StoreError>((
                    crate::agents::round_work(c, "g1", 1)?,
                    c.row(
                        "SELECT plan FROM rounds WHERE goal_id = 'g1' AND number = 1",
                        [],
                        |r| r.get::<_, Option<String>>(0),
                    )?,
                    c.row(
                        "SELECT COUNT(*) FROM rounds WHERE goal_id = 'g1'",
                        [],
                        |r| r.get::<_, u32>(0),
                    )?,
                ))
            })
            .unwrap();
        assert_eq!(work.base_commit.as_deref(), Some("abc"), "the work stays");
        assert_eq!(plan.as_deref(), Some("the plan"), "the plan stays");
        assert_eq!(rounds, 1, "a Round the copy does not have goes");
        // Evidence from another node lands on an existing Round only.
        s.write(|c| {
            assert!(set_round_evidence(c, "g1", 1, Some("p"), "{}")?);
            assert!(!set_round_evidence(c, "g1", 9, None, "{}")?);
            Ok::<_, crate::StoreError>(())
        })
        .unwrap();
    }
}
