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

const GOALS: &[&str] = &[
    "goals.list",
    "goals.get",
    "features.list",
    "features.get",
    "goals.export",
    "workflow.eligible",
    "dashboard.summary",
    "runner.status",
    "runner.rounds",
];
const FEATURES: &[&str] = &[
    "features.list",
    "features.get",
    "goals.list",
    "goals.get",
    "goals.export",
    "workflow.eligible",
    "dashboard.summary",
];
const APPS: &[&str] = &[
    "apps.list",
    "apps.get",
    "project.overview",
    "dashboard.summary",
];
const FILES: &[&str] = &[
    "files.tree",
    "files.find",
    "files.grep",
    "changes.status",
    "changes.diff",
    "changes.churn",
];
const CHANGES: &[&str] = &[
    "changes.status",
    "changes.diff",
    "changes.log",
    "changes.refs",
    "changes.churn",
    "files.tree",
    "project.overview",
];
const RUNNER: &[&str] = &["runner.status", "dashboard.summary"];
const AGENTS: &[&str] = &["agents.profiles.list", "agents.detect", "runner.status"];
const PROCESSES: &[&str] = &["processes.list", "processes.get", "target.get"];
const TERMINALS: &[&str] = &["terminal.list", "terminal.get"];
const CHAT: &[&str] = &["chat.list", "chat.get"];
/// Streams: the screens that show them append each batch; nothing to fetch again.
const NOTHING: &[&str] = &[];

/// Which queries each kind makes stale, keyed by kind name.
const STALE: &[(&str, &[&str])] = &[
    (kind::ACTIVITY_CREATED.name(), &["activity.list"]),
    (kind::APPS_ADDED.name(), APPS),
    (kind::APPS_REMOVED.name(), APPS),
    (kind::APPS_SELECTED.name(), APPS),
    (kind::APPS_UPDATED.name(), APPS),
    (kind::CHANGES_UPDATED.name(), CHANGES),
    (
        kind::SETTINGS_UPDATED.name(),
        &["settings.get", "agents.profiles.list", "runner.status"],
    ),
    (
        kind::OPERATIONS_UPDATED.name(),
        &["operations.list", "operations.get"],
    ),
    (kind::SESSIONS_CHANGED.name(), &["sessions.list"]),
    (kind::SYSTEM_SHUTDOWN.name(), NOTHING),
    (kind::GOAL_CREATED.name(), GOALS),
    (kind::GOAL_UPDATED.name(), GOALS),
    (kind::GOAL_DELETED.name(), GOALS),
    (kind::GOALS_BULK_UPDATED.name(), GOALS),
    (kind::FEATURE_UPDATED.name(), FEATURES),
    (kind::FEATURE_DELETED.name(), FEATURES),
    (kind::WORK_IMPORTED.name(), GOALS),
    (kind::WORKFLOW_TRANSITIONED.name(), GOALS),
    (
        kind::WORKFLOW_AUTOMATION.name(),
        &["workflow.automation", "runner.status", "dashboard.summary"],
    ),
    (
        kind::REPORTERS_UPDATED.name(),
        &["reporters.list", "todos.list"],
    ),
    (
        kind::TODOS_UPDATED.name(),
        &["todos.list", "reporters.list"],
    ),
    (kind::AGENTS_PROFILE_SAVED.name(), AGENTS),
    (kind::AGENTS_PROFILE_DELETED.name(), AGENTS),
    (kind::AGENTS_DETECTED.name(), AGENTS),
    (
        kind::AGENTS_RUN.name(),
        &[
            "agents.runs.list",
            "agents.usage",
            "runner.rounds",
            "dashboard.summary",
        ],
    ),
    (kind::AGENTS_TRANSCRIPT.name(), NOTHING),
    (kind::RUNNER_PAUSED.name(), RUNNER),
    (kind::RUNNER_RESUMED.name(), RUNNER),
    (kind::RUNNER_WORKER.name(), RUNNER),
    (kind::RUNNER_WORKER_ENDED.name(), RUNNER),
    (kind::RUNNER_STOPPED.name(), RUNNER),
    (kind::RUNNER_ROUND.name(), &["runner.rounds"]),
    (
        kind::RUNNER_HOLD.name(),
        &["runner.status", "runner.rounds"],
    ),
    (
        kind::RUNNER_HOLD_RELEASED.name(),
        &["runner.status", "runner.rounds"],
    ),
    (
        kind::QUALITY_EVALUATED.name(),
        &["quality.evaluations.list", "runner.rounds"],
    ),
    (kind::QUALITY_UPDATED.name(), &["quality.settings.get"]),
    (kind::GOVERNANCE_UPDATED.name(), &["governance.get"]),
    (kind::GUIDANCE_UPDATED.name(), &["guidance.list"]),
    (
        kind::TARGET_UPDATED.name(),
        &["target.get", "project.overview"],
    ),
    (kind::TARGET_HEALTH.name(), &["target.get"]),
    (kind::PROCESSES_STARTED.name(), PROCESSES),
    (kind::PROCESSES_OUTPUT.name(), NOTHING),
    (kind::PROCESSES_EXITED.name(), PROCESSES),
    (kind::FILES_CHANGED.name(), FILES),
    (kind::FILES_WRITTEN.name(), FILES),
    (kind::FILES_CREATED.name(), FILES),
    (kind::FILES_RENAMED.name(), FILES),
    (kind::FILES_DELETED.name(), FILES),
    (kind::TERMINAL_CREATED.name(), TERMINALS),
    (kind::TERMINAL_UPDATED.name(), TERMINALS),
    (kind::TERMINAL_EXITED.name(), TERMINALS),
    (kind::TERMINAL_CLOSED.name(), TERMINALS),
    (kind::CHAT_THREAD.name(), CHAT),
    (kind::CHAT_DELETED.name(), CHAT),
    (kind::CHAT_MESSAGE.name(), CHAT),
    (kind::CHAT_DELTA.name(), NOTHING),
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
