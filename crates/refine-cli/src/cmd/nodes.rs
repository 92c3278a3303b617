//! `refine nodes list | show ID | drain ID | undrain ID` and `refine cluster status | join URL…
//! | leave`: the nodes and the cluster they form.

use clap::Subcommand;
use refine_api::ops::{cluster, nodes};
use refine_core::cluster::{
    ClusterMembership, ClusterMode, ClusterStatus, DrainInput, JoinInput, NodeHealth, NodeIdInput,
    NodeInfo,
};
use refine_core::system::Empty;

use super::{Commands, Run};
use crate::render::{clip, opt, state, toned, wire, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum NodesCmd {
    /// Every node this one knows, with health, load and what it runs.
    List,
    /// One node, by name or id.
    Show { node: String },
    /// Finish the running Goals and start no new ones.
    Drain { node: String },
    /// Take work again after a drain.
    Undrain { node: String },
}

#[derive(Subcommand, Debug)]
pub enum ClusterCmd {
    /// Membership, health, queues and fleet-wide counts.
    Status,
    /// Join a cluster through NATS (the password is read from REFINE_CLUSTER_PASSWORD).
    Join {
        /// NATS server URLs: nats://127.0.0.1:4222, tls://host:4222 …
        #[arg(required = true)]
        urls: Vec<String>,
        #[arg(long)]
        user: Option<String>,
        /// This node's name in the cluster (default: the host name).
        #[arg(long)]
        name: Option<String>,
        /// Seconds without a heartbeat before a node counts as down.
        #[arg(long)]
        ttl: Option<u32>,
    },
    /// Leave the cluster: this node works alone again.
    Leave,
}

pub const NODES_COMMANDS: Commands = &[
    ("list", &[nodes::LIST.name]),
    ("show", &[nodes::GET.name]),
    ("drain", &[nodes::DRAIN.name]),
    ("undrain", &[nodes::DRAIN.name]),
];

pub const CLUSTER_COMMANDS: Commands = &[
    ("status", &[cluster::STATUS.name]),
    ("join", &[cluster::JOIN.name]),
    ("leave", &[cluster::LEAVE.name]),
];

pub async fn run_nodes(r: &Run<'_>, cmd: &NodesCmd) -> Result {
    match cmd {
        NodesCmd::List => r.out.show(&Nodes(r.c.run(nodes::LIST, &Empty {}).await?)),
        NodesCmd::Show { node } => r.out.show(
            &r.c.run(nodes::GET, &NodeIdInput { id: node.clone() })
                .await?,
        ),
        NodesCmd::Drain { node } | NodesCmd::Undrain { node } => {
            let drain = matches!(cmd, NodesCmd::Drain { .. });
            let n =
                r.c.run(
                    nodes::DRAIN,
                    &DrainInput {
                        id: node.clone(),
                        drain,
                    },
                )
                .await?;
            r.out.done(&n, |n| {
                if drain {
                    format!(
                        "Draining {}: it finishes its {} running Goal(s) and starts no new ones",
                        n.name, n.load
                    )
                } else {
                    format!("{} takes work again", n.name)
                }
            })
        }
    }
}

pub async fn run_cluster(r: &Run<'_>, cmd: &ClusterCmd) -> Result {
    match cmd {
        ClusterCmd::Status => r.out.show(&r.c.run(cluster::STATUS, &Empty {}).await?),
        ClusterCmd::Join {
            urls,
            user,
            name,
            ttl,
        } => {
            let m =
                r.c.run(
                    cluster::JOIN,
                    &JoinInput {
                        urls: urls.clone(),
                        user: user.clone(),
                        password: std::env::var("REFINE_CLUSTER_PASSWORD").ok(),
                        name: name.clone(),
                        ttl_secs: *ttl,
                    },
                )
                .await?;
            r.out.done(&m, |m: &ClusterMembership| {
                format!(
                    "Joined the cluster at {} as {}",
                    m.urls.join(", "),
                    m.node_name
                )
            })
        }
        ClusterCmd::Leave => {
            let m = r.c.run(cluster::LEAVE, &Empty {}).await?;
            r.out.done(&m, |_| {
                "Left the cluster: this node works alone".to_string()
            })
        }
    }
}

fn health(n: &NodeInfo) -> Cell {
    let text = if n.draining && n.health == NodeHealth::Up {
        "draining".to_string()
    } else {
        wire(&n.health)
    };
    let tone = match (n.health, n.draining) {
        (NodeHealth::Up, false) => Tone::Good,
        (NodeHealth::Up, true) => Tone::Wait,
        (NodeHealth::Down, _) => Tone::Bad,
        (NodeHealth::Unknown, _) => Tone::Dim,
    };
    toned(text, tone)
}

fn running(n: &NodeInfo) -> String {
    if n.running.is_empty() {
        return "-".into();
    }
    n.running
        .iter()
        .map(|g| format!("#{} {}", g.number, g.phase))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Nodes(pub Vec<NodeInfo>);

impl Render for Nodes {
    fn render(&self, p: &mut Printer) {
        node_table(p, &self.0);
    }
}

fn node_table(p: &mut Printer, nodes: &[NodeInfo]) {
    let rows = nodes
        .iter()
        .map(|n| {
            vec![
                Cell::from(if n.is_self {
                    format!("{} (this)", n.name)
                } else {
                    n.name.clone()
                }),
                health(n),
                Cell::from(format!("{}/{}", n.load, n.capacity)),
                Cell::from(&n.host),
                Cell::from(&n.version),
                Cell::from(if n.profiles.is_empty() {
                    "-".to_string()
                } else {
                    n.profiles.join(", ")
                }),
                Cell::from(clip(&running(n), 60)),
            ]
        })
        .collect();
    p.table(
        &[
            "node", "health", "load", "host", "version", "agents", "running",
        ],
        rows,
    );
}

impl Render for NodeInfo {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "{}{}",
            self.name,
            if self.is_self { " (this node)" } else { "" }
        ));
        p.fields(&[
            ("id", Cell::from(&self.id)),
            ("health", health(self)),
            ("host", Cell::from(&self.host)),
            ("version", Cell::from(&self.version)),
            (
                "agents",
                Cell::from(if self.profiles.is_empty() {
                    "-".to_string()
                } else {
                    self.profiles.join(", ")
                }),
            ),
            (
                "load",
                Cell::from(format!("{} of {}", self.load, self.capacity)),
            ),
            ("started", Cell::from(&self.started_at)),
            ("last seen", Cell::from(&self.last_seen)),
        ]);
        for g in &self.running {
            p.line(format!("  #{} {}  [{}]", g.number, g.title, g.phase));
        }
    }
}

impl Render for ClusterStatus {
    fn render(&self, p: &mut Printer) {
        let mode = match self.mode {
            ClusterMode::Standalone => toned("standalone (one machine, no NATS)", Tone::Plain),
            ClusterMode::Connected => toned("connected", Tone::Good),
            ClusterMode::Unreachable => toned("cluster unreachable", Tone::Bad),
        };
        p.fields(&[
            ("cluster", mode),
            (
                "this node",
                Cell::from(format!("{} ({})", self.node_name, self.node_id)),
            ),
            (
                "servers",
                Cell::from(if self.urls.is_empty() {
                    "-".to_string()
                } else {
                    self.urls.join(", ")
                }),
            ),
            ("error", Cell::from(opt(&self.error))),
            (
                "nodes",
                Cell::from(format!(
                    "{} ({} up, {} down, {} draining)",
                    self.counts.nodes, self.counts.up, self.counts.down, self.counts.draining
                )),
            ),
            (
                "load",
                Cell::from(format!(
                    "{} of {} Goals at once",
                    self.counts.load, self.counts.capacity
                )),
            ),
            (
                "queued",
                Cell::from(format!(
                    "{} in todo, {} in review",
                    self.counts.queued, self.counts.review
                )),
            ),
        ]);
        p.blank();
        node_table(p, &self.nodes);
        if !self.queues.is_empty() {
            p.blank();
            let rows = self
                .queues
                .iter()
                .map(|q| {
                    vec![
                        Cell::from(&q.app_name),
                        Cell::from(q.depth),
                        Cell::from(opt(&q.oldest)),
                        state(format!("{} running", q.running)),
                        Cell::from(q.review),
                    ]
                })
                .collect();
            p.table(&["app", "queued", "oldest", "running", "review"], rows);
        }
        if self.rejected > 0 {
            p.blank();
            p.toned(
                format!("{} message(s) from the bus refused:", self.rejected),
                Tone::Bad,
            );
            for why in &self.problems {
                p.line(format!("  {why}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn nodes_show_health_load_and_work() {
        let n: Vec<NodeInfo> = serde_json::from_value(serde_json::json!([
            {"id": "a", "name": "desk", "host": "desk", "version": "0.1.0", "profiles": ["claude"],
             "capacity": 2, "load": 1, "draining": false, "startedAt": "t", "health": "up",
             "lastSeen": "t", "isSelf": true,
             "running": [{"goalId": "g", "appId": "x", "number": 4, "title": "T", "phase": "implement", "startedAt": "t"}]},
            {"id": "b", "name": "laptop", "host": "lap", "version": "0.1.0", "profiles": [],
             "capacity": 1, "load": 0, "draining": true, "startedAt": "t", "health": "down",
             "lastSeen": "t", "isSelf": false, "running": []}
        ]))
        .unwrap();
        let text = shown(&Nodes(n));
        assert!(text.contains("desk (this)  up"), "{text}");
        assert!(text.contains("1/2"), "{text}");
        assert!(text.contains("#4 implement"), "{text}");
        assert!(text.contains("laptop       down"), "{text}");
    }
}
