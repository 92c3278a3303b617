//! MCP (Model Context Protocol) over streamable HTTP, JSON-response mode, at `POST /mcp`.
//! The tools are the registry's operations marked `mcp`; calls go through the same dispatch.
//!
//! Protocol versions: 2025-11-25, 2025-06-18 and 2025-03-26 (the first with streamable HTTP;
//! only it allows JSON-RPC batches). A request's `MCP-Protocol-Version` header names the version
//! negotiated at `initialize`; an unknown one is a 400. Client-sent notifications and responses
//! are accepted with 202 and no body.

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use refine_api::{registry, OpDef};
use refine_model::{ApiError, ErrorCode, Surface};
use serde_json::{json, Map, Value};

use crate::api::{context, read_body};
use crate::security::error_response;
use crate::State;

/// The versions this endpoint implements, newest first.
const PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
/// The one version that allows batches (and the one assumed without a version header).
const BATCH_VERSION: &str = "2025-03-26";
const HEADER: &str = "mcp-protocol-version";

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn rpc_result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// A message the client could not send: 400 with a JSON-RPC error that has no id.
fn refuse(code: i64, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(rpc_error(Value::Null, code, message)),
    )
        .into_response()
}

pub(crate) async fn get_not_allowed() -> Response {
    let mut r = error_response(&ApiError::invalid(
        "this MCP endpoint answers POST only (no server-initiated stream)",
    ));
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// One JSON-RPC message, sorted.
enum Message {
    Request {
        id: Value,
        method: String,
        params: Value,
    },
    /// Notifications and responses: accepted, never answered.
    Accepted,
}

fn classify(v: &Value) -> Result<Message, String> {
    let Some(m) = v.as_object() else {
        return Err("a JSON-RPC message is an object".into());
    };
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("\"jsonrpc\": \"2.0\" is required".into());
    }
    let id = match m.get("id") {
        None => None,
        Some(id @ Value::String(_)) => Some(id.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Value::Number(n.clone())),
        Some(_) => return Err("\"id\" must be a string or an integer (not null)".into()),
    };
    match (m.get("method"), id) {
        (Some(Value::String(method)), Some(id)) => Ok(Message::Request {
            id,
            method: method.clone(),
            params: m.get("params").cloned().unwrap_or(Value::Null),
        }),
        (Some(Value::String(_)), None) => Ok(Message::Accepted),
        (Some(_), _) => Err("\"method\" must be a string".into()),
        (None, Some(_)) if m.contains_key("result") != m.contains_key("error") => {
            Ok(Message::Accepted)
        }
        (None, _) => Err("neither a request, a notification nor a response".into()),
    }
}

/// The version the client says it speaks (`None`: no header, so 2025-03-26 by the spec).
fn header_version(headers: &HeaderMap) -> Result<Option<&'static str>, String> {
    let Some(raw) = headers.get(HEADER) else {
        return Ok(None);
    };
    let asked = raw.to_str().unwrap_or_default().trim();
    PROTOCOL_VERSIONS
        .iter()
        .find(|v| **v == asked)
        .map(|v| Some(*v))
        .ok_or_else(|| {
            format!(
                "unsupported MCP-Protocol-Version {asked:?}; this server speaks {}",
                PROTOCOL_VERSIONS.join(", ")
            )
        })
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
    let version = match header_version(&parts.headers) {
        Ok(v) => v,
        Err(message) => return refuse(INVALID_REQUEST, &message),
    };
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
        Err(e) => return refuse(PARSE_ERROR, &format!("parse error: {e}")),
    };
    let batch = match msg {
        Value::Array(items) => {
            if version.is_some_and(|v| v != BATCH_VERSION) {
                return refuse(
                    INVALID_REQUEST,
                    "JSON-RPC batches are part of protocol version 2025-03-26 only",
                );
            }
            if items.is_empty() {
                return refuse(INVALID_REQUEST, "an empty batch");
            }
            items
        }
        single => {
            return match classify(&single) {
                Err(message) => refuse(INVALID_REQUEST, &message),
                Ok(Message::Accepted) => StatusCode::ACCEPTED.into_response(),
                Ok(Message::Request { id, method, params }) => {
                    Json(answer(&state, ctx, id, &method, params).await).into_response()
                }
            };
        }
    };
    // A batch: every message must be valid; requests are answered in order.
    let mut sorted = Vec::with_capacity(batch.len());
    for m in &batch {
        match classify(m) {
            Ok(m) => sorted.push(m),
            Err(message) => return refuse(INVALID_REQUEST, &format!("in the batch: {message}")),
        }
    }
    let mut answers = Vec::new();
    for m in sorted {
        if let Message::Request { id, method, params } = m {
            if method == "initialize" {
                return refuse(INVALID_REQUEST, "initialize cannot be part of a batch");
            }
            answers.push(answer(&state, ctx.clone(), id, &method, params).await);
        }
    }
    if answers.is_empty() {
        StatusCode::ACCEPTED.into_response()
    } else {
        Json(Value::Array(answers)).into_response()
    }
}

async fn answer(
    state: &State,
    ctx: refine_core::Ctx,
    id: Value,
    method: &str,
    params: Value,
) -> Value {
    match method {
        "initialize" => {
            let asked = params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let version = PROTOCOL_VERSIONS
                .iter()
                .find(|v| **v == asked)
                .unwrap_or(&PROTOCOL_VERSIONS[0]);
            rpc_result(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": "refine", "title": "Refine", "version": env!("CARGO_PKG_VERSION")},
                    "instructions": "Refine's daemon: every tool is one Refine operation; inputs follow each tool's JSON Schema."
                }),
            )
        }
        "ping" => rpc_result(id, json!({})),
        "tools/list" => {
            let tools: Vec<Value> = registry().iter().filter(|o| o.mcp).map(tool).collect();
            rpc_result(id, json!({ "tools": tools }))
        }
        "tools/call" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(op) = registry().iter().find(|o| o.mcp && o.tool_name() == name) else {
                return rpc_error(id, INVALID_PARAMS, &format!("unknown tool {name:?}"));
            };
            let args = params.get("arguments").cloned().unwrap_or(json!({}));
            match refine_api::dispatch(&state.core, ctx, op.name, args).await {
                Ok(reply) => {
                    let (_, wrapped) = output_schema(op);
                    let structured = if wrapped {
                        json!({ "value": reply.value() })
                    } else {
                        reply.value()
                    };
                    rpc_result(
                        id,
                        json!({
                            "content": [{"type": "text", "text": structured.to_string()}],
                            "structuredContent": structured,
                            "isError": false
                        }),
                    )
                }
                // A refused call is the tool's answer, so the agent reads why.
                Err(e) => rpc_result(
                    id,
                    json!({
                        "content": [{"type": "text", "text": format!("{}: {}", serde_json::to_value(e.code).ok().and_then(|c| c.as_str().map(str::to_string)).unwrap_or_default(), e.message)}],
                        "isError": true
                    }),
                ),
            }
        }
        other => rpc_error(id, METHOD_NOT_FOUND, &format!("method not found: {other}")),
    }
}

fn strip_dialect(mut schema: Value) -> Value {
    if let Some(m) = schema.as_object_mut() {
        m.remove("$schema");
    }
    schema
}

/// The tool's output schema (always an object, as MCP requires) and whether the operation's
/// answer is wrapped as `{"value": …}` to fit it (lists, strings, unions).
fn output_schema(op: &OpDef) -> (Value, bool) {
    let schema = strip_dialect((op.output_schema)());
    if schema.get("type").and_then(Value::as_str) == Some("object") {
        return (schema, false);
    }
    let mut inner = schema;
    let defs = inner.as_object_mut().and_then(|m| m.remove("$defs"));
    let mut outer = Map::new();
    outer.insert("type".into(), json!("object"));
    outer.insert("properties".into(), json!({ "value": inner }));
    outer.insert("required".into(), json!(["value"]));
    if let Some(defs) = defs {
        outer.insert("$defs".into(), defs);
    }
    (Value::Object(outer), true)
}

fn tool(op: &OpDef) -> Value {
    let effect = op.effect();
    let mut annotations = json!({
        "title": op.name,
        "readOnlyHint": effect.read_only,
        "idempotentHint": effect.idempotent,
        "openWorldHint": false,
    });
    if !effect.read_only {
        annotations["destructiveHint"] = json!(effect.destructive);
    }
    json!({
        "name": op.tool_name(),
        "title": op.name,
        "description": op.doc,
        "inputSchema": strip_dialect((op.input_schema)()),
        "outputSchema": output_schema(op).0,
        "annotations": annotations,
    })
}
