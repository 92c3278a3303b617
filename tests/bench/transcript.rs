//! Transcripts: how fast the parsers read real CLI output (captured from Claude Code and Codex
//! against the model-API stand-in, repeated to tens of megabytes), and what the daemon costs
//! while 8 agent runs stream at once (a stand-in CLI that replays real Claude Code stream-json at
//! a fixed rate, through chat replies: supervised processes, transcript parsing, storage, events).

use std::path::Path;
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, Http};
use refine_model::agents::{default_profile, Provider};
use serde_json::json;

use crate::start;

fn sample(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("agents/samples")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) * 1000.0 / hz
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nTranscript benchmark");
    for (provider, file) in [
        (Provider::ClaudeCode, "claude-edit-bash.jsonl"),
        (Provider::Codex, "codex-edit-bash.jsonl"),
    ] {
        let one = sample(file);
        let lines_per = one.lines().count();
        let copies = (40 * 1024 * 1024) / one.len().max(1);
        let big = one.repeat(copies);
        let profile = default_profile(provider, "/bin/refine");
        let t0 = Instant::now();
        let items = refine_core::agents::parse_output(&profile, "/w", &big);
        let took = t0.elapsed().as_secs_f64();
        let events = (lines_per * copies) as f64;
        println!(
            "parse {:<11} {:>6.1} MB in {:.2} s: {:>9.0} events/s, {:>6.1} MB/s ({} items kept of a bounded transcript)",
            provider.as_str(),
            big.len() as f64 / 1e6,
            took,
            events / took,
            big.len() as f64 / 1e6 / took,
            items.len()
        );
    }
    streams(bin, tmp);
}

/// 8 chat replies at once, each from a stand-in CLI replaying real stream-json.
fn streams(bin: &Path, tmp: &Path) {
    const RUNS: usize = 8;
    const SECONDS: u32 = 10;
    let dir = tmp.join("transcript-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let sample_path = dir.join("sample.jsonl");
    // The stream without its final result line, replayed; one result at the end.
    let one = sample("claude-edit-bash.jsonl");
    let (body, result) = one.trim_end().rsplit_once('\n').unwrap();
    std::fs::write(&sample_path, format!("{body}\n")).unwrap();
    let result_path = dir.join("result.jsonl");
    std::fs::write(&result_path, format!("{result}\n")).unwrap();
    let script = dir.join("fake-claude");
    // ~14 KB every 20 ms ≈ 0.7 MB/s per run.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nhead -c 100 >/dev/null\nend=$(( $(date +%s) + {SECONDS} ))\nwhile [ $(date +%s) -lt $end ]; do cat {}; sleep 0.02; done\ncat {}\n",
            sample_path.display(),
            result_path.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let repo = git_repo(tmp, "transcript-app");
    let data = tmp.join("transcript-data");
    let (mut child, url, token, _) = start(bin, &data);
    let h = Http {
        base: url,
        token,
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    };
    let app = h.ok("apps.add", json!({ "path": repo }));
    h.ok("apps.select", json!({ "id": app["id"] }));
    let mut p = default_profile(Provider::ClaudeCode, "/bin/refine");
    p.name = "stream-bench".into();
    p.command = script.to_string_lossy().to_string();
    p.builtin = false;
    h.ok("agents.profiles.save", json!({ "profile": p }));
    let threads: Vec<String> = (0..RUNS)
        .map(|i| {
            h.ok(
                "chat.create",
                json!({ "kind": "project", "title": format!("stream {i}"), "profile": "stream-bench" }),
            )["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let pid = child.id();
    let rss_before = rss_kib(pid, "VmRSS:");
    let cpu_before = cpu_ms(pid);
    let t0 = Instant::now();
    for t in &threads {
        h.ok("chat.send", json!({ "threadId": t, "content": "stream" }));
    }
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(pid, "VmRSS:"));
        let busy = threads
            .iter()
            .any(|t| h.ok("chat.get", json!({ "id": t }))["thread"]["replying"] == json!(true));
        if !busy || t0.elapsed() > Duration::from_secs(SECONDS as u64 + 60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_ms(pid) - cpu_before;
    let log_bytes: u64 = std::fs::read_dir(data.join("logs/processes"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mb = log_bytes as f64 / 1e6;
    println!(
        "{RUNS} runs streaming stream-json at once for {wall:.1} s: {mb:.1} MB of output; daemon RSS {:.1} → peak {:.1} MiB; daemon CPU {:.0} ms = {:.1}% of one core, {:.1}% of one core per MB/s (aims: RSS < 80 MiB, parsing < 5% of a core)",
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        cpu,
        cpu / (wall * 10.0),
        (cpu / (wall * 10.0)) / (mb / wall).max(0.001)
    );
    let _ = child.kill();
    let _ = child.wait();
}
