//! Nodes: this node's identity, the nodes it knows, draining one, pinning a Goal to one.

use refine_core::cluster::{AssignInput, DrainInput, NodeIdInput, NodeInfo};
use refine_core::system::Empty;
use refine_model::work::Goal;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<Empty, Vec<NodeInfo>> = Op::query(
    "nodes.list",
    Get,
    "/api/v1/nodes",
    "Every node this one knows, itself first: id, name, host, version, installed agent profiles, capacity, load, draining, the Goals it runs, health (up, down when not heard from for the cluster's TTL, unknown while NATS is unreachable) and when it was last heard from. Alone: just this node.",
    true,
);

pub const GET: Op<NodeIdInput, NodeInfo> = Op::query(
    "nodes.get",
    Get,
    "/api/v1/nodes/{id}",
    "One node, by id or name (404 for an unknown one).",
    true,
);

pub const DRAIN: Op<DrainInput, NodeInfo> = Op::mutation(
    "nodes.drain",
    Post,
    "/api/v1/nodes/drain",
    "Drain a node (`drain: false` to take work again): it finishes the Goals it runs and starts no new ones. Another node of the cluster is asked through NATS (503 while NATS is unreachable). 409 when it already is (or is not) draining.",
    true,
);

pub const ASSIGN: Op<AssignInput, Goal> = Op::mutation(
    "goals.assign",
    Post,
    "/api/v1/work/goals/assign",
    "Pin a Goal to a node (`nodeId`: id or name) so only that node starts it, or unpin it (`nodeId: null`). 404 for an unknown node; 409 for a done or cancelled Goal, or one already pinned so.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _, _| async move { core.nodes_list().await }),
        GET.handle(|core, _, i| async move { core.nodes_get(i).await }),
        DRAIN.handle(|core, ctx, i| async move { core.nodes_drain(&ctx, i).await }),
        ASSIGN.handle(|core, ctx, i| async move { core.goals_assign(&ctx, i).await }),
    ]
}
