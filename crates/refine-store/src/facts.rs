//! The start rules' facts of each app, kept in memory: built from the database on first use,
//! then brought up to date from the goals the writer changed (SQLite's update hook names
//! them), so `workflow.eligible`, the dashboard and the scheduler do not read every live Goal
//! each time. Only committed state is ever read into it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use refine_model::workflow::GoalFacts;
use rusqlite::hooks::Action;
use rusqlite::Connection;

use crate::{goals, Result, Store};

#[derive(Default)]
struct Changed {
    rows: HashSet<i64>,
    /// A Feature changed (its name is in the facts): rebuild rather than patch.
    features: bool,
    /// An app or the active app (`meta`) changed.
    apps: bool,
}

impl Changed {
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && !self.features && !self.apps
    }
}

struct AppFacts {
    rows: HashMap<i64, GoalFacts>,
    /// The facts in number order, shared with readers until the next change.
    snapshot: Option<Arc<Vec<GoalFacts>>>,
}

#[derive(Default)]
pub(crate) struct FactsCache {
    /// Filled by the writer's update hook while its transaction runs.
    pending: Arc<Mutex<Changed>>,
    /// Changes whose transaction ended (committed, or rolled back: reading those again does no
    /// harm) and that the cache has not applied yet.
    dirty: Mutex<Changed>,
    apps: Mutex<HashMap<String, AppFacts>>,
    /// Bumped once a transaction that changed `apps` or `meta` ended: what was read of the
    /// apps under an older value may be out of date.
    apps_generation: AtomicU64,
    /// Answers from memory, and full reads of an app's facts.
    hits: AtomicU64,
    misses: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FactsCache {
    /// Note every goal and Feature the writer connection changes.
    pub(crate) fn watch(&self, writer: &mut Connection) -> Result<()> {
        let pending = self.pending.clone();
        writer.update_hook(Some(
            move |_: Action, _db: &str, table: &str, rowid: i64| match table {
                "goals" => {
                    lock(&pending).rows.insert(rowid);
                }
                "features" => lock(&pending).features = true,
                "apps" | "meta" => lock(&pending).apps = true,
                _ => {}
            },
        ))?;
        Ok(())
    }

    /// The writer's transaction ended: what it changed is for readers to pick up.
    pub(crate) fn flush(&self) {
        let taken = std::mem::take(&mut *lock(&self.pending));
        if taken.is_empty() {
            return;
        }
        if taken.apps {
            self.apps_generation.fetch_add(1, Ordering::SeqCst);
        }
        let mut d = lock(&self.dirty);
        d.rows.extend(taken.rows);
        d.features |= taken.features;
    }
}

impl Store {
    /// Changes with every ended transaction that wrote the `apps` or `meta` table: what a
    /// caller read of the apps after seeing one value stays true while it is unchanged (read
    /// the value first, then the apps).
    pub fn apps_generation(&self) -> u64 {
        self.facts.apps_generation.load(Ordering::SeqCst)
    }

    /// The start rules' facts of an app's live Goals (as [`goals::facts`] reads them), in
    /// number order: from memory, brought up to date with every committed change first.
    pub fn goal_facts(&self, app_id: &str) -> Result<Arc<Vec<GoalFacts>>> {
        let cache = &self.facts;
        let mut apps = lock(&cache.apps);
        let changed = std::mem::take(&mut *lock(&cache.dirty));
        if changed.features {
            apps.clear();
        } else if !changed.rows.is_empty() && !apps.is_empty() {
            let ids: Vec<i64> = changed.rows.into_iter().collect();
            match self.read(|c| goals::facts_of_rows(c, &ids)) {
                Ok(rows) => {
                    for a in apps.values_mut() {
                        for id in &ids {
                            if a.rows.remove(id).is_some() {
                                a.snapshot = None;
                            }
                        }
                    }
                    for (rowid, app, f) in rows {
                        if let Some(a) = apps.get_mut(&app) {
                            a.rows.insert(rowid, f);
                            a.snapshot = None;
                        }
                    }
                }
                Err(e) => {
                    // Nothing half-applied stays: every app is read afresh next time.
                    apps.clear();
                    return Err(e);
                }
            }
        }
        if apps.contains_key(app_id) {
            cache.hits.fetch_add(1, Ordering::Relaxed);
        } else {
            cache.misses.fetch_add(1, Ordering::Relaxed);
            let rows = self.read(|c| goals::facts_rows(c, app_id))?;
            apps.insert(
                app_id.to_string(),
                AppFacts {
                    rows: rows.into_iter().map(|(rowid, _, f)| (rowid, f)).collect(),
                    snapshot: None,
                },
            );
        }
        let a = apps.get_mut(app_id).expect("inserted above");
        let snapshot = a.snapshot.get_or_insert_with(|| {
            let mut v: Vec<GoalFacts> = a.rows.values().cloned().collect();
            v.sort_by_key(|f| f.number);
            Arc::new(v)
        });
        Ok(snapshot.clone())
    }

    /// Forget every app's facts (they are read afresh on next use); how many were kept.
    pub fn forget_goal_facts(&self) -> usize {
        let mut apps = lock(&self.facts.apps);
        let n = apps.values().map(|a| a.rows.len()).sum();
        apps.clear();
        self.facts.hits.store(0, Ordering::Relaxed);
        self.facts.misses.store(0, Ordering::Relaxed);
        n
    }

    /// (Goals whose facts are kept, about how many bytes, (hits, misses)).
    pub fn goal_facts_stats(&self) -> (usize, usize, (u64, u64)) {
        let apps = lock(&self.facts.apps);
        let (mut n, mut bytes) = (0, 0);
        for a in apps.values() {
            n += a.rows.len();
            bytes += a
                .rows
                .values()
                .map(|f| {
                    std::mem::size_of::<GoalFacts>()
                        + f.id.len()
                        + f.title.len()
                        + f.node_id.len()
                        + f.feature.as_ref().map_or(0, |x| x.0.len() + x.1.len())
                })
                .sum::<usize>();
        }
        (
            n,
            bytes,
            (
                self.facts.hits.load(Ordering::Relaxed),
                self.facts.misses.load(Ordering::Relaxed),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::work::Goal;
    use refine_model::workflow::WorkflowState;
    use rusqlite::params;

    fn goal(n: u32, status: WorkflowState, feature: Option<&str>) -> Goal {
        Goal {
            id: format!("g{n}"),
            app_id: "a1".into(),
            number: n,
            title: format!("Goal {n}"),
            prompt: String::new(),
            notes: String::new(),
            status,
            priority: 0,
            reporter_id: None,
            reporter_name: None,
            assignee: None,
            feature_id: feature.map(str::to_string),
            feature_name: None,
            position: feature.map(|_| n),
            node_id: "node".into(),
            labels: vec![],
            external: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            deleted_at: None,
            candidates: None,
            pinned_node: None,
            rounds: vec![],
        }
    }

    fn summary(s: &Store) -> Vec<(u32, WorkflowState, Option<String>)> {
        s.goal_facts("a1")
            .unwrap()
            .iter()
            .map(|f| (f.number, f.status, f.feature.as_ref().map(|x| x.1.clone())))
            .collect()
    }

    /// The kept facts always equal what the database says, after every kind of change.
    #[test]
    fn kept_facts_follow_every_committed_change() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let t = "2026-01-01T00:00:00.000Z";
        s.write(|c| {
            c.execute(
                "INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a1', 'a', '/a', '{}', ?1, ?1)",
                [t],
            )?;
            c.execute(
                "INSERT INTO features(id, app_id, name, created_at, updated_at) VALUES ('f1', 'a1', 'Checkout', ?1, ?1)",
                [t],
            )?;
            goals::insert(c, &goal(1, WorkflowState::Todo, None))?;
            goals::insert(c, &goal(2, WorkflowState::Backlog, None))?;
            goals::insert(c, &goal(3, WorkflowState::Backlog, Some("f1")))?;
            Ok::<_, crate::StoreError>(())
        })
        .unwrap();
        let check = |s: &Store| {
            let kept = summary(s);
            let fresh: Vec<_> = s
                .read(|c| goals::facts(c, "a1"))
                .unwrap()
                .into_iter()
                .map(|f| (f.number, f.status, f.feature.map(|x| x.1)))
                .collect();
            let mut fresh = fresh;
            fresh.sort_by_key(|x| x.0);
            assert_eq!(kept, fresh);
            // The trigger-kept counts agree with counting the goals.
            let mut counted = goals::count_by_status(&s.writer.lock().conn, "a1").unwrap();
            counted.sort();
            let mut direct: Vec<(WorkflowState, u32)> = s
                .read(|c| {
                    let mut st = c.prepare(
                        "SELECT status, COUNT(*) FROM goals WHERE app_id = 'a1' AND deleted_at IS NULL GROUP BY status",
                    )?;
                    let rows = st
                        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok::<_, crate::StoreError>(rows)
                })
                .unwrap()
                .into_iter()
                .map(|(st, n)| (WorkflowState::parse(&st).unwrap(), n))
                .collect();
            direct.sort();
            assert_eq!(counted, direct);
            kept
        };
        // Backlog outside a Feature is not looked at.
        assert_eq!(
            check(&s),
            vec![
                (1, WorkflowState::Todo, None),
                (3, WorkflowState::Backlog, Some("Checkout".into()))
            ]
        );
        let set = |sql: &str| {
            s.write(|c| c.execute(sql, params![]).map_err(crate::StoreError::from))
                .unwrap();
        };
        set("UPDATE goals SET status = 'todo' WHERE id = 'g2'");
        assert_eq!(check(&s).len(), 3);
        set("UPDATE goals SET status = 'done' WHERE id = 'g1'");
        assert_eq!(check(&s).iter().map(|g| g.0).collect::<Vec<_>>(), [2, 3]);
        set("UPDATE features SET name = 'Payments' WHERE id = 'f1'");
        assert_eq!(check(&s)[1].2.as_deref(), Some("Payments"));
        set("UPDATE goals SET deleted_at = '2026-01-02T00:00:00.000Z' WHERE id = 'g3'");
        assert_eq!(check(&s).len(), 1);
        // A write that fails leaves the kept facts as they were.
        let failed = s.write(|c| {
            c.execute("UPDATE goals SET status = 'plan' WHERE id = 'g2'", [])?;
            Err::<(), _>(crate::StoreError::Decode("refused".into()))
        });
        assert!(failed.is_err());
        assert_eq!(check(&s), vec![(2, WorkflowState::Todo, None)]);
        set("DELETE FROM goals WHERE id = 'g2'");
        assert!(check(&s).is_empty());
        // Unchanged: the same snapshot is handed out again.
        let a = s.goal_facts("a1").unwrap();
        let b = s.goal_facts("a1").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
