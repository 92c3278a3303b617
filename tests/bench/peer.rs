//! Side by side with the peer product, vibe-kanban 0.0.71 (issue 14): start-up, idle memory,
//! creates from one and from 16 clients, listing everything at 1,000 and at 10,000 items, and
//! memory after all of that. Refine and the peer take turns (Refine round 1, peer round 1, Refine
//! round 2, ...), each round with a fresh data directory and a fresh process; the table shows
//! the median of the rounds and the ratio.
//!
//! The peer comes from the npm registry: `npm pack vibe-kanban@0.0.71` (the last release that
//! ships its Linux server binary inside the package), `package/dist/<platform>/vibe-kanban.zip`
//! out of the tarball, unzipped with `python3 -m zipfile` (nothing to install), cached in
//! `~/.cache/refine-bench/peer/` so a second run does no network. When that fails the part says
//! why and skips.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{json, Value};

use crate::{percentile, rss_kib, start};

const VERSION: &str = "0.0.71";
const ROUNDS: usize = 3;
const FIRST: usize = 1_000;
const TOTAL: usize = 10_000;
const CLIENTS: usize = 16;
/// Refine's largest page (`limit` is 1..=500).
const PAGE: usize = 500;
/// Timed requests per list figure, unless `LIST_BUDGET` runs out first (at least 5 then).
const LISTS: usize = 50;
const LIST_BUDGET: Duration = Duration::from_secs(60);
const NPM_TIMEOUT: Duration = Duration::from_secs(600);

/// The rows of the table: label, and whether lower is better.
const ROWS: [(&str, bool); 18] = [
    ("exec → first healthy answer (ms)", true),
    ("idle RSS 1 s after healthy (MiB)", true),
    ("1,000 sequential creates, 1 client (/s)", false),
    ("1,000 creates, 16 clients (/s)", false),
    ("list all at 1,000 items: p50 (ms)", true),
    ("list all at 1,000 items: p99 (ms)", true),
    ("list all at 1,000 items: µs per item (p50)", true),
    ("one page of 500 at 1,000 items: p50 (ms)", true),
    ("one page of 500 at 1,000 items: p99 (ms)", true),
    ("8,000 more creates to 10,000, 16 clients (/s)", false),
    ("list all at 10,000 items: p50 (ms)", true),
    ("list all at 10,000 items: p99 (ms)", true),
    ("list all at 10,000 items: µs per item (p50)", true),
    ("one page of 500 at 10,000 items: p50 (ms)", true),
    ("one page of 500 at 10,000 items: p99 (ms)", true),
    ("RSS after all of that (MiB)", true),
    ("SQLite files (with WAL) at 10,000 items (MiB)", true),
    ("list answer at 10,000 items: bytes per item", true),
];

type Figures = [Option<f64>; ROWS.len()];

/// A daemon that is killed and reaped when dropped, on panic paths too.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One side of the comparison, as far as the measurements need it.
enum Target {
    Refine {
        url: String,
        token: String,
        app_id: String,
    },
    Peer {
        url: String,
        project_id: String,
    },
}

impl Target {
    /// One create; panics unless it succeeded, so a failed request is never timed as a create.
    /// The peer answers some concurrent creates with a 500 "database is locked" (its SQLite was
    /// busy): those are sent again, as a client would, and counted in `busy`.
    fn create(&self, http: &Client, i: usize, busy: &AtomicUsize) {
        match self {
            Target::Refine { url, token, app_id } => {
                let r = http
                    .post(format!("{url}/api/v1/work/goals"))
                    .bearer_auth(token)
                    .json(
                        &json!({"appId": app_id, "title": format!("Goal {i}"), "prompt": "bench"}),
                    )
                    .send()
                    .expect("Refine goals.create");
                let status = r.status();
                let body: Value = r.json().unwrap_or_default();
                assert!(
                    status == 200 && body["id"].is_string(),
                    "Refine goals.create answered {status}: {body}"
                );
            }
            Target::Peer { url, project_id } => {
                for attempt in 1.. {
                    let r = http
                        .post(format!("{url}/api/tasks"))
                        .json(&json!({
                            "project_id": project_id,
                            "title": format!("Task {i}"),
                            "description": "bench",
                            "parent_task_attempt": null,
                            "image_ids": null,
                        }))
                        .send()
                        .expect("vibe-kanban POST /api/tasks");
                    let status = r.status();
                    let body: Value = r.json().unwrap_or_default();
                    let locked = body["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("database is locked"));
                    if status == 500 && locked && attempt < PEER_TRIES {
                        busy.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    assert!(
                        status == 200 && body["success"] == true && body["data"]["id"].is_string(),
                        "vibe-kanban POST /api/tasks answered {status} (try {attempt}): {body}"
                    );
                    break;
                }
            }
        }
    }

    /// Fetch every item, to the last byte (Refine: pages of 500, following `nextCursor`; the
    /// peer answers everything at once). Returns the number of requests.
    fn fetch_all(&self, http: &Client) -> usize {
        match self {
            Target::Refine { url, token, app_id } => {
                let mut cursor: Option<String> = None;
                let mut pages = 0;
                loop {
                    let body = refine_page(http, url, token, app_id, cursor.as_deref());
                    pages += 1;
                    cursor = next_cursor(&body);
                    if cursor.is_none() || pages > TOTAL {
                        return pages;
                    }
                }
            }
            Target::Peer { url, project_id } => {
                let r = http
                    .get(format!("{url}/api/tasks"))
                    .query(&[("project_id", project_id)])
                    .send()
                    .expect("vibe-kanban GET /api/tasks");
                assert_eq!(r.status(), 200, "vibe-kanban GET /api/tasks");
                let _ = r.bytes().expect("vibe-kanban list body");
                1
            }
        }
    }

    /// Refine only: the first page of the largest size.
    fn fetch_page(&self, http: &Client) -> bool {
        match self {
            Target::Refine { url, token, app_id } => {
                let _ = refine_page(http, url, token, app_id, None);
                true
            }
            Target::Peer { .. } => false,
        }
    }

    /// Untimed check that a full listing holds exactly `n` items (every page parsed); returns
    /// the bytes of the listing.
    fn check_count(&self, http: &Client, n: usize) -> usize {
        let mut bytes = 0;
        let got = match self {
            Target::Refine { url, token, app_id } => {
                let mut cursor: Option<String> = None;
                let mut got = 0;
                for _ in 0..=TOTAL {
                    let body = refine_page(http, url, token, app_id, cursor.as_deref());
                    bytes += body.len();
                    let page: Value = serde_json::from_slice(&body).expect("a goals page");
                    got += page["items"].as_array().map_or(0, Vec::len);
                    let quick = next_cursor(&body);
                    cursor = page["nextCursor"].as_str().map(str::to_string);
                    assert_eq!(quick, cursor, "the quick cursor scan agrees with the parse");
                    if cursor.is_none() {
                        break;
                    }
                }
                got
            }
            Target::Peer { url, project_id } => {
                let raw = http
                    .get(format!("{url}/api/tasks"))
                    .query(&[("project_id", project_id)])
                    .send()
                    .expect("vibe-kanban GET /api/tasks")
                    .bytes()
                    .expect("vibe-kanban list body");
                bytes = raw.len();
                let body: Value = serde_json::from_slice(&raw).expect("vibe-kanban list JSON");
                assert_eq!(body["success"], true, "vibe-kanban list: {body}");
                body["data"].as_array().map_or(0, Vec::len)
            }
        };
        assert_eq!(got, n, "a full listing holds every item");
        bytes
    }
}

fn refine_page(
    http: &Client,
    url: &str,
    token: &str,
    app_id: &str,
    cursor: Option<&str>,
) -> Vec<u8> {
    let limit = PAGE.to_string();
    let mut q = vec![("appId", app_id), ("limit", limit.as_str())];
    if let Some(c) = cursor {
        q.push(("cursor", c));
    }
    let r = http
        .get(format!("{url}/api/v1/work/goals"))
        .bearer_auth(token)
        .query(&q)
        .send()
        .expect("Refine goals.list");
    assert_eq!(r.status(), 200, "Refine goals.list");
    r.bytes().expect("Refine goals.list body").to_vec()
}

/// `nextCursor` of a goals page without parsing the items (the field follows them); a client
/// that pages must read it, so it is part of the timed listing.
fn next_cursor(body: &[u8]) -> Option<String> {
    let key = b"\"nextCursor\":";
    let at = body.windows(key.len()).rposition(|w| w == key)?;
    let value = serde_json::Deserializer::from_slice(&body[at + key.len()..])
        .into_iter::<Value>()
        .next()?
        .ok()?;
    value.as_str().map(str::to_string)
}

/// How many times the peer is sent one create it answered "database is locked".
const PEER_TRIES: usize = 10;

/// `n` creates numbered from `from`, spread over `clients` threads sharing one keep-alive pool.
fn creates(target: &Target, http: &Client, from: usize, n: usize, clients: usize) -> f64 {
    let next = AtomicUsize::new(from);
    let busy = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= from + n {
                    break;
                }
                target.create(http, i, &busy);
            });
        }
    });
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let busy = busy.into_inner();
    if busy > 0 {
        println!(
            "  ({n} creates from {clients} client(s): the peer answered {busy} with \"database is locked\"; each was sent again, the time counted)"
        );
    }
    rate
}

/// Two untimed warm-ups, then up to `LISTS` timed calls (fewer if `LIST_BUDGET` runs out).
fn timed(mut f: impl FnMut()) -> Vec<Duration> {
    f();
    f();
    let budget = Instant::now();
    let mut out = Vec::with_capacity(LISTS);
    while out.len() < LISTS && (out.len() < 5 || budget.elapsed() < LIST_BUDGET) {
        let t = Instant::now();
        f();
        out.push(t.elapsed());
    }
    out.sort();
    out
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn to_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

const DB_FILES: [&str; 4] = ["", "-wal", "-journal", "-shm"];

/// Bytes of the SQLite files `name`, `name-wal`, `name-journal`, `name-shm` in `dir`, in MiB.
fn db_mib(dir: &Path, name: &str) -> f64 {
    DB_FILES
        .iter()
        .filter_map(|s| std::fs::metadata(dir.join(format!("{name}{s}"))).ok())
        .map(|m| m.len())
        .sum::<u64>() as f64
        / (1024.0 * 1024.0)
}

/// Where a side keeps its data: the journal kind and each SQLite file's size.
fn storage(side: &str, dir: &Path, name: &str) {
    let db = dir.join(name);
    let files: Vec<String> = DB_FILES
        .iter()
        .filter_map(|s| {
            let m = std::fs::metadata(dir.join(format!("{name}{s}"))).ok()?;
            Some(format!(
                "{name}{s} {:.2} MiB",
                m.len() as f64 / (1024.0 * 1024.0)
            ))
        })
        .collect();
    println!(
        "  {side} stores in {}: {}; at {TOTAL} items {}",
        db.display(),
        journal_kind(&db),
        files.join(", ")
    );
}

/// The journal a SQLite file was written with, from its header (bytes 18 and 19).
fn journal_kind(db: &Path) -> String {
    match std::fs::read(db) {
        Ok(b) if b.len() >= 20 && b.starts_with(b"SQLite format 3\0") => match (b[18], b[19]) {
            (2, 2) => "WAL".into(),
            (1, 1) => "rollback journal (not WAL)".into(),
            (w, r) => format!("file format {w}/{r}"),
        },
        Ok(_) => "not a SQLite file".into(),
        Err(e) => format!("unreadable ({e})"),
    }
}

fn http_client() -> Client {
    Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("an HTTP client")
}

/// Everything after start-up, the same for both sides.
fn measure(target: &Target, http: &Client, pid: u32, f: &mut Figures) {
    f[2] = Some(creates(target, http, 0, FIRST, 1));
    target.check_count(http, FIRST);
    list_figures(target, http, FIRST, f, 4);
    f[3] = Some(creates(target, http, FIRST, FIRST, CLIENTS));
    f[9] = Some(creates(target, http, 2 * FIRST, TOTAL - 2 * FIRST, CLIENTS));
    f[17] = Some(target.check_count(http, TOTAL) as f64 / TOTAL as f64);
    list_figures(target, http, TOTAL, f, 10);
    f[15] = Some(mib(rss_kib(pid)));
}

fn list_figures(target: &Target, http: &Client, n: usize, f: &mut Figures, row: usize) {
    let all = timed(|| {
        target.fetch_all(http);
    });
    let p50 = to_ms(percentile(&all, 0.5));
    f[row] = Some(p50);
    f[row + 1] = Some(to_ms(percentile(&all, 0.99)));
    f[row + 2] = Some(p50 * 1000.0 / n as f64);
    if target.fetch_page(http) {
        let page = timed(|| {
            target.fetch_page(http);
        });
        f[row + 3] = Some(to_ms(percentile(&page, 0.5)));
        f[row + 4] = Some(to_ms(percentile(&page, 0.99)));
    }
}

fn round_refine(bin: &Path, tmp: &Path, round: usize) -> Figures {
    let mut f: Figures = [None; ROWS.len()];
    let data = tmp.join(format!("peer-refine-{round}"));
    let repo = refine_e2e::git_repo(tmp, &format!("peer-refine-repo-{round}"));
    let (child, url, token, up) = start(bin, &data);
    let daemon = Daemon(child);
    let pid = daemon.0.id();
    f[0] = Some(to_ms(up));
    std::thread::sleep(Duration::from_secs(1));
    f[1] = Some(mib(rss_kib(pid)));
    let http = http_client();
    let app: Value = http
        .post(format!("{url}/api/v1/apps"))
        .bearer_auth(&token)
        .json(&json!({"path": repo}))
        .send()
        .expect("Refine apps.add")
        .json()
        .expect("Refine apps.add JSON");
    let app_id = app["id"].as_str().expect("an app id").to_string();
    let target = Target::Refine { url, token, app_id };
    measure(&target, &http, pid, &mut f);
    f[16] = Some(db_mib(&data, "refine.db"));
    if round == 0 {
        storage("Refine", &data, "refine.db");
    }
    drop(daemon);
    f
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn round_peer(exe: &Path, tmp: &Path, round: usize) -> Result<Figures, String> {
    let mut f: Figures = [None; ROWS.len()];
    let home = tmp.join(format!("peer-vk-{round}"));
    let (config, data, cache, tmpdir) = (
        home.join(".config"),
        home.join(".local/share"),
        home.join(".cache"),
        home.join("tmp"),
    );
    for d in [&config, &data, &cache, &tmpdir] {
        std::fs::create_dir_all(d).map_err(|e| format!("create {}: {e}", d.display()))?;
    }
    let repo = refine_e2e::git_repo(tmp, &format!("peer-vk-repo-{round}"));
    let port = free_port();
    let log = home.join("vibe-kanban.log");
    let stderr = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let t0 = Instant::now();
    let child = Command::new(exe)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CACHE_HOME", &cache)
        .env("TMPDIR", &tmpdir)
        .env("BROWSER", "true")
        .env("PORT", port.to_string())
        .env("BACKEND_PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("start {}: {e}", exe.display()))?;
    let mut daemon = Daemon(child);
    let probe = Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client");
    let url = format!("http://127.0.0.1:{port}");
    loop {
        if probe
            .get(format!("{url}/api/health"))
            .send()
            .is_ok_and(|r| r.status() == 200)
        {
            f[0] = Some(to_ms(t0.elapsed()));
            break;
        }
        if let Ok(Some(st)) = daemon.0.try_wait() {
            return Err(format!("it exited ({st}); see {}", log.display()));
        }
        if t0.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "no healthy answer within 30 s; see {}",
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let pid = daemon.0.id();
    std::thread::sleep(Duration::from_secs(1));
    f[1] = Some(mib(rss_kib(pid)));
    let http = http_client();
    let r = http
        .post(format!("{url}/api/projects"))
        .json(&json!({
            "name": format!("bench-{round}"),
            "git_repo_path": repo,
            "use_existing_repo": true,
            "setup_script": null,
            "dev_script": null,
            "cleanup_script": null,
            "copy_files": null,
        }))
        .send()
        .map_err(|e| format!("POST /api/projects: {e}"))?;
    let status = r.status();
    let body: Value = r.json().unwrap_or_default();
    let project_id = match body["data"]["id"].as_str() {
        Some(id) if status == 200 && body["success"] == true => id.to_string(),
        _ => return Err(format!("POST /api/projects answered {status}: {body}")),
    };
    let target = Target::Peer { url, project_id };
    measure(&target, &http, pid, &mut f);
    let dir = data.join("vibe-kanban");
    f[16] = Some(db_mib(&dir, "db.sqlite"));
    if round == 0 {
        storage("vibe-kanban", &dir, "db.sqlite");
    }
    drop(daemon);
    Ok(f)
}

/// Run `cmd` with its output in `log`, killed after `limit`.
fn run_logged(mut cmd: Command, log: &Path, limit: Duration) -> Result<(), String> {
    let what = format!("{:?}", cmd.get_program());
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let t = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return Ok(()),
            Ok(Some(st)) => {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let head: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(4)
                    .collect();
                return Err(format!(
                    "{what} failed ({st}): {} (all of it in {})",
                    head.join(" | "),
                    log.display()
                ));
            }
            Ok(None) if t.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} took over {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("{what}: {e}")),
        }
    }
}

/// The peer's server binary: from the cache, or fetched from the npm registry into it.
/// Returns the binary and a line saying where it came from.
fn fetch() -> Result<(PathBuf, String), String> {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-x64",
        ("linux", "aarch64") => "linux-arm64",
        (os, arch) => return Err(format!("no vibe-kanban {VERSION} build for {os}/{arch}")),
    };
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let cache = Path::new(&home).join(".cache/refine-bench/peer");
    let dir = cache.join(format!("vibe-kanban-{VERSION}-{platform}"));
    let exe = dir.join("vibe-kanban");
    if std::fs::metadata(&exe).is_ok_and(|m| m.is_file() && m.len() > 0) {
        return Ok((
            exe.clone(),
            format!("vibe-kanban {VERSION} from the cache ({})", exe.display()),
        ));
    }
    let t = Instant::now();
    std::fs::create_dir_all(&cache).map_err(|e| format!("create {}: {e}", cache.display()))?;
    let tgz = cache.join(format!("vibe-kanban-{VERSION}.tgz"));
    if !tgz.exists() {
        let mut npm = Command::new("npm");
        npm.args([
            "pack",
            &format!("vibe-kanban@{VERSION}"),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&cache);
        run_logged(npm, &cache.join("npm-pack.log"), NPM_TIMEOUT)?;
        if !tgz.exists() {
            return Err(format!("npm pack did not write {}", tgz.display()));
        }
    }
    let work = cache.join(format!("extract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("create {}: {e}", work.display()))?;
    let member = format!("package/dist/{platform}/vibe-kanban.zip");
    let extracted = (|| {
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&tgz).arg("-C").arg(&work).arg(&member);
        run_logged(tar, &work.join("tar.log"), NPM_TIMEOUT)?;
        let mut unzip = Command::new("python3");
        unzip
            .args(["-m", "zipfile", "-e"])
            .arg(work.join(&member))
            .arg(work.join("bin"));
        run_logged(unzip, &work.join("unzip.log"), NPM_TIMEOUT)?;
        let bin = work.join("bin/vibe-kanban");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", bin.display()))?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        std::fs::rename(&bin, &exe).map_err(|e| format!("move into {}: {e}", dir.display()))
    })();
    let _ = std::fs::remove_dir_all(&work);
    // The tarball holds every platform (~140 MB); the binary is all a later run needs.
    let _ = std::fs::remove_file(&tgz);
    extracted?;
    Ok((
        exe.clone(),
        format!(
            "vibe-kanban {VERSION} fetched from the npm registry in {:.1} s (npm pack, {member}, \
             python3 -m zipfile), cached at {}",
            t.elapsed().as_secs_f64(),
            exe.display()
        ),
    ))
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn summary(side: &str, f: &Figures, took: Duration) {
    let g = |i: usize| f[i].map_or("-".to_string(), fmt);
    println!(
        "  {side:<12} up {} ms, idle {} MiB, creates {}/s (1) {}/s (16) {}/s (fill), \
         list 1k {} ms, list 10k {} ms, end {} MiB  [{:.1} s]",
        g(0),
        g(1),
        g(2),
        g(3),
        g(9),
        g(4),
        g(10),
        g(15),
        took.as_secs_f64()
    );
}

fn median(rounds: &[Figures], row: usize) -> Option<f64> {
    let mut v: Vec<f64> = rounds.iter().filter_map(|f| f[row]).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

pub fn run(bin: &Path, tmp: &Path) {
    println!(
        "\nSide by side with vibe-kanban {VERSION} ({ROUNDS} interleaved rounds, fresh data dir \
         and process each; median of the rounds)"
    );
    let exe = match fetch() {
        Ok((exe, origin)) => {
            println!("peer: {origin}");
            exe
        }
        Err(why) => {
            println!("peer: skipped, could not get vibe-kanban {VERSION}: {why}");
            return;
        }
    };
    let mut refine = Vec::new();
    let mut peer = Vec::new();
    for round in 0..ROUNDS {
        println!("round {}", round + 1);
        let t = Instant::now();
        let f = round_refine(bin, tmp, round);
        summary("Refine", &f, t.elapsed());
        refine.push(f);
        let t = Instant::now();
        match round_peer(&exe, tmp, round) {
            Ok(f) => {
                summary("vibe-kanban", &f, t.elapsed());
                peer.push(f);
            }
            Err(why) => {
                println!("peer: skipped, vibe-kanban {VERSION} did not run: {why}");
                return;
            }
        }
    }
    println!(
        "\n{:<46} {:>9} {:>12} {:>12}  {:<7} verdict",
        "figure (median of rounds)", "Refine", "vibe-kanban", "Refine/peer", "better"
    );
    for (row, (label, lower)) in ROWS.iter().enumerate() {
        let (r, p) = (median(&refine, row), median(&peer, row));
        let (ratio, verdict) = match (r, p) {
            (Some(r), Some(p)) if r > 0.0 && p > 0.0 => {
                let edge = if *lower { p / r } else { r / p };
                let verdict = if edge >= 1.0 {
                    format!("Refine {}× better", fmt(edge))
                } else {
                    format!("peer {}× better", fmt(1.0 / edge))
                };
                (fmt(r / p), verdict)
            }
            (Some(_), None) => ("-".into(), "Refine only (the peer has no pages)".into()),
            _ => ("-".into(), String::new()),
        };
        println!(
            "{label:<46} {:>9} {:>12} {:>12}  {:<7} {verdict}",
            r.map_or("-".into(), fmt),
            p.map_or("-".into(), fmt),
            ratio,
            if *lower { "lower" } else { "higher" },
        );
    }
    println!(
        "Lists are timed to the last byte over ~{LISTS} requests after 2 warm-ups (Refine: pages \
         of {PAGE} following nextCursor; vibe-kanban: GET /api/tasks answers everything); every \
         create is checked for success. One blocking reqwest pool with keep-alive for both."
    );
}
