//! Bad input of every kind: a clear 4xx with the error body, nothing stored, never a 5xx.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestDaemon;

#[tokio::test]
async fn malformed_and_wrong_input_is_a_clear_4xx_and_stores_nothing() {
    let d = TestDaemon::new();
    let ct = [("content-type", "application/json")];
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("POST", "/api/v1/apps", b"{not json".to_vec()),
        ("POST", "/api/v1/apps", b"[1,2]".to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": 5}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "/tmp", "extra": true}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "/tmp/a\u0000b"}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "relative/path"}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "/definitely/not/here"}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "/tmp"}"#.to_vec()),
        ("POST", "/api/v1/apps", br#"{"path": "\ud800"}"#.to_vec()),
        ("POST", "/api/v1/apps", vec![b'{', b'"', b'p', 0xff, b'"', b':', b'1', b'}']),
        ("POST", "/api/v1/apps", format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes()),
        ("PATCH", "/api/v1/settings", br#"{"scope": "global", "revision": 0, "patch": {"runner": {"maxConcurrentGoals": 0}}}"#.to_vec()),
        ("PATCH", "/api/v1/settings", br#"{"scope": "global", "revision": 0, "patch": {"runner": {"nope": 1}}}"#.to_vec()),
        ("PATCH", "/api/v1/settings", br#"{"scope": "global", "revision": 0, "patch": "x"}"#.to_vec()),
        ("PATCH", "/api/v1/settings", br#"{"scope": "galaxy", "revision": 0, "patch": {}}"#.to_vec()),
        ("PATCH", "/api/v1/settings", br#"{"scope": "global", "revision": -1, "patch": {}}"#.to_vec()),
        ("DELETE", "/api/v1/apps/not-a-uuid", vec![]),
        ("POST", "/api/v1/apps/select", br#"{"id": 12}"#.to_vec()),
    ];
    for (method, uri, body) in cases {
        let a = d.raw(method, uri, &ct, Some(body.clone()), true).await;
        assert!(
            a.status.is_client_error(),
            "{method} {uri} {:?} → {}",
            String::from_utf8_lossy(&body),
            a.status
        );
        assert!(
            a.body["code"].is_string() && a.body["message"].is_string(),
            "{method} {uri}: error body {:?}",
            a.body
        );
    }
    for uri in [
        "/api/v1/activity?limit=0",
        "/api/v1/activity?limit=abc",
        "/api/v1/activity?since=yesterday",
        "/api/v1/activity?surface=telepathy",
        "/api/v1/activity?cursor=zz",
        "/api/v1/activity?bogus=1",
        "/api/v1/operations/00000000-0000-0000-0000-000000000000",
        "/api/v1/apps/%ff",
        "/api/v1/nope",
    ] {
        let a = d.raw("GET", uri, &[], None, true).await;
        assert!(a.status.is_client_error(), "GET {uri} → {}", a.status);
        assert!(a.body["message"].is_string(), "GET {uri}: {:?}", a.body);
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM settings_layers"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM activity"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM operations"), 0);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM idempotency"),
        0,
        "failed requests release their keys"
    );
}

#[tokio::test]
async fn not_found_and_conflicts_have_their_codes() {
    let d = TestDaemon::new();
    let id = uuid::Uuid::now_v7().to_string();
    let a = d.call("apps.get", json!({"id": id})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.body["code"], "not_found");
    let repo = crate::support::git_repo(d.dir.path(), "r");
    let first = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["active"], true, "the first app becomes active");
    assert_eq!(first.body["shape"]["languages"][0]["name"], "Rust");
    assert_eq!(first.body["shape"]["packageManagers"], json!(["cargo"]));
    // A subdirectory resolves to the same work tree: a duplicate.
    std::fs::create_dir_all(repo.join("src")).unwrap();
    let dup = d.call("apps.add", json!({"path": repo.join("src")})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.body["details"]["appId"], first.body["id"]);
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 1);
}

#[tokio::test]
async fn settings_revisions_fence_writers() {
    let d = TestDaemon::new();
    let a = d
        .call(
            "settings.update",
            json!({"scope": "global", "revision": 0, "patch": {"runner": {"retryBudget": 4}}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["effective"]["runner"]["retryBudget"], 4);
    assert_eq!(a.body["global"]["revision"], 1);
    let stale = d
        .call(
            "settings.update",
            json!({"scope": "global", "revision": 0, "patch": {"runner": {"retryBudget": 1}}}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["details"]["currentRevision"], 1);
    let g = d.call("settings.get", json!({})).await;
    assert_eq!(
        g.body["effective"]["runner"]["retryBudget"], 4,
        "the stale write changed nothing"
    );
    assert!(
        g.body["schema"]["properties"]["runner"].is_object()
            || g.body["schema"]["$defs"].is_object()
    );
    // App layer overrides global.
    let repo = crate::support::git_repo(d.dir.path(), "r");
    let app = d.call("apps.add", json!({"path": repo})).await.body;
    let a = d
        .call("settings.update", json!({"scope": "app", "appId": app["id"], "revision": 0, "patch": {"runner": {"retryBudget": 7}}}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["effective"]["runner"]["retryBudget"], 7);
    let reset = d
        .call("settings.update", json!({"scope": "app", "appId": app["id"], "revision": 1, "patch": {"runner": {"retryBudget": null}}}))
        .await;
    assert_eq!(
        reset.body["effective"]["runner"]["retryBudget"], 4,
        "null falls back to the global value"
    );
}
