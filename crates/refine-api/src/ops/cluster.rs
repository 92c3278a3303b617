//! The cluster: several nodes on NATS JetStream; one machine needs none of it.

use refine_core::cluster::{ClusterMembership, ClusterStatus, JoinInput};
use refine_core::system::Empty;

use crate::registry::{Method::*, Op, OpDef};

pub const STATUS: Op<Empty, ClusterStatus> = Op::query(
    "cluster.status",
    Get,
    "/api/v1/cluster",
    "Membership and health: standalone, connected or unreachable (with why), the NATS servers, every node with its health and load, each app's queue (depth, oldest, running, in review), fleet-wide counts, and messages from the bus that were refused.",
    true,
);

pub const JOIN: Op<JoinInput, ClusterMembership> = Op::mutation(
    "cluster.join",
    Post,
    "/api/v1/cluster/join",
    "Join a cluster: NATS server URLs (non-loopback ones must be tls://), optional user and password (stored with the node's secrets, never shown), this node's name, the heartbeat TTL. Connects first: refused credentials are a 400 and unreachable servers a 503, and nothing is saved.",
    true,
);

pub const LEAVE: Op<Empty, ClusterMembership> = Op::mutation(
    "cluster.leave",
    Post,
    "/api/v1/cluster/leave",
    "Leave the cluster: stop announcing, forget the other nodes and the servers. 409 when not in one.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        STATUS.handle(|core, _, _| async move { core.cluster_status().await }),
        JOIN.handle(|core, ctx, i| async move { core.cluster_join(&ctx, i).await }),
        LEAVE.handle(|core, ctx, i| async move { core.cluster_leave(&ctx, i).await }),
    ]
}
