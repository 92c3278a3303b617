//! Durable receipts of consequential or long-running work.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The daemon that ran it died before it finished (set by start-up repair).
    Interrupted,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::Running => "running",
            OperationStatus::Succeeded => "succeeded",
            OperationStatus::Failed => "failed",
            OperationStatus::Cancelled => "cancelled",
            OperationStatus::Interrupted => "interrupted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => OperationStatus::Running,
            "succeeded" => OperationStatus::Succeeded,
            "failed" => OperationStatus::Failed,
            "cancelled" => OperationStatus::Cancelled,
            "interrupted" => OperationStatus::Interrupted,
            _ => return None,
        })
    }
    pub fn is_terminal(self) -> bool {
        self != OperationStatus::Running
    }
}

/// A durable operation receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationReceipt {
    pub id: String,
    /// The operation name that created it, e.g. `apps.rescan`.
    pub kind: String,
    pub status: OperationStatus,
    /// 0..=100
    pub progress: u32,
    pub message: Option<String>,
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<crate::ApiError>,
    pub idempotency_key: Option<String>,
    pub app_id: Option<String>,
    pub actor: String,
    pub surface: crate::Surface,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}
