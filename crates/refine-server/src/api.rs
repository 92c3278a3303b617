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

/// Longest a request may take before the client gets a 503 (work that already committed goes
/// on and its outcome is what the client gets; anything else is given up).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The whole request body must arrive within this (a slow sender is cut off with a 408).
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(15);

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
    let mut ctx = Ctx::arrived(surface);
    if let Some(a) = text("x-refine-actor")? {
        // Header values are ASCII: clients percent-encode other characters (e.g. "Zo%C3%AB").
        ctx.actor = percent_decode(&a).ok_or_else(|| {
            ApiError::invalid("X-Refine-Actor is not valid percent-encoded UTF-8")
        })?;
    }
    ctx.idempotency_key = text("idempotency-key")?;
    ctx.client = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect());
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

/// Whether an array property's items are names from a fixed set (an enum, maybe by `$ref`).
fn items_are_names(schema: &Value, prop: &str) -> bool {
    let items = &schema["properties"][prop]["items"];
    if items.get("enum").is_some() {
        return true;
    }
    match items.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or("");
            let def = &schema["$defs"][name];
            def.get("enum").is_some()
                || def.get("oneOf").is_some_and(|o| {
                    o.as_array().is_some_and(|a| {
                        a.iter()
                            .all(|x| x.get("const").is_some() || x.get("enum").is_some())
                    })
                })
        }
        None => false,
    }
}

/// Query-string values are text; turn them into the JSON the input type expects. A number
/// field takes only a finite number (an integer field also `1.0`, not `1.5`); what does not fit
/// is a 400 naming the parameter.
fn coerce(schema: &Value, key: &str, raw: String) -> Result<Value, ApiError> {
    let types = schema_types(schema, key);
    let has = |t: &str| types.iter().any(|x| x == t);
    if (has("integer") || has("number")) && !has("string") {
        if let Ok(n) = raw.parse::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = raw.parse::<u64>() {
            return Ok(Value::from(n));
        }
        let f = raw.parse::<f64>().ok().filter(|f| f.is_finite());
        return match f {
            Some(f) if has("number") => Ok(Value::from(f)),
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(f as i64)),
            _ => Err(ApiError::invalid(format!(
                "parameter {key:?} must be {}, not {raw:?}",
                if has("integer") {
                    "a whole number"
                } else {
                    "a finite number"
                }
            ))),
        };
    }
    if has("boolean") && !has("string") {
        return match raw.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(ApiError::invalid(format!(
                "parameter {key:?} must be true or false, not {raw:?}"
            ))),
        };
    }
    if (has("array") || has("object")) && !has("string") {
        if let Ok(v) = serde_json::from_str(&raw) {
            return Ok(v);
        }
        // `status=todo,review` for a list of names (an enum); any other list (paths, labels)
        // takes the value whole: `a,b.txt` is one file.
        if has("array") && !items_are_names(schema, key) {
            return Ok(Value::Array(vec![Value::String(raw)]));
        }
        if has("array") {
            return Ok(Value::Array(
                raw.split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            ));
        }
    }
    Ok(Value::String(raw))
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
    let schema = op.input_schema_value();
    if op.method == Method::Get {
        // A list goes either as `status=todo&status=plan` (what generated clients send) or,
        // for lists of names, as `status=todo,plan`.
        let mut repeated: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in parse_query(parts.uri.query())? {
            if schema_types(schema, &k).iter().any(|t| t == "array") {
                repeated.entry(k).or_default().push(v);
                continue;
            }
            if obj.contains_key(&k) {
                return Err(ApiError::invalid(format!(
                    "query parameter {k:?} is given twice"
                )));
            }
            let v = coerce(schema, &k, v)?;
            obj.insert(k, v);
        }
        for (k, values) in repeated {
            let v = if values.len() == 1 {
                coerce(schema, &k, values.into_iter().next().unwrap_or_default())?
            } else {
                Value::Array(values.into_iter().map(Value::String).collect())
            };
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
        if bytes.is_empty() {
            // DELETE names its target in the path; every other write says what it wants.
            if op.method != Method::Delete {
                if !has_json_ct(&parts.headers) {
                    return Err(unsupported_body());
                }
                return Err(ApiError::invalid(
                    "this operation takes a JSON object as its body; send {} to use its defaults",
                ));
            }
        } else {
            json_content_type(&parts.headers)?;
            match crate::json::parse_strict(&bytes) {
                Ok(Value::Object(m)) => obj = m,
                Ok(_) => return Err(ApiError::invalid("the request body must be a JSON object")),
                Err(e) => return Err(ApiError::invalid(format!("malformed JSON body: {e}"))),
            }
        }
    }
    // A path parameter is typed like the input field it fills (`/comments/{id}` with a numeric id).
    for (k, v) in params {
        let v = coerce(schema, &k, v)?;
        match obj.get(&k) {
            Some(existing) if existing != &v => {
                return Err(ApiError::invalid(format!(
                    "{k:?} differs between the path and the body"
                )));
            }
            _ => {
                obj.insert(k, v);
            }
        }
    }
    Ok(Value::Object(obj))
}

fn unsupported_body() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "request bodies must be JSON (Content-Type: application/json)",
    )
}

fn has_json_ct(h: &HeaderMap) -> bool {
    json_content_type(h).is_ok()
}

/// `Content-Type: application/json`, with no charset or `charset=utf-8` (JSON is UTF-8; a body
/// announced in another charset would be read as something it is not).
pub(crate) fn json_content_type(h: &HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return Err(unsupported_body());
    };
    let mut parts = ct.split(';');
    if !parts
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        return Err(unsupported_body());
    }
    for p in parts {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("charset")
            && !v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "JSON bodies are UTF-8; charset {} is not accepted",
                    v.trim()
                ),
            ));
        }
    }
    Ok(())
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
    match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(r) => r.map_err(|_| too_large()),
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            format!(
                "the request body did not arrive within {} s",
                BODY_READ_TIMEOUT.as_secs()
            ),
        )),
    }
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
    let mut ctx = match context(req.headers(), Surface::Http) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    if let Some(s) = req.extensions().get::<refine_core::sessions::SessionAuth>() {
        ctx.session_id = Some(s.id.clone());
    }
    let input = match input_of(op, params, req).await {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let core = state.core.clone();
    let settle = ctx.settle.clone();
    // Writes run in their own task: a client that hangs up changes nothing. Reads just run.
    let mut task = if op.kind == refine_api::OpKind::Query {
        let fut = async move {
            Ok::<_, tokio::task::JoinError>(refine_api::dispatch(&core, ctx, op.name, input).await)
        };
        futures::future::Either::Left(Box::pin(fut))
    } else {
        futures::future::Either::Right(tokio::spawn(async move {
            refine_api::dispatch(&core, ctx, op.name, input).await
        }))
    };
    let outcome = match tokio::time::timeout(REQUEST_TIMEOUT, &mut task).await {
        Ok(done) => Some(done),
        // Given up before its transaction committed: it never will, so "retry" is the truth.
        Err(_) if settle.abandon() => None,
        // Its commit is under way: the client gets what really happened.
        Err(_) => tokio::time::timeout(REQUEST_TIMEOUT, task).await.ok(),
    };
    match outcome {
        Some(Ok(Ok(reply))) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            let body: Box<str> = reply.body.into();
            let mut r = (
                status,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                String::from(body),
            )
                .into_response();
            if reply.replayed {
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            r
        }
        Some(Ok(Err(e))) => error_response(&e),
        Some(Err(join)) => {
            tracing::error!(operation = op.name, error = %join, "operation task failed");
            error_response(&ApiError::internal("internal error"))
        }
        None => error_response(
            &ApiError::unavailable(
                "the request took too long and was not carried out; retry it (with the same Idempotency-Key)",
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
        assert_eq!(coerce(&schema, "limit", "5".into()).unwrap(), json!(5));
        assert_eq!(coerce(&schema, "limit", "5.0".into()).unwrap(), json!(5));
        assert_eq!(coerce(&schema, "actor", "5".into()).unwrap(), json!("5"));
        for bad in ["x", "5.5", "NaN", "inf", "-inf", "1e300"] {
            let e = coerce(&schema, "limit", bad.into()).unwrap_err();
            assert!(e.message.contains("\"limit\""), "{bad}: {}", e.message);
        }
        let num = json!({"properties": {"offset": {"type": ["number", "null"]}}});
        assert_eq!(coerce(&num, "offset", "2.5".into()).unwrap(), json!(2.5));
        assert!(coerce(&num, "offset", "NaN".into()).is_err());
        let list = json!({"properties": {"status": {"type": ["array", "null"], "items": {"$ref": "#/$defs/State"}}, "paths": {"type": "array", "items": {"type": "string"}}}, "$defs": {"State": {"type": "string", "enum": ["todo", "review", "done"]}}});
        assert_eq!(
            coerce(&list, "paths", "a,b.txt".into()).unwrap(),
            json!(["a,b.txt"]),
            "a file name with a comma is one file"
        );
        assert_eq!(
            coerce(&list, "status", "todo,review".into()).unwrap(),
            json!(["todo", "review"])
        );
        assert_eq!(
            coerce(&list, "status", "[\"done\"]".into()).unwrap(),
            json!(["done"])
        );
        assert_eq!(
            parse_query(Some("a=b%20c&d=1+2")).unwrap(),
            vec![("a".into(), "b c".into()), ("d".into(), "1 2".into())]
        );
        assert!(parse_query(Some("a=%ff")).is_err());
    }
}
