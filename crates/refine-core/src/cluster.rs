//! Nodes and the cluster. Every daemon is a node with a stable id (made once per data dir), a
//! name, its host, version, installed agent profiles, capacity and load. Alone it is a cluster of
//! one and needs nothing else. Joined to NATS (`cluster.join`, or `refine --serve --cluster URL`)
//! it announces itself every heartbeat in a JetStream key-value bucket and watches everyone
//! else's announcements there: a node not heard from for the cluster's TTL is down. Draining
//! another node is a key in a second bucket that node watches. Whatever comes off the bus is
//! validated like any input (size, shape, key, state version) and a bad message is logged and
//! counted, never applied. See [`bus`] for the NATS side.

pub(crate) mod bus;
pub(crate) mod decide;
pub(crate) mod rounds;
pub(crate) mod share;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use refine_model::workflow::WorkflowState;
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::events::kind;
use crate::pipeline::{Change, Mutated};
use crate::{clock, Core, Ctx};

/// The version of what nodes put on the bus. A node hearing a newer one says so and ignores it.
pub const STATE_VERSION: u32 = 1;

/// The longest announcement or control message accepted from the bus.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// A mutex's guard, also after a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

const META_CONFIG: &str = "cluster";
const META_NAME: &str = "node_name";
const META_DRAINING: &str = "node_draining";

/// Whether a node is heard from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeHealth {
    /// Heard from within the cluster's TTL (this node itself always is).
    Up,
    /// Not heard from for longer than the TTL.
    Down,
    /// This node cannot reach the bus, so it cannot tell.
    Unknown,
}

/// A Goal a node is working on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeGoal {
    pub goal_id: String,
    pub app_id: String,
    pub number: u32,
    pub title: String,
    pub phase: String,
    pub started_at: String,
}

/// What a node says about itself on the bus (and what `nodes.list` shows, with its health).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Announcement {
    pub state_version: u32,
    pub id: String,
    pub name: String,
    pub host: String,
    pub version: String,
    /// Agent profiles whose CLI is installed on that node.
    pub profiles: Vec<String>,
    /// Goals it runs at once (`runner.maxConcurrentGoals`).
    pub capacity: u32,
    /// Goals it runs now.
    pub load: u32,
    /// Finishing its running work and taking no new.
    pub draining: bool,
    pub running: Vec<NodeGoal>,
    pub started_at: String,
}

/// One node as this node knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub id: String,
    pub name: String,
    pub host: String,
    pub version: String,
    pub profiles: Vec<String>,
    pub capacity: u32,
    pub load: u32,
    pub draining: bool,
    pub running: Vec<NodeGoal>,
    pub started_at: String,
    pub health: NodeHealth,
    /// When it was last heard from.
    pub last_seen: String,
    /// This node (the one answering).
    pub is_self: bool,
}

impl NodeInfo {
    fn from(a: Announcement, health: NodeHealth, last_seen: String, is_self: bool) -> NodeInfo {
        NodeInfo {
            id: a.id,
            name: a.name,
            host: a.host,
            version: a.version,
            profiles: a.profiles,
            capacity: a.capacity,
            load: a.load,
            draining: a.draining,
            running: a.running,
            started_at: a.started_at,
            health,
            last_seen,
            is_self,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeIdInput {
    /// A node id, or a node's name.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrainInput {
    /// A node id or name.
    pub id: String,
    /// `true` (default): finish running work and take no new; `false`: take work again.
    #[serde(default = "yes")]
    pub drain: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignInput {
    /// The Goal (`#12`, `12` or its id).
    pub goal_id: String,
    /// The node (id or name) it must run on; `null` unpins it.
    #[serde(default)]
    pub node_id: Option<String>,
}

/// How this node stands with the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMode {
    /// One machine, no NATS.
    Standalone,
    /// Joined: announcing to and hearing from the other nodes through NATS.
    Connected,
    /// Joined, but NATS does not answer: local work goes on; it reconnects by itself.
    Unreachable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinInput {
    /// NATS server URLs (`nats://host:4222`; `tls://` for TLS). Non-loopback servers must use TLS.
    pub urls: Vec<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Stored with the node's secrets; never shown again.
    #[serde(default)]
    pub password: Option<String>,
    /// This node's name in the cluster (default: the host name).
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds without a heartbeat before a node counts as down (3–300, default 15).
    #[serde(default)]
    pub ttl_secs: Option<u32>,
}

/// The stored cluster configuration (the password is never shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClusterConfig {
    pub urls: Vec<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub ttl_secs: u32,
}

/// One app's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppQueue {
    pub app_id: String,
    pub app_name: String,
    /// Goals waiting in todo.
    pub depth: u32,
    /// When the oldest of them was created.
    pub oldest: Option<String>,
    /// Goals being worked on (plan … governance).
    pub running: u32,
    /// Goals waiting for a person in review.
    pub review: u32,
}

/// Fleet-wide counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetCounts {
    pub nodes: u32,
    pub up: u32,
    pub down: u32,
    pub draining: u32,
    /// Goals the nodes that are up run at once, together.
    pub capacity: u32,
    /// Goals they run now.
    pub load: u32,
    pub queued: u32,
    pub review: u32,
}

/// `cluster.status`: membership, health, queues and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    pub mode: ClusterMode,
    pub node_id: String,
    pub node_name: String,
    /// The NATS servers (empty when standalone).
    pub urls: Vec<String>,
    pub user: Option<String>,
    /// Seconds without a heartbeat before a node counts as down.
    pub ttl_secs: u32,
    /// Why NATS cannot be reached, when it cannot.
    pub error: Option<String>,
    /// When this node was last connected to NATS.
    pub connected_since: Option<String>,
    /// Messages from the bus refused (malformed, oversized, a newer state version), and the
    /// last reasons.
    pub rejected: u32,
    pub problems: Vec<String>,
    pub nodes: Vec<NodeInfo>,
    pub queues: Vec<AppQueue>,
    pub counts: FleetCounts,
}

/// What `cluster.join` / `cluster.leave` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterMembership {
    pub mode: ClusterMode,
    pub node_id: String,
    pub node_name: String,
    pub urls: Vec<String>,
}

/// The live side of the cluster: the connection, what it last said, the rejections.
#[derive(Default)]
pub(crate) struct ClusterState {
    pub(crate) link: Mutex<Link>,
    pub(crate) rejected: AtomicU64,
    pub(crate) problems: Mutex<std::collections::VecDeque<String>>,
    /// Stops the running connection's tasks (a new join or a leave replaces it).
    pub(crate) stop: Mutex<Option<tokio::sync::watch::Sender<bool>>>,
    /// The health each other node had when last looked at (to announce changes once).
    pub(crate) seen_health: Mutex<std::collections::HashMap<String, NodeHealth>>,
    /// Shared apps' Features and Goals, numbers and leases.
    pub(crate) shared: share::Shared,
}

#[derive(Default, Clone)]
pub(crate) struct Link {
    pub(crate) config: Option<ClusterConfig>,
    pub(crate) connected: bool,
    pub(crate) error: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) bus: Option<bus::Bus>,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A node name: 1–64 characters of letters, digits, `.`, `-` and `_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ApiError::invalid(format!(
            "name: 1–64 letters, digits, '.', '-' or '_', got {name:?}"
        )));
    }
    Ok(())
}

/// Parse and check an announcement read off the bus under `key`.
pub(crate) fn parse_announcement(key: &str, raw: &[u8]) -> Result<Announcement, String> {
    if raw.len() > MAX_MESSAGE {
        return Err(format!(
            "{key}: {} bytes, more than the {MAX_MESSAGE} accepted",
            raw.len()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(raw).map_err(|e| format!("{key}: not JSON: {e}"))?;
    let version = v["stateVersion"].as_u64().unwrap_or(0);
    if version > STATE_VERSION as u64 {
        return Err(format!(
            "node {} speaks cluster state version {version}, this node only {STATE_VERSION}: upgrade this node to work with it",
            v["name"].as_str().or(v["id"].as_str()).unwrap_or(key)
        ));
    }
    let a: Announcement =
        serde_json::from_value(v).map_err(|e| format!("{key}: not an announcement: {e}"))?;
    if a.state_version != STATE_VERSION {
        return Err(format!(
            "{key}: state version {} is not {STATE_VERSION}",
            a.state_version
        ));
    }
    if a.id != key {
        return Err(format!("{key}: announces node {} under another key", a.id));
    }
    crate::apps::validate_id("node", &a.id).map_err(|e| format!("{key}: {}", e.message))?;
    check_name(&a.name).map_err(|e| format!("{key}: {}", e.message))?;
    if a.running.len() > 1000 || a.profiles.len() > 100 {
        return Err(format!("{key}: too many entries"));
    }
    Ok(a)
}

impl Core {
    /// A write that is not a person's request (no activity entry, no event): what the node
    /// records for itself.
    async fn record<F>(&self, f: F) -> Result<(), ApiError>
    where
        F: FnOnce(&refine_store::rusqlite::Connection) -> refine_store::Result<()> + Send + 'static,
    {
        self.blocking(move |core| core.0.store.write(f).map_err(ApiError::from))
            .await
    }

    pub(crate) fn cluster(&self) -> &ClusterState {
        &self.0.cluster
    }

    pub(crate) fn link(&self) -> Link {
        self.cluster()
            .link
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn node_name(&self) -> String {
        self.0
            .store
            .read(|c| refine_store::meta::get(c, META_NAME))
            .ok()
            .flatten()
            .unwrap_or_else(host_name)
    }

    /// Whether this node takes no new work.
    pub(crate) fn draining(&self) -> bool {
        self.0
            .store
            .read(|c| refine_store::meta::get(c, META_DRAINING))
            .ok()
            .flatten()
            .is_some()
    }

    /// What this node says about itself now.
    pub(crate) async fn announcement(&self) -> Announcement {
        let capacity = self
            .effective_settings(None)
            .await
            .map(|s| s.runner.max_concurrent_goals)
            .unwrap_or(1);
        let mut profiles = Vec::new();
        if let Ok(all) = self.all_profiles().await {
            for p in all {
                let (state, _) = self.detection_state(&p).await;
                if state == refine_model::agents::DetectionState::Installed {
                    profiles.push(p.name);
                }
            }
        }
        let mut running: Vec<NodeGoal> = self
            .workers()
            .into_iter()
            .map(|w| NodeGoal {
                goal_id: w.goal_id,
                app_id: w.app_id,
                number: w.goal_number,
                title: w.goal_title,
                phase: w.phase,
                started_at: w.started_at,
            })
            .collect();
        running.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        let core = self.clone();
        let (name, draining) =
            tokio::task::spawn_blocking(move || (core.node_name(), core.draining()))
                .await
                .unwrap_or_else(|_| (host_name(), false));
        Announcement {
            state_version: STATE_VERSION,
            id: self.node_id().to_string(),
            name,
            host: host_name(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            profiles,
            capacity,
            load: running.len() as u32,
            draining,
            running,
            started_at: self.0.started_at.clone(),
        }
    }

    fn ttl(&self, link: &Link) -> Duration {
        Duration::from_secs(link.config.as_ref().map_or(15, |c| c.ttl_secs) as u64)
    }

    /// Every node this one knows, itself first.
    async fn known_nodes(&self) -> Result<Vec<NodeInfo>, ApiError> {
        let me = self.announcement().await;
        let link = self.link();
        let mut out = vec![NodeInfo::from(me, NodeHealth::Up, clock::now(), true)];
        if link.config.is_none() {
            return Ok(out);
        }
        let ttl = self.ttl(&link);
        let me = self.node_id().to_string();
        let rows = self.read(refine_store::nodes::list).await?;
        for r in rows.into_iter().filter(|r| r.id != me) {
            let Ok(a) = serde_json::from_str::<Announcement>(&r.info) else {
                continue;
            };
            let health = if !link.connected {
                NodeHealth::Unknown
            } else if age(&r.last_seen).is_some_and(|a| a <= ttl) {
                NodeHealth::Up
            } else {
                NodeHealth::Down
            };
            out.push(NodeInfo::from(a, health, r.last_seen, false));
        }
        out[1..].sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// A node by id or name.
    async fn find_node(&self, id: &str) -> Result<NodeInfo, ApiError> {
        let id = id.trim();
        let nodes = self.known_nodes().await?;
        if let Some(n) = nodes.iter().find(|n| n.id == id) {
            return Ok(n.clone());
        }
        let named: Vec<&NodeInfo> = nodes.iter().filter(|n| n.name == id).collect();
        match named.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(ApiError::not_found(format!(
                "no node {id:?}; see nodes.list"
            ))),
            _ => Err(ApiError::conflict(format!(
                "{} nodes are named {id:?}; use the node's id",
                named.len()
            ))),
        }
    }

    /// `nodes.list`
    pub async fn nodes_list(&self) -> Result<Vec<NodeInfo>, ApiError> {
        self.known_nodes().await
    }

    /// `nodes.get`
    pub async fn nodes_get(&self, i: NodeIdInput) -> Result<NodeInfo, ApiError> {
        self.find_node(&i.id).await
    }

    /// `nodes.drain`: this node (or, in a cluster, another) finishes its running work and
    /// takes no new; `drain: false` takes work again.
    pub async fn nodes_drain(
        &self,
        ctx: &Ctx,
        i: DrainInput,
    ) -> Result<Mutated<NodeInfo>, ApiError> {
        let node = self.find_node(&i.id).await?;
        let drain = i.drain;
        if node.draining == drain {
            return Err(ApiError::conflict(format!(
                "node {} is {} draining",
                node.name,
                if drain { "already" } else { "not" }
            )));
        }
        if !node.is_self {
            // Another node applies it when it hears the request on the bus.
            let Some(bus) = self.link().bus.filter(|_| self.link().connected) else {
                return Err(ApiError::unavailable(
                    "the cluster is unreachable: another node can only be drained through NATS",
                ));
            };
            let prepare = async move {
                bus.request_drain(&node.id, drain)
                    .await
                    .map_err(ApiError::unavailable)?;
                Ok(node)
            };
            return self
                .mutate(ctx, &i, prepare, move |_, mut n: NodeInfo| {
                    n.draining = drain;
                    let change = Change::new(format!(
                        "{} node {}",
                        if drain {
                            "Asked to drain"
                        } else {
                            "Asked to undrain"
                        },
                        n.name
                    ))
                    .target(n.id.clone())
                    .event(kind::NODES_UPDATED, &n);
                    Ok((n, change))
                })
                .await;
        }
        let out = self
            .mutate(ctx, &i, async { Ok(node) }, move |tx, mut n: NodeInfo| {
                if drain {
                    refine_store::meta::set(tx, META_DRAINING, &clock::now())?;
                } else {
                    refine_store::meta::delete(tx, META_DRAINING)?;
                }
                n.draining = drain;
                let change = Change::new(format!(
                    "{} node {}",
                    if drain { "Draining" } else { "Undrained" },
                    n.name
                ))
                .target(n.id.clone())
                .event(kind::NODES_UPDATED, &n);
                Ok((n, change))
            })
            .await?;
        // The bus keeps the same word, so a later drain request is read against this one.
        if let Some(bus) = self.link().bus {
            if let Err(e) = bus.request_drain(self.node_id(), drain).await {
                tracing::debug!(error = %e, "could not record the drain state on the bus");
            }
        }
        self.wake_runner();
        self.announce_now();
        Ok(out)
    }

    /// Apply a drain request heard on the bus (not a person's request on this node: no activity
    /// entry here; the asking node wrote one).
    pub(crate) async fn apply_drain(&self, drain: bool) {
        if self.draining() == drain {
            return;
        }
        let r = self
            .record(move |tx| {
                if drain {
                    refine_store::meta::set(tx, META_DRAINING, &clock::now())
                } else {
                    refine_store::meta::delete(tx, META_DRAINING)
                }
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e.message, "could not apply a drain request from the cluster");
            return;
        }
        tracing::info!(
            drain,
            "the cluster asked this node to {}",
            if drain { "drain" } else { "take work again" }
        );
        if let Ok(n) = self.find_node(self.node_id()).await {
            self.bus().publish(kind::NODES_UPDATED, None, &n);
        }
        self.wake_runner();
        self.announce_now();
    }

    /// `goals.assign`: pin a Goal to a node (it runs nowhere else) or unpin it.
    pub async fn goals_assign(
        &self,
        ctx: &Ctx,
        i: AssignInput,
    ) -> Result<Mutated<refine_model::work::Goal>, ApiError> {
        let node = match &i.node_id {
            Some(n) => Some(self.find_node(n).await?),
            None => None,
        };
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: i.goal_id.clone(),
                },
            )
            .await?;
        if matches!(goal.status, WorkflowState::Done | WorkflowState::Cancelled) {
            return Err(ApiError::conflict(format!(
                "Goal #{} is {}: there is nothing left to run",
                goal.number,
                goal.status.as_str()
            )));
        }
        let target = node.as_ref().map(|n| n.id.clone());
        if goal.pinned_node == target {
            return Err(ApiError::conflict(match &node {
                Some(n) => format!("Goal #{} is already pinned to {}", goal.number, n.name),
                None => format!("Goal #{} is not pinned", goal.number),
            }));
        }
        let name = node.map(|n| n.name);
        let id = goal.id.clone();
        let out = self
            .mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
                let at = clock::now();
                refine_store::nodes::set_pin(tx, &id, target.as_deref(), &at)?;
                let g = refine_store::goals::get(tx, &id)?
                    .ok_or_else(|| ApiError::not_found("the Goal is gone"))?;
                let change = Change::new(match &name {
                    Some(n) => format!("Pinned Goal #{} to node {n}", g.number),
                    None => format!("Unpinned Goal #{}", g.number),
                })
                .app(Some(g.app_id.clone()))
                .target(g.id.clone())
                .event(kind::GOAL_UPDATED, &g);
                Ok((g, change))
            })
            .await?;
        self.wake_runner();
        Ok(out)
    }

    /// Goals pinned to another node, which this node must not start.
    pub(crate) fn pinned_elsewhere(
        &self,
        conn: &refine_store::rusqlite::Connection,
        app_id: &str,
    ) -> Result<std::collections::HashSet<String>, refine_store::StoreError> {
        let me = self.node_id();
        Ok(refine_store::nodes::pins(conn, app_id)?
            .into_iter()
            .filter(|(_, n)| n != me)
            .map(|(g, _)| g)
            .collect())
    }

    /// `cluster.status`
    pub async fn cluster_status(&self) -> Result<ClusterStatus, ApiError> {
        let nodes = self.known_nodes().await?;
        let link = self.link();
        let apps = self.apps_list().await?;
        let (queues, counts) = self
            .read(move |c| {
                let q = refine_store::nodes::queues(c)?;
                let mut counts = Vec::new();
                for a in &apps {
                    let n: Vec<(WorkflowState, u32)> =
                        refine_store::nodes::status_counts(c, &a.id)?
                            .into_iter()
                            .filter_map(|(s, n)| WorkflowState::parse(&s).map(|s| (s, n)))
                            .collect();
                    counts.push(n);
                }
                Ok((q, counts, apps))
            })
            .await
            .map(|(q, counts, apps)| {
                let queues: Vec<AppQueue> = apps
                    .iter()
                    .zip(counts)
                    .map(|(a, n)| {
                        let (depth, oldest) = q
                            .iter()
                            .find(|(id, ..)| *id == a.id)
                            .map(|(_, d, o)| (*d, o.clone()))
                            .unwrap_or((0, None));
                        let count = |s: WorkflowState| {
                            n.iter()
                                .filter(|(st, _)| *st == s)
                                .map(|(_, c)| *c)
                                .sum::<u32>()
                        };
                        AppQueue {
                            app_id: a.id.clone(),
                            app_name: a.name.clone(),
                            depth,
                            oldest,
                            running: n
                                .iter()
                                .filter(|(st, _)| st.is_running())
                                .map(|(_, c)| *c)
                                .sum(),
                            review: count(WorkflowState::Review),
                        }
                    })
                    .collect();
                let queued = queues.iter().map(|q| q.depth).sum();
                let review = queues.iter().map(|q| q.review).sum();
                (queues, (queued, review))
            })?;
        let up: Vec<&NodeInfo> = nodes
            .iter()
            .filter(|n| n.health == NodeHealth::Up)
            .collect();
        let counts = FleetCounts {
            nodes: nodes.len() as u32,
            up: up.len() as u32,
            down: nodes
                .iter()
                .filter(|n| n.health == NodeHealth::Down)
                .count() as u32,
            draining: nodes.iter().filter(|n| n.draining).count() as u32,
            capacity: up.iter().filter(|n| !n.draining).map(|n| n.capacity).sum(),
            load: up.iter().map(|n| n.load).sum(),
            queued: counts.0,
            review: counts.1,
        };
        let config = link.config.clone();
        Ok(ClusterStatus {
            mode: mode_of(&link),
            node_id: self.node_id().to_string(),
            node_name: nodes[0].name.clone(),
            urls: config.as_ref().map(|c| c.urls.clone()).unwrap_or_default(),
            user: config.as_ref().and_then(|c| c.user.clone()),
            ttl_secs: config.as_ref().map_or(15, |c| c.ttl_secs),
            error: link.error.clone(),
            connected_since: link.since.clone(),
            rejected: self
                .cluster()
                .rejected
                .load(Ordering::Relaxed)
                .min(u32::MAX as u64) as u32,
            problems: self
                .cluster()
                .problems
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned()
                .collect(),
            nodes,
            queues,
            counts,
        })
    }

    /// `cluster.join`: connect to NATS with these credentials (refused at once, and nothing
    /// stored, when the servers cannot be reached or refuse them), remember them, announce.
    pub async fn cluster_join(
        &self,
        ctx: &Ctx,
        i: JoinInput,
    ) -> Result<Mutated<ClusterMembership>, ApiError> {
        let config = check_join(&i)?;
        if let Some(n) = &i.name {
            check_name(n)?;
        }
        let name = i.name.clone();
        let node = self.node_id().to_string();
        let c2 = config.clone();
        let prepare = async move { bus::Bus::connect(&c2, &node).await.map_err(join_error) };
        let stored = config.clone();
        let out = self
            .mutate(ctx, &i, prepare, move |tx, b: bus::Bus| {
                refine_store::meta::set(
                    tx,
                    META_CONFIG,
                    &serde_json::to_string(&stored).expect("config serializes"),
                )?;
                if let Some(n) = &name {
                    refine_store::meta::set(tx, META_NAME, n)?;
                }
                let m = ClusterMembership {
                    mode: ClusterMode::Connected,
                    node_id: String::new(),
                    node_name: name.clone().unwrap_or_default(),
                    urls: stored.urls.clone(),
                };
                let change =
                    Change::new(format!("Joined the cluster at {}", stored.urls.join(", ")))
                        .event(kind::CLUSTER_CHANGED, &m);
                let _ = b; // handed over after the commit, below
                Ok((m, change))
            })
            .await;
        // The connection made in `prepare` is not kept across the pipeline (it may have been a
        // replay); start the link from the stored configuration.
        let mut out = out?;
        out.value.node_id = self.node_id().to_string();
        out.value.node_name = self.node_name();
        self.start_cluster(Some(config)).await;
        Ok(out)
    }

    /// `cluster.leave`: stop announcing, forget the other nodes and the servers.
    pub async fn cluster_leave(
        &self,
        ctx: &Ctx,
        i: crate::system::Empty,
    ) -> Result<Mutated<ClusterMembership>, ApiError> {
        if self.link().config.is_none() {
            return Err(ApiError::conflict("this node is not in a cluster"));
        }
        let me = self.node_id().to_string();
        let name = self.node_name();
        let out = self
            .mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
                refine_store::meta::delete(tx, META_CONFIG)?;
                refine_store::nodes::forget_others(tx, &me)?;
                let m = ClusterMembership {
                    mode: ClusterMode::Standalone,
                    node_id: me.clone(),
                    node_name: name,
                    urls: Vec::new(),
                };
                let change = Change::new("Left the cluster").event(kind::CLUSTER_CHANGED, &m);
                Ok((m, change))
            })
            .await?;
        let bus = self.link().bus;
        self.start_cluster(None).await;
        if let Some(b) = bus {
            b.withdraw(self.node_id()).await;
        }
        Ok(out)
    }

    /// At start: rejoin the cluster this node was in (or the one `--cluster` names).
    pub async fn resume_cluster(
        &self,
        urls: Option<Vec<String>>,
        name: Option<String>,
    ) -> Result<(), ApiError> {
        if let Some(n) = &name {
            check_name(n)?;
            let n = n.clone();
            self.record(move |tx| refine_store::meta::set(tx, META_NAME, &n))
                .await?;
        }
        let stored: Option<ClusterConfig> = self
            .read(|c| refine_store::meta::get(c, META_CONFIG))
            .await?
            .and_then(|s| serde_json::from_str(&s).ok());
        let config = match (urls, stored) {
            (Some(urls), stored) => {
                let c = check_join(&JoinInput {
                    urls,
                    user: std::env::var("REFINE_CLUSTER_USER").ok(),
                    password: std::env::var("REFINE_CLUSTER_PASSWORD").ok(),
                    name: None,
                    ttl_secs: stored.as_ref().map(|s| s.ttl_secs),
                })?;
                let s = serde_json::to_string(&c).expect("config serializes");
                self.record(move |tx| refine_store::meta::set(tx, META_CONFIG, &s))
                    .await?;
                Some(c)
            }
            (None, stored) => stored,
        };
        if config.is_some() {
            self.start_cluster(config).await;
        }
        Ok(())
    }

    /// Replace the running link (if any) with one for `config` (`None`: standalone).
    async fn start_cluster(&self, config: Option<ClusterConfig>) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        if let Some(old) = self
            .cluster()
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(tx)
        {
            let _ = old.send(true);
        }
        {
            let mut link = self
                .cluster()
                .link
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            *link = Link {
                config: config.clone(),
                ..Link::default()
            };
        }
        self.cluster()
            .seen_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        if let Some(config) = config {
            let core = self.clone();
            tokio::spawn(async move { bus::run(core, config, rx).await });
        }
    }

    /// Announce at once (after a drain, or when work starts or ends), not at the next beat.
    pub(crate) fn announce_now(&self) {
        if let Some(b) = self.link().bus {
            b.poke();
        }
    }

    pub(crate) fn set_link(&self, f: impl FnOnce(&mut Link)) {
        let (before, after) = {
            let mut link = self
                .cluster()
                .link
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let before = mode_of(&link);
            f(&mut link);
            (before, mode_of(&link))
        };
        if before != after {
            let m = ClusterMembership {
                mode: after,
                node_id: self.node_id().to_string(),
                node_name: String::new(),
                urls: self.link().config.map(|c| c.urls).unwrap_or_default(),
            };
            tracing::info!(mode = ?after, "cluster link changed");
            self.bus().publish(kind::CLUSTER_CHANGED, None, &m);
        }
    }

    /// Something the cluster did to this node's work that a person should be able to find
    /// later (a lease lost to another node, a merge that could not be pushed): logged, and in
    /// the activity log of the Goal's app.
    pub(crate) async fn notice(&self, app_id: &str, goal_id: &str, summary: String) {
        tracing::warn!(goal = goal_id, "{summary}");
        let entry = refine_model::Activity {
            id: uuid::Uuid::now_v7().to_string(),
            at: clock::now(),
            actor: "refine".to_string(),
            surface: refine_model::activity::Surface::System,
            operation: "cluster.notice".to_string(),
            app_id: Some(app_id.to_string()),
            target: Some(goal_id.to_string()),
            summary,
            operation_id: None,
        };
        let saved = entry.clone();
        if self
            .record(move |tx| refine_store::activity::insert(tx, &saved, None).map(|_| ()))
            .await
            .is_ok()
        {
            self.bus().publish(
                crate::events::kind::ACTIVITY_CREATED,
                Some(app_id.to_string()),
                &entry,
            );
        }
    }

    /// A message from the bus that was refused: logged, counted, kept among the last problems.
    pub(crate) fn reject(&self, why: String) {
        tracing::warn!(reason = %why, "refused a message from the cluster bus");
        self.cluster().rejected.fetch_add(1, Ordering::Relaxed);
        let mut p = self
            .cluster()
            .problems
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if !p.contains(&why) {
            p.push_back(why);
            while p.len() > 10 {
                p.pop_front();
            }
        }
    }

    /// Another node's announcement, heard on the bus at `seen` (the bus's time).
    pub(crate) async fn heard(&self, a: Announcement, seen: String) {
        if a.id == self.node_id() {
            return;
        }
        let id = a.id.clone();
        let info = serde_json::to_string(&a).expect("announcement serializes");
        let before = self
            .read({
                let id = id.clone();
                move |c| refine_store::nodes::get(c, &id)
            })
            .await
            .ok()
            .flatten();
        let changed = before
            .as_ref()
            .and_then(|b| serde_json::from_str::<Announcement>(&b.info).ok())
            .is_none_or(|b| b != a);
        let (i2, s2) = (info.clone(), seen.clone());
        let r = self
            .record(move |tx| refine_store::nodes::upsert(tx, &id, &i2, &s2))
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e.message, "could not record a node's announcement");
            return;
        }
        if changed {
            self.sweep_health(true).await;
        } else {
            self.sweep_health(false).await;
        }
    }

    /// A node that left (its announcement deleted from the bus).
    pub(crate) async fn forget_node(&self, id: &str) {
        if id == self.node_id() {
            return;
        }
        let id2 = id.to_string();
        let _ = self
            .record(move |tx| refine_store::nodes::delete(tx, &id2).map(|_| ()))
            .await;
        self.cluster()
            .seen_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.bus().publish(
            kind::NODES_REMOVED,
            None,
            &refine_model::event::IdRef { id: id.to_string() },
        );
    }

    /// Publish `nodes.updated` for nodes whose health changed (or all others, `all`).
    pub(crate) async fn sweep_health(&self, all: bool) {
        let Ok(nodes) = self.known_nodes().await else {
            return;
        };
        let mut seen = self
            .cluster()
            .seen_health
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        for n in nodes.into_iter().filter(|n| !n.is_self) {
            let was = seen.insert(n.id.clone(), n.health);
            if all || was != Some(n.health) {
                if was.is_some() && was != Some(n.health) {
                    tracing::info!(node = %n.name, health = ?n.health, "a node's health changed");
                }
                changed.push(n);
            }
        }
        drop(seen);
        for n in changed {
            self.bus().publish(kind::NODES_UPDATED, None, &n);
        }
    }
}

fn mode_of(link: &Link) -> ClusterMode {
    match (&link.config, link.connected) {
        (None, _) => ClusterMode::Standalone,
        (Some(_), true) => ClusterMode::Connected,
        (Some(_), false) => ClusterMode::Unreachable,
    }
}

/// How long ago an RFC 3339 time was (`None`: unreadable or in the future by more than a beat).
pub(crate) fn age(at: &str) -> Option<Duration> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    let d = time::OffsetDateTime::now_utc() - t;
    Some(d.try_into().unwrap_or(Duration::ZERO))
}

fn check_join(i: &JoinInput) -> Result<ClusterConfig, ApiError> {
    if i.urls.is_empty() || i.urls.len() > 16 {
        return Err(ApiError::invalid("urls: one to 16 NATS server URLs"));
    }
    let mut urls = Vec::new();
    for u in &i.urls {
        let u = u.trim();
        let rest = ["nats://", "tls://"]
            .iter()
            .find_map(|s| u.strip_prefix(s))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "urls: {u:?} is not a NATS URL (nats://host:port or tls://host:port)"
                ))
            })?;
        let host = rest
            .rsplit_once('@')
            .map_or(rest, |(_, h)| h)
            .split('/')
            .next()
            .unwrap_or("");
        let name = host
            .rsplit_once(':')
            .map_or(
                host,
                |(h, p)| if p.parse::<u16>().is_ok() { h } else { host },
            )
            .trim_matches(['[', ']']);
        if name.is_empty() || u.len() > 512 {
            return Err(ApiError::invalid(format!("urls: {u:?} names no host")));
        }
        if rest.contains('@') {
            return Err(ApiError::invalid(
                "urls: put credentials in user and password, not in the URL",
            ));
        }
        let loopback = name == "localhost"
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback && !u.starts_with("tls://") {
            return Err(ApiError::invalid(format!(
                "urls: {u:?} is not on this machine, so it must use TLS (tls://{rest})"
            )));
        }
        urls.push(u.to_string());
    }
    for (f, v) in [("user", &i.user), ("password", &i.password)] {
        if let Some(v) = v {
            if v.is_empty() || v.len() > 1024 || v.chars().any(char::is_control) {
                return Err(ApiError::invalid(format!(
                    "{f}: 1–1024 characters, no control characters"
                )));
            }
        }
    }
    if i.password.is_some() != i.user.is_some() {
        return Err(ApiError::invalid("user and password go together"));
    }
    let ttl = i.ttl_secs.unwrap_or(15);
    if !(3..=300).contains(&ttl) {
        return Err(ApiError::invalid(format!(
            "ttlSecs must be between 3 and 300, got {ttl}"
        )));
    }
    Ok(ClusterConfig {
        urls,
        user: i.user.clone(),
        password: i.password.clone(),
        ttl_secs: ttl,
    })
}

fn join_error(e: bus::ConnectFailure) -> ApiError {
    match e {
        bus::ConnectFailure::Refused(m) => ApiError::invalid(m),
        bus::ConnectFailure::Unreachable(m) => ApiError::unavailable(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(urls: &[&str]) -> JoinInput {
        JoinInput {
            urls: urls.iter().map(|s| s.to_string()).collect(),
            user: None,
            password: None,
            name: None,
            ttl_secs: None,
        }
    }

    #[test]
    fn join_input_is_checked() {
        assert!(check_join(&join(&["nats://127.0.0.1:4222"])).is_ok());
        assert!(check_join(&join(&["nats://localhost:4222", "nats://[::1]:4223"])).is_ok());
        assert!(check_join(&join(&["tls://nats.example.com:4222"])).is_ok());
        for bad in [
            vec![],
            vec!["http://127.0.0.1:4222"],
            vec!["nats://nats.example.com:4222"],
            vec!["nats://u:p@127.0.0.1:4222"],
            vec!["nats://"],
        ] {
            let e = check_join(&join(&bad)).unwrap_err();
            assert_eq!(e.status(), 400, "{bad:?}: {}", e.message);
        }
        let mut j = join(&["nats://127.0.0.1:1"]);
        j.user = Some("a".into());
        assert!(check_join(&j).unwrap_err().message.contains("together"));
        j.password = Some("b".into());
        j.ttl_secs = Some(1);
        assert!(check_join(&j).unwrap_err().message.contains("ttlSecs"));
    }

    fn announcement(id: &str) -> Announcement {
        Announcement {
            state_version: STATE_VERSION,
            id: id.into(),
            name: "desk".into(),
            host: "desk".into(),
            version: "0.1.0".into(),
            profiles: vec!["claude".into()],
            capacity: 2,
            load: 0,
            draining: false,
            running: vec![],
            started_at: clock::now(),
        }
    }

    #[test]
    fn bus_messages_are_validated() {
        let id = "01a24f3a-2397-71ca-b8c0-459ef4062889";
        let good = serde_json::to_vec(&announcement(id)).unwrap();
        assert_eq!(parse_announcement(id, &good).unwrap().id, id);
        // Under another key, malformed, oversized, a newer version, unknown fields.
        assert!(parse_announcement("other", &good)
            .unwrap_err()
            .contains("another key"));
        assert!(parse_announcement(id, b"{not json")
            .unwrap_err()
            .contains("not JSON"));
        assert!(parse_announcement(id, &vec![b' '; MAX_MESSAGE + 1])
            .unwrap_err()
            .contains("bytes"));
        let mut v = serde_json::to_value(announcement(id)).unwrap();
        v["stateVersion"] = 2.into();
        let e = parse_announcement(id, &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(e.contains("version 2") && e.contains("upgrade"), "{e}");
        let mut v = serde_json::to_value(announcement(id)).unwrap();
        v["extra"] = 1.into();
        assert!(parse_announcement(id, &serde_json::to_vec(&v).unwrap()).is_err());
        let mut v = serde_json::to_value(announcement(id)).unwrap();
        v["name"] = "bad name!".into();
        assert!(parse_announcement(id, &serde_json::to_vec(&v).unwrap()).is_err());
    }
}
