//! The operation registry: every operation of Refine is declared once here (name, kind, HTTP
//! method + path, input/output types, doc line, MCP flag). The HTTP routes, the Tauri `rpc`
//! dispatch, `refine call`, the MCP tools, the TypeScript client, the OpenAPI document and the
//! `system.operations` listing are all derived from this one table.

pub mod bindings;
pub mod events;
pub mod openapi;
pub mod ops;
mod registry;

pub use registry::{
    dispatch, find, registry, Effect, Method, Op, OpDef, OpKind, OperationInfo, Reply,
};
