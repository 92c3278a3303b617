//! The event registry: every kind of live event the daemon publishes (declared with its data
//! type in `refine_core::events::kind`) and the queries it makes stale. The UI's cache
//! invalidation, the bindings' typed event map and the `system.events` listing all come from
//! this table; a test fails when a declared kind has no entry or an entry names no query.

use refine_core::events::{kind, KindInfo};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// One declared event kind and what it makes stale.
pub struct EventDef {
    pub info: &'static KindInfo,
    /// Query operations whose answers may have changed. `resync` makes every query stale.
    pub stale: &'static [&'static str],
}

/// An event kind as `system.events` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInfo {
    pub kind: String,
    pub doc: String,
    /// The queries to fetch again after this event.
    pub stale: Vec<String>,
    /// The JSON Schema of its `data`.
    #[specta(type = specta_typescript::Unknown)]
    pub data: serde_json::Value,
}

/// Streams: the screens that show them append each batch; nothing to fetch again.
const NOTHING: &[&str] = &[];

/// Which queries each kind makes stale, keyed by kind name. Clients narrow it to the app (Goal,
/// reporter) the event is about; `resync` makes every query stale.
const STALE: &[(&str, &[&str])] = &[
    (
        kind::ACTIVITY_CREATED.name(),
        &["activity.list", "project.overview", "dashboard.summary"],
    ),
    (kind::AGENTS_DETECTED.name(), &["agents.detect"]),
    (
        kind::NODES_UPDATED.name(),
        &["nodes.list", "nodes.get", "cluster.status"],
    ),
    (
        kind::NODES_REMOVED.name(),
        &["nodes.list", "nodes.get", "cluster.status"],
    ),
    (
        kind::CLUSTER_CHANGED.name(),
        &["cluster.status", "nodes.list", "nodes.get"],
    ),
    (
        kind::AGENTS_PROFILE_DELETED.name(),
        &["agents.profiles.list", "runner.status"],
    ),
    (
        kind::AGENTS_PROFILE_SAVED.name(),
        &["agents.profiles.list", "runner.status"],
    ),
    (
        kind::AGENTS_RUN.name(),
        &[
            "agents.runs.list",
            "agents.usage",
            "runner.rounds",
            "runner.status",
            "dashboard.summary",
        ],
    ),
    (kind::AGENTS_TRANSCRIPT.name(), NOTHING),
    (
        kind::APPS_ADDED.name(),
        &["apps.list", "apps.get", "project.overview"],
    ),
    (
        kind::APPS_REMOVED.name(),
        &["apps.list", "apps.get", "project.overview"],
    ),
    (
        kind::APPS_SELECTED.name(),
        &["apps.list", "apps.get", "project.overview", "settings.get"],
    ),
    (
        kind::APPS_UPDATED.name(),
        &["apps.list", "apps.get", "project.overview"],
    ),
    (
        kind::CHANGES_UPDATED.name(),
        &[
            "changes.status",
            "changes.diff",
            "changes.log",
            "changes.refs",
            "changes.churn",
            "project.overview",
        ],
    ),
    (kind::CHAT_DELETED.name(), &["chat.list", "chat.get"]),
    (kind::CHAT_DELTA.name(), NOTHING),
    (kind::CHAT_MESSAGE.name(), &["chat.list", "chat.get"]),
    (kind::CHAT_THREAD.name(), &["chat.list", "chat.get"]),
    (
        kind::FILES_CHANGED.name(),
        &[
            "files.tree",
            "files.find",
            "changes.status",
            "changes.diff",
            "project.overview",
        ],
    ),
    (
        kind::FILES_CREATED.name(),
        &[
            "files.tree",
            "files.find",
            "changes.status",
            "changes.diff",
            "project.overview",
        ],
    ),
    (
        kind::FILES_DELETED.name(),
        &[
            "files.tree",
            "files.find",
            "changes.status",
            "changes.diff",
            "project.overview",
        ],
    ),
    (
        kind::FILES_RENAMED.name(),
        &[
            "files.tree",
            "files.find",
            "changes.status",
            "changes.diff",
            "project.overview",
        ],
    ),
    (
        kind::FILES_WRITTEN.name(),
        &[
            "files.tree",
            "files.find",
            "changes.status",
            "changes.diff",
            "project.overview",
        ],
    ),
    (kind::GOVERNANCE_UPDATED.name(), &["governance.get"]),
    (kind::GUIDANCE_UPDATED.name(), &["guidance.list"]),
    (
        kind::OPERATIONS_UPDATED.name(),
        &["operations.list", "operations.get"],
    ),
    (
        kind::PROCESSES_EXITED.name(),
        &["processes.list", "processes.get", "target.get"],
    ),
    (kind::PROCESSES_OUTPUT.name(), NOTHING),
    (
        kind::PROCESSES_STARTED.name(),
        &["processes.list", "processes.get", "target.get"],
    ),
    (
        kind::QUALITY_EVALUATED.name(),
        &[
            "quality.evaluations.list",
            "quality.evaluations.get",
            "runner.rounds",
        ],
    ),
    (
        kind::QUALITY_UPDATED.name(),
        &["quality.settings.get", "quality.evaluations.list"],
    ),
    (
        kind::REPORTERS_UPDATED.name(),
        &["reporters.list", "todos.list"],
    ),
    (
        kind::RUNNER_HOLD.name(),
        &["runner.status", "runner.rounds"],
    ),
    (
        kind::RUNNER_HOLD_RELEASED.name(),
        &["runner.status", "runner.rounds"],
    ),
    (kind::RUNNER_PAUSED.name(), &["runner.status"]),
    (kind::RUNNER_RESUMED.name(), &["runner.status"]),
    (
        kind::RUNNER_ROUND.name(),
        &["runner.rounds", "runner.status", "review.comments.list"],
    ),
    (kind::REVIEW_COMMENT.name(), &["review.comments.list"]),
    (kind::WEBHOOK_CHANGED.name(), &["webhooks.list"]),
    (
        kind::PREVIEW_CHANGED.name(),
        &["previews.list", "processes.list"],
    ),
    (kind::WEBHOOK_DELIVERY.name(), &["webhooks.deliveries"]),
    (
        kind::RUNNER_STOPPED.name(),
        &["runner.status", "runner.rounds"],
    ),
    (
        kind::RUNNER_WORKER.name(),
        &["runner.status", "runner.rounds"],
    ),
    (
        kind::RUNNER_WORKER_ENDED.name(),
        &[
            "runner.status",
            "runner.rounds",
            "cluster.status",
            "nodes.list",
            "nodes.get",
        ],
    ),
    (kind::SESSIONS_CHANGED.name(), &["sessions.list"]),
    (
        kind::SETTINGS_UPDATED.name(),
        &["settings.get", "runner.status"],
    ),
    (kind::SYSTEM_SHUTDOWN.name(), NOTHING),
    (kind::TARGET_HEALTH.name(), &["target.get"]),
    (kind::TARGET_UPDATED.name(), &["target.get"]),
    (
        kind::TERMINAL_CLOSED.name(),
        &["terminal.list", "terminal.get"],
    ),
    (
        kind::TERMINAL_CREATED.name(),
        &["terminal.list", "terminal.get"],
    ),
    (
        kind::TERMINAL_EXITED.name(),
        &["terminal.list", "terminal.get"],
    ),
    (
        kind::TERMINAL_UPDATED.name(),
        &["terminal.list", "terminal.get"],
    ),
    (
        kind::TODOS_UPDATED.name(),
        &["todos.list", "reporters.list"],
    ),
    (
        kind::GOALS_BULK_UPDATED.name(),
        &[
            "goals.list",
            "goals.get",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::FEATURE_DELETED.name(),
        &[
            "goals.list",
            "goals.get",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::FEATURE_UPDATED.name(),
        &[
            "goals.list",
            "goals.get",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::GOAL_CREATED.name(),
        &[
            "goals.list",
            "goals.get",
            "cluster.status",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::GOAL_DELETED.name(),
        &[
            "goals.list",
            "goals.get",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::GOAL_UPDATED.name(),
        &[
            "goals.list",
            "goals.get",
            "cluster.status",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::WORK_IMPORTED.name(),
        &[
            "goals.list",
            "goals.get",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
        ],
    ),
    (
        kind::WORKFLOW_AUTOMATION.name(),
        &["workflow.automation", "dashboard.summary"],
    ),
    (
        kind::WORKFLOW_TRANSITIONED.name(),
        &[
            "goals.list",
            "goals.get",
            "cluster.status",
            "features.list",
            "features.get",
            "workflow.eligible",
            "dashboard.summary",
            "runner.status",
            "runner.rounds",
            "review.comments.list",
        ],
    ),
    (kind::RESYNC.name(), NOTHING),
];

static EVENTS: std::sync::LazyLock<Vec<EventDef>> = std::sync::LazyLock::new(|| {
    kind::ALL
        .iter()
        .map(|info| EventDef {
            info,
            stale: STALE
                .iter()
                .find(|(name, _)| *name == info.name)
                .map(|(_, s)| *s)
                .unwrap_or_default(),
        })
        .collect()
});

/// Every declared event kind with what it makes stale, in declaration order.
pub fn events() -> &'static [EventDef] {
    &EVENTS
}

/// The listing `system.events` answers.
pub fn event_infos() -> Vec<EventInfo> {
    events()
        .iter()
        .map(|e| EventInfo {
            kind: e.info.name.to_string(),
            doc: e.info.doc.trim().to_string(),
            stale: e.stale.iter().map(|s| s.to_string()).collect(),
            data: (e.info.data_schema)(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{find, OpKind};

    #[test]
    fn every_kind_says_what_it_makes_stale_and_names_only_queries() {
        for info in kind::ALL {
            assert!(
                STALE.iter().any(|(n, _)| *n == info.name),
                "event {} has no entry in the event registry",
                info.name
            );
        }
        for (name, stale) in STALE {
            assert!(
                kind::ALL.iter().any(|k| k.name == *name),
                "the event registry names an undeclared kind {name}"
            );
            assert_eq!(
                STALE.iter().filter(|(n, _)| n == name).count(),
                1,
                "{name} is listed twice"
            );
            for op in *stale {
                let def =
                    find(op).unwrap_or_else(|| panic!("{name} makes an unknown op {op} stale"));
                assert_eq!(def.kind, OpKind::Query, "{name}: {op} is not a query");
            }
        }
    }
}
