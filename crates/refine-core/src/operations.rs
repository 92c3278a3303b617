//! operations: durable receipts of work; list, get, cancel.

use crate::events::kind;
use refine_model::{ApiError, OperationReceipt, OperationStatus};
use refine_store::operations::{self as table, OperationFilter};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::apps::validate_id;
use crate::{clock, Change, Core, Ctx, Mutated};

/// Filters for listing operations (newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationsListInput {
    #[serde(default)]
    pub status: Option<OperationStatus>,
    /// Operation name, e.g. `apps.rescan`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub app_id: Option<String>,
    /// 1..=500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A page of operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationPage {
    pub items: Vec<OperationReceipt>,
    pub next_cursor: Option<String>,
}

/// Names one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationIdInput {
    pub id: String,
}

pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(format!(
            "limit must be between 1 and 500, got {n}"
        ))),
    }
}

impl Core {
    /// `operations.list`
    pub async fn operations_list(
        &self,
        input: OperationsListInput,
    ) -> Result<OperationPage, ApiError> {
        let limit = page_limit(input.limit)?;
        if let Some(a) = &input.app_id {
            validate_id("app", a)?;
        }
        // Cursor: "<createdAt>|<id>" of the last item of the previous page (the id places it).
        let cursor = match &input.cursor {
            None => None,
            Some(c) => {
                let (_, id) = c.split_once('|').ok_or_else(|| {
                    ApiError::invalid("cursor is malformed; pass nextCursor unchanged")
                })?;
                Some(id.to_string())
            }
        };
        let items = self
            .read(move |c| {
                table::list(
                    c,
                    &OperationFilter {
                        status: input.status,
                        kind: input.kind.as_deref(),
                        app_id: input.app_id.as_deref(),
                        before: cursor.as_deref(),
                        limit: limit + 1,
                    },
                )
            })
            .await?;
        let (items, next_cursor) = paginate(items, limit, |o| format!("{}|{}", o.created_at, o.id));
        Ok(OperationPage { items, next_cursor })
    }

    /// `operations.get`
    pub async fn operations_get(
        &self,
        input: OperationIdInput,
    ) -> Result<OperationReceipt, ApiError> {
        validate_id("operation", &input.id)?;
        let id = input.id.clone();
        self.read(move |c| table::get(c, &id))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no operation with id {}", input.id)))
    }

    /// `operations.cancel`: stop a running operation; its receipt becomes `cancelled`.
    pub async fn operations_cancel(
        &self,
        ctx: &Ctx,
        input: OperationIdInput,
    ) -> Result<Mutated<OperationReceipt>, ApiError> {
        validate_id("operation", &input.id)?;
        let id = input.id.clone();
        let core = self.clone();
        let prepare = async move {
            core.signal_cancel(&id);
            Ok(())
        };
        let id = input.id.clone();
        self.mutate(ctx, &input, prepare, move |tx, ()| {
            let op = table::get(tx, &id)?
                .ok_or_else(|| ApiError::not_found(format!("no operation with id {id}")))?;
            if op.status.is_terminal() {
                return Err(ApiError::conflict(format!(
                    "operation {id} already ended ({}); nothing to cancel",
                    op.status.as_str()
                )));
            }
            table::finish(
                tx,
                &id,
                OperationStatus::Cancelled,
                None,
                None,
                &clock::now(),
            )?;
            let receipt =
                table::get(tx, &id)?.ok_or_else(|| ApiError::internal("operation vanished"))?;
            let change = Change::new(format!(
                "Cancelled operation {} ({})",
                receipt.kind, receipt.id
            ))
            .app(receipt.app_id.clone())
            .target(receipt.id.clone())
            .event(kind::OPERATIONS_UPDATED, &receipt);
            Ok((receipt, change))
        })
        .await
    }
}

/// Cut a `limit + 1` fetch into a page and the cursor of its last item (if more follow).
pub(crate) fn paginate<T>(
    mut items: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(cursor) } else { None };
    (items, next)
}
