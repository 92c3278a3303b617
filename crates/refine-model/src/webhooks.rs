//! Webhooks: per-app URLs that receive a signed JSON POST for chosen event kinds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A URL that receives the app's events of chosen kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub app_id: String,
    pub url: String,
    /// Event kinds sent (`workflow.transitioned`, `runner.round`, …).
    pub events: Vec<String>,
    /// Plain `http` to a loopback address was allowed for this webhook.
    pub allow_http: bool,
    pub enabled: bool,
    /// The last four characters of the signing secret (the secret is shown once, at creation).
    pub secret_hint: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A new webhook and its signing secret (shown only now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    pub webhook: Webhook,
    /// Verify each delivery: `X-Refine-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    pub secret: String,
}

/// One event sent (or being sent) to a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: u32,
    pub webhook_id: String,
    /// The event's id (`X-Refine-Delivery` carries the delivery id).
    pub event_id: String,
    pub event_kind: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (gave up).
    pub status: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt.
    pub response_code: Option<u16>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}
