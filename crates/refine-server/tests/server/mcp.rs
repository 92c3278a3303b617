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
