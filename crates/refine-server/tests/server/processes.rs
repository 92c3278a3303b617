//! Supervised processes over HTTP: exit codes, logs, stop kills the whole group, confinement,
//! injection-looking arguments stay arguments, a clean environment, the concurrency cap.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

async fn app(d: &TestDaemon) -> std::path::PathBuf {
    let repo = git_repo(d.dir.path(), "app");
    assert_eq!(
        d.call("apps.add", json!({"path": repo})).await.status,
        StatusCode::OK
    );
    repo
}

async fn until_ended(d: &TestDaemon, id: &Value) -> Value {
    for _ in 0..500 {
        let p = d.call("processes.get", json!({"id": id})).await.body;
        if p["status"] != "running" && p["status"] != "starting" {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("process {id} never ended");
}

fn group_alive(pgid: i32) -> bool {
    refine_host_group_alive(pgid)
}

/// Live (non-zombie) members of a process group, read from /proc.
fn refine_host_group_alive(pgid: i32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            return false;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        f[0] != "Z" && f[2].parse::<i32>().ok() == Some(pgid)
    })
}

#[tokio::test]
async fn exit_codes_logs_and_literal_arguments() {
    let d = TestDaemon::new();
    let repo = app(&d).await;
    let (_, mut rx) = d.core.bus().subscribe(None);
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["bash", "-c", "echo out; echo err >&2; exit 3"], "label": "demo"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    assert!(p.body["pid"].as_u64().unwrap() > 1);
    let ended = until_ended(&d, &p.body["id"]).await;
    assert_eq!(
        (ended["status"].as_str(), ended["exitCode"].as_i64()),
        (Some("failed"), Some(3))
    );
    let logs = d
        .call("processes.logs", json!({"id": p.body["id"]}))
        .await
        .body;
    // The order between the two streams is not guaranteed; compare as sets.
    let mut got: Vec<String> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}:{}", l["stream"], l["text"]))
        .collect();
    got.sort();
    assert_eq!(got, vec!["\"stderr\":\"err\"", "\"stdout\":\"out\""]);
    let mut saw_output = false;
    let mut saw_exit = false;
    while let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        saw_output |= ev.kind == "processes.output";
        saw_exit |= ev.kind == "processes.exited";
        if saw_output && saw_exit {
            break;
        }
    }
    assert!(saw_output && saw_exit, "live output and exit events");

    // Shell metacharacters are just bytes of an argument.
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["echo", "; touch pwned", "$(touch pwned)", "`touch pwned`"]}),
        )
        .await
        .body;
    until_ended(&d, &p["id"]).await;
    let logs = d.call("processes.logs", json!({"id": p["id"]})).await.body;
    assert_eq!(
        logs["lines"][0]["text"],
        "; touch pwned $(touch pwned) `touch pwned`"
    );
    assert!(!repo.join("pwned").exists() && !d.dir.path().join("pwned").exists());

    // A clean environment: explicit variables yes, the daemon's own no.
    std::env::set_var("DAEMON_SECRET_KEY", "hunter2");
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["env"], "env": {"GREETING": "hi"}}),
        )
        .await
        .body;
    assert_eq!(p["envKeys"], json!(["GREETING"]));
    until_ended(&d, &p["id"]).await;
    let env = d
        .call("processes.logs", json!({"id": p["id"], "tail": 500}))
        .await
        .body;
    let text: Vec<&str> = env["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(text.contains(&"GREETING=hi"), "{text:?}");
    assert!(!text.iter().any(|l| l.contains("hunter2")), "{text:?}");
}

#[tokio::test]
async fn stop_kills_the_whole_group_and_bad_starts_are_refused() {
    let d = TestDaemon::new();
    app(&d).await;
    d.call("settings.update", json!({"scope": "global", "revision": 0, "patch": {"processes": {"stopGraceSeconds": 1, "maxConcurrent": 1}}})).await;
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["bash", "-c", "trap '' TERM; sleep 300 & sleep 300"]}),
        )
        .await
        .body;
    let pgid = p["pid"].as_i64().unwrap() as i32;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(group_alive(pgid));
    let over = d
        .call("processes.start", json!({"argv": ["sleep", "1"]}))
        .await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "the cap");
    let stopped = d.call("processes.stop", json!({"id": p["id"]})).await;
    assert_eq!(stopped.status, StatusCode::OK, "{:?}", stopped.body);
    assert_eq!(stopped.body["status"], "stopped");
    assert!(!group_alive(pgid), "no process of the group is left");
    assert_eq!(
        d.call("processes.stop", json!({"id": p["id"]}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    for bad in [
        json!({"argv": []}),
        json!({"argv": [""]}),
        json!({"argv": ["ls"], "cwd": "../"}),
        json!({"argv": ["ls"], "cwd": "/etc"}),
        json!({"argv": ["ls"], "cwd": "no/such/dir"}),
        json!({"argv": ["ls"], "env": {"BAD KEY": "x"}}),
        json!({"argv": ["ls\u{0}x"]}),
        json!({"argv": ["definitely-not-a-program-xyz"]}),
    ] {
        let a = d.call("processes.start", bad.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", a.body);
    }
    let failed = d.call("processes.list", json!({})).await.body;
    assert_eq!(
        failed[0]["status"], "failed",
        "a program that does not exist is recorded as failed"
    );
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("was not found"));
}

#[tokio::test]
async fn a_process_has_its_own_output_stream() {
    use futures::StreamExt;
    use tower::ServiceExt;
    let d = TestDaemon::new();
    app(&d).await;
    let p = d
        .call(
            "processes.start",
            json!({"argv": ["bash", "-c", "echo first; sleep 0.3; echo second"]}),
        )
        .await
        .body;
    let req = axum::http::Request::builder()
        .uri(format!(
            "/api/v1/processes/{}/stream",
            p["id"].as_str().unwrap()
        ))
        .header("host", crate::support::HOST)
        .header("authorization", format!("Bearer {}", d.token))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = d.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body().into_data_stream();
    let mut text = String::new();
    while !text.contains("event: exit") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("output within 10 s");
        match chunk {
            Some(Ok(b)) => text.push_str(&String::from_utf8_lossy(&b)),
            _ => break,
        }
    }
    assert!(
        text.contains("\"first\"") && text.contains("\"second\""),
        "{text}"
    );
    assert!(
        text.contains("event: exit") && text.contains("\"exited\""),
        "{text}"
    );
    let missing = d
        .raw(
            "GET",
            "/api/v1/processes/00000000-0000-0000-0000-000000000000/stream",
            &[],
            None,
            true,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let no_token = d
        .raw(
            "GET",
            &format!("/api/v1/processes/{}/stream", p["id"].as_str().unwrap()),
            &[],
            None,
            false,
        )
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
}
