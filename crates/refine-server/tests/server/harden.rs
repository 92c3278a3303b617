//! Breaks an adversarial pass found (issue 9), one test each: numbers in query strings, file
//! names with control characters, secrets in the operations journal, pathspec magic, no GET
//! with effects, and the one write deadline of a request under a locked database.

use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{git, git_repo, TestDaemon};

async fn with_app(d: &TestDaemon) -> std::path::PathBuf {
    let repo = git_repo(d.dir.path(), "app");
    let a = d.call("apps.add", json!({ "path": repo })).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        d.call("apps.select", json!({ "id": id })).await.status,
        StatusCode::OK
    );
    repo
}

#[tokio::test]
async fn file_offsets_are_finite_whole_numbers_inside_the_file() {
    let d = TestDaemon::new();
    let repo = with_app(&d).await;
    std::fs::write(repo.join("f.txt"), "hello\n").unwrap();
    for (offset, why) in [
        ("17592186044417", "past the end"),
        ("18446744073709551615", "past the end"),
        ("NaN", "finite number"),
        ("inf", "finite number"),
        ("-1", "whole number"),
        ("1.5", "whole number"),
    ] {
        let a = d
            .raw(
                "GET",
                &format!("/api/v1/files/content?path=f.txt&offset={offset}"),
                &[],
                None,
                true,
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "offset={offset}: {:?}",
            a.body
        );
        assert!(
            a.body["message"].as_str().unwrap().contains(why),
            "offset={offset}: {:?}",
            a.body
        );
    }
    let ok = d
        .raw(
            "GET",
            "/api/v1/files/content?path=f.txt&offset=1.0&length=3",
            &[],
            None,
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["content"], "ell");
    let end = d
        .raw(
            "GET",
            "/api/v1/files/content?path=f.txt&offset=6",
            &[],
            None,
            true,
        )
        .await;
    assert_eq!(
        end.status,
        StatusCode::OK,
        "reading at the very end is empty"
    );
    assert_eq!(end.body["content"], "");
}

#[tokio::test]
async fn file_names_with_control_characters_are_not_created() {
    let d = TestDaemon::new();
    let repo = with_app(&d).await;
    std::fs::write(repo.join("plain.txt"), "x").unwrap();
    for name in ["\u{1b}[31mred", "two\r\nlines", "bell\u{7}", "c1\u{9b}x"] {
        for (op, input) in [
            ("files.create", json!({ "path": name, "content": "" })),
            ("files.write", json!({ "path": name, "content": "x" })),
            ("files.rename", json!({ "from": "plain.txt", "to": name })),
        ] {
            let a = d.call(op, input).await;
            assert_eq!(
                a.status,
                StatusCode::BAD_REQUEST,
                "{op} {name:?}: {:?}",
                a.body
            );
            assert!(a.body["message"]
                .as_str()
                .unwrap()
                .contains("control characters"));
        }
    }
    let names: Vec<String> = std::fs::read_dir(&repo)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names.iter().all(|n| !n.chars().any(char::is_control)),
        "{names:?}"
    );
    assert!(repo.join("plain.txt").exists(), "the rename did not happen");
    // A file that already has such a name (made outside Refine) can still be read.
    std::fs::write(repo.join("esc\u{1b}name"), "old").unwrap();
    let read = d
        .call("files.read", json!({ "path": "esc\u{1b}name" }))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
}

#[tokio::test]
async fn secrets_never_reach_the_operations_journal() {
    let d = TestDaemon::new();
    with_app(&d).await;
    let a = d
        .call(
            "processes.start",
            json!({ "argv": ["true"], "env": { "MY_API_KEY": "sk-live-abcdef123456", "GITHUB_TOKEN": "ghp_secret99", "PORT": "3000" } }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    for secret in ["sk-live-abcdef123456", "ghp_secret99"] {
        let n = d.count(&format!(
            "SELECT COUNT(*) FROM operations WHERE input LIKE '%{secret}%' OR result LIKE '%{secret}%'"
        ));
        assert_eq!(n, 0, "{secret} is in the journal");
        let n = d.count(&format!(
            "SELECT COUNT(*) FROM activity WHERE summary LIKE '%{secret}%' OR data LIKE '%{secret}%'"
        ));
        assert_eq!(n, 0, "{secret} is in the activity log");
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM operations WHERE kind = 'processes.start' AND input LIKE '%\"PORT\":\"3000\"%'"),
        1,
        "what is not secret is kept"
    );
}

#[tokio::test]
async fn paths_given_to_stage_are_literal() {
    let d = TestDaemon::new();
    let repo = with_app(&d).await;
    for f in ["xa.txt", "xb.txt", "keep.txt"] {
        std::fs::write(repo.join(f), f).unwrap();
    }
    for pattern in ["x*.txt", ":(exclude)keep.txt", ":(glob)**/x?.txt", "*"] {
        let a = d.call("changes.stage", json!({ "paths": [pattern] })).await;
        assert!(a.status.is_client_error(), "{pattern}: {:?}", a.body);
    }
    assert_eq!(
        git(&repo, &["diff", "--cached", "--name-only"]),
        "",
        "nothing was staged"
    );
    // A file whose name really is `x*.txt` is staged by that name, and only it.
    std::fs::write(repo.join("x*.txt"), "star").unwrap();
    let a = d
        .call("changes.stage", json!({ "paths": ["x*.txt"] }))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(git(&repo, &["diff", "--cached", "--name-only"]), "x*.txt");
}

#[tokio::test]
async fn agent_detection_over_get_runs_nothing() {
    let d = TestDaemon::new();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    // A profile whose "CLI" leaves a trace each time it runs.
    let script = dir.path().join("fake-agent");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho run >> {}\necho 1.0\n", marker.display()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let save = d
        .call(
            "agents.profiles.save",
            json!({ "profile": { "name": "traced", "provider": "codex", "command": script, "args": [], "interactiveArgs": [], "resumeArgs": [], "env": {}, "promptDelivery": "stdin" } }),
        )
        .await;
    assert_eq!(save.status, StatusCode::OK, "{:?}", save.body);
    // Saving looks at the profile once, in the background.
    let until = Instant::now() + Duration::from_secs(10);
    while !marker.exists() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let runs = || {
        std::fs::read_to_string(&marker)
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(runs(), 1, "detected once after the save");
    for _ in 0..3 {
        let a = d.call("agents.detect", json!({ "name": "traced" })).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.body[0]["state"], "installed", "{:?}", a.body);
    }
    assert_eq!(runs(), 1, "GETs answered from what the daemon found");
    let again = d.call("agents.redetect", json!({ "name": "traced" })).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(runs(), 2, "a POST looks again");
}

#[tokio::test]
async fn a_locked_database_answers_503_once_and_never_commits_later() {
    let d = TestDaemon::new();
    with_app(&d).await;
    let db = d.dir.path().join("refine.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let c = refine_store::rusqlite::Connection::open(db).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(13));
        c.execute_batch("COMMIT").unwrap();
    });
    locked_rx.recv().unwrap();
    let started = Instant::now();
    let key = "busy-create-1";
    let a = d
        .http(
            refine_api::find("goals.create").unwrap(),
            json!({ "title": "written under the lock" }),
            Some(key),
        )
        .await;
    let waited = started.elapsed();
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", a.body);
    assert_eq!(a.body["code"], "unavailable");
    assert!(a.headers.get("retry-after").is_some());
    assert!(
        waited < Duration::from_secs(12),
        "one deadline, not a wait per step: {waited:?}"
    );
    // Reads are unaffected meanwhile.
    let r = d.call("apps.list", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    holder.join().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        d.count("SELECT COUNT(*) FROM goals WHERE title = 'written under the lock'"),
        0,
        "an answered 503 never commits afterwards"
    );
    // The same key now runs for real, once.
    let b = d
        .http(
            refine_api::find("goals.create").unwrap(),
            json!({ "title": "written under the lock" }),
            Some(key),
        )
        .await;
    assert_eq!(b.status, StatusCode::OK, "{:?}", b.body);
    let c = d
        .http(
            refine_api::find("goals.create").unwrap(),
            json!({ "title": "written under the lock" }),
            Some(key),
        )
        .await;
    assert_eq!(c.headers["idempotent-replayed"], "true");
    assert_eq!(c.body, b.body);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM goals WHERE title = 'written under the lock'"),
        1
    );
}
