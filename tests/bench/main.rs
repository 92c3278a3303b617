//! `refine-bench PATH/TO/refine [PART...]`: start-up time, idle memory, request latency and keyed
//! mutation throughput of a real daemon process (`base`), then CLI cold start (`cli`), the work (`work`), host (`host`)
//! terminal (`term`) and agents (`agents`) benchmarks, Refine side by side with vibe-kanban (`peer`), and the
//! cluster (`cluster`: Goals/s through 1 and 3 nodes, failover, bus writes per Goal); name
//! parts to run only those. Prints figures; asserts nothing. Run with `make bench` (release build).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod agents;
mod cli;
mod cluster;
mod host;
mod peer;
mod term;
mod transcript;
mod work;

use refine_e2e::git_repo;
use serde_json::json;

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Spawn a daemon (the caller kills and waits for it); returns (child, url, token, time to first healthy answer).
#[allow(clippy::zombie_processes)]
pub(crate) fn start(bin: &Path, data: &Path) -> (std::process::Child, String, String, Duration) {
    let t0 = Instant::now();
    let mut child = Command::new(bin)
        .args(["--serve", "--port", "0", "--data-dir"])
        .arg(data)
        .env("REFINE_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let http = reqwest::blocking::Client::new();
    loop {
        if let Ok(body) = std::fs::read(data.join("daemon.json")) {
            let info: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if info["pid"] == child.id() {
                let url = info["url"].as_str().unwrap_or_default().to_string();
                if http
                    .get(format!("{url}/api/v1/system/health"))
                    .send()
                    .is_ok_and(|r| r.status() == 200)
                {
                    let elapsed = t0.elapsed();
                    let token = std::fs::read_to_string(data.join("token"))
                        .unwrap()
                        .trim()
                        .to_string();
                    return (child, url, token, elapsed);
                }
            }
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the daemon did not come up");
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

async fn latency(url: &str, token: &str, path: &str, conc: usize, total: usize) -> Vec<Duration> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let client = client.clone();
        let next = next.clone();
        let url = format!("{url}{path}");
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                let _ = r.bytes().await.unwrap();
                out.push(t.elapsed());
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

async fn mutations(url: &str, token: &str, app_id: &str, conc: usize, dur: Duration) -> f64 {
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let client = client.clone();
        let done = done.clone();
        let url = format!("{url}/api/v1/apps/select");
        let token = token.to_string();
        let app = app_id.to_string();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while start.elapsed() < dur {
                let id = if i.is_multiple_of(2) {
                    json!(app)
                } else {
                    json!(null)
                };
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("bench-{w}-{i}"))
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

const PARTS: [&str; 9] = [
    "base",
    "cli",
    "work",
    "host",
    "term",
    "transcript",
    "agents",
    "peer",
    "cluster",
];

#[tokio::main]
async fn main() {
    let usage =
        "usage: refine-bench PATH/TO/refine [base|cli|work|host|term|transcript|agents|peer|cluster ...]";
    let mut args = std::env::args().skip(1);
    let bin = args.next().expect(usage);
    let parts: Vec<String> = args.collect();
    if let Some(p) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        panic!("unknown part {p}; {usage}");
    }
    let want = move |p: &str| parts.is_empty() || parts.iter().any(|x| x == p);
    let bin = Path::new(&bin).to_path_buf();
    let tmp = tempfile::tempdir().unwrap();
    println!(
        "Refine benchmark ({}; {} cores)",
        bin.display(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    if want("base") {
        base(&bin, tmp.path()).await;
    }
    let dir = tmp.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        if want("cli") {
            cli::run(&bin, &dir);
        }
        if want("work") {
            work::run(&bin, &dir);
        }
        if want("host") {
            host::run(&bin, &dir);
        }
        if want("term") {
            term::run(&bin, &dir);
        }
        if want("transcript") {
            transcript::run(&bin, &dir);
        }
        if want("agents") {
            agents::run(&bin, &dir);
        }
        if want("peer") {
            peer::run(&bin, &dir);
        }
        if want("cluster") {
            cluster::run(&bin, &dir);
        }
    })
    .await
    .unwrap();
}

/// Start-up, idle memory, request latency and keyed mutations of a plain daemon.
async fn base(bin: &Path, tmp: &Path) {
    let mut starts = Vec::new();
    for i in 0..5 {
        let data = tmp.join(format!("start{i}"));
        let (mut child, _, _, t) = start(bin, &data);
        starts.push(t);
        let _ = child.kill();
        let _ = child.wait();
    }
    starts.sort();
    println!(
        "start-up to first healthy answer: median {} (min {}, max {}) over 5 cold data dirs",
        ms(starts[2]),
        ms(starts[0]),
        ms(starts[4])
    );

    let data = tmp.join("main");
    let (mut child, url, token, _) = start(bin, &data);
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("idle RSS: {:.1} MiB", rss_kib(child.id()) as f64 / 1024.0);

    let repo = git_repo(tmp, "bench-app");
    let http = reqwest::Client::new();
    let app: serde_json::Value = http
        .post(format!("{url}/api/v1/apps"))
        .bearer_auth(&token)
        .json(&json!({"path": repo}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_id = app["id"].as_str().unwrap().to_string();

    for (name, path) in [
        ("system.info", "/api/v1/system/info"),
        ("apps.list", "/api/v1/apps"),
    ] {
        for conc in [1usize, 64] {
            let total = if conc == 1 { 3000 } else { 20000 };
            let _warm = latency(&url, &token, path, conc, 200).await;
            let t = Instant::now();
            let l = latency(&url, &token, path, conc, total).await;
            let rps = l.len() as f64 / t.elapsed().as_secs_f64();
            println!(
                "{name:<12} {conc:>2} conn: p50 {}  p99 {}  ({:.0} req/s, {} requests)",
                ms(percentile(&l, 0.50)),
                ms(percentile(&l, 0.99)),
                rps,
                l.len()
            );
        }
    }
    for conc in [1usize, 16] {
        let rate = mutations(&url, &token, &app_id, conc, Duration::from_secs(3)).await;
        println!("keyed mutations (apps.select, fsync'd WAL), {conc:>2} clients: {rate:.0}/s");
    }
    println!(
        "RSS after load: {:.1} MiB",
        rss_kib(child.id()) as f64 / 1024.0
    );
    let _ = child.kill();
    let _ = child.wait();
}
