//! The OpenAPI 3.1 document, derived from the registry (committed as `openapi.json`).

use serde_json::{json, Map, Value};

use crate::registry::{registry, Method};

/// Build the document. GET operations take their input as query parameters (and path
/// parameters); every other method takes a JSON body.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for op in registry() {
        let input = (op.input_schema)();
        let output = (op.output_schema)();
        let path_params = op.path_params();
        let mut params: Vec<Value> = path_params
            .iter()
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut o = json!({
            "operationId": op.name,
            "summary": op.doc,
            "tags": [op.name.split('.').next().unwrap_or("other")],
            "responses": {
                success_status(op): {"description": "success", "content": {"application/json": {"schema": output}}},
                "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}}
            }
        });
        if op.method == Method::Get {
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
                    params.push(json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": schema}));
                }
            }
        } else if has_body(&input, &path_params) {
            o["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": input}}});
        }
        if !params.is_empty() {
            o["parameters"] = Value::Array(params);
        }
        if op.public {
            o["security"] = json!([]);
        } else if op.method.is_mutating() {
            o["parameters"]
                .as_array_mut()
                .map(|a| a.push(idempotency_param()))
                .unwrap_or_else(|| o["parameters"] = json!([idempotency_param()]));
        }
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method.as_str().to_ascii_lowercase()] = o;
    }
    let error_schema =
        serde_json::to_value(schemars::schema_for!(refine_model::ApiError)).unwrap_or_default();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Refine daemon API", "version": refine_model::API_VERSION},
        "servers": [{"url": "http://127.0.0.1:7878"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": {"ApiError": error_schema},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

fn success_status(op: &crate::OpDef) -> &'static str {
    if op.kind == crate::OpKind::LongRunning {
        "202"
    } else {
        "200"
    }
}

fn idempotency_param() -> Value {
    json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200}})
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
