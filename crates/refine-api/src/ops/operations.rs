use refine_core::operations::{OperationIdInput, OperationsListInput};

use crate::registry::{Decl, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        Decl {
            name: "operations.list",
            method: Method::Get,
            path: "/api/v1/operations",
            doc: "Durable operation receipts, newest first, filterable by status, kind and app; cursor-paginated.",
            mcp: true,
        }
        .query(|core, _, i: OperationsListInput| async move { core.list_operations(i).await }),
        Decl {
            name: "operations.get",
            method: Method::Get,
            path: "/api/v1/operations/{id}",
            doc: "One operation receipt: status, progress, result or error.",
            mcp: true,
        }
        .query(|core, _, i: OperationIdInput| async move { core.get_operation(i).await }),
        Decl {
            name: "operations.cancel",
            method: Method::Post,
            path: "/api/v1/operations/{id}/cancel",
            doc: "Cancel a running operation; an operation that already ended is a 409.",
            mcp: true,
        }
        .mutation(OpKind::Mutation, |core, ctx, i: OperationIdInput| async move {
            core.cancel_operation(&ctx, i).await
        }),
    ]
}
