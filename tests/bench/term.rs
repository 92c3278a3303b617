//! Terminal benchmark (issue 4), side by side in one run with a peer: PTY → WebSocket throughput
//! of `cat` of a 200 MB file and keystroke echo latency, Refine's daemon against a node-pty + ws
//! relay (the stack behind VS Code's and wetty's terminals, `term/relay.mjs`); and keystroke echo
//! under load (issue 14): the same echo while 16 other terminals of the same server flood output.
//! One client, `term/measure.mjs`, measures both the same way (see its header for how).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use refine_e2e::git_repo;
use serde_json::{json, Value};

use crate::start;

/// Size of the file `cat` prints.
const FILE_BYTES: u64 = 200_000_000;
/// Printed after the file; the file never contains it.
const SENTINEL: &str = "__REFINE_BENCH_END__";
const RUNS: usize = 3;
const SAMPLES: usize = 1000;
/// Echo under load: terminals flooding output meanwhile, keystrokes measured.
const FLOODS: usize = 16;
const LOADED_SAMPLES: usize = 500;
/// The floods end by themselves after this long (`timeout`), whatever happens to the client.
const FLOOD_SECONDS: u64 = 300;

fn version(dir: &Path, package: &str) -> String {
    std::fs::read(dir.join("node_modules").join(package).join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// Printable text lines up to `FILE_BYTES`; returns (bytes, lines).
fn text_file(path: &Path) -> (u64, u64) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    let (mut bytes, mut lines) = (0u64, 0u64);
    while bytes < FILE_BYTES {
        let line = format!(
            "{lines:09} the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
        );
        w.write_all(line.as_bytes()).unwrap();
        bytes += line.len() as u64;
        lines += 1;
    }
    w.flush().unwrap();
    (bytes, lines)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub fn run(bin: &Path, tmp: &Path) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/term");
    let peer = format!(
        "node-pty {} + ws {} relay",
        version(&dir, "node-pty"),
        version(&dir, "ws")
    );
    println!(
        "\nTerminal benchmark: Refine vs {peer} (the stack behind VS Code's and wetty's terminals)"
    );
    if !dir.join("node_modules/node-pty").is_dir() || !dir.join("node_modules/ws").is_dir() {
        println!("skipped: the peer is not installed (`make bench` installs it: npm ci --prefix tests/bench/term)");
        return;
    }

    let work = tmp.join("term");
    std::fs::create_dir_all(&work).unwrap();
    let file = work.join("cat.txt");
    let (bytes, lines) = text_file(&file);
    let repo = git_repo(&work, "term-app");

    let (mut daemon, url, token, _) = start(bin, &work.join("data"));
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let app: Value = http
        .post(format!("{url}/api/v1/apps"))
        .bearer_auth(&token)
        .json(&json!({"path": repo}))
        .send()
        .unwrap()
        .json()
        .unwrap();

    let mut relay = Command::new("node")
        .arg(dir.join("relay.mjs"))
        .current_dir(&repo)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start node (the peer relay)");
    let mut first = String::new();
    BufReader::new(relay.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = serde_json::from_str::<Value>(&first).unwrap_or_default()["port"]
        .as_u64()
        .unwrap_or(0);

    let cfg = json!({
        "refine": {"url": url, "token": token, "app": app["id"]},
        "peer": {"url": format!("ws://127.0.0.1:{port}")},
        "cwd": repo,
        "file": file,
        "sentinel": SENTINEL,
        "runs": RUNS,
        "samples": SAMPLES,
        "warmup": 100,
        "gapMs": 2,
        "load": {"floods": FLOODS, "samples": LOADED_SAMPLES, "seconds": FLOOD_SECONDS},
    });
    let out = if port == 0 {
        None
    } else {
        Command::new("node")
            .arg(dir.join("measure.mjs"))
            .arg(cfg.to_string())
            .current_dir(&dir)
            .stderr(Stdio::inherit())
            .output()
            .ok()
    };
    let _ = relay.kill();
    let _ = relay.wait();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_file(&file);
    let Some(r) = out
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
    else {
        println!("failed: the measuring client did not finish (see above)");
        return;
    };

    // What arrives: the file with every \n as \r\n (the PTY's ONLCR), the echoed Enter, the sentinel line.
    let expected = bytes + lines + 2 + SENTINEL.len() as u64 + 2;
    let mbps = |side: &str| -> Vec<f64> {
        r[side]["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["mbps"].as_f64().unwrap_or(0.0))
            .collect()
    };
    let delivered = |side: &str| -> String {
        let runs = r[side]["runs"].as_array().unwrap();
        let short: Vec<String> = runs
            .iter()
            .filter_map(|x| {
                let got = x["bytes"].as_u64().unwrap_or(0);
                (got != expected).then(|| {
                    format!(
                        "{got} of {expected} bytes ({} lagged notes, {} chunks dropped)",
                        x["lagged"], x["missed"]
                    )
                })
            })
            .collect();
        if short.is_empty() {
            format!("all {expected} bytes in every run")
        } else {
            short.join("; ")
        }
    };
    let (ours, theirs) = (median(mbps("refine")), median(mbps("peer")));
    let list = |v: Vec<f64>| {
        v.iter()
            .map(|x| format!("{x:.1}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "PTY → WebSocket throughput, cat of a {} MB file (median of {RUNS}): refine {ours:.1} MB/s  vs  {peer} {theirs:.1} MB/s  ({:.2}×; aim ≥ 1×)",
        bytes / 1_000_000,
        ours / theirs
    );
    println!(
        "  runs in MB/s: refine {}  |  peer {}",
        list(mbps("refine")),
        list(mbps("peer"))
    );
    println!(
        "  delivered: refine {}  |  peer {}",
        delivered("refine"),
        delivered("peer")
    );
    let e = |side: &str, k: &str| r[side]["echo"][k].as_f64().unwrap_or(f64::NAN);
    println!(
        "keystroke echo (PTY echo, {} samples each): refine p50 {:.3} ms  p99 {:.3} ms  vs  {peer} p50 {:.3} ms  p99 {:.3} ms  (aim p99 < 5 ms)",
        r["refine"]["echo"]["samples"],
        e("refine", "p50"),
        e("refine", "p99"),
        e("peer", "p50"),
        e("peer", "p99")
    );
    println!(
        "  slowest echo: refine {:.3} ms  |  peer {:.3} ms",
        e("refine", "max"),
        e("peer", "max")
    );
    let l = |side: &str, k: &str| r[side]["loaded"][k].as_f64().unwrap_or(f64::NAN);
    println!(
        "keystroke echo while {FLOODS} other terminals flood output (`yes`; {} samples each): refine p50 {:.3} ms  p99 {:.3} ms  vs  {peer} p50 {:.3} ms  p99 {:.3} ms  (p99 {:.2}× the peer's; aim p99 < 10 ms and ≤ the peer's)",
        r["refine"]["loaded"]["samples"],
        l("refine", "p50"),
        l("refine", "p99"),
        l("peer", "p50"),
        l("peer", "p99"),
        l("refine", "p99") / l("peer", "p99")
    );
    println!(
        "  slowest echo: refine {:.3} ms  |  peer {:.3} ms;  flood output delivered meanwhile: refine {:.1} MB/s  |  peer {:.1} MB/s (all {FLOODS} together)",
        l("refine", "max"),
        l("peer", "max"),
        l("refine", "floodMBps"),
        l("peer", "floodMBps")
    );
}
