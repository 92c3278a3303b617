//! Durable operations (long-running work).

use refine_core::operations::{OperationIdInput, OperationPage, OperationsListInput};
use refine_model::OperationReceipt;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<OperationsListInput, OperationPage> = Op::query(
    "operations.list",
    Get,
    "/api/v1/operations",
    "Durable operation receipts, newest first, filterable by status, kind and app; cursor-paginated.",
    true,
);

pub const GET: Op<OperationIdInput, OperationReceipt> = Op::query(
    "operations.get",
    Get,
    "/api/v1/operations/{id}",
    "One operation receipt: status, progress, result or error.",
    true,
);

pub const CANCEL: Op<OperationIdInput, OperationReceipt> = Op::mutation(
    "operations.cancel",
    Post,
    "/api/v1/operations/{id}/cancel",
    "Cancel a running operation; an operation that already ended is a 409.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _, i| async move { core.operations_list(i).await }),
        GET.handle(|core, _, i| async move { core.operations_get(i).await }),
        CANCEL.handle(|core, ctx, i| async move { core.operations_cancel(&ctx, i).await }),
    ]
}
