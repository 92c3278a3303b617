//! Work: Goals, their Rounds, Features, reporters and their todo lists.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::workflow::WorkflowState;

/// Where an imported Goal came from (dedupes re-imports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalRef {
    /// e.g. `github`, `jira`, `markdown`, `csv`
    pub source: String,
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// A link to evidence gathered in a Round (logs, diffs, verdicts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceLink {
    pub kind: String,
    pub label: String,
    pub href: String,
}

/// One attempt at a Goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Round {
    pub number: u32,
    /// Why this attempt was opened (first attempt, retry, declined review, …).
    pub request: String,
    pub plan: Option<String>,
    pub outcome: Option<String>,
    pub evidence: Vec<EvidenceLink>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// The smallest schedulable unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    pub id: String,
    pub app_id: String,
    /// Per-app number, shown as `#12`.
    pub number: u32,
    pub title: String,
    /// Markdown: what exists vs. what should exist.
    pub prompt: String,
    pub notes: String,
    pub status: WorkflowState,
    /// Higher first.
    pub priority: i32,
    pub reporter_id: Option<String>,
    pub reporter_name: Option<String>,
    /// A person or an agent profile name.
    pub assignee: Option<String>,
    pub feature_id: Option<String>,
    pub feature_name: Option<String>,
    /// Position within the Feature (0-based).
    pub position: Option<u32>,
    pub node_id: String,
    pub labels: Vec<String>,
    pub external: Option<ExternalRef>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// Best-of-N: candidates each Round implements side by side (2-5; `None`: the app's
    /// `runner.candidates` setting).
    pub candidates: Option<u32>,
    /// The node this Goal must run on (`goals.assign`); `None`: whichever node has room.
    pub pinned_node: Option<String>,
    pub rounds: Vec<Round>,
}

/// Status of a Feature, derived from its Goals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStatus {
    /// No Goals yet.
    Empty,
    /// Nothing started (backlog/todo only).
    Todo,
    /// Something is running or waiting for review.
    InProgress,
    /// A Goal failed: the rest of the Feature waits.
    Blocked,
    /// Every Goal is done or cancelled (and at least one is done).
    Done,
    /// Every Goal was cancelled.
    Cancelled,
}

/// Derive a Feature's status from its Goals' states.
pub fn feature_status(states: &[WorkflowState]) -> FeatureStatus {
    use WorkflowState::*;
    if states.is_empty() {
        return FeatureStatus::Empty;
    }
    if states.contains(&Failed) {
        return FeatureStatus::Blocked;
    }
    if states.iter().all(|s| *s == Cancelled) {
        return FeatureStatus::Cancelled;
    }
    if states.iter().all(|s| s.is_terminal()) {
        return FeatureStatus::Done;
    }
    if states
        .iter()
        .all(|s| matches!(s, Backlog | Todo | Cancelled))
    {
        return FeatureStatus::Todo;
    }
    FeatureStatus::InProgress
}

/// An ordered group of Goals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Feature {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub description: String,
    pub status: FeatureStatus,
    /// Goal ids in order.
    pub goal_ids: Vec<String>,
    pub done: u32,
    pub total: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReporterKind {
    Person,
    Agent,
    System,
}

/// Who reported work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reporter {
    pub id: String,
    pub name: String,
    pub kind: ReporterKind,
    pub created_at: String,
    /// Set when removed (history keeps the name).
    pub removed_at: Option<String>,
    pub open_todos: u32,
}

/// One item of a reporter's todo list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Todo {
    pub id: String,
    pub reporter_id: String,
    pub text: String,
    pub done: bool,
    pub position: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkflowState::*;

    #[test]
    fn feature_status_from_goals() {
        assert_eq!(feature_status(&[]), FeatureStatus::Empty);
        assert_eq!(feature_status(&[Todo, Backlog]), FeatureStatus::Todo);
        assert_eq!(
            feature_status(&[Done, Implement]),
            FeatureStatus::InProgress
        );
        assert_eq!(feature_status(&[Done, Review]), FeatureStatus::InProgress);
        assert_eq!(
            feature_status(&[Done, Failed, Todo]),
            FeatureStatus::Blocked
        );
        assert_eq!(feature_status(&[Done, Cancelled]), FeatureStatus::Done);
        assert_eq!(feature_status(&[Cancelled]), FeatureStatus::Cancelled);
        assert_eq!(feature_status(&[Done, Todo]), FeatureStatus::InProgress);
    }
}
