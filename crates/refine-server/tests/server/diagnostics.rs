//! The doctor, the log read back, and support bundles: where they may be written, and that no
//! secret the daemon knows gets into one.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::TestDaemon;

#[tokio::test]
async fn the_doctor_gives_every_check_a_verdict_and_failures_a_fix() {
    let d = TestDaemon::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let r = d.call("diagnostics.doctor", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let checks = r.body["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "git",
        "agent:scripted",
        "forge:gh",
        "forge:glab",
        "disk",
        "database",
        "wal",
        "permissions",
        "port",
        "clock",
        "webkit",
        "cluster",
    ] {
        assert!(ids.contains(&id), "no {id} check in {ids:?}");
    }
    let by = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(by("git")["status"], "ok", "{}", by("git"));
    assert_eq!(by("database")["status"], "ok");
    assert_eq!(by("permissions")["status"], "ok", "{}", by("permissions"));
    // Embedded (no listener): nothing to check.
    assert_eq!(by("port")["status"], "skip");
    for c in checks {
        if c["status"] == "warn" || c["status"] == "fail" {
            assert!(c["fix"].as_str().is_some_and(|f| !f.is_empty()), "{c}");
        }
    }
    let worst = checks
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .max_by_key(|s| ["skip", "ok", "warn", "fail"].iter().position(|x| x == s))
        .unwrap();
    let expected = if worst == "skip" { "ok" } else { worst };
    assert_eq!(r.body["status"], expected);
    // Loose permissions are a failure, with the command that fixes them.
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = d.call("diagnostics.doctor", json!({})).await;
    let perm = r.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "permissions")
        .unwrap()
        .clone();
    assert_eq!(perm["status"], "fail", "{perm}");
    assert!(perm["fix"].as_str().unwrap().contains("chmod 700"));
    assert_eq!(r.body["status"], "fail");
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn write_log(d: &TestDaemon, lines: &[Value]) -> std::path::PathBuf {
    let dir = d.dir.path().join("logs");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("refine.2026-12-02.log");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

fn line(level: &str, target: &str, message: &str) -> Value {
    json!({"timestamp": "2026-12-02T10:00:00.000000Z", "level": level,
           "fields": {"message": message}, "target": target})
}

#[tokio::test]
async fn logs_filter_by_level_module_and_text_and_follow_from_a_cursor() {
    let d = TestDaemon::new();
    let empty = d.call("diagnostics.logs", json!({})).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["records"], json!([]));
    assert_eq!(empty.body["files"], json!([]));

    let p = write_log(
        &d,
        &[
            line(
                "INFO",
                "refine_store::migrations",
                "applying database migration",
            ),
            line("WARN", "refine_core::runner", "agent stopped early"),
            line("ERROR", "refine_server::listener", "accept failed"),
        ],
    );
    let all = d.call("diagnostics.logs", json!({})).await.body;
    assert_eq!(all["records"].as_array().unwrap().len(), 3);
    assert_eq!(all["files"], json!(["refine.2026-12-02.log"]));
    let warn = d
        .call("diagnostics.logs", json!({"level": "warn"}))
        .await
        .body;
    let msgs: Vec<&str> = warn["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["agent stopped early", "accept failed"]);
    let core = d
        .call("diagnostics.logs", json!({"target": "refine_core"}))
        .await
        .body;
    assert_eq!(core["records"][0]["target"], "refine_core::runner");
    assert_eq!(core["records"].as_array().unwrap().len(), 1);
    let text = d
        .call("diagnostics.logs", json!({"contains": "MIGRATION"}))
        .await
        .body;
    assert_eq!(text["records"].as_array().unwrap().len(), 1);
    let last = d.call("diagnostics.logs", json!({"limit": 1})).await.body;
    assert_eq!(last["records"][0]["message"], "accept failed");

    // Following: only what is written after the cursor, then nothing more.
    let cursor = all["cursor"].as_str().unwrap().to_string();
    let none = d
        .call("diagnostics.logs", json!({"after": cursor}))
        .await
        .body;
    assert_eq!(none["records"], json!([]));
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    writeln!(f, "{}", line("INFO", "refine_core::apps", "added an app")).unwrap();
    // Half a line is not read until it is complete.
    write!(f, "{{\"timestamp\":").unwrap();
    drop(f);
    let next = d
        .call("diagnostics.logs", json!({"after": cursor}))
        .await
        .body;
    let recs = next["records"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{next}");
    assert_eq!(recs[0]["message"], "added an app");
    assert_ne!(next["cursor"], json!(cursor));

    for bad in [
        json!({"limit": 0}),
        json!({"limit": 5001}),
        json!({"after": "/etc/passwd:0"}),
        json!({"after": "nonsense"}),
        json!({"level": "loud"}),
        json!({"unknown": 1}),
    ] {
        let r = d.call("diagnostics.logs", bad.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(r.body["code"], "invalid_input");
    }
}

fn untar(path: &std::path::Path) -> String {
    let out = std::process::Command::new("tar")
        .args(["-xzOf"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn a_bundle_holds_the_facts_and_none_of_the_secrets() {
    let d = TestDaemon::new();
    // The secrets: the data dir's token, a profile's API key, a login link in a log line.
    let token = "5ec7e7".to_string() + &"f".repeat(58);
    std::fs::write(d.dir.path().join("token"), &token).unwrap();
    let key = "sk-planted-key-0123456789";
    let saved = d
        .call(
            "agents.profiles.save",
            json!({"profile": {"name": "mine", "provider": "generic", "command": "echo",
                   "args": [], "env": {"OPENAI_API_KEY": key, "PLAIN": "visible"},
                   "promptDelivery": "argument"}}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    write_log(
        &d,
        &[
            line(
                "INFO",
                "refine_core::sessions",
                &format!("a client sent {token}"),
            ),
            line(
                "WARN",
                "refine_server::security",
                "login=abcdef0123456789 refused",
            ),
            line(
                "INFO",
                "refine_core::agents",
                &format!("profile env had {key}"),
            ),
        ],
    );
    let target = d.dir.path().join("support.tar.gz");
    let r = d.call("diagnostics.bundle", json!({"path": target})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["path"], json!(target.canonicalize().unwrap()));
    assert!(r.body["redacted"].as_u64().unwrap() >= 3, "{}", r.body);
    for f in [
        "system.json",
        "doctor.json",
        "database.json",
        "settings.json",
        "operations.json",
        "errors.json",
        "activity.json",
        "performance.json",
        "logs/refine.2026-12-02.log",
    ] {
        assert!(
            r.body["files"].as_array().unwrap().contains(&json!(f)),
            "{f} not in {}",
            r.body["files"]
        );
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let all = untar(&target);
    for secret in [token.as_str(), key, "abcdef0123456789"] {
        assert!(!all.contains(secret), "{secret} is in the bundle");
    }
    // What helps is there.
    for fact in [
        "\"schemaVersion\"",
        "\"agent:scripted\"",
        "\"PLAIN\": \"visible\"",
        "agents.profiles.save",
        "refine_server::security",
    ] {
        assert!(all.contains(fact), "{fact} is not in the bundle");
    }

    // Default place: the data dir's bundles/.
    let r = d.call("diagnostics.bundle", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["path"].as_str().unwrap().starts_with(
        d.dir
            .path()
            .join("bundles")
            .canonicalize()
            .unwrap()
            .to_str()
            .unwrap()
    ));
}

#[tokio::test]
async fn a_bundle_goes_only_to_a_new_file_in_an_allowed_place() {
    let d = TestDaemon::new();
    let existing = d.dir.path().join("there.tar.gz");
    std::fs::write(&existing, "keep me").unwrap();
    let cases = [
        (json!({"path": "relative.tar.gz"}), StatusCode::BAD_REQUEST),
        (
            json!({"path": "/tmp/refine-bundle.zip"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"path": "/no/such/dir/b.tar.gz"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"path": "/etc/refine-bundle.tar.gz"}),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"path": "/proc/self/b.tar.gz"}),
            StatusCode::FORBIDDEN,
        ),
        (json!({"path": existing}), StatusCode::CONFLICT),
        (json!({"path": 7}), StatusCode::BAD_REQUEST),
    ];
    for (input, status) in cases {
        let r = d.call("diagnostics.bundle", input.clone()).await;
        assert_eq!(r.status, status, "{input}: {}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    assert!(!std::path::Path::new("/etc/refine-bundle.tar.gz").exists());
    // A symlinked folder pointing outside is judged by where it points.
    let link = d.dir.path().join("etc-link");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let r = d
        .call("diagnostics.bundle", json!({"path": link.join("b.tar.gz")}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Nothing of that was recorded as done.
    assert_eq!(
        d.count("SELECT count(*) FROM activity WHERE operation = 'diagnostics.bundle'"),
        0
    );
}
