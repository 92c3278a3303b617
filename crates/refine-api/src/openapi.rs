//! The OpenAPI 3.1 document, derived from the registry (committed as `openapi.json`) so that
//! tools nobody here wrote accept it as published: every schema an operation names is in
//! `components/schemas` (refs are `#/components/schemas/X`, never a schema's own `$defs`),
//! every error answer is declared with its status and the error body, request bodies leave out
//! what the path names, and query parameters say how arrays are sent.

use serde_json::{json, Map, Value};

use crate::registry::{registry, Method};
use refine_model::ErrorCode;

/// Every error code the daemon answers with, and when.
const ERRORS: &[(ErrorCode, &str)] = &[
    (
        ErrorCode::InvalidInput,
        "the input is invalid (the message says what and where)",
    ),
    (
        ErrorCode::Unauthorized,
        "missing or wrong token or browser session",
    ),
    (
        ErrorCode::Forbidden,
        "refused: a foreign Host or Origin, or not allowed",
    ),
    (ErrorCode::NotFound, "no such thing"),
    (
        ErrorCode::RequestTimeout,
        "the request body did not arrive in time",
    ),
    (
        ErrorCode::Conflict,
        "the current state does not allow it (details say why)",
    ),
    (ErrorCode::Stale, "the version you sent is out of date"),
    (ErrorCode::PayloadTooLarge, "the request body is too large"),
    (
        ErrorCode::UnsupportedMediaType,
        "the request body is not UTF-8 JSON",
    ),
    (
        ErrorCode::PreconditionFailed,
        "a precondition does not hold (e.g. no app selected, an Idempotency-Key reused)",
    ),
    (
        ErrorCode::TooManyRequests,
        "a limit was reached; retry after `Retry-After`",
    ),
    (
        ErrorCode::Internal,
        "Refine failed (details are in its log)",
    ),
    (
        ErrorCode::Unavailable,
        "busy or shutting down; retry after `Retry-After`",
    ),
    (
        ErrorCode::InsufficientStorage,
        "the disk holding Refine's data is full",
    ),
];

/// Rewrite a schema for the document: `#/$defs/X` → `#/components/schemas/X`, boolean schemas
/// (`true`: anything) → `{}`, the `$defs` and `$schema` keywords moved out.
fn adapt(v: &mut Value, defs: &mut Map<String, Value>) {
    match v {
        Value::Bool(true) => *v = json!({}),
        Value::Bool(false) => *v = json!({"not": {}}),
        Value::Object(m) => {
            if let Some(Value::Object(d)) = m.remove("$defs") {
                for (k, mut s) in d {
                    adapt(&mut s, defs);
                    defs.entry(k).or_insert(s);
                }
            }
            m.remove("$schema");
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    *r = format!("#/components/schemas/{name}");
                }
            }
            for (k, x) in m.iter_mut() {
                // Values, not schemas: `"default": false` stays false.
                if matches!(
                    k.as_str(),
                    "default" | "const" | "enum" | "examples" | "example"
                ) {
                    continue;
                }
                adapt(x, defs);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| adapt(x, defs)),
        _ => {}
    }
}

/// A root schema as a component: its title names it; the document refers to it.
fn component(mut schema: Value, defs: &mut Map<String, Value>) -> Value {
    adapt(&mut schema, defs);
    let Some(title) = schema
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return schema;
    };
    if schema.get("type").is_none()
        && schema.get("oneOf").is_none()
        && schema.get("anyOf").is_none()
        && schema.get("$ref").is_none()
        && schema.get("enum").is_none()
        && schema.get("const").is_none()
    {
        return schema;
    }
    defs.entry(title.clone()).or_insert(schema);
    json!({"$ref": format!("#/components/schemas/{title}")})
}

/// The input schema without the fields the path names (they are path parameters).
fn without(input: &Value, names: &[&str]) -> Value {
    let mut s = input.clone();
    if let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) {
        for n in names {
            props.remove(*n);
        }
    }
    if let Some(req) = s.get_mut("required").and_then(Value::as_array_mut) {
        req.retain(|r| !r.as_str().is_some_and(|r| names.contains(&r)));
    }
    if let Some(t) = s.get("title").and_then(Value::as_str).map(str::to_string) {
        if !names.is_empty() {
            s["title"] = json!(format!("{t}Body"));
        }
    }
    s
}

/// Build the document. GET operations take their input as query parameters (and path
/// parameters); every other method takes a JSON body.
pub fn document() -> Value {
    let mut defs: Map<String, Value> = Map::new();
    let mut paths: Map<String, Value> = Map::new();
    let error_ref = json!({"$ref": "#/components/schemas/ApiError"});
    for op in registry() {
        let input = (op.input_schema)();
        let output = component((op.output_schema)(), &mut defs);
        let path_params = op.path_params();
        let mut params: Vec<Value> = path_params
            .iter()
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
            .collect();
        let mut responses = Map::new();
        responses.insert(
            success_status(op).to_string(),
            json!({"description": "success", "content": {"application/json": {"schema": output}}}),
        );
        for (code, why) in ERRORS {
            if op.public && *code == ErrorCode::Unauthorized && op.name == "system.health" {
                continue;
            }
            responses.insert(
                code.http_status().to_string(),
                json!({"description": why, "content": {"application/json": {"schema": error_ref}}}),
            );
        }
        let mut o = json!({
            "operationId": op.name,
            "summary": op.doc,
            "tags": [op.name.split('.').next().unwrap_or("other")],
            "responses": responses,
        });
        if op.method == Method::Get {
            let mut input = input.clone();
            adapt(&mut input, &mut defs);
            if let Some(props) = input.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = input
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, schema) in props {
                    if path_params.contains(&name.as_str()) {
                        continue;
                    }
                    let mut p = json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": schema});
                    if is_array(schema) {
                        // `status=todo&status=plan` (the form generated clients send).
                        p["style"] = json!("form");
                        p["explode"] = json!(true);
                    }
                    params.push(p);
                }
            }
        } else if has_body(&input, &path_params) {
            let body = component(without(&input, &path_params), &mut defs);
            o["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
        if !op.public && op.method.is_mutating() {
            params.push(idempotency_param());
        }
        if !params.is_empty() {
            o["parameters"] = Value::Array(params);
        }
        if op.public {
            o["security"] = json!([]);
        }
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method.as_str().to_ascii_lowercase()] = o;
    }
    let mut error_schema =
        serde_json::to_value(schemars::schema_for!(refine_model::ApiError)).unwrap_or_default();
    adapt(&mut error_schema, &mut defs);
    defs.insert("ApiError".into(), error_schema);
    let mut sorted: Vec<(String, Value)> = defs.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Refine daemon API",
            "version": refine_model::API_VERSION,
            "description": "The loopback API of a Refine daemon. Every route but the health check needs `Authorization: Bearer <token>` (the data dir's `token` file) or a browser session secret. Mutations take an optional `Idempotency-Key`."
        },
        "servers": [{"url": "http://127.0.0.1:7878"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": Value::Object(sorted.into_iter().collect()),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

fn is_array(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(a)) => a.iter().any(|t| t == "array"),
        _ => false,
    }
}

fn success_status(op: &crate::OpDef) -> &'static str {
    if op.kind == crate::OpKind::LongRunning {
        "202"
    } else {
        "200"
    }
}

fn idempotency_param() -> Value {
    json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
}

/// A mutating operation has a body unless all its fields come from the path.
fn has_body(input: &Value, path_params: &[&str]) -> bool {
    match input.get("properties").and_then(Value::as_object) {
        None => true,
        Some(props) => props.keys().any(|k| !path_params.contains(&k.as_str())) || props.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_in_components() {
        let doc = super::document();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a ref outside components: {r}"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is not defined"
            );
        }
        assert!(!doc.to_string().contains("$defs"));
    }

    #[test]
    fn committed_openapi_matches_the_registry() {
        let text = serde_json::to_string_pretty(&super::document()).unwrap() + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json");
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if std::env::var_os("REFINE_CHECK_BINDINGS").is_some() {
            assert!(
                current == text,
                "openapi.json is out of date; run `make bindings` and commit the result"
            );
        } else if current != text {
            std::fs::write(&path, text).unwrap();
        }
    }
}
