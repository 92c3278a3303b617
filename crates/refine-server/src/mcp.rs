//! MCP (Model Context Protocol) over streamable HTTP, JSON-response mode, at `POST /mcp`.
//! The tools are the registry's operations marked `mcp`; calls go through the same dispatch.

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use refine_api::registry;
use refine_model::{ApiError, ErrorCode, Surface};
use serde_json::{json, Value};

use crate::api::{context, read_body};
use crate::security::error_response;
use crate::State;

const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn rpc_result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

pub(crate) async fn get_not_allowed() -> Response {
    let mut r = error_response(&ApiError::invalid(
        "this MCP endpoint answers POST only (no server-initiated stream)",
    ));
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

pub(crate) async fn handle(AxState(state): AxState<State>, req: Request) -> Response {
    let (parts, body): (_, Body) = req.into_parts();
    let mut ctx = match context(&parts.headers, Surface::Mcp) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    ctx.surface = Surface::Mcp;
    if ctx.actor == "user" {
        ctx.actor = "agent".to_string();
    }
    let bytes = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    if crate::api::json_content_type(&parts.headers).is_err() {
        return error_response(&ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "MCP messages must be application/json (UTF-8)",
        ));
    }
    let msg: Value = match crate::json::parse_strict(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return Json(rpc_error(Value::Null, -32700, &format!("parse error: {e}")))
                .into_response()
        }
    };
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        return Json(rpc_error(Value::Null, -32600, "invalid request: no method")).into_response();
    };
    let Some(id) = msg.get("id").cloned() else {
        // A notification (e.g. notifications/initialized): accepted, no answer.
        return StatusCode::ACCEPTED.into_response();
    };
    let params = msg.get("params").cloned().unwrap_or(Value::Null);
    let answer = match method {
        "initialize" => {
            let asked = params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let version = if PROTOCOL_VERSIONS.contains(&asked) {
                asked
            } else {
                PROTOCOL_VERSIONS[0]
            };
            rpc_result(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "refine", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Refine's daemon: every tool is one Refine operation; inputs follow each tool's JSON Schema."
                }),
            )
        }
        "ping" => rpc_result(id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = registry()
                .iter()
                .filter(|o| o.mcp)
                .map(|o| {
                    let mut schema = (o.input_schema)();
                    if let Some(m) = schema.as_object_mut() {
                        m.remove("$schema");
                    }
                    json!({"name": o.tool_name(), "title": o.name, "description": o.doc, "inputSchema": schema})
                })
                .collect();
            rpc_result(id, json!({ "tools": tools }))
        }
        "tools/call" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(op) = registry().iter().find(|o| o.mcp && o.tool_name() == name) else {
                return Json(rpc_error(id, -32602, &format!("unknown tool {name:?}")))
                    .into_response();
            };
            let args = params.get("arguments").cloned().unwrap_or(json!({}));
            match refine_api::dispatch(&state.core, ctx, op.name, args).await {
                Ok(reply) => rpc_result(
                    id,
                    json!({
                        "content": [{"type": "text", "text": reply.body.to_string()}],
                        "structuredContent": if reply.body.is_object() { reply.body.clone() } else { json!({"value": reply.body}) },
                        "isError": false
                    }),
                ),
                Err(e) => rpc_result(
                    id,
                    json!({
                        "content": [{"type": "text", "text": format!("{}: {}", serde_json::to_value(e.code).unwrap_or_default().as_str().unwrap_or("error"), e.message)}],
                        "isError": true
                    }),
                ),
            }
        }
        other => rpc_error(id, -32601, &format!("method not found: {other}")),
    };
    Json(answer).into_response()
}
