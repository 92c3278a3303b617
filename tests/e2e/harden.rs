//! The hardening contract of SECURITY.md ("Reliability: what must survive"), against the real
//! daemon: one daemon per data dir without a deletable lock file, no orphans after `kill -9` or
//! SIGTERM (also `setsid` children and ones that ignore SIGHUP), a busy database answers 503 and
//! never commits afterwards, an interrupted import shows how far it got, slow clients are cut,
//! a full disk answers 507 and recovers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, refine_bin, Daemon, Http};
use refine_store::rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Start `refine --serve` on `data`. The start-up line is `Refine is listening on URL/#login=CODE`
/// (a one-time browser login link); programs authenticate with the data dir's `token` file.
fn start(data: &Path) -> Daemon {
    use std::io::BufRead;
    let mut child = Command::new(refine_bin())
        .args(["--serve", "--port", "0", "--data-dir"])
        .arg(data)
        .env("REFINE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start refine --serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let link = line
        .trim()
        .strip_prefix("Refine is listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let url = link
        .split_once("/#login=")
        .or_else(|| link.split_once("/?token="))
        .map(|(u, _)| u.to_string())
        .unwrap_or_else(|| link.trim_end_matches('/').to_string());
    let token = std::fs::read_to_string(data.join("token"))
        .expect("the data dir has a token file")
        .trim()
        .to_string();
    Daemon {
        child,
        data: data.to_path_buf(),
        url,
        token,
    }
}

fn port_of(d: &Daemon) -> u16 {
    d.url.rsplit(':').next().unwrap().parse().unwrap()
}

/// A request with the token, returning status, `Retry-After` and the JSON body.
fn request(
    http: &Http,
    method: &str,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (u16, Option<String>, bool, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = http
        .http
        .request(m, format!("{}{}", http.base, path))
        .bearer_auth(&http.token);
    if let Some(b) = body {
        r = r.json(b);
    }
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    let resp = r.send().unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let body = resp.json().unwrap_or(Value::Null);
    (status, retry, replayed, body)
}

/// Add `repo` as an app and select it; returns its id.
fn add_app(http: &Http, repo: &Path) -> String {
    let r = http
        .send("POST", "/api/v1/apps", Some(&json!({"path": repo})), None)
        .unwrap();
    assert_eq!(r.status, 200, "apps.add: {}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let s = http
        .send(
            "POST",
            "/api/v1/apps/select",
            Some(&json!({"id": id})),
            None,
        )
        .unwrap();
    assert_eq!(s.status, 200, "apps.select: {}", s.body);
    id
}

fn db_ro(data: &Path) -> Connection {
    let c = Connection::open_with_flags(
        data.join("refine.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn wait_until(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + timeout;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The state letter of a process (`R`, `S`, `Z`, …), `None` when there is no such process.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// A process that exists and is not a zombie.
fn alive(pid: u32) -> bool {
    matches!(proc_state(pid), Some(s) if s != 'Z' && s != 'X')
}

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn environ(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// Live (non-zombie) `sleep <tag>` processes.
fn sleepers(tag: &str) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|&p| alive(p) && cmdline(p) == ["sleep", tag])
        .collect()
}

/// Live processes whose environment carries `REFINE_OWNER=<mark>`.
fn marked(mark: &str) -> Vec<u32> {
    let needle = format!("REFINE_OWNER={mark}");
    all_pids()
        .into_iter()
        .filter(|&p| alive(p) && environ(p).contains(&needle))
        .collect()
}

fn owner_mark_of(pid: u32) -> Option<String> {
    environ(pid)
        .into_iter()
        .find_map(|kv| kv.strip_prefix("REFINE_OWNER=").map(str::to_string))
}

/// Kills, when the test ends however it ends, every `sleep <tag>` of this test (so a failing
/// test leaves nothing running for five minutes).
struct Sweep(Vec<&'static str>);

impl Drop for Sweep {
    fn drop(&mut self) {
        for tag in &self.0 {
            for p in sleepers(tag) {
                unsafe { libc::kill(p as i32, libc::SIGKILL) };
            }
        }
    }
}

/// A description of every live `sleep <tag>` for assertion messages.
fn describe(tags: &[&str]) -> String {
    tags.iter()
        .map(|t| format!("sleep {t}: {:?}", sleepers(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A supervised process with a `setsid` grandchild that ignores SIGHUP and SIGTERM (tags a, b),
/// and a terminal whose children ignore SIGHUP (tags c, d). Returns the process record.
fn start_descendants(http: &Http, tags: [&str; 4]) -> Value {
    let [a, b, c, d] = tags;
    let p = http
        .send(
            "POST",
            "/api/v1/processes",
            Some(&json!({"argv": [
                "bash", "-c",
                format!("setsid bash -c 'trap \"\" HUP TERM; sleep {a}' & sleep {b}")
            ]})),
            Some(&format!("proc-{a}")),
        )
        .unwrap();
    assert_eq!(p.status, 200, "processes.start: {}", p.body);
    let t = http
        .send(
            "POST",
            "/api/v1/terminal",
            Some(&json!({"argv": [
                "bash", "-c",
                format!("nohup sleep {c} >/dev/null 2>&1 & trap '' HUP; sleep {d}")
            ]})),
            Some(&format!("term-{a}")),
        )
        .unwrap();
    assert_eq!(t.status, 200, "terminal.create: {}", t.body);
    assert!(
        wait_until(Duration::from_secs(10), || tags
            .iter()
            .all(|t| !sleepers(t).is_empty())),
        "all four descendants run: {}",
        describe(&tags)
    );
    p.body
}

// ---------------------------------------------------------------------------------------------
// 1. Single instance without a lock file

#[test]
fn single_instance_does_not_depend_on_a_lock_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let _sweep = Sweep(vec!["3001"]);
    let mut a = start(&data);
    let http = a.client();
    add_app(&http, &repo);
    let p = http
        .send(
            "POST",
            "/api/v1/processes",
            Some(&json!({"argv": ["sleep", "3001"]})),
            Some("single-1"),
        )
        .unwrap();
    assert_eq!(p.status, 200, "processes.start: {}", p.body);
    let proc_id = p.body["id"].as_str().unwrap().to_string();
    let proc_pid = p.body["pid"].as_u64().unwrap() as u32;
    assert!(wait_until(Duration::from_secs(5), || alive(proc_pid)));

    // Delete everything that looks like a lock.
    let mut removed = Vec::new();
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if e
                .file_name()
                .to_string_lossy()
                .to_ascii_lowercase()
                .contains("lock")
            {
                std::fs::remove_file(&path).unwrap();
                removed.push(path);
            }
        }
    }
    eprintln!("removed lock-like files: {removed:?}");

    let mut second = Command::new(refine_bin())
        .args(["--serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .env("REFINE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exited = wait_until(Duration::from_secs(20), || {
        second.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = second.kill();
        let out = second.wait_with_output().unwrap();
        panic!(
            "a second daemon started beside the running one on the same data dir: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = second.wait_with_output().unwrap();
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the second daemon must fail: {msg}");
    assert!(
        msg.contains(&a.pid().to_string()) && msg.contains(&a.url),
        "the refusal names the running daemon (pid {}, {}): {msg}",
        a.pid(),
        a.url
    );

    // A is untouched: its supervised process runs, its daemon.json names it.
    assert!(alive(proc_pid), "A's supervised process is still alive");
    let got = http.get(&format!("/api/v1/processes/{proc_id}"));
    assert_eq!(got["status"], "running", "{got}");
    let info: Value = serde_json::from_slice(
        &std::fs::read(data.join("daemon.json")).expect("A's daemon.json still exists"),
    )
    .unwrap();
    assert_eq!(info["pid"], a.pid(), "{info}");
    assert_eq!(info["url"], a.url.as_str(), "{info}");

    let st = a.signal(libc::SIGTERM);
    assert!(st.success(), "SIGTERM exits 0: {st:?}");
    assert!(
        !data.join("daemon.json").exists(),
        "a clean stop removes daemon.json"
    );
    assert!(
        wait_until(Duration::from_secs(5), || !alive(proc_pid)),
        "the supervised process ended with the daemon"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Orphans after kill -9

#[test]
fn kill_9_then_restart_ends_setsid_and_sighup_ignoring_descendants() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let tags = ["3101", "3102", "3103", "3104"];
    let _sweep = Sweep(tags.to_vec());
    let mut d = start(&data);
    let http = d.client();
    add_app(&http, &repo);
    let p = start_descendants(&http, tags);
    let leader = p["pid"].as_u64().unwrap() as u32;
    let mark = owner_mark_of(leader).expect("the supervised process carries REFINE_OWNER");
    for t in tags {
        for pid in sleepers(t) {
            assert_eq!(
                owner_mark_of(pid).as_deref(),
                Some(mark.as_str()),
                "sleep {t} ({pid}) carries the daemon's owner mark"
            );
        }
    }

    d.signal(libc::SIGKILL);
    drop(d);
    std::thread::sleep(Duration::from_millis(500));
    // What PR_SET_PDEATHSIG and the PTY hang-up do not reach is still there.
    for t in ["3101", "3103"] {
        assert!(
            !sleepers(t).is_empty(),
            "sleep {t} survives the kill -9 (precondition): {}",
            describe(&tags)
        );
    }
    let leftovers = marked(&mark);
    assert!(!leftovers.is_empty(), "marked leftovers after kill -9");
    eprintln!("after kill -9: {} (marked: {leftovers:?})", describe(&tags));

    let d = start(&data);
    let http = d.client();
    let gone = wait_until(Duration::from_secs(5), || {
        tags.iter().all(|t| sleepers(t).is_empty()) && marked(&mark).is_empty()
    });
    assert!(
        gone,
        "start-up repair ends every leftover of the killed daemon; still alive: {} (marked: {:?})",
        describe(&tags),
        marked(&mark)
    );
    let got = http.get(&format!("/api/v1/processes/{}", p["id"].as_str().unwrap()));
    assert_eq!(got["status"], "lost", "{got}");
    assert_eq!(http.get("/api/v1/processes?live=true"), json!([]));
    let db = db_ro(&data);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM processes WHERE status IN ('starting','running')"
        ),
        0,
        "no process record is left running"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Clean SIGTERM ends everything

#[test]
fn sigterm_ends_every_descendant() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let tags = ["3201", "3202", "3203", "3204"];
    let _sweep = Sweep(tags.to_vec());
    let mut d = start(&data);
    let http = d.client();
    add_app(&http, &repo);
    let p = start_descendants(&http, tags);
    let leader = p["pid"].as_u64().unwrap() as u32;
    let mark = owner_mark_of(leader).expect("the supervised process carries REFINE_OWNER");

    let t0 = Instant::now();
    let st = d.signal(libc::SIGTERM);
    eprintln!("the daemon took {:?} to stop", t0.elapsed());
    assert!(st.success(), "SIGTERM exits 0: {st:?}");
    // Killed processes can take a moment to become zombies; nothing else is allowed.
    let gone = wait_until(Duration::from_secs(2), || {
        tags.iter().all(|t| sleepers(t).is_empty()) && marked(&mark).is_empty()
    });
    assert!(
        gone,
        "after a clean stop no descendant remains: {} (marked: {:?})",
        describe(&tags),
        marked(&mark)
    );
    let db = db_ro(&data);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM processes WHERE status IN ('starting','running')"
        ),
        0,
        "a clean stop settles its process records"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Busy database

#[test]
fn busy_database_answers_503_and_never_commits_afterwards() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let d = start(&data);
    let http = d.client();
    let app = add_app(&http, &repo);

    // Another process holds the write lock for 25 s.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let db_path = data.join("refine.db");
    let holder = std::thread::spawn(move || {
        let c = Connection::open(&db_path).unwrap();
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let since = Instant::now();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(25));
        c.execute_batch("ROLLBACK").unwrap();
        since.elapsed()
    });
    locked_rx.recv().unwrap();

    let writers: Vec<_> = (0..3)
        .map(|i| {
            let http = d.client();
            std::thread::spawn(move || {
                let t0 = Instant::now();
                let r = request(
                    &http,
                    "POST",
                    "/api/v1/work/goals",
                    Some(&json!({"title": format!("busy goal {i}")})),
                    Some(&format!("busy-{i}")),
                );
                (r, t0.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let t0 = Instant::now();
    let (st, _, _, apps) = request(&http, "GET", "/api/v1/apps", None, None);
    let read_took = t0.elapsed();
    assert_eq!(st, 200, "a read during the lock: {apps}");
    assert!(
        read_took < Duration::from_secs(5),
        "a read during the lock answers quickly (took {read_took:?})"
    );
    for (i, w) in writers.into_iter().enumerate() {
        let ((status, retry, _, body), took) = w.join().unwrap();
        eprintln!("write {i} during the lock: {status} after {took:?} (Retry-After {retry:?})");
        assert_eq!(
            status, 503,
            "write {i} while the database is locked: {body}"
        );
        assert!(
            retry.is_some(),
            "write {i}: 503 carries Retry-After: {body}"
        );
        assert_eq!(body["code"], "unavailable", "write {i}: {body}");
        assert!(
            took < Duration::from_secs(15),
            "write {i} answered within its deadline (took {took:?})"
        );
    }
    let held = holder.join().unwrap();
    assert!(
        held >= Duration::from_secs(20),
        "the lock was held {held:?}"
    );

    // Nothing answered with 503 commits afterwards.
    std::thread::sleep(Duration::from_secs(3));
    let db = db_ro(&data);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM goals WHERE title LIKE 'busy goal %'"
        ),
        0,
        "no goal of a 503 answer exists"
    );

    // The key is free: the request runs for real now, once.
    let (status, _, replayed, body) = request(
        &http,
        "POST",
        "/api/v1/work/goals",
        Some(&json!({"title": "busy goal 0"})),
        Some("busy-0"),
    );
    assert_eq!(status, 200, "replay after the lock: {body}");
    assert!(!replayed, "it ran, it was not replayed: {body}");
    assert_eq!(body["appId"], app.as_str(), "{body}");
    let (status2, _, replayed2, body2) = request(
        &http,
        "POST",
        "/api/v1/work/goals",
        Some(&json!({"title": "busy goal 0"})),
        Some("busy-0"),
    );
    assert_eq!(status2, 200);
    assert!(replayed2 && body2 == body, "now the key replays: {body2}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM goals WHERE title = 'busy goal 0'"
        ),
        1,
        "the goal exists exactly once"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM goals WHERE title LIKE 'busy goal %'"
        ),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Interrupted long operation

#[test]
fn interrupted_import_shows_how_far_it_got_and_reimport_completes_without_duplicates() {
    const ROWS: i64 = 20_000;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = git_repo(tmp.path(), "app");
    let mut d = start(&data);
    let http = d.client();
    let app = add_app(&http, &repo);
    let content: String = (1..=ROWS)
        .map(|i| format!("- [ ] Imported task {i:05}\n"))
        .collect();
    let body = json!({"format": "markdown", "content": content});
    let r = http
        .send("POST", "/api/v1/import", Some(&body), Some("import-1"))
        .unwrap();
    assert_eq!(r.status, 202, "import.commit: {}", r.body);
    let op_id = r.body["id"].as_str().unwrap().to_string();

    let db = db_ro(&data);
    let goals = format!("SELECT count(*) FROM goals WHERE app_id = '{app}' AND deleted_at IS NULL");
    assert!(
        wait_until(Duration::from_secs(30), || count(&db, &goals) > 0),
        "the import commits rows"
    );
    let at_signal = count(&db, &goals);
    let t0 = Instant::now();
    let st = d.signal(libc::SIGTERM);
    assert!(st.success(), "SIGTERM exits 0: {st:?}");
    drop(d);
    let n = count(&db, &goals);
    eprintln!(
        "{at_signal} rows at SIGTERM, {n} when the daemon had stopped ({:?})",
        t0.elapsed()
    );
    assert!(
        n > 0 && n < ROWS,
        "the import was stopped part-way ({n} of {ROWS} committed)"
    );

    let d = start(&data);
    let http = d.client();
    let r = http
        .send("POST", "/api/v1/import", Some(&body), Some("import-1"))
        .unwrap();
    assert_eq!(r.status, 202, "replay: {}", r.body);
    assert!(r.replayed, "the key replays: {}", r.body);
    assert_eq!(r.body["id"], op_id.as_str());
    assert_eq!(r.body["status"], "interrupted", "current state: {}", r.body);
    assert!(
        r.body["progress"].as_u64().unwrap_or(0) > 0,
        "progress: {}",
        r.body
    );
    assert_eq!(
        r.body["message"],
        format!("{n} of {ROWS} rows").as_str(),
        "the message counts what committed: {}",
        r.body
    );
    assert_eq!(
        count(&db, &goals),
        n,
        "nothing more committed after restart"
    );
    let op = http.get(&format!("/api/v1/operations/{op_id}"));
    assert_eq!(op["status"], "interrupted", "{op}");

    // A new import of the same file completes; items are matched by their Markdown key.
    let r = http
        .send("POST", "/api/v1/import", Some(&body), Some("import-2"))
        .unwrap();
    assert_eq!(r.status, 202, "re-import: {}", r.body);
    let op2 = r.body["id"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    let done = wait_until(Duration::from_secs(45), || {
        last = http.get(&format!("/api/v1/operations/{op2}"));
        last["status"] != "running"
    });
    assert!(done, "the re-import finishes: {last}");
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["result"]["created"], ROWS - n, "{last}");
    assert_eq!(last["result"]["unchanged"], n, "{last}");
    assert_eq!(last["result"]["updated"], 0, "{last}");
    assert_eq!(count(&db, &goals), ROWS, "every item once");
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(DISTINCT title) FROM goals WHERE app_id = '{app}' AND deleted_at IS NULL")
        ),
        ROWS,
        "no duplicates"
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(DISTINCT ext_id) FROM goals WHERE app_id = '{app}' AND ext_source = 'markdown'")
        ),
        ROWS
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Slow clients

fn fd_count(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Read until the peer closes; `Err` when `limit` passes first.
fn read_to_close(s: &mut TcpStream, limit: Duration) -> Result<Vec<u8>, String> {
    let until = Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "still open after {limit:?}; got {:?}",
                String::from_utf8_lossy(&out)
            ));
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue
            }
            // Reset by the daemon: closed too.
            Err(_) => return Ok(out),
        }
    }
}

fn closed_by_peer(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 1024];
    let mut reader: &TcpStream = s;
    let r = loop {
        match reader.read(&mut b) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    r
}

#[test]
fn slow_clients_are_cut_and_idle_floods_do_not_lock_out() {
    // 600 sockets here, as many in the daemon (it inherits this limit).
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        if lim.rlim_cur < 4096 {
            lim.rlim_cur = lim.rlim_max.min(8192);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = start(&tmp.path().join("data"));
    let port = port_of(&d);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let http = d.client();
    assert_eq!(http.get("/api/v1/system/health")["status"], "ok");
    std::thread::sleep(Duration::from_millis(300));
    let baseline = fd_count(d.pid());

    // (a) Half a request line, then nothing: cut by the header timeout.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /api/v1/sys").unwrap();
    let t0 = Instant::now();
    let r = read_to_close(&mut s, Duration::from_secs(15));
    assert!(
        r.is_ok(),
        "a half request line is cut within 15 s: {r:?} ({:?})",
        t0.elapsed()
    );

    // (b) Full headers, 11 of 1000 body bytes: 408 request_timeout.
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /api/v1/work/goals HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"title\":\"x",
        d.token
    )
    .unwrap();
    let got = read_to_close(&mut s, Duration::from_secs(20)).or_else(|e| {
        if e.contains("HTTP/1.1") {
            Ok(e.into_bytes())
        } else {
            Err(e)
        }
    });
    let text = String::from_utf8_lossy(&got.expect("an answer within 20 s")).to_string();
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "a body that does not arrive gets 408: {text:?}"
    );
    let json_start = text.find('{').expect("a JSON body");
    let body: Value =
        serde_json::from_str(text[json_start..].trim()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(body["code"], "request_timeout", "{text}");

    // (c) 600 connections that send nothing (the cap is 512).
    std::thread::sleep(Duration::from_millis(300));
    let before_flood = fd_count(d.pid());
    let idle: Vec<TcpStream> = (0..600)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let t0 = Instant::now();
    let fresh = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(8))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let h = fresh
        .get(format!("{}/api/v1/system/health", d.url))
        .send()
        .expect("health answers during the flood");
    assert_eq!(h.status(), 200);
    assert_eq!(h.text().unwrap(), r#"{"status":"ok"}"#);
    assert!(
        t0.elapsed() < Duration::from_secs(8),
        "health answered before the header timeout could make room"
    );
    std::thread::sleep(Duration::from_millis(500));
    let peak = fd_count(d.pid());
    let evicted = idle.iter().filter(|s| closed_by_peer(s)).count();
    eprintln!("fds: baseline {baseline}, before flood {before_flood}, during flood {peak}; evicted {evicted}");
    assert!(
        evicted >= 600 - 512,
        "at the cap the quietest idle connections are closed ({evicted} were)"
    );
    assert!(
        peak <= before_flood + 512 + 16,
        "the daemon holds at most the cap ({peak} fds, {before_flood} before)"
    );

    // Connections that never send a request are cut by the header timeout (10 s), while the
    // client still holds them open.
    let back = wait_until(Duration::from_secs(30), || {
        fd_count(d.pid()) <= before_flood + 8 && idle.iter().all(closed_by_peer)
    });
    assert!(
        back,
        "the daemon's fds return near {before_flood} while the idle sockets stay open (now {})",
        fd_count(d.pid())
    );
    let still_open = idle.iter().filter(|s| !closed_by_peer(s)).count();
    assert_eq!(
        still_open, 0,
        "every idle connection was closed by the daemon"
    );
    drop(idle);
    assert!(
        wait_until(Duration::from_secs(10), || fd_count(d.pid())
            <= baseline + 8),
        "fds back to baseline {baseline} (now {})",
        fd_count(d.pid())
    );
    assert_eq!(http.get("/api/v1/system/health")["status"], "ok");
}

// ---------------------------------------------------------------------------------------------
// 7. Disk full, and the WAL bound

/// A tmpfs mounted for the test; unmounted on drop (lazily, in case something still holds it).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mount tmpfs: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fill the file system holding `path` until ENOSPC.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let mut written = 0u64;
    for chunk in [1 << 20, 64 << 10, 4 << 10, 512] {
        let buf = vec![0xa5u8; chunk];
        loop {
            match f.write(&buf) {
                Ok(0) => break,
                Ok(k) => written += k as u64,
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                    break;
                }
            }
        }
    }
    let _ = f.sync_all();
    written
}

fn create_goal(http: &Http, key: &str, prompt: &str) -> (u16, Value) {
    let (s, _, _, b) = request(
        http,
        "POST",
        "/api/v1/work/goals",
        Some(&json!({"title": format!("goal {key}"), "prompt": prompt})),
        Some(key),
    );
    (s, b)
}

#[test]
fn disk_full_answers_507_reads_go_on_and_writes_recover() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test mounts a tmpfs and needs root"
    );
    let tmp = tempfile::tempdir().unwrap();
    let repo = git_repo(tmp.path(), "app");

    // The WAL is cut back after a burst of ~2,000 writes (normal disk). SQLite alone never
    // shrinks the file: while a reader holds an old snapshot (here: this test, for the first
    // half) checkpoints cannot reset it and it grows; once the reader is gone the daemon must
    // checkpoint and truncate it past WAL_BOUND (32 MiB).
    {
        let data = tmp.path().join("burst");
        let d = start(&data);
        let http = d.client();
        add_app(&http, &repo);
        let wal = data.join("refine.db-wal");
        let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let reader =
            Connection::open_with_flags(data.join("refine.db"), OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM goals", [], |r| r.get(0))
            .unwrap();
        let big = "wal ".repeat(4096);
        let small = "wal ".repeat(256);
        let written = std::sync::atomic::AtomicUsize::new(0);
        // `rounds` rounds of 8 concurrent writes; stops early once `enough` says so.
        let burst = |phase: &str, prompt: &str, rounds: usize, enough: &dyn Fn() -> bool| {
            let t0 = Instant::now();
            let mut n = 0;
            for r in 0..rounds {
                if enough() {
                    break;
                }
                std::thread::scope(|sc| {
                    for w in 0..8 {
                        let http = d.client();
                        sc.spawn(move || {
                            let (s, b) =
                                create_goal(&http, &format!("burst-{phase}-{r}-{w}"), prompt);
                            assert_eq!(s, 200, "{b}");
                        });
                    }
                });
                n += 8;
            }
            written.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            eprintln!("burst {phase}: {n} writes in {:?}", t0.elapsed());
        };
        // With the snapshot held, until the WAL is past 40 MB (about 180 writes).
        burst("a", &big, 50, &|| wal_size() > 40 * 1024 * 1024);
        let grown = wal_size();
        reader.execute_batch("COMMIT").unwrap();
        drop(reader);
        let rest = (2000 - written.load(std::sync::atomic::Ordering::SeqCst)) / 8;
        burst("b", &small, rest, &|| false);
        let after = wal_size();
        let db = db_ro(&data);
        assert_eq!(
            count(&db, "SELECT count(*) FROM goals") as usize,
            written.load(std::sync::atomic::Ordering::SeqCst)
        );
        eprintln!("WAL: {grown} bytes while a reader held a snapshot, {after} after the burst");
        assert!(
            grown > 40 * 1024 * 1024,
            "precondition: the WAL grew past the bound while the reader held it ({grown} bytes)"
        );
        assert!(
            after < 40 * 1024 * 1024,
            "after the burst the WAL is back below ~40 MB ({after} bytes; WAL_BOUND is 32 MiB)"
        );
    }

    // Disk full on a 24 MiB tmpfs.
    let _mnt = Tmpfs::mount(&tmp.path().join("mnt"), "24m");
    let data = tmp.path().join("mnt/data");
    let d = start(&data);
    let http = d.client();
    add_app(&http, &repo);
    for i in 0..3 {
        let (s, b) = create_goal(&http, &format!("before-{i}"), "");
        assert_eq!(s, 200, "{b}");
    }
    let big = tmp.path().join("mnt/big");
    let filled = fill(&big);
    eprintln!("filled {filled} bytes");

    // Writes are refused with 507 (a write that still fits in allocated pages may pass first).
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (s, b) = create_goal(&http, &format!("full-{i}"), "");
        assert!(
            s == 507 || s == 200,
            "a write on a full disk answers 507, never {s}: {b}"
        );
        if s == 507 {
            assert_eq!(b["code"], "insufficient_storage", "{b}");
        }
        statuses.push(s);
    }
    eprintln!("writes on the full disk: {statuses:?}");
    assert!(
        statuses[3..].iter().all(|s| *s == 507),
        "once the disk is full, writes answer 507: {statuses:?}"
    );
    let refused: Vec<String> = (0..8)
        .filter(|i| statuses[*i] == 507)
        .map(|i| format!("goal full-{i}"))
        .collect();
    let (s, _, _, b) = request(&http, "GET", "/api/v1/apps", None, None);
    assert_eq!(s, 200, "apps.list on a full disk: {b}");
    let (s, _, _, b) = request(&http, "GET", "/api/v1/activity", None, None);
    assert_eq!(s, 200, "activity.list on a full disk: {b}");
    assert_eq!(
        http.get("/api/v1/system/health")["status"],
        "ok",
        "health on a full disk"
    );

    // Room again: writes recover within ~10 s.
    std::fs::remove_file(&big).unwrap();
    let mut n = 0;
    let mut last = (0, Value::Null);
    let recovered = wait_until(Duration::from_secs(10), || {
        n += 1;
        last = create_goal(&http, &format!("after-{n}"), "");
        assert!(
            last.0 == 200 || last.0 == 507,
            "while recovering: {} {}",
            last.0,
            last.1
        );
        last.0 == 200
    });
    assert!(
        recovered,
        "writes succeed again once there is room: {last:?}"
    );
    eprintln!("writes recovered after {n} attempt(s)");
    assert_eq!(
        std::fs::metadata(data.join("reserve"))
            .map(|m| m.len())
            .ok(),
        Some(8 * 1024 * 1024),
        "writes are accepted again only with the disk reserve back"
    );
    let (s, b) = create_goal(&http, "after-final", "");
    assert_eq!(s, 200, "{b}");

    let db = db_ro(&data);
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    for title in &refused {
        assert_eq!(
            db.query_row(
                "SELECT count(*) FROM goals WHERE title = ?1",
                [title],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
            0,
            "{title} was answered 507 and is not stored"
        );
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM goals WHERE title LIKE 'goal before-%'"
        ),
        3,
        "what was written before the disk filled is there"
    );
    drop(db);
    drop(d);
}
