//! The target app's lifecycle: suggested commands, editing with revisions, start with a real
//! health check, build, stop.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{git_repo, TestDaemon};

#[tokio::test]
async fn start_check_health_build_and_stop() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    d.call("apps.add", json!({"path": repo})).await;
    let t = d.call("target.get", json!({})).await.body;
    assert_eq!(t["suggested"], true);
    assert_eq!(
        t["lifecycle"]["build"],
        json!(["cargo", "build"]),
        "suggested from Cargo.toml"
    );
    assert_eq!(t["status"], "stopped");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bad = d
        .call(
            "target.configure",
            json!({"revision": 0, "healthUrl": "http://example.com/"}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "health checks stay on this machine"
    );
    let cfg = d
        .call(
            "target.configure",
            json!({"revision": 0, "start": ["python3", "-m", "http.server", port.to_string(), "--bind", "127.0.0.1"],
                   "healthUrl": format!("http://localhost:{port}/"), "build": ["bash", "-c", "echo built"], "test": null}),
        )
        .await;
    assert_eq!(cfg.status, StatusCode::OK, "{:?}", cfg.body);
    let stale = d
        .call("target.configure", json!({"revision": 0, "stop": null}))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let started = d.call("target.start", json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    // Reading the state probes nothing (a GET has no effects): no request reaches the app.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..3 {
        let t = d.call("target.get", json!({})).await.body;
        assert_eq!(t["status"], "running", "not probed yet: {t}");
        assert!(t["health"].is_null());
    }
    let pid = started.body["id"].as_str().unwrap().to_string();
    let logs = d
        .call("processes.logs", json!({"id": pid, "tail": 50}))
        .await
        .body;
    assert!(!logs.to_string().contains("GET / HTTP"), "{logs}");
    let (_, mut events) = d.core.bus().subscribe(None);
    let mut status = String::new();
    for _ in 0..100 {
        let t = d.call("target.check", json!({})).await.body;
        status = t["status"].as_str().unwrap().to_string();
        if status == "healthy" {
            assert!(
                t["health"]["detail"]
                    .as_str()
                    .unwrap()
                    .contains("answered 200"),
                "{t}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "healthy");
    let kept = d.call("target.get", json!({})).await.body;
    assert_eq!(kept["status"], "healthy", "the last probe is kept: {kept}");
    let mut announced = false;
    while let Ok(e) = events.try_recv() {
        announced |= e.kind == "target.health" && e.data["ok"] == true;
    }
    assert!(announced, "the change was announced as target.health");
    assert_eq!(
        d.call("target.start", json!({})).await.status,
        StatusCode::CONFLICT,
        "already running"
    );

    let build = d.call("target.build", json!({})).await.body;
    assert_eq!(build["label"], "target:build");
    let no_test = d.call("target.test", json!({})).await;
    assert_eq!(no_test.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_test.body["message"]
        .as_str()
        .unwrap()
        .contains("no test command"));

    let stopped = d.call("target.stop", json!({})).await;
    assert_eq!(stopped.status, StatusCode::OK, "{:?}", stopped.body);
    assert_eq!(stopped.body["status"], "stopped");
    let t = d.call("target.get", json!({})).await.body;
    assert_eq!(t["status"], "stopped");
    assert_eq!(t["lastBuild"]["label"], "target:build");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server is down"
    );
}
