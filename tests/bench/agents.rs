//! Agents benchmark (issue 5): 50 Goals through plan → implement → quality → governance → review
//! with 4 workers and the instant scripted agent: total time, the daemon's peak RSS, errors; and
//! the scheduler's overhead per Goal, excluding agent time (time in the automation minus the time
//! its agent and check processes ran). Then many agents (issue 14): 16 Goals whose plan runs
//! stream output at a fixed rate all at once, and what the daemon itself costs meanwhile (RSS,
//! its own CPU per MB/s of agent output).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, Http};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{ms, percentile, start};

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// CPU time the daemon itself used (user + system, not its children), in ms.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) * 1000.0 / hz
}

/// A memory figure of /proc/PID/status in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nAgents benchmark: the instant scripted agent");
    pass(bin, tmp, 50, 4);
    // One worker: Goals do not overlap, so a Goal's time in the automation minus its
    // processes' time is the overhead alone.
    pass(bin, tmp, 20, 1);
    many(bin, tmp);
}

/// Agent runs streaming at once.
const RUNS: usize = 16;
/// Each run prints `LINES` lines of `LINE_BYTES` bytes every `EVERY_MS` ms for `SECONDS` s:
/// 200 KB/s a run, 3.2 MB/s in all.
const LINES: u32 = 20;
const LINE_BYTES: u64 = 200;
const EVERY_MS: u64 = 20;
const SECONDS: u64 = 20;

/// The daemon's children running the scripted agent right now (from /proc: watching costs the
/// daemon nothing).
fn agent_children(daemon: u32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<u32>().ok());
            ppid == Some(daemon)
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == b"agent-script"))
        })
        .count()
}

/// Bytes in the daemon's process logs (every output line as `O TEXT\n`).
fn logged_bytes(data: &Path) -> u64 {
    std::fs::read_dir(data.join("logs/processes"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// 16 agent runs at once, each streaming output at a fixed rate: the daemon's RSS and its own
/// CPU (utime + stime of the daemon, not its children) while all 16 stream. The runs are chat
/// replies: the same path as a Goal's phases (a supervised process, its output parsed into a
/// transcript, stored and sent as events), all started at once, where the runner admits Goals
/// by the machine's load (on a busy 2-core machine, one at a time).
fn many(bin: &Path, tmp: &Path) {
    let repo = git_repo(tmp, "agents-many-app");
    let data = tmp.join("agents-many");
    let (mut child, url, token, _) = start(bin, &data);
    let pid = child.id();
    let h = Http {
        base: url,
        token,
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    };
    let app = h.ok("apps.add", json!({"path": repo}));
    h.ok("apps.select", json!({"id": app["id"]}));
    let threads: Vec<String> = (0..RUNS)
        .map(|i| {
            h.ok(
                "chat.create",
                json!({"kind": "project", "title": format!("Stream {i}"), "profile": "scripted"}),
            )["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let idle = status_kib(pid, "VmRSS:");
    let t0 = Instant::now();
    for t in &threads {
        h.ok(
            "chat.send",
            json!({"threadId": t, "content": format!(
                "Stream output.\n```refine-script\nchat: stream {LINES} {LINE_BYTES} {EVERY_MS} {SECONDS}\n```\n"
            )}),
        );
    }
    // The window: from all runs streaming to the first one done.
    let limit = Duration::from_secs(SECONDS + 60);
    let mut peak_sampled = 0u64;
    let mut most = 0;
    loop {
        let n = agent_children(pid);
        most = most.max(n);
        if n >= RUNS || t0.elapsed() > Duration::from_secs(30) {
            break;
        }
        peak_sampled = peak_sampled.max(status_kib(pid, "VmRSS:"));
        std::thread::sleep(Duration::from_millis(20));
    }
    if most < RUNS {
        println!(
            "{RUNS} agent runs streaming at once: at most {most} ran at once within 30 s; no figures"
        );
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    let all_at = t0.elapsed();
    let (w0, cpu0, bytes0) = (Instant::now(), cpu_ms(pid), logged_bytes(&data));
    let mut samples = 0usize;
    while agent_children(pid) >= RUNS && t0.elapsed() < limit {
        peak_sampled = peak_sampled.max(status_kib(pid, "VmRSS:"));
        samples += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let (window, cpu, logged) = (
        w0.elapsed().as_secs_f64(),
        cpu_ms(pid) - cpu0,
        logged_bytes(&data).saturating_sub(bytes0),
    );
    let streaming_peak = peak_sampled;
    // Then every reply to its end (the output read back, the reply stored).
    let mut done = 0;
    while t0.elapsed() < limit {
        peak_sampled = peak_sampled.max(status_kib(pid, "VmRSS:"));
        done = threads
            .iter()
            .filter(|t| h.ok("chat.get", json!({"id": t}))["thread"]["replying"] == json!(false))
            .count();
        if done == RUNS {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_secs(1));
    let last = status_kib(pid, "VmRSS:");
    let peak = peak_rss_kib(pid);
    // A logged line is `O ` + the line: count lines, then the agent's bytes.
    let agent_bytes = logged / (LINE_BYTES + 2) * LINE_BYTES;
    let mbps = agent_bytes as f64 / 1e6 / window.max(0.001);
    let core_pct = cpu / (window * 10.0);
    let mib = |k: u64| k as f64 / 1024.0;
    println!(
        "{RUNS} agent runs streaming at once (chat replies of the scripted agent, each {LINES} lines × {LINE_BYTES} B every {EVERY_MS} ms; {:.1} MB/s asked in all), all streaming {:.1} s after the sends, measured over {window:.1} s ({samples} samples):",
        RUNS as f64 * (LINES as u64 * LINE_BYTES) as f64 * (1000 / EVERY_MS) as f64 / 1e6,
        all_at.as_secs_f64()
    );
    println!(
        "  agent output that reached the daemon: {mbps:.2} MB/s ({:.1} MB logged in the window)",
        logged as f64 / 1e6
    );
    println!(
        "  daemon RSS: before the runs {:.1} MiB; while streaming up to {:.1} MiB (sampled every 100 ms); peak {:.1} MiB (VmHWM, the replies' ends included); final {:.1} MiB  (aim < 80 MiB)",
        mib(idle),
        mib(streaming_peak),
        mib(peak.max(peak_sampled)),
        mib(last)
    );
    println!(
        "  daemon CPU (its own threads, not the agents): {core_pct:.1}% of one core = {:.1}% of one core per MB/s  (aim < 10% per MB/s); {done} of {RUNS} replies done afterwards",
        core_pct / mbps.max(0.001)
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn pass(bin: &Path, tmp: &Path, n: usize, workers: u32) {
    let repo = git_repo(tmp, &format!("agents-app-{workers}"));
    let data = tmp.join(format!("agents-{workers}"));
    let (mut child, url, token, _) = start(bin, &data);
    let h = Http {
        base: url,
        token,
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    };
    h.ok("apps.add", json!({"path": repo}));
    h.ok(
        "settings.update",
        json!({"scope": "global", "revision": 0, "patch": {
            "agents": {"defaultProfile": "scripted"},
            "runner": {"pollSeconds": 1, "maxConcurrentGoals": workers, "maxPerApp": workers, "maxPerProvider": workers}
        }}),
    );
    h.ok(
        "quality.settings.update",
        json!({"revision": 0, "tests": ["the note exists"], "instructions": ""}),
    );
    h.ok("runner.pause", json!({"reason": "loading the benchmark"}));
    let mut ids = Vec::new();
    for i in 0..n {
        let g = h.ok(
            "goals.create",
            json!({"title": format!("Note {i}"), "status": "todo", "prompt": format!(
                "Write note {i}.\n```refine-script\nimplement: write notes/n{i}.txt {i}\\n\nquality: test 1 test -f notes/n{i}.txt\n```\n"
            )}),
        );
        ids.push(g["id"].as_str().unwrap().to_string());
    }
    let cpu0 = cpu_ms(child.id());
    let t0 = Instant::now();
    h.ok("runner.resume", json!({}));
    let mut max_workers = 0usize;
    let (review, failed) = loop {
        let st = h.ok("runner.status", json!({}));
        max_workers = max_workers.max(st["workers"].as_array().map(|a| a.len()).unwrap_or(0));
        let page = h.ok("goals.list", json!({"limit": 200}));
        let goals = page["items"].as_array().cloned().unwrap_or_default();
        let review = goals.iter().filter(|g| g["status"] == "review").count();
        let failed = goals
            .iter()
            .filter(|g| g["status"] == "failed" || g["status"] == "cancelled")
            .count();
        if review + failed == ids.len() || t0.elapsed() > Duration::from_secs(900) {
            break (review, failed);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let total = t0.elapsed();
    let cpu = cpu_ms(child.id()) - cpu0;
    let peak = peak_rss_kib(child.id());

    // Overhead per Goal: plan entered → review entered, minus its processes' run time.
    let db = refine_store::rusqlite::Connection::open(data.join("refine.db")).unwrap();
    let mut spans: HashMap<String, (String, String)> = HashMap::new();
    {
        let mut st = db
            .prepare("SELECT goal_id, to_status, at FROM goal_transitions ORDER BY seq")
            .unwrap();
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .unwrap();
        for (g, to, when) in rows.map(Result::unwrap) {
            let e = spans.entry(g).or_default();
            if to == "plan" && e.0.is_empty() {
                e.0 = when;
            } else if to == "review" {
                e.1 = when;
            }
        }
    }
    let mut proc_time: HashMap<String, Duration> = HashMap::new();
    {
        let mut st = db
            .prepare("SELECT owner, started_at, ended_at FROM processes WHERE ended_at IS NOT NULL")
            .unwrap();
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .unwrap();
        for (owner, s, e) in rows.map(Result::unwrap) {
            let owner: Value = serde_json::from_str(&owner).unwrap_or_default();
            if let Some(g) = owner["goalId"].as_str() {
                let d = (at(&e) - at(&s)).unsigned_abs();
                *proc_time.entry(g.to_string()).or_default() += d;
            }
        }
    }
    let mut overheads: Vec<Duration> = Vec::new();
    let mut in_automation: Vec<Duration> = Vec::new();
    for id in &ids {
        let Some((p, r)) = spans.get(id) else {
            continue;
        };
        if p.is_empty() || r.is_empty() {
            continue;
        }
        let span = (at(r) - at(p)).unsigned_abs();
        in_automation.push(span);
        overheads.push(span.saturating_sub(proc_time.get(id).copied().unwrap_or_default()));
    }
    overheads.sort();
    in_automation.sort();
    println!(
        "{n} Goals, {workers} worker(s): todo → review in {:.1} s ({:.2} Goals/s), {review} in review, {failed} failed or cancelled (errors), up to {max_workers} at once; peak daemon RSS {:.1} MiB; daemon CPU {:.1} ms per Goal (its own threads, not git or agents)",
        total.as_secs_f64(),
        ids.len() as f64 / total.as_secs_f64(),
        peak as f64 / 1024.0,
        cpu / ids.len() as f64
    );
    if !overheads.is_empty() {
        println!(
            "  per Goal in the automation: p50 {} (4 agent runs + 1 check each); minus its processes' run time: p50 {}  p90 {}  (aim < 50 ms{})",
            ms(percentile(&in_automation, 0.5)),
            ms(percentile(&overheads, 0.5)),
            ms(percentile(&overheads, 0.9)),
            if workers > 1 { "; overlapping Goals share the cores" } else { "" }
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
