//! API routes generated from the registry: one axum route per declared operation.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::Router;
use refine_api::{registry, Method, OpDef};
use refine_core::Ctx;
use refine_model::{ApiError, ErrorCode, Surface};
use serde_json::{Map, Value};

use crate::security::error_response;
use crate::{State, MAX_BODY};

/// Longest a request may take before the client gets a 503 (the work itself, if any, goes on).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

fn filter(m: Method) -> MethodFilter {
    match m {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Patch => MethodFilter::PATCH,
        Method::Delete => MethodFilter::DELETE,
    }
}

pub(crate) fn routes() -> Router<State> {
    let mut paths: HashMap<&'static str, axum::routing::MethodRouter<State>> = HashMap::new();
    for op in registry() {
        let op: &'static OpDef = op;
        let handler = move |st: AxState<State>,
                            params: Result<Path<HashMap<String, String>>, PathRejection>,
                            req: Request| { call(st, op, params, req) };
        let entry = paths.remove(op.path).unwrap_or_default();
        paths.insert(op.path, entry.on(filter(op.method), handler));
    }
    let mut router = Router::new();
    for (path, mr) in paths {
        let mr = mr.fallback(|| async {
            let mut r = error_response(&ApiError::invalid(
                "this route does not take that HTTP method",
            ));
            *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            r
        });
        router = router.route(path, mr);
    }
    router.route(
        "/api/{*rest}",
        axum::routing::any(|| async {
            error_response(&ApiError::not_found(
                "no such API route; GET /api/v1/system/operations lists them",
            ))
        }),
    )
}

/// Build the request context from headers.
pub(crate) fn context(headers: &HeaderMap, default_surface: Surface) -> Result<Ctx, ApiError> {
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(s.to_string()))
                .map_err(|_| ApiError::invalid(format!("header {name} must be visible ASCII"))),
        }
    };
    let surface = match text("x-refine-surface")? {
        None => default_surface,
        Some(s) => match Surface::parse(&s) {
            Some(Surface::Browser) => Surface::Browser,
            Some(Surface::Cli) => Surface::Cli,
            Some(Surface::Http) => Surface::Http,
            Some(Surface::Mcp) => Surface::Mcp,
            Some(Surface::Desktop) => Surface::Desktop,
            _ => {
                return Err(ApiError::invalid(
                    "X-Refine-Surface must be browser, cli, desktop, http or mcp",
                ))
            }
        },
    };
    let mut ctx = Ctx::new(surface);
    if let Some(a) = text("x-refine-actor")? {
        // Header values are ASCII: clients percent-encode other characters (e.g. "Zo%C3%AB").
        ctx.actor = percent_decode(&a).ok_or_else(|| {
            ApiError::invalid("X-Refine-Actor is not valid percent-encoded UTF-8")
        })?;
    }
    ctx.idempotency_key = text("idempotency-key")?;
    ctx.app_id = text("x-refine-app")?;
    ctx.validate()?;
    Ok(ctx)
}

/// The JSON types a property of an input schema allows (`"integer"`, `["integer","null"]`, …).
fn schema_types(schema: &Value, prop: &str) -> Vec<String> {
    let Some(p) = schema.get("properties").and_then(|p| p.get(prop)) else {
        return Vec::new();
    };
    match p.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Query-string values are text; turn them into the JSON the input type expects.
fn coerce(schema: &Value, key: &str, raw: String) -> Value {
    let types = schema_types(schema, key);
    let has = |t: &str| types.iter().any(|x| x == t);
    if (has("integer") || has("number")) && !has("string") {
        if let Ok(n) = raw.parse::<i64>() {
            return Value::from(n);
        }
        if let Ok(f) = raw.parse::<f64>() {
            return Value::from(f);
        }
    }
    if has("boolean") && !has("string") {
        match raw.as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    if (has("array") || has("object")) && !has("string") {
        if let Ok(v) = serde_json::from_str(&raw) {
            return v;
        }
        // `status=todo,review` for a list of plain values.
        if has("array") {
            return Value::Array(
                raw.split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            );
        }
    }
    Value::String(raw)
}

fn parse_query(q: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(q) = q.filter(|q| !q.is_empty()) else {
        return Ok(Vec::new());
    };
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| {
                percent_decode(&s.replace('+', " ")).ok_or_else(|| {
                    ApiError::invalid("query string is not valid percent-encoded UTF-8")
                })
            };
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Assemble the operation's JSON input from path parameters, query string and body.
async fn input_of(
    op: &OpDef,
    params: HashMap<String, String>,
    req: Request,
) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let mut obj = Map::new();
    if op.method == Method::Get {
        let schema = (op.input_schema)();
        for (k, v) in parse_query(parts.uri.query())? {
            if obj.contains_key(&k) {
                return Err(ApiError::invalid(format!(
                    "query parameter {k:?} is given twice"
                )));
            }
            let v = coerce(&schema, &k, v);
            obj.insert(k, v);
        }
    } else {
        if parts.uri.query().is_some_and(|q| !q.is_empty()) {
            return Err(ApiError::invalid(format!(
                "{} takes a JSON body, not query parameters",
                op.method.as_str()
            )));
        }
        let bytes = read_body_up_to(&parts.headers, body, op.max_body.unwrap_or(MAX_BODY)).await?;
        if !bytes.is_empty() {
            let json_ct = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|ct| {
                    ct.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .eq_ignore_ascii_case("application/json")
                })
                .unwrap_or(false);
            if !json_ct {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "request bodies must be JSON (Content-Type: application/json)",
                ));
            }
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => obj = m,
                Ok(Value::Null) => {}
                Ok(_) => return Err(ApiError::invalid("the request body must be a JSON object")),
                Err(e) => return Err(ApiError::invalid(format!("malformed JSON body: {e}"))),
            }
        } else if op.method != Method::Delete && !has_json_ct(&parts.headers) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "request bodies must be JSON (Content-Type: application/json)",
            ));
        }
    }
    for (k, v) in params {
        match obj.get(&k) {
            Some(existing) if existing != &Value::String(v.clone()) => {
                return Err(ApiError::invalid(format!(
                    "{k:?} differs between the path and the body"
                )));
            }
            _ => {
                obj.insert(k, Value::String(v));
            }
        }
    }
    Ok(Value::Object(obj))
}

fn has_json_ct(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
}

pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, ApiError> {
    read_body_up_to(headers, body, MAX_BODY).await
}

/// Read a body of at most `limit` bytes (413 past it, checked on Content-Length first).
pub(crate) async fn read_body_up_to(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request bodies are limited to {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large());
        }
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

async fn call(
    AxState(state): AxState<State>,
    op: &'static OpDef,
    params: Result<Path<HashMap<String, String>>, PathRejection>,
    req: Request,
) -> Response {
    let params = match params {
        Ok(Path(p)) => p,
        Err(e) => {
            return error_response(&ApiError::invalid(format!(
                "bad path parameter: {}",
                e.body_text()
            )))
        }
    };
    let ctx = match context(req.headers(), Surface::Http) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let input = match input_of(op, params, req).await {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let core = state.core.clone();
    // Writes run in their own task: a client that hangs up changes nothing. Reads just run.
    let task = if op.kind == refine_api::OpKind::Query {
        let fut = async move {
            Ok::<_, tokio::task::JoinError>(refine_api::dispatch(&core, ctx, op.name, input).await)
        };
        futures::future::Either::Left(fut)
    } else {
        futures::future::Either::Right(tokio::spawn(async move {
            refine_api::dispatch(&core, ctx, op.name, input).await
        }))
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, task).await {
        Ok(Ok(Ok(reply))) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            let mut r = (status, axum::Json(reply.body)).into_response();
            if reply.replayed {
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            r
        }
        Ok(Ok(Err(e))) => error_response(&e),
        Ok(Err(join)) => {
            tracing::error!(operation = op.name, error = %join, "operation task failed");
            error_response(&ApiError::internal("internal error"))
        }
        Err(_) => error_response(
            &ApiError::unavailable(
                "the request took too long; check `refine ops list` for its outcome",
            )
            .with_details(serde_json::json!({ "retryAfter": 5 })),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_values_follow_the_schema() {
        let schema = json!({"properties": {"limit": {"type": ["integer", "null"]}, "actor": {"type": ["string", "null"]}}});
        assert_eq!(coerce(&schema, "limit", "5".into()), json!(5));
        assert_eq!(coerce(&schema, "actor", "5".into()), json!("5"));
        assert_eq!(coerce(&schema, "limit", "x".into()), json!("x"));
        let list = json!({"properties": {"status": {"type": ["array", "null"], "items": {"type": "string"}}}});
        assert_eq!(
            coerce(&list, "status", "todo,review".into()),
            json!(["todo", "review"])
        );
        assert_eq!(
            coerce(&list, "status", "[\"done\"]".into()),
            json!(["done"])
        );
        assert_eq!(
            parse_query(Some("a=b%20c&d=1+2")).unwrap(),
            vec![("a".into(), "b c".into()), ("d".into(), "1 2".into())]
        );
        assert!(parse_query(Some("a=%ff")).is_err());
    }
}
