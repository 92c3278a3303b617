//! Shared work: the apps several nodes have (a clone of the same Git remote), their Features and
//! Goals in a JetStream key-value bucket every node projects into its SQLite, cluster-wide Goal
//! numbers, and leases that make one node, and only one, work a Goal.
//!
//! - `refine-work`: `f.<app key>.<feature id>` and `g.<app key>.<goal id>` hold each Feature and
//!   Goal (with its Rounds) as the node that last changed it wrote it; `n.<app key>` is the app's
//!   last Goal number (compare-and-set). The app key is a digest of the app's `origin` URL.
//! - `refine-leases`: `<goal id>` names the node working the Goal. It is taken with a create
//!   (one node wins), kept by updating it at its last revision every beat, and taken over by
//!   another node only after it went stale for the TTL. A node that fails to keep it stops the
//!   Goal's worker: it pushes and transitions nothing more for it.
//!
//! Changes made here are published after their commit (a pass over what changed since the last
//! one, so what happened while NATS was away goes out when it is back); what is heard is applied
//! when it is newer than the local copy. Both skip what they just did for the other side.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use refine_model::app::App;
use refine_model::work::Goal;
use refine_model::ApiError;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{lock, MAX_MESSAGE, STATE_VERSION};
use crate::events::kind;
use crate::{clock, Core};

/// A Goal on the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GoalDoc {
    pub state_version: u32,
    pub app_key: String,
    /// The node that wrote this copy.
    pub origin: String,
    pub goal: Goal,
}

/// A Feature on the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FeatureDoc {
    pub state_version: u32,
    pub app_key: String,
    pub origin: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What the sharing remembers between passes.
#[derive(Default)]
pub(crate) struct Shared {
    /// App id → its key (None: no `origin`, so not shared).
    keys: Mutex<HashMap<String, Option<String>>>,
    /// App id → (Goals, Features) published up to these change numbers (see
    /// `refine_store::nodes::goals_changed_since`).
    published: Mutex<HashMap<String, (i64, i64)>>,
    /// Bus key → the `updated_at` and revision of the copy last seen there (own or not): a
    /// copy is published only when newer, and only over that revision.
    seen: Mutex<HashMap<String, (String, u64)>>,
    /// Goal id → revision of the lease this node holds.
    pub(crate) leases: Mutex<HashMap<String, u64>>,
    /// Held while a lease is renewed (the beat and a step's fence must not race on a revision).
    renewing: tokio::sync::Mutex<()>,
    pub(crate) wake: tokio::sync::Notify,
    /// Since when this node has heard the whole work bucket (after each connect): before that
    /// its copy may be stale, so it takes no Goal of a shared app.
    pub(crate) synced: Mutex<Option<std::time::Instant>>,
    /// Goal id → when this node first left it to another node (see `defer_to_peer`).
    deferred: Mutex<HashMap<String, std::time::Instant>>,
    /// Round evidence (see `rounds`).
    pub(crate) rounds: super::rounds::RoundState,
}

/// How long a queued Goal left to a better-placed node waits before this node takes it anyway.
const DEFER_GRACE: Duration = Duration::from_secs(2);

/// A node's rank for a Goal: every node computes the same, so they agree whose turn it is.
fn rank(node: &str, goal: &str) -> u64 {
    let d = sha2::Sha256::digest(format!("{node}/{goal}").as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("eight bytes"))
}

/// The key of an app shared by its `origin` remote (`None` without one).
fn key_of(path: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["-C", path, "remote", "get-url", "origin"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let url = url.trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    if url.is_empty() {
        return None;
    }
    let digest = sha2::Sha256::digest(url.as_bytes());
    Some(hex::encode(&digest[..8]))
}

/// Parse and check a work document read off the bus under `key`.
pub(crate) enum WorkDoc {
    Goal(Box<GoalDoc>),
    Round(Box<super::rounds::RoundDoc>),
    Feature(FeatureDoc),
    Number,
}

pub(crate) fn parse_work(key: &str, raw: &[u8]) -> Result<WorkDoc, String> {
    if raw.len() > MAX_MESSAGE * 4 {
        return Err(format!("{key}: {} bytes, too large", raw.len()));
    }
    let mut parts = key.splitn(3, '.');
    let (kind, app, id) = (parts.next(), parts.next(), parts.next());
    if kind == Some("n") {
        return Ok(WorkDoc::Number);
    }
    let (Some(kind), Some(app), Some(id)) = (kind, app, id) else {
        return Err(format!("{key}: not a work key"));
    };
    let v: serde_json::Value =
        serde_json::from_slice(raw).map_err(|e| format!("{key}: not JSON: {e}"))?;
    let version = v["stateVersion"].as_u64().unwrap_or(0);
    if version > STATE_VERSION as u64 {
        return Err(format!(
            "{key}: cluster state version {version}, this node only {STATE_VERSION}: upgrade this node to work with it"
        ));
    }
    match kind {
        "g" => {
            let d: GoalDoc = serde_json::from_value(v).map_err(|e| format!("{key}: {e}"))?;
            if d.app_key != app || d.goal.id != id {
                return Err(format!("{key}: holds another Goal"));
            }
            crate::apps::validate_id("goal", id).map_err(|e| format!("{key}: {}", e.message))?;
            Ok(WorkDoc::Goal(Box::new(d)))
        }
        "f" => {
            let d: FeatureDoc = serde_json::from_value(v).map_err(|e| format!("{key}: {e}"))?;
            if d.app_key != app || d.id != id {
                return Err(format!("{key}: holds another Feature"));
            }
            crate::apps::validate_id("feature", id).map_err(|e| format!("{key}: {}", e.message))?;
            Ok(WorkDoc::Feature(d))
        }
        "r" => {
            let d: super::rounds::RoundDoc =
                serde_json::from_value(v).map_err(|e| format!("{key}: {e}"))?;
            d.check(key, app, id)?;
            Ok(WorkDoc::Round(Box::new(d)))
        }
        _ => Err(format!("{key}: not a work key")),
    }
}

impl Core {
    fn shared(&self) -> &Shared {
        &self.cluster().shared
    }

    /// The key an app is shared under, if it has an `origin`.
    pub(crate) async fn app_key(&self, app: &App) -> Option<String> {
        if let Some(k) = lock(&self.shared().keys).get(&app.id) {
            return k.clone();
        }
        let path = app.path.clone();
        let k = tokio::task::spawn_blocking(move || key_of(&path))
            .await
            .ok()
            .flatten();
        lock(&self.shared().keys).insert(app.id.clone(), k.clone());
        k
    }

    /// The shared app's key, when this node is in a cluster and the app is shared.
    pub(crate) async fn shared_key(&self, app_id: &str) -> Option<(super::bus::Bus, String)> {
        let bus = self.link().bus?;
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: app_id.to_string(),
            })
            .await
            .ok()?;
        Some((bus, self.app_key(&app).await?))
    }

    /// Forget the app keys (an app was added, removed or rescanned).
    pub(crate) fn forget_app_keys(&self) {
        lock(&self.shared().keys).clear();
    }

    /// The `updated_at` and revision of the copy last seen under a bus key.
    pub(crate) fn seen(&self, bus_key: &str) -> Option<(String, u64)> {
        lock(&self.shared().seen).get(bus_key).cloned()
    }

    /// Write the document `raw` under `bus_key` over the revision this node last saw of it
    /// (`seen`), and remember the new revision as seen at `at`. `Ok(false)`: another node wrote
    /// it first; it is heard next and tried again from here (the caller keeps its mark before
    /// it).
    pub(crate) async fn put_seen(
        &self,
        bus: &super::bus::Bus,
        bus_key: String,
        at: &str,
        raw: Vec<u8>,
        seen: Option<(String, u64)>,
    ) -> Result<bool, String> {
        let over = seen.map(|s| s.1);
        let Some(rev) = bus.put_work(&bus_key, raw, over).await? else {
            tracing::debug!(key = %bus_key, over, "another node wrote it first: held until heard");
            return Ok(false);
        };
        tracing::debug!(key = %bus_key, rev, "published");
        lock(&self.shared().seen).insert(bus_key, (at.to_string(), rev));
        Ok(true)
    }

    /// Publish what changed here since the last pass (everything, after a (re)connect).
    pub(crate) async fn publish_work(&self, bus: &super::bus::Bus) -> Result<usize, String> {
        let apps = self.apps_list().await.map_err(|e| e.message)?;
        let me = self.node_id().to_string();
        let mut sent = 0;
        // Shared apps' keys, and the Goals whose documents went out (their Rounds follow).
        let (mut keys, mut went) = (HashMap::new(), Vec::new());
        for app in apps {
            let Some(key) = self.app_key(&app).await else {
                continue;
            };
            keys.insert(app.id.clone(), key.clone());
            let (g_since, f_since) = lock(&self.shared().published)
                .get(&app.id)
                .cloned()
                .unwrap_or_default();
            let id = app.id.clone();
            let (gs, fs) = self
                .read(move |c| {
                    Ok((
                        refine_store::nodes::goals_changed_since(c, &id, g_since)?,
                        refine_store::nodes::features_changed_since(c, &id, f_since)?,
                    ))
                })
                .await
                .map_err(|e| e.message)?;
            // A write refused because another node wrote first keeps the mark before it, so
            // the next pass tries it again (once the other write has been heard).
            let (mut held_f, mut held_g) = (false, false);
            for (fid, at, change) in fs {
                let bus_key = format!("f.{key}.{fid}");
                let seen = self.seen(&bus_key);
                if seen.as_ref().is_none_or(|(t, _)| *t < at) {
                    let f2 = fid.clone();
                    let row = self
                        .read(move |c| refine_store::features::get_row(c, &f2))
                        .await
                        .map_err(|e| e.message)?;
                    if let Some(f) = row {
                        let doc = FeatureDoc {
                            state_version: STATE_VERSION,
                            app_key: key.clone(),
                            origin: me.clone(),
                            id: f.id,
                            name: f.name,
                            description: f.description,
                            created_at: f.created_at,
                            updated_at: f.updated_at,
                        };
                        let raw = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
                        if !self.put_seen(bus, bus_key, &at, raw, seen).await? {
                            held_f = true;
                            continue;
                        }
                        sent += 1;
                    }
                }
                if !held_f {
                    lock(&self.shared().published)
                        .entry(app.id.clone())
                        .or_default()
                        .1 = change;
                }
            }
            for (gid, at, change) in gs {
                let bus_key = format!("g.{key}.{gid}");
                let seen = self.seen(&bus_key);
                if seen.as_ref().is_none_or(|(t, _)| *t < at) {
                    let g2 = gid.clone();
                    let goal = self
                        .read(move |c| refine_store::goals::get(c, &g2))
                        .await
                        .map_err(|e| e.message)?;
                    if let Some(goal) = goal {
                        went.push(goal.id.clone());
                        let doc = GoalDoc {
                            state_version: STATE_VERSION,
                            app_key: key.clone(),
                            origin: me.clone(),
                            goal,
                        };
                        let raw = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
                        if !self.put_seen(bus, bus_key, &at, raw, seen).await? {
                            held_g = true;
                            continue;
                        }
                        sent += 1;
                    }
                }
                if !held_g {
                    lock(&self.shared().published)
                        .entry(app.id.clone())
                        .or_default()
                        .0 = change;
                }
            }
        }
        Ok(sent + self.publish_rounds(bus, &keys, went).await?)
    }

    /// Start publishing from scratch (after a (re)connect: the bus may have missed anything);
    /// what the bus holds is heard again first.
    pub(crate) fn republish_all(&self) {
        lock(&self.shared().published).clear();
        lock(&self.shared().seen).clear();
        self.sweep_rounds();
        self.shared().wake.notify_one();
    }

    /// A work document heard on the bus at `revision`.
    pub(crate) async fn heard_work(&self, key: &str, raw: &[u8], revision: u64) {
        tracing::debug!(key, revision, "heard");
        let doc = match parse_work(key, raw) {
            Ok(WorkDoc::Number) => return,
            Ok(d) => d,
            Err(why) => return self.reject(why),
        };
        let at = match &doc {
            WorkDoc::Goal(d) => d.goal.updated_at.clone(),
            WorkDoc::Feature(d) => d.updated_at.clone(),
            WorkDoc::Round(_) => String::new(),
            WorkDoc::Number => return,
        };
        {
            // Only ever forward: the watch may deliver a revision older than one this node
            // has written since (its own write's answer came first).
            let mut seen = lock(&self.shared().seen);
            if seen.get(key).is_none_or(|(_, r)| *r < revision) {
                seen.insert(key.to_string(), (at, revision));
            }
        }
        let app_key = match &doc {
            WorkDoc::Goal(d) => d.app_key.clone(),
            WorkDoc::Feature(d) => d.app_key.clone(),
            WorkDoc::Round(d) => d.app_key.clone(),
            WorkDoc::Number => return,
        };
        let own = match &doc {
            WorkDoc::Goal(d) => d.origin == self.node_id(),
            WorkDoc::Feature(d) => d.origin == self.node_id(),
            WorkDoc::Round(d) => {
                let own = d.origin == self.node_id();
                if own {
                    self.heard_own_round(key, d);
                }
                own
            }
            WorkDoc::Number => return,
        };
        if own {
            return; // this node's own write coming back
        }
        let Ok(apps) = self.apps_list().await else {
            return;
        };
        let mut local = None;
        for a in apps {
            if self.app_key(&a).await.as_deref() == Some(app_key.as_str()) {
                local = Some(a.id);
                break;
            }
        }
        let Some(app_id) = local else {
            return; // an app this node does not have
        };
        let applied = match doc {
            WorkDoc::Goal(d) => {
                let id = d.goal.id.clone();
                let applied = self.apply_goal(&app_id, d.goal).await;
                // Its Rounds' documents heard before it (or before its owner changed), read
                // again off the bus now.
                self.heard_goal_rounds(&app_key, &id, &app_id).await;
                applied
            }
            WorkDoc::Feature(d) => self.apply_feature(&app_id, d).await,
            WorkDoc::Round(d) => return self.heard_round(key, revision, *d, &app_id).await,
            WorkDoc::Number => return,
        };
        if let Err(e) = applied {
            self.reject(format!("{key}: {}", e.message));
        }
    }

    async fn apply_goal(&self, app_id: &str, mut g: Goal) -> Result<(), ApiError> {
        g.app_id = app_id.to_string();
        let rounds = std::mem::take(&mut g.rounds);
        let written = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| {
                        if let Some(r) = g.reporter_id.as_deref() {
                            if refine_store::reporters::get(tx, r)?.is_none() {
                                g.reporter_id = None;
                            }
                        }
                        if let Some(f) = g.feature_id.as_deref() {
                            if refine_store::features::get_row(tx, f)?.is_none() {
                                g.feature_id = None;
                                g.position = None;
                            }
                        }
                        match refine_store::goals::get(tx, &g.id)? {
                            Some(old) if old.updated_at >= g.updated_at => return Ok(Ok(None)),
                            Some(_) => refine_store::goals::update(tx, &g)?,
                            None => {
                                if let Some(other) =
                                    refine_store::goals::get_by_number(tx, &g.app_id, g.number)?
                                {
                                    return Ok(Err(format!(
                                        "Goal #{} is {} here and {} on the bus",
                                        g.number, other.id, g.id
                                    )));
                                }
                                refine_store::goals::insert(tx, &g)?;
                            }
                        }
                        refine_store::nodes::replace_rounds(tx, &g.id, &rounds)?;
                        refine_store::goals::get(tx, &g.id).map(Ok)
                    })
                    .map_err(ApiError::from)
            })
            .await?
            .map_err(ApiError::conflict)?;
        if let Some(g) = written {
            self.bus()
                .publish(kind::GOAL_UPDATED, Some(g.app_id.clone()), &g);
            self.wake_runner();
        }
        Ok(())
    }

    async fn apply_feature(&self, app_id: &str, d: FeatureDoc) -> Result<(), ApiError> {
        let row = refine_store::features::FeatureRow {
            id: d.id.clone(),
            app_id: app_id.to_string(),
            name: d.name,
            description: d.description,
            created_at: d.created_at,
            updated_at: d.updated_at.clone(),
        };
        let id = d.id.clone();
        let f = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| {
                        if let Some(old) = refine_store::features::get_row(tx, &row.id)? {
                            if old.updated_at >= row.updated_at {
                                return Ok(None);
                            }
                        }
                        refine_store::nodes::upsert_feature(tx, &row)?;
                        refine_store::features::get(tx, &row.id)
                    })
                    .map_err(ApiError::from)
            })
            .await?;
        let _ = id;
        if let Some(f) = f {
            self.bus()
                .publish(kind::FEATURE_UPDATED, Some(app_id.to_string()), &f);
            self.wake_runner();
        }
        Ok(())
    }

    /// The number for a new Goal of a shared app: the cluster's next (compare-and-set on the
    /// bus), never below this node's own next. `None`: not shared (the local next is used); a
    /// 503 while the bus is away (two nodes must never make the same number).
    pub(crate) async fn cluster_number(&self, app_id: &str) -> Result<Option<u32>, ApiError> {
        self.cluster_numbers(app_id, 1).await
    }

    /// `count` consecutive numbers for new Goals of a shared app (an import's batch): the first.
    pub(crate) async fn cluster_numbers(
        &self,
        app_id: &str,
        count: u32,
    ) -> Result<Option<u32>, ApiError> {
        let Some((bus, key)) = self.shared_key(app_id).await else {
            return Ok(None);
        };
        let away = || {
            ApiError::unavailable(
                "the cluster is unreachable: this app is shared, and its Goals take their numbers from the cluster; nothing was saved, try again when it is back",
            )
        };
        if !self.link().connected {
            return Err(away());
        }
        let id = app_id.to_string();
        let local = self
            .read(move |c| refine_store::goals::next_number(c, &id))
            .await?;
        match bus.next_number(&key, local, count).await {
            Ok(n) => Ok(Some(n)),
            Err(e) => {
                tracing::warn!(error = %e, "could not take a Goal number from the cluster");
                Err(away())
            }
        }
    }

    /// Take the lease of a Goal of a shared app (true when this node may work it; always true
    /// outside a cluster or for an app nobody else has).
    pub(crate) async fn take_goal(&self, goal_id: &str, app_id: &str) -> bool {
        let link = self.link();
        if link.config.is_none() {
            return true;
        }
        let Ok(app) = self
            .apps_get(crate::apps::AppIdInput {
                id: app_id.to_string(),
            })
            .await
        else {
            return false;
        };
        if self.app_key(&app).await.is_none() {
            return true; // nobody else has this app
        }
        // A shared app while the bus is away, or before this node heard it all: wait.
        let (Some(bus), true) = (link.bus, link.connected && self.synced_for().is_some()) else {
            return false;
        };
        if lock(&self.shared().leases).contains_key(goal_id) {
            return true;
        }
        let ttl = Duration::from_secs(self.link().config.map_or(15, |c| c.ttl_secs) as u64);
        match bus.take_lease(goal_id, self.node_id(), ttl).await {
            Ok(Some(rev)) => {
                lock(&self.shared().leases).insert(goal_id.to_string(), rev);
                // Only from a current copy: the Goal may have moved on elsewhere while this node
                // was not listening (suspended, say) and its lease been let go since. Holding
                // the lease, read the bus's copy; if it is newer than ours, take it in, let the
                // lease go, and decide again at the next pass.
                if !self.current_with_bus(&bus, &app, goal_id).await {
                    self.release(goal_id).await;
                    return false;
                }
                // Every node sees who works it.
                let (g, me) = (goal_id.to_string(), self.node_id().to_string());
                let owned = self
                    .record(move |tx| {
                        refine_store::nodes::set_owner(tx, &g, &me, &clock::now()).map(|_| ())
                    })
                    .await;
                if let Err(e) = owned {
                    // The lease still guards the Goal here (see `apply_round`).
                    tracing::warn!(goal = goal_id, error = %e.message, "could not record this node as the Goal's");
                }
                self.shared().wake.notify_one();
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::debug!(goal = goal_id, error = %e, "could not take a lease");
                false
            }
        }
    }

    /// Whether this node's copy of a Goal is as new as the bus's (which is taken in if newer).
    async fn current_with_bus(&self, bus: &super::bus::Bus, app: &App, goal_id: &str) -> bool {
        let Some(key) = self.app_key(app).await else {
            return true;
        };
        let bus_key = format!("g.{key}.{goal_id}");
        let (value, revision) = match bus.work_entry(&bus_key).await {
            Ok(Some(e)) => e,
            Ok(None) => return true, // never published: this node has the only copy
            Err(e) => {
                tracing::debug!(goal = goal_id, error = %e, "could not read a Goal off the bus");
                return false;
            }
        };
        let before = self.get_goal_any(goal_id).await.ok().map(|g| g.updated_at);
        self.heard_work(&bus_key, &value, revision).await;
        let after = self.get_goal_any(goal_id).await.ok().map(|g| g.updated_at);
        before.is_some() && before == after
    }

    /// Give a Goal's lease back (its worker ended here). A worker that ended because its Goal
    /// moved on elsewhere (this node was suspended past its lease, and another node took it)
    /// says so, as when a beat finds the lease lost.
    pub(crate) async fn release(&self, goal_id: &str) {
        // Not while a renewal is under way: it would put back the revision it renewed.
        let rev = {
            let _one = self.shared().renewing.lock().await;
            lock(&self.shared().leases).remove(goal_id)
        };
        tracing::debug!(goal = goal_id, rev, "releasing a lease");
        if let (Some(rev), Some(bus)) = (rev, self.link().bus) {
            if let Err(why) = bus.drop_lease(goal_id, self.node_id(), rev).await {
                self.lease_lost(goal_id, &why).await;
            }
        }
    }

    /// Whether a queued Goal of a shared app is better left, for now, to another node. The nodes
    /// up, not draining and with room, that run the fewest Goals are preferred; among them, the
    /// one ranking highest for this Goal. Every node reaches the same answer from the same
    /// announcements, so queued Goals spread over the cluster rather than going to whichever
    /// node polls first. Left this way for more than `DEFER_GRACE` (the preferred node may not
    /// have the app, or its announcement was stale), a Goal is taken here anyway.
    pub(crate) async fn defer_to_peer(&self, goal_id: &str, app_id: &str) -> bool {
        if self.shared_key(app_id).await.is_none() {
            return false;
        }
        let Ok(nodes) = self.nodes_list().await else {
            return false;
        };
        let room: Vec<&super::NodeInfo> = nodes
            .iter()
            .filter(|n| n.health == super::NodeHealth::Up && !n.draining && n.load < n.capacity)
            .collect();
        let fewest = room.iter().map(|n| n.load).min();
        let best = room
            .iter()
            .filter(|n| Some(n.load) == fewest)
            .max_by_key(|n| rank(&n.id, goal_id));
        let mut deferred = lock(&self.shared().deferred);
        deferred.retain(|_, since| since.elapsed() < Duration::from_secs(60));
        if best.is_none_or(|b| b.is_self) {
            deferred.remove(goal_id);
            return false;
        }
        let since = *deferred
            .entry(goal_id.to_string())
            .or_insert_with(std::time::Instant::now);
        since.elapsed() < DEFER_GRACE
    }

    /// Keep every lease this node holds; a lease lost stops its Goal's worker at once.
    pub(crate) async fn keep_leases(&self, bus: &super::bus::Bus) {
        let _one = self.shared().renewing.lock().await;
        let held: Vec<(String, u64)> = lock(&self.shared().leases)
            .iter()
            .map(|(g, r)| (g.clone(), *r))
            .collect();
        for (goal, rev) in held {
            match bus.keep_lease(&goal, self.node_id(), rev).await {
                Ok(new) => {
                    lock(&self.shared().leases).insert(goal, new);
                }
                Err(super::bus::LeaseLost::Lost(why)) => {
                    tracing::debug!(goal = %goal, why, "a beat found a lease lost");
                    self.lost_lease_here(&goal);
                    self.lease_lost(&goal, &why).await;
                    self.stop_goal_work(&goal).await;
                }
                Err(super::bus::LeaseLost::Unknown(e)) => {
                    tracing::debug!(goal = %goal, error = %e, "could not renew a lease");
                }
            }
        }
    }

    /// Renew the lease of a Goal of a shared app now; `Err` when this node does not hold it (it
    /// must change nothing more for it). Outside a cluster, or for an app nobody shares: `Ok`.
    pub(crate) async fn fence(&self, goal_id: &str, app_id: &str) -> Result<(), String> {
        let Some((bus, _)) = self.shared_key(app_id).await else {
            return Ok(());
        };
        let mut said = false;
        loop {
            let Some(renewed) = self.renew_lease(&bus, goal_id).await else {
                return Err("this node holds no lease for it".into());
            };
            match renewed {
                Ok(_) => {
                    if said {
                        tracing::info!(goal = goal_id, "the cluster is back: landing the step");
                    }
                    return Ok(());
                }
                Err(super::bus::LeaseLost::Lost(why)) => {
                    self.lost_lease_here(goal_id);
                    self.lease_lost(goal_id, &why).await;
                    return Err(why);
                }
                // The bus is away: the lease may still be ours, so the step waits for the bus
                // (the work done so far is kept) rather than landing unfenced or being lost.
                Err(super::bus::LeaseLost::Unknown(e)) => {
                    if *self.shutdown_signal().borrow() {
                        return Err(format!("the cluster is unreachable: {e}"));
                    }
                    if !said {
                        said = true;
                        tracing::warn!(goal = goal_id, error = %e, "the cluster is unreachable: this step lands when it is back");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Renew the lease of a Goal this node holds, now (`None`: it holds none). The new revision
    /// is recorded before another renewal may read it.
    async fn renew_lease(
        &self,
        bus: &super::bus::Bus,
        goal_id: &str,
    ) -> Option<Result<u64, super::bus::LeaseLost>> {
        let _one = self.shared().renewing.lock().await;
        let rev = lock(&self.shared().leases).get(goal_id).copied()?;
        let renewed = bus.keep_lease(goal_id, self.node_id(), rev).await;
        if let Ok(new) = renewed {
            lock(&self.shared().leases).insert(goal_id.to_string(), new);
        }
        Some(renewed)
    }

    /// Whether this node still holds a Goal's lease, renewed right now: its new revision, or
    /// `None` when it holds none (a lease found lost stops the Goal's worker, as in a beat).
    /// `Err` when the bus did not answer.
    pub(crate) async fn confirm_lease(
        &self,
        bus: &super::bus::Bus,
        goal_id: &str,
    ) -> Result<Option<u64>, String> {
        match self.renew_lease(bus, goal_id).await {
            None => Ok(None),
            Some(Ok(rev)) => Ok(Some(rev)),
            Some(Err(super::bus::LeaseLost::Lost(why))) => {
                self.lost_lease_here(goal_id);
                self.lease_lost(goal_id, &why).await;
                self.stop_goal_work(goal_id).await;
                Ok(None)
            }
            Some(Err(super::bus::LeaseLost::Unknown(e))) => Err(e),
        }
    }

    /// This node no longer holds a Goal's lease: it forgets it, and the changes of its Rounds
    /// not yet published are dropped (nothing more of the Goal goes out from here).
    pub(crate) fn lost_lease_here(&self, goal_id: &str) {
        lock(&self.shared().leases).remove(goal_id);
        self.forget_round_changes(goal_id);
    }

    /// Push a Round's candidate to a shared app's remote, on the Round's branch (forced: a Round
    /// redone by a node that took the Goal over replaces it), so the other nodes and people see
    /// it. Called only once the step is fenced; a failure is a notice, not a failed step.
    pub(crate) async fn push_candidate(&self, goal: &Goal, round: u32) {
        if self.shared_key(&goal.app_id).await.is_none() {
            return;
        }
        let id = goal.id.clone();
        let Ok(w) = self
            .read(move |c| refine_store::agents::round_work(c, &id, round))
            .await
        else {
            return;
        };
        let (Some(commit), Some(branch), Some(tree)) = (w.candidate_commit, w.branch, w.worktree)
        else {
            return;
        };
        self.push_to_origin(
            goal,
            std::path::PathBuf::from(tree),
            format!("{commit}:refs/heads/{branch}"),
            true,
            format!("the candidate of round {round}"),
        )
        .await;
    }

    /// Push `spec` from the clone or worktree `dir` to the app's `origin` (`force`: replace what
    /// is there). A failure is a notice on the Goal naming `what` was not pushed.
    pub(crate) async fn push_to_origin(
        &self,
        goal: &Goal,
        dir: std::path::PathBuf,
        spec: String,
        force: bool,
        what: String,
    ) {
        let pushed = self
            .blocking(move |_| {
                let mut args = vec!["push", "--quiet"];
                if force {
                    args.push("--force");
                }
                args.extend(["origin", spec.as_str()]);
                crate::publish::git(&dir, &args).map_err(ApiError::internal)
            })
            .await;
        if let Err(e) = pushed {
            self.notice(
                &goal.app_id,
                &goal.id,
                format!(
                    "Goal #{}: could not push {what} to origin: {}",
                    goal.number, e.message
                ),
            )
            .await;
        }
    }

    /// A Round's candidate another node pushed to a shared app's remote (see `push_candidate`),
    /// fetched into this clone as the Round's branch: `(base, candidate)`, the base being where
    /// the candidate branched from `base`'s history. `None` when the app is not shared or the
    /// remote has no such branch.
    pub(crate) async fn fetch_candidate(
        &self,
        app: &App,
        branch: &str,
        base: &str,
    ) -> Option<(String, String)> {
        self.app_key(app).await?;
        let (repo, branch, base) = (
            std::path::PathBuf::from(&app.path),
            branch.to_string(),
            base.to_string(),
        );
        self.blocking(move |_| {
            let found = || -> Option<(String, String)> {
                let git = |args: &[&str]| crate::publish::git(&repo, args).ok();
                let spec = format!("+refs/heads/{branch}:refs/heads/{branch}");
                git(&["fetch", "--quiet", "origin", &spec])?;
                let tip = git(&[
                    "rev-parse",
                    "--verify",
                    &format!("refs/heads/{branch}^{{commit}}"),
                ])?;
                let from = git(&["merge-base", &tip, &base])?;
                let (from, tip) = (from.trim().to_string(), tip.trim().to_string());
                (from != tip).then_some((from, tip))
            };
            Ok(found())
        })
        .await
        .ok()
        .flatten()
    }

    /// Say that this node lost a Goal's lease, so it stopped working the Goal and changed
    /// nothing more for it.
    async fn lease_lost(&self, goal_id: &str, why: &str) {
        let Ok(g) = self.get_goal_any(goal_id).await else {
            return;
        };
        self.notice(
            &g.app_id,
            goal_id,
            format!(
                "Stopped working Goal #{} here: {why} (this node lost its lease, so it changes nothing more for it)",
                g.number
            ),
        )
        .await;
    }

    /// How long this node has had the whole work bucket.
    pub(crate) fn synced_for(&self) -> Option<Duration> {
        lock(&self.shared().synced).map(|t| t.elapsed())
    }

    pub(crate) fn set_synced(&self, yes: bool) {
        let mut s = lock(&self.shared().synced);
        match (yes, s.is_some()) {
            (true, false) => {
                *s = Some(std::time::Instant::now());
                drop(s);
                tracing::info!("heard all of the cluster's shared work");
                self.wake_runner();
            }
            (false, _) => *s = None,
            _ => {}
        }
    }

    /// Goals of a shared app another node was working when it went down: this node may take
    /// them over (their leases went stale) and go on from where they stand. Only once this node
    /// has been in touch for a TTL (it has heard every live node by then).
    pub(crate) async fn orphans(&self, app_id: &str) -> Vec<String> {
        let ttl = Duration::from_secs(self.link().config.map_or(15, |c| c.ttl_secs) as u64);
        if self.shared_key(app_id).await.is_none() || self.synced_for().is_none_or(|d| d < ttl) {
            return Vec::new();
        }
        // Not until connected for a TTL: after a reconnect, every live node has announced
        // itself by then, so none is taken for down because this node was not listening.
        let link = self.link();
        if !link.connected
            || link
                .since
                .as_deref()
                .and_then(super::age)
                .is_none_or(|a| a < ttl)
        {
            return Vec::new();
        }
        let Ok(nodes) = self.nodes_list().await else {
            return Vec::new();
        };
        let down: std::collections::HashSet<String> = nodes
            .into_iter()
            .filter(|n| n.health == super::NodeHealth::Down)
            .map(|n| n.id)
            .collect();
        if down.is_empty() {
            return Vec::new();
        }
        let app = app_id.to_string();
        let facts = match self
            .blocking(move |core| core.facts_and_verdicts(&app))
            .await
        {
            Ok((facts, _)) => facts,
            Err(_) => return Vec::new(),
        };
        facts
            .iter()
            .filter(|g| g.status.is_running() && down.contains(&g.node_id))
            .map(|g| g.id.clone())
            .collect()
    }
}
