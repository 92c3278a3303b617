//! `kill -9` during a burst of keyed mutations, then restart: nothing acknowledged is lost,
//! nothing is left running, replays are identical, the database is sound.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use refine_e2e::{git_repo, Daemon};
use serde_json::{json, Value};

struct Ack {
    key: String,
    path: String,
    body: Option<Value>,
    status: u16,
    response: Value,
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repos: Vec<String> = (0..48)
        .map(|i| {
            git_repo(tmp.path(), &format!("repo{i}"))
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let mut d = Daemon::start(&data);
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let http = d.client();
        let acks = acks.clone();
        let count = count.clone();
        let stop = stop.clone();
        let mine: Vec<String> = repos.iter().skip(w).step_by(4).cloned().collect();
        workers.push(std::thread::spawn(move || {
            for (i, path) in mine.into_iter().enumerate() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let key = format!("w{w}-add-{i}");
                let body = json!({"path": path});
                let Ok(r) = http.send("POST", "/api/v1/apps", Some(&body), Some(&key)) else {
                    return;
                };
                if r.status != 200 {
                    continue;
                }
                let id = r.body["id"].as_str().unwrap().to_string();
                acks.lock().unwrap().push(Ack {
                    key,
                    path: "/api/v1/apps".into(),
                    body: Some(body),
                    status: 200,
                    response: r.body,
                });
                count.fetch_add(1, Ordering::SeqCst);
                // A long-running operation too, so the kill can land while one runs.
                let key = format!("w{w}-rescan-{i}");
                let path = format!("/api/v1/apps/{id}/rescan");
                let Ok(r) = http.send("POST", &path, Some(&json!({})), Some(&key)) else {
                    return;
                };
                if r.status == 202 {
                    acks.lock().unwrap().push(Ack {
                        key,
                        path,
                        body: Some(json!({})),
                        status: 202,
                        response: r.body,
                    });
                }
            }
        }));
    }
    while count.load(Ordering::SeqCst) < 12 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let st = d.signal(libc::SIGKILL);
    assert!(!st.success());
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    drop(d);
    assert!(
        data.join("daemon.json").exists(),
        "a killed daemon leaves its daemon.json behind"
    );

    let d = Daemon::start(&data);
    let http = d.client();
    let db = refine_store::rusqlite::Connection::open_with_flags(
        data.join("refine.db"),
        refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    let acks = acks.lock().unwrap();
    assert!(acks.len() >= 12);
    let apps = http.get("/api/v1/apps");
    let ids: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for a in acks.iter().filter(|a| a.status == 200) {
        assert!(
            ids.contains(&a.response["id"].as_str().unwrap()),
            "acknowledged app {} is there",
            a.response["id"]
        );
    }
    let running = http.get("/api/v1/operations?status=running");
    assert_eq!(running["items"], json!([]), "nothing is left running");
    for a in acks.iter().filter(|a| a.status == 202) {
        let op = http.get(&format!(
            "/api/v1/operations/{}",
            a.response["id"].as_str().unwrap()
        ));
        assert!(
            op["status"] == "succeeded" || op["status"] == "interrupted",
            "{op}"
        );
    }
    for a in acks.iter() {
        let r = http
            .send("POST", &a.path, a.body.as_ref(), Some(&a.key))
            .unwrap();
        assert_eq!(r.status, a.status, "replay of {}", a.key);
        assert!(r.replayed, "replay of {} is marked", a.key);
        if a.status == 202 {
            // A long operation's replay answers the operation as it is now.
            let now = http.get(&format!(
                "/api/v1/operations/{}",
                a.response["id"].as_str().unwrap()
            ));
            assert_eq!(r.body, now, "replay of {} is the operation now", a.key);
        } else {
            assert_eq!(r.body, a.response, "replay of {} is identical", a.key);
        }
    }
}

#[test]
fn kill_9_with_children_running_leaves_no_orphans() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let mut d = Daemon::start(&data);
    let http = d.client();
    assert_eq!(
        http.send("POST", "/api/v1/apps", Some(&json!({"path": repo})), None)
            .unwrap()
            .status,
        200
    );
    // A leader with a grandchild in its group: PR_SET_PDEATHSIG only covers the leader.
    let p = http
        .send(
            "POST",
            "/api/v1/processes",
            Some(&json!({"argv": ["bash", "-c", "sleep 300 & sleep 300"]})),
            Some("start-1"),
        )
        .unwrap();
    assert_eq!(p.status, 200, "{:?}", p.body);
    let pgid = p.body["pid"].as_i64().unwrap() as i32;
    std::thread::sleep(Duration::from_millis(300));
    // Live (non-zombie) members of the group, from /proc.
    let alive = |g: i32| {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                return false;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
                .split_whitespace()
                .collect();
            f[0] != "Z" && f[2].parse::<i32>().ok() == Some(g)
        })
    };
    assert!(alive(pgid));
    d.signal(libc::SIGKILL);
    drop(d);

    let d = Daemon::start(&data);
    let http = d.client();
    let got = http.get(&format!(
        "/api/v1/processes/{}",
        p.body["id"].as_str().unwrap()
    ));
    assert_eq!(got["status"], "lost", "{got}");
    assert!(
        got["error"].as_str().unwrap().contains("daemon stopped"),
        "{got}"
    );
    assert!(
        !alive(pgid),
        "no process of the dead daemon's group survives the restart"
    );
    let running = http.get("/api/v1/processes?live=true");
    assert_eq!(running, json!([]));
    let replay = http
        .send(
            "POST",
            "/api/v1/processes",
            Some(&json!({"argv": ["bash", "-c", "sleep 300 & sleep 300"]})),
            Some("start-1"),
        )
        .unwrap();
    assert!(
        replay.replayed && replay.body == p.body,
        "the acknowledged start replays, it does not run again"
    );
}
