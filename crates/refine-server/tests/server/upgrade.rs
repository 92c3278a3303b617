//! The release feed (a file and a local HTTP server), bad feeds, and backups.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::TestDaemon;

async fn set_feed(d: &TestDaemon, feed: &str) {
    let rev = d.call("settings.get", json!({})).await.body["global"]["revision"].clone();
    let r = d
        .call(
            "settings.update",
            json!({"scope": "global", "revision": rev, "patch": {"upgrade": {"feed": feed}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Serve `body` at http://127.0.0.1:PORT/feed.json for as many requests as come.
async fn feed_server(body: &'static str, status: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/feed.json")
}

#[tokio::test]
async fn the_feed_says_what_is_newer_from_a_file_or_over_http() {
    let d = TestDaemon::new();
    let s = d.call("upgrade.status", json!({})).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s.body["feed"]["source"], "");
    assert_eq!(s.body["schema"]["pending"], json!([]));
    assert_eq!(s.body["schema"]["version"], s.body["schema"]["latestKnown"]);
    let none = d.call("upgrade.check", json!({})).await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        none.body
    );
    assert!(none.body["message"]
        .as_str()
        .unwrap()
        .contains("upgrade.feed"));

    let file = d.dir.path().join("feed.json");
    std::fs::write(
        &file,
        json!({"releases": [
            {"version": "0.0.9", "notes": "old"},
            {"version": "99.1.0", "date": "2026-12-01", "notes": "Faster boards", "url": "https://example.invalid/99.1.0"}
        ]})
        .to_string(),
    )
    .unwrap();
    set_feed(&d, file.to_str().unwrap()).await;
    let c = d.call("upgrade.check", json!({})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.body["feed"]["latest"]["version"], "99.1.0");
    assert_eq!(c.body["feed"]["latest"]["notes"], "Faster boards");
    assert_eq!(c.body["feed"]["newer"], true);
    assert!(c.body["feed"]["checkedAt"].is_string());
    // Status answers from what was found, without looking again.
    std::fs::remove_file(&file).unwrap();
    let s = d.call("upgrade.status", json!({})).await.body;
    assert_eq!(s["feed"]["latest"]["version"], "99.1.0");

    let url = feed_server(r#"{"version": "0.0.1", "notes": "ancient"}"#, 200).await;
    set_feed(&d, &url).await;
    let c = d.call("upgrade.check", json!({})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.body["feed"]["latest"]["version"], "0.0.1");
    assert_eq!(c.body["feed"]["newer"], false);
    assert_eq!(c.body["feed"]["error"], Value::Null);
}

#[tokio::test]
async fn a_bad_feed_is_a_clear_error_and_keeps_what_was_known() {
    let d = TestDaemon::new();
    let good = feed_server(r#"{"releases": [{"version": "5.0.0"}]}"#, 200).await;
    set_feed(&d, &good).await;
    assert_eq!(
        d.call("upgrade.check", json!({})).await.status,
        StatusCode::OK
    );
    let cases = [
        (
            feed_server("<html>not json</html>", 200).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not JSON",
        ),
        (
            feed_server(r#"{"name": "x"}"#, 200).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a release feed",
        ),
        (
            feed_server("{}", 500).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "answered 500",
        ),
        (
            "http://127.0.0.1:9/feed.json".to_string(),
            StatusCode::SERVICE_UNAVAILABLE,
            "cannot be reached",
        ),
        (
            "/no/such/feed.json".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be read",
        ),
    ];
    for (feed, status, says) in cases {
        set_feed(&d, &feed).await;
        let r = d.call("upgrade.check", json!({})).await;
        assert_eq!(r.status, status, "{feed}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{feed}: {}",
            r.body
        );
        let s = d.call("upgrade.status", json!({})).await.body;
        assert_eq!(
            s["feed"]["latest"]["version"], "5.0.0",
            "{feed}: what was known stays"
        );
        assert!(s["feed"]["error"].as_str().unwrap().contains(says));
    }
    assert_eq!(
        d.count("SELECT count(*) FROM activity WHERE operation = 'upgrade.check'"),
        1
    );
    // The settings themselves are validated.
    for patch in [
        json!({"upgrade": {"backupsKept": 0}}),
        json!({"upgrade": {"feed": "relative/feed.json"}}),
        json!({"upgrade": {"feed": "ftp://example.invalid/feed"}}),
    ] {
        let rev = d.call("settings.get", json!({})).await.body["global"]["revision"].clone();
        let r = d
            .call(
                "settings.update",
                json!({"scope": "global", "revision": rev, "patch": patch}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{patch}: {}", r.body);
    }
}

#[tokio::test]
async fn backups_are_sound_copies_and_only_the_newest_are_kept() {
    let d = TestDaemon::new();
    let rev = d.call("settings.get", json!({})).await.body["global"]["revision"].clone();
    let r = d
        .call(
            "settings.update",
            json!({"scope": "global", "revision": rev, "patch": {"upgrade": {"backupsKept": 2}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut made = Vec::new();
    for _ in 0..3 {
        let b = d.call("upgrade.backup", json!({})).await;
        assert_eq!(b.status, StatusCode::OK, "{}", b.body);
        made.push(b.body["path"].as_str().unwrap().to_string());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let s = d.call("upgrade.status", json!({})).await.body;
    let kept: Vec<&str> = s["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["path"].as_str().unwrap())
        .collect();
    assert_eq!(kept, [made[2].as_str(), made[1].as_str()]);
    assert!(!std::path::Path::new(&made[0]).exists());
    // A backup is a whole database of its own.
    let v = refine_store::backup::verify(std::path::Path::new(&made[2])).unwrap();
    assert_eq!(v.schema_version, s["schema"]["version"].as_i64().unwrap());
    let conn = refine_store::rusqlite::Connection::open(&made[2]).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM settings_layers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the settings written before are in the copy");

    let here = d.dir.path().join("mine.db");
    let b = d.call("upgrade.backup", json!({"path": here})).await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    for (input, status) in [
        (json!({"path": here}), StatusCode::CONFLICT),
        (json!({"path": "rel.db"}), StatusCode::BAD_REQUEST),
        (json!({"path": "/tmp/x.sqlite"}), StatusCode::BAD_REQUEST),
        (json!({"path": "/etc/refine.db"}), StatusCode::FORBIDDEN),
    ] {
        let r = d.call("upgrade.backup", input.clone()).await;
        assert_eq!(r.status, status, "{input}: {}", r.body);
    }
}
