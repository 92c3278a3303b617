//! The SSE stream: live events, `Last-Event-ID` resume, resync when too far behind.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use futures::StreamExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::{git_repo, TestDaemon, HOST};

/// Open the stream and collect `n` events (each the JSON of an `Event`).
async fn read_events(d: &TestDaemon, last_id: Option<&str>, n: usize) -> Vec<Value> {
    read_events_at(d, "/api/v1/events", last_id, n).await
}

async fn read_events_at(d: &TestDaemon, uri: &str, last_id: Option<&str>, n: usize) -> Vec<Value> {
    let mut b = Request::builder()
        .uri(uri)
        .header("host", HOST)
        .header("authorization", format!("Bearer {}", d.token));
    if let Some(id) = last_id {
        b = b.header("last-event-id", id);
    }
    let resp = d
        .router
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = resp.into_body().into_data_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within 5 s")
            .expect("stream open")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame = buf[..end].to_string();
            buf.drain(..end + 2);
            for line in frame.lines() {
                if let Some(data) = line.strip_prefix("data: ") {
                    out.push(serde_json::from_str(data).unwrap());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn resume_replays_what_was_missed() {
    let d = TestDaemon::new();
    let before = d.core.bus().last_id();
    let repo = git_repo(d.dir.path(), "r");
    let app = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(app.status, 200);
    let events = read_events(&d, Some(&before), 2).await;
    assert_eq!(events[0]["kind"], "apps.added");
    assert_eq!(events[0]["data"]["id"], app.body["id"]);
    assert_eq!(events[1]["kind"], "activity.created");
    assert_eq!(events[1]["data"]["operation"], "apps.add");
    assert_eq!(events[1]["data"]["surface"], "http");
}

#[tokio::test]
async fn live_events_arrive_and_stale_clients_resync() {
    let d = TestDaemon::new();
    let reader = {
        let t = TestDaemon {
            core: d.core.clone(),
            router: d.router.clone(),
            token: d.token.clone(),
            dir: tempfile::tempdir().unwrap(),
        };
        tokio::spawn(async move { read_events(&t, None, 2).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sel = d.call("apps.select", json!({"id": null})).await;
    assert_eq!(sel.status, 200);
    let got = reader.await.unwrap();
    assert_eq!(got[0]["kind"], "apps.selected");
    assert_eq!(got[1]["kind"], "activity.created");
    let stale = read_events(&d, Some("1"), 1).await;
    assert_eq!(stale[0]["kind"], "resync");
}

#[tokio::test]
async fn a_resync_has_its_own_id_and_resuming_from_it_follows_on() {
    let d = TestDaemon::new();
    let sel = d.call("apps.select", json!({"id": null})).await;
    assert_eq!(sel.status, 200);
    let newest = d.core.bus().last_id();
    let stale = read_events(&d, Some("1"), 1).await;
    assert_eq!(stale[0]["kind"], "resync");
    assert!(stale[0]["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("reload"));
    let rid = stale[0]["id"].as_str().unwrap().to_string();
    assert_ne!(
        rid, newest,
        "the resync does not reuse the newest event's id"
    );
    // Resuming from the resync marker gets what came after it, and nothing before.
    let sel = d.call("apps.select", json!({"id": null})).await;
    assert_eq!(sel.status, 200);
    let next = read_events(&d, Some(&rid), 2).await;
    assert_eq!(next[0]["kind"], "apps.selected");
    assert_eq!(next[1]["kind"], "activity.created");
    // The same through `?lastEventId=` (for clients that cannot set the header).
    let uri = format!("/api/v1/events?lastEventId={rid}");
    let q = read_events_at(&d, &uri, None, 2).await;
    assert_eq!(q, next);
}
