//! Idempotency-Key semantics over HTTP.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{git_repo, TestDaemon};

#[tokio::test]
async fn replay_returns_the_stored_response() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "r");
    let op = refine_api::find("apps.add").unwrap();
    let first = d.http(op, json!({"path": repo}), Some("key-1")).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = d.http(op, json!({"path": repo}), Some("key-1")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body, "the identical response");
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 1);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM operations WHERE kind = 'apps.add'"),
        1
    );
    // Same key, other request: refused, nothing done.
    let other = git_repo(d.dir.path(), "other");
    let mismatch = d.http(op, json!({"path": other}), Some("key-1")).await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatch.body["code"], "precondition_failed");
    // Same key for another operation: also a mismatch.
    let sel = d
        .http(
            refine_api::find("apps.select").unwrap(),
            json!({"id": null}),
            Some("key-1"),
        )
        .await;
    assert_eq!(sel.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 1);
    // A long-running operation replays its receipt (202).
    let id = first.body["id"].as_str().unwrap();
    let rescan = refine_api::find("apps.rescan").unwrap();
    let r1 = d.http(rescan, json!({"id": id}), Some("key-2")).await;
    assert_eq!(r1.status, StatusCode::ACCEPTED);
    let r2 = d.http(rescan, json!({"id": id}), Some("key-2")).await;
    assert_eq!(r2.status, StatusCode::ACCEPTED);
    assert_eq!(r2.body, r1.body);
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(
        d.count("SELECT COUNT(*) FROM operations WHERE kind = 'apps.rescan'"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_racing_requests_with_one_key_execute_once() {
    let d = std::sync::Arc::new(TestDaemon::new());
    let repo = git_repo(d.dir.path(), "r");
    let op = refine_api::find("apps.add").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let d = d.clone();
        let repo = repo.clone();
        tasks.push(tokio::spawn(async move {
            d.http(op, json!({"path": repo}), Some("race")).await
        }));
    }
    let mut ok_bodies = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        match a.status {
            StatusCode::OK => ok_bodies.push(a.body),
            StatusCode::CONFLICT => {
                assert_eq!(a.body["code"], "conflict");
                assert!(
                    a.headers.get("retry-after").is_some(),
                    "in-flight answers say when to retry"
                );
            }
            other => panic!("unexpected {other}: {:?}", a.body),
        }
    }
    assert!(!ok_bodies.is_empty());
    assert!(
        ok_bodies.iter().all(|b| b == &ok_bodies[0]),
        "every 200 is the same response"
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM apps"),
        1,
        "executed exactly once"
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM operations WHERE kind = 'apps.add'"),
        1
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE operation = 'apps.add'"),
        1
    );
}
