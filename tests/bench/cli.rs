//! CLI cold start: a fresh `refine` process per command, from exec to exit, against a running
//! daemon (`goal list --json` over 50 Goals) and without one (`--version`, the process floor).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{ms, percentile, start};

const RUNS: usize = 50;

fn time_runs(bin: &Path, args: &[&str], data: &Path) -> Vec<Duration> {
    let once = || {
        let t = Instant::now();
        let st = Command::new(bin)
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "refine {args:?} failed");
        t.elapsed()
    };
    for _ in 0..3 {
        once();
    }
    let mut times: Vec<Duration> = (0..RUNS).map(|_| once()).collect();
    times.sort();
    times
}

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nCLI cold start (a new process per command, exec to exit, {RUNS} runs)");
    let data = tmp.join("cli");
    let (mut child, url, token, _) = start(bin, &data);
    let repo = refine_e2e::git_repo(tmp, "cli-app");
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: serde_json::Value| -> serde_json::Value {
        http.post(format!("{url}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let app = post("/api/v1/apps", json!({ "path": repo }));
    let app_id = app["id"].as_str().expect("app id").to_string();
    for i in 0..50 {
        post(
            "/api/v1/work/goals",
            json!({ "appId": app_id, "title": format!("Goal {i}"), "prompt": "bench" }),
        );
    }
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["goal", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("goal list JSON");
    let n = listed["items"]
        .as_array()
        .or(listed.as_array())
        .map_or(0, Vec::len);
    assert_eq!(n, 50, "goal list --json printed {listed}");
    for (label, args) in [
        ("refine --version (no daemon call)", &["--version"][..]),
        (
            "refine goal list --json (50 Goals)",
            &["goal", "list", "--json"][..],
        ),
    ] {
        let t = time_runs(bin, args, &data);
        println!(
            "  {label}: p50 {}  p95 {}  (aim p50 < 20 ms on a release build)",
            ms(percentile(&t, 0.5)),
            ms(percentile(&t, 0.95)),
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
