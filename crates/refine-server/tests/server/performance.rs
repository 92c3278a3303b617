//! The daemon's own measurements: per-operation latency and errors, child processes' memory,
//! connections, and the Prometheus exposition behind the token.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

fn op<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("{name} is not in {summary:#}"))
}

#[tokio::test]
async fn latency_and_errors_are_counted_per_operation() {
    let d = TestDaemon::new();
    for _ in 0..3 {
        assert_eq!(d.call("apps.list", json!({})).await.status, StatusCode::OK);
    }
    let missing = d
        .call(
            "apps.get",
            json!({"id": "0190a3c4-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let bad = d.call("apps.add", json!({"path": "relative/path"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let s = d.call("performance.summary", json!({})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let apps = op(&s.body, "apps.list");
    assert_eq!(apps["total"]["count"], 3);
    assert_eq!(apps["recent"]["count"], 3);
    let (p50, p99, max) = (
        apps["total"]["p50Ms"].as_f64().unwrap(),
        apps["total"]["p99Ms"].as_f64().unwrap(),
        apps["total"]["maxMs"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= max, "{apps}");
    assert_eq!(apps["errors"], json!([]));
    assert_eq!(
        op(&s.body, "apps.get")["errors"],
        json!([{"code": "not_found", "count": 1}])
    );
    assert_eq!(
        op(&s.body, "apps.add")["errors"],
        json!([{"code": "invalid_input", "count": 1}])
    );
    // Busiest first.
    assert_eq!(s.body["operations"][0]["operation"], "apps.list");
    let daemon = &s.body["processes"][0];
    assert_eq!(daemon["kind"], "daemon");
    assert_eq!(daemon["pid"], std::process::id());
    assert!(daemon["rssBytes"].as_f64().unwrap() > 1e6, "{daemon}");
    assert!(!s.body["history"].as_array().unwrap().is_empty());
    assert!(s.body["database"]["bytes"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn children_show_with_their_memory_and_leave_when_they_end() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    assert_eq!(
        d.call("apps.add", json!({"path": repo})).await.status,
        StatusCode::OK
    );
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["bash", "-c", "sleep 30 & sleep 30; wait"], "label": "sleepers"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let id = p.body["id"].clone();
    let mut found = Value::Null;
    for _ in 0..100 {
        let s = d.call("performance.summary", json!({})).await.body;
        if let Some(c) = s["processes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id && c["processes"].as_u64() >= Some(3))
        {
            found = c.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["kind"], "process", "{found}");
    assert_eq!(found["label"], "sleepers");
    assert!(found["rssBytes"].as_f64().unwrap() > 0.0);
    let text = d.raw("GET", "/metrics", &[], None, true).await;
    let line = format!(
        "refine_process_resident_memory_bytes{{kind=\"process\",id=\"{}\"}}",
        id.as_str().unwrap()
    );
    assert!(
        text.body.as_str().unwrap().contains(&line),
        "{line} not in metrics"
    );

    assert_eq!(
        d.call("processes.stop", json!({"id": id})).await.status,
        StatusCode::OK
    );
    for _ in 0..100 {
        let s = d.call("performance.summary", json!({})).await.body;
        if !s["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the stopped process still shows");
}

#[tokio::test]
async fn metrics_are_prometheus_text_behind_the_token() {
    let d = TestDaemon::new();
    assert_eq!(d.call("apps.list", json!({})).await.status, StatusCode::OK);
    let missing = d
        .call(
            "apps.get",
            json!({"id": "0190a3c4-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let anon = d.raw("GET", "/metrics", &[], None, false).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.body["code"], "unauthorized");

    let m = d.raw("GET", "/metrics", &[], None, true).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = m.body.as_str().unwrap();
    for needle in [
        "# TYPE refine_operation_duration_seconds histogram",
        "refine_operation_duration_seconds_count{operation=\"apps.list\"} 1",
        "# TYPE refine_operation_errors counter",
        "refine_operation_errors_total{operation=\"apps.get\",code=\"not_found\"} 1",
        "refine_sse_connections 0",
        "refine_event_bus_subscribers",
        "refine_database_bytes",
        "refine_database_wal_bytes",
        "refine_runner_waiting_goals",
        "refine_process_resident_memory_bytes{kind=\"daemon\"",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    assert!(text.trim_end().ends_with("# EOF"));
}
