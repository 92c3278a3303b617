//! Host benchmarks (issue 4): enumerating a 100,000-file tree against `git ls-files`, watcher
//! latency from a write to its event, and the diff of a 1,000-file change.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{ms, percentile, start};

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nHost benchmark: files, watcher, diff");
    let repo = tmp.join("big");
    for d in 0..100 {
        let dir = repo.join(format!("pkg{d:03}/src"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..1000 {
            std::fs::write(
                dir.join(format!("m{f:04}.ts")),
                format!("export const v{f} = {d};\n"),
            )
            .unwrap();
        }
    }
    refine_e2e::commit_all(&repo);

    let data = tmp.join("host");
    let (mut child, url, token, _) = start(bin, &data);
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let call = |method: &str, path: &str, body: Option<Value>| -> Value {
        let mut r = http
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .bearer_auth(&token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().unwrap().json().unwrap()
    };
    call("POST", "/api/v1/apps", Some(json!({"path": repo})));

    // Enumerate every file. git ls-files reads only the index; with `-co --exclude-standard` it
    // also walks the tree for untracked files, the question files.find answers. The daemon
    // walks the disk on a first search (showIgnored=true always walks; this repo ignores
    // nothing, so it is the same set) and keeps the list until its watcher sees a change.
    let git_run = |args: &[&str]| -> Duration {
        let t = Instant::now();
        let o = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .unwrap();
        let d = t.elapsed();
        assert!(o.stdout.split(|b| *b == 0).count() > 100_000);
        d
    };
    let find = |extra: &str| -> Duration {
        let t = Instant::now();
        let r = call(
            "GET",
            &format!("/api/v1/files/find?query=m0001&limit=10{extra}"),
            None,
        );
        let d = t.elapsed();
        assert!(r.to_string().contains("m0001"), "{r}");
        d
    };
    find(""); // starts the watcher
    let (mut git_idx, mut git_all, mut walk, mut kept) = (vec![], vec![], vec![], vec![]);
    for _ in 0..7 {
        git_idx.push(git_run(&["ls-files", "-z"]));
        git_all.push(git_run(&["ls-files", "-z", "-co", "--exclude-standard"]));
        walk.push(find("&showIgnored=true"));
        kept.push(find(""));
    }
    for v in [&mut git_idx, &mut git_all, &mut walk, &mut kept] {
        v.sort();
    }
    let p50 = |v: &Vec<Duration>| percentile(v, 0.5);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "enumerate 100,000 files (fuzzy find over all, p50): refine walking the disk {}, refine kept list {}",
        ms(p50(&walk)),
        ms(p50(&kept))
    );
    println!(
        "  vs git ls-files (index only) {}: walk {:.2}×, kept {:.2}× (aim ≤ 1.5×)",
        ms(p50(&git_idx)),
        ratio(p50(&walk), p50(&git_idx)),
        ratio(p50(&kept), p50(&git_idx))
    );
    println!(
        "  vs git ls-files -co --exclude-standard (index + untracked walk) {}: walk {:.2}×",
        ms(p50(&git_all)),
        ratio(p50(&walk), p50(&git_all))
    );
    let t = Instant::now();
    let listing = call("GET", "/api/v1/files/tree?path=pkg000/src", None);
    println!(
        "one directory of 1,000 files (files.tree): {}  ({} entries)",
        ms(t.elapsed()),
        listing["entries"].as_array().map(|a| a.len()).unwrap_or(0)
    );

    // Watcher latency: a write on disk → the `files.changed` event on the SSE stream.
    let resp = http
        .get(format!("{url}/api/v1/events"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(600))
        .send()
        .unwrap();
    let mut lines = BufReader::new(resp).lines();
    let mut lat = Vec::new();
    for i in 0..20 {
        let name = format!("pkg000/src/watched{i}.ts");
        std::thread::sleep(Duration::from_millis(250));
        let t = Instant::now();
        std::fs::write(repo.join(&name), "x").unwrap();
        loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("event stream ended")
            };
            if line.starts_with("data:")
                && line.contains("files.changed")
                && line.contains(&format!("watched{i}.ts"))
            {
                lat.push(t.elapsed());
                break;
            }
        }
    }
    lat.sort();
    println!(
        "watcher latency (write → files.changed event): p50 {}  p99 {}  (aim < 300 ms)",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );

    // Diff of a 1,000-file change.
    for f in 0..1000 {
        std::fs::write(
            repo.join(format!("pkg001/src/m{f:04}.ts")),
            format!("export const v{f} = 'changed';\n"),
        )
        .unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let d = call("GET", "/api/v1/changes/diff?scope=unstaged", None);
        times.push(t.elapsed());
        assert!(
            d["filesChanged"].as_u64().unwrap() >= 1000,
            "{}",
            d["filesChanged"]
        );
    }
    times.sort();
    let t = Instant::now();
    let o = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["diff", "--numstat"])
        .output()
        .unwrap();
    let git_diff = t.elapsed();
    assert!(o.status.success());
    println!("diff of a 1,000-file change (changes.diff, patches + stats): {}  (git diff --numstat alone: {})", ms(times[1]), ms(git_diff));
    let _ = child.kill();
    let _ = child.wait();
}
