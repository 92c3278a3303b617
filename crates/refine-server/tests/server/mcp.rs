//! MCP: the registry's `mcp` operations as tools, through the same dispatch.

use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

async fn rpc(d: &TestDaemon, body: Value) -> Value {
    let a = d
        .raw(
            "POST",
            "/mcp",
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(&body).unwrap()),
            true,
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
}

#[tokio::test]
async fn tools_are_the_registry_and_calls_are_audited() {
    let d = TestDaemon::new();
    let init = rpc(&d, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "refine");
    let tools = rpc(
        &d,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"apps_add") && names.contains(&"activity_list"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"system_shutdown") && !names.contains(&"apps_remove"),
        "not exposed to agents"
    );
    let expected = refine_api::registry().iter().filter(|o| o.mcp).count();
    assert_eq!(names.len(), expected);

    let repo = git_repo(d.dir.path(), "r");
    let call = rpc(&d, json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "apps_add", "arguments": {"path": repo}}})).await;
    assert_eq!(call["result"]["isError"], false, "{call:?}");
    assert_eq!(call["result"]["structuredContent"]["name"], "r");
    let bad = rpc(&d, json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "apps_add", "arguments": {"path": "/nope"}}})).await;
    assert_eq!(bad["result"]["isError"], true);
    let unknown = rpc(&d, json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "system_shutdown"}})).await;
    assert!(unknown["error"]["code"].is_number());
    let log = d.call("activity.list", json!({"surface": "mcp"})).await;
    assert_eq!(log.body["items"][0]["operation"], "apps.add");
    assert_eq!(log.body["items"][0]["actor"], "agent");
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 1);
}

async fn post(
    d: &TestDaemon,
    headers: &[(&str, &str)],
    body: &Value,
    auth: bool,
) -> crate::support::Answer {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    d.raw(
        "POST",
        "/mcp",
        &h,
        Some(serde_json::to_vec(body).unwrap()),
        auth,
    )
    .await
}

#[tokio::test]
async fn the_transport_follows_the_spec() {
    let d = TestDaemon::new();
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    // An unknown MCP-Protocol-Version is a 400; a known one is answered.
    let a = post(&d, &[("mcp-protocol-version", "1999-01-01")], &list, true).await;
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert!(a.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2025-06-18"));
    let a = post(&d, &[("mcp-protocol-version", "2025-06-18")], &list, true).await;
    assert_eq!(a.status, 200);
    // initialize answers only versions it implements (2024-11-05 is the old SSE transport).
    let init = |v: &str| json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    for (asked, got) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2025-11-25"),
    ] {
        let a = post(&d, &[], &init(asked), true).await;
        assert_eq!(a.body["result"]["protocolVersion"], got, "asked {asked}");
    }
    // Notifications and client responses: 202, no body.
    let a = post(
        &d,
        &[],
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        true,
    )
    .await;
    assert_eq!(a.status, 202);
    let a = post(
        &d,
        &[],
        &json!({"jsonrpc": "2.0", "id": 7, "result": {}}),
        true,
    )
    .await;
    assert_eq!(a.status, 202);
    let a = post(
        &d,
        &[],
        &json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -1, "message": "no"}}),
        true,
    )
    .await;
    assert_eq!(a.status, 202);
    // Invalid messages: 400 with a JSON-RPC error without id.
    for bad in [
        json!({"jsonrpc": "2.0", "id": null, "method": "tools/list"}),
        json!({"id": 1, "method": "tools/list"}),
        json!({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 1}),
        json!([]),
    ] {
        let a = post(&d, &[], &bad, true).await;
        assert_eq!(a.status, 400, "{bad}");
        assert_eq!(a.body["error"]["code"], -32600, "{bad}");
        assert_eq!(a.body["id"], Value::Null);
    }
    let a = d
        .raw(
            "POST",
            "/mcp",
            &[("content-type", "application/json")],
            Some(b"{nope".to_vec()),
            true,
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body["error"]["code"].clone()),
        (400, json!(-32700))
    );
    // Batches: 2025-03-26 only (no header means 2025-03-26).
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    ]);
    let a = post(&d, &[], &batch, true).await;
    assert_eq!(a.status, 200);
    let answers = a.body.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(
        (answers[0]["id"].clone(), answers[1]["id"].clone()),
        (json!(1), json!(2))
    );
    let a = post(&d, &[("mcp-protocol-version", "2025-03-26")], &batch, true).await;
    assert_eq!(a.status, 200);
    let a = post(&d, &[("mcp-protocol-version", "2025-06-18")], &batch, true).await;
    assert_eq!(a.status, 400);
    let a = post(
        &d,
        &[],
        &json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]),
        true,
    )
    .await;
    assert_eq!(a.status, 202);
    // Without the token: 401 naming the scheme.
    let a = post(&d, &[], &list, false).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.headers["www-authenticate"], "Bearer realm=\"refine\"");
}

#[tokio::test]
async fn tools_declare_output_schemas_and_effects_and_lists_match_their_text() {
    let d = TestDaemon::new();
    let tools = rpc(
        &d,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    )
    .await;
    let tools = tools["result"]["tools"].as_array().unwrap().clone();
    let by = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap().clone();
    for t in &tools {
        assert_eq!(t["outputSchema"]["type"], "object", "{}", t["name"]);
        assert_eq!(t["inputSchema"]["type"], "object", "{}", t["name"]);
        assert!(t["annotations"]["readOnlyHint"].is_boolean());
    }
    let list = by("apps_list");
    assert_eq!(list["annotations"]["readOnlyHint"], true);
    assert_eq!(list["annotations"]["idempotentHint"], true);
    assert_eq!(list["outputSchema"]["required"], json!(["value"]));
    let add = by("apps_add");
    assert_eq!(add["annotations"]["readOnlyHint"], false);
    assert_eq!(add["annotations"]["destructiveHint"], false);
    assert_eq!(
        by("workflow_cancel")["annotations"]["destructiveHint"],
        true
    );
    assert_eq!(by("terminal_close")["annotations"]["idempotentHint"], true);

    let repo = git_repo(d.dir.path(), "r");
    rpc(&d, json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "apps_add", "arguments": {"path": repo}}})).await;
    let call = rpc(&d, json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "apps_list", "arguments": {}}})).await;
    let r = &call["result"];
    assert_eq!(r["structuredContent"]["value"][0]["name"], "r");
    let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        text, r["structuredContent"],
        "the text block is the structured content"
    );
}
