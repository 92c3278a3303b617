//! One daemon per data dir, clean shutdown on SIGTERM, private files.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use refine_e2e::{refine_bin, text, Daemon};

#[test]
fn one_daemon_per_data_dir_and_clean_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut d = Daemon::start(&data);

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("token")), 0o600);
    assert_eq!(mode(&data.join("daemon.json")), 0o600);
    for f in ["refine.db", "refine.db-wal", "refine.db-shm"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    assert_eq!(d.token.len(), 64);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("daemon.json")).unwrap()).unwrap();
    assert_eq!(info["url"], d.url.as_str());
    assert_eq!(info["pid"], d.pid());

    let second = Command::new(refine_bin())
        .args(["--serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!second.status.success());
    let msg = text(&second);
    assert!(
        msg.contains("already runs") && msg.contains(&d.pid().to_string()) && msg.contains(&d.url),
        "{msg}"
    );

    // Health answers without the token and says nothing else; the rest needs it.
    let http = reqwest::blocking::Client::new();
    let h = http
        .get(format!("{}/api/v1/system/health", d.url))
        .send()
        .unwrap();
    assert_eq!(h.status(), 200);
    assert_eq!(h.text().unwrap(), r#"{"status":"ok"}"#);
    let r = http.get(format!("{}/api/v1/apps", d.url)).send().unwrap();
    assert_eq!(r.status(), 401);
    let info = d.client().get("/api/v1/system/info");
    assert_eq!(
        info["dataDir"],
        data.canonicalize().unwrap().to_string_lossy().as_ref()
    );

    let st = d.signal(libc::SIGTERM);
    assert!(st.success(), "SIGTERM exits 0: {st:?}");
    assert!(!data.join("daemon.json").exists());
    // The lock is free again.
    let _again = Daemon::start(&data);
}

#[test]
fn non_loopback_bind_needs_an_explicit_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(refine_bin())
        .args(["--serve", "--port", "0", "--bind", "0.0.0.0", "--data-dir"])
        .arg(tmp.path().join("d"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("not a loopback address"), "{}", text(&o));
}
