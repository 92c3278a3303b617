//! activity: query the append-only audit log (the live stream is the `activity.created` event).

use refine_model::{Activity, ApiError, Surface};
use refine_store::activity::{self as table, ActivityFilter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::apps::validate_id;
use crate::operations::{page_limit, paginate};
use crate::{clock, Core};

/// Filters for the audit log (newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityListInput {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub surface: Option<Surface>,
    /// An operation name (`apps.add`) or a group (`apps`).
    #[serde(default)]
    pub operation: Option<String>,
    /// RFC 3339; entries at or after this time.
    #[serde(default)]
    pub since: Option<String>,
    /// RFC 3339; entries before this time.
    #[serde(default)]
    pub until: Option<String>,
    /// 1..=500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    pub next_cursor: Option<String>,
}

fn time_filter(name: &str, v: &Option<String>) -> Result<Option<String>, ApiError> {
    v.as_deref()
        .map(|s| {
            clock::normalize(s).ok_or_else(|| {
                ApiError::invalid(format!(
                    "{name} must be an RFC 3339 time like 2026-01-31T12:00:00Z"
                ))
            })
        })
        .transpose()
}

impl Core {
    /// `activity.list`
    pub async fn activity_list(&self, input: ActivityListInput) -> Result<ActivityPage, ApiError> {
        let limit = page_limit(input.limit)?;
        if let Some(a) = &input.app_id {
            validate_id("app", a)?;
        }
        let since = time_filter("since", &input.since)?;
        let until = time_filter("until", &input.until)?;
        let before_seq = input
            .cursor
            .as_deref()
            .map(|c| {
                c.parse::<i64>().map_err(|_| {
                    ApiError::invalid("cursor is malformed; pass nextCursor unchanged")
                })
            })
            .transpose()?;
        let rows = self
            .read(move |c| {
                table::list(
                    c,
                    &ActivityFilter {
                        app_id: input.app_id.as_deref(),
                        actor: input.actor.as_deref(),
                        surface: input.surface,
                        operation: input.operation.as_deref(),
                        since: since.as_deref(),
                        until: until.as_deref(),
                        before_seq,
                        limit: limit + 1,
                    },
                )
            })
            .await?;
        let (rows, next_cursor) = paginate(rows, limit, |(seq, _)| seq.to_string());
        Ok(ActivityPage {
            items: rows.into_iter().map(|(_, a)| a).collect(),
            next_cursor,
        })
    }
}
