//! Operating Refine from the shell: the doctor (a missing git made visible), the daemon's log
//! followed live, a support bundle without the secrets that were planted, the daemon's metrics.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, refine_bin, text, Daemon};

#[test]
fn the_doctor_in_a_shell_names_a_missing_git_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A daemon whose PATH has no git (only a folder with nothing in it).
    let empty = dir.join("no-git-here");
    std::fs::create_dir(&empty).unwrap();
    let d = Daemon::start_with(&dir.join("data"), &[("PATH", empty.to_str().unwrap())]);
    let o = d.sh("refine doctor", dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FAIL  Git"), "{out}");
    assert!(out.contains("fix: install git"), "{out}");
    assert!(out.contains("ok    Database integrity"), "{out}");
    assert!(out.contains("failed"), "{out}");
    let o = d.sh(
        "refine doctor --jq '.checks[] | select(.id == \"git\") | .status'",
        dir,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "fail");
    drop(d);

    // With git, nothing fails: exit 0.
    let d = Daemon::start(&dir.join("data2"));
    let o = d.sh("refine doctor", dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("ok    Git"), "{}", text(&o));
    assert!(text(&o).contains("ok    Listening"), "{}", text(&o));
}

#[test]
fn logs_follow_live_and_a_bundle_keeps_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    let d = Daemon::start_with(&data, &[("REFINE_LOG", "info")]);
    git_repo(dir, "shop");

    let o = d.sh("refine logs -n 100", dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("INFO  refine_store::migrations  applying database migration"),
        "{}",
        text(&o)
    );
    let o = d.sh("refine logs --level error", dir);
    assert!(text(&o).contains("(nothing matches)"), "{}", text(&o));

    // Follow: what is done from now on shows up as it happens.
    let mut follow = Command::new("bash")
        .args([
            "-c",
            "exec refine logs --follow --json --target refine_core::activity -n 1",
        ])
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                refine_bin().parent().unwrap().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("REFINE_HOME", &data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let o = d.sh("refine apps add shop", dir);
    assert!(o.status.success(), "{}", text(&o));
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "the follower never printed the add: {seen:?}"
        );
        let Ok(line) = rx.recv_timeout(left) else {
            continue;
        };
        let rec: serde_json::Value = serde_json::from_str(&line).unwrap();
        if rec["message"]
            .as_str()
            .is_some_and(|m| m.contains("Added app shop"))
        {
            assert_eq!(rec["fields"]["operation"], "apps.add");
            assert_eq!(rec["fields"]["surface"], "cli");
            break;
        }
        seen.push(line);
    }
    let _ = follow.kill();
    let _ = follow.wait();

    // A bundle: secrets planted in a profile, in the daemon's own log; the token is the data
    // dir's.
    let o = d.sh(
        "refine agent set generic --env OPENAI_API_KEY=sk-planted-4242 --env HELLO=world",
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = d.sh("refine doctor --bundle support.tar.gz", dir);
    assert!(o.status.code() == Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Wrote the support bundle"),
        "{}",
        text(&o)
    );
    let all = Command::new("tar")
        .args(["-xzOf", "support.tar.gz"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(all.status.success());
    let all = String::from_utf8_lossy(&all.stdout);
    assert!(!all.contains(&d.token), "the token is in the bundle");
    assert!(
        !all.contains("sk-planted-4242"),
        "the API key is in the bundle"
    );
    assert!(
        all.contains("\"HELLO\": \"world\""),
        "plain env values stay"
    );
    assert!(all.contains("Added app shop"), "the log is in the bundle");
    let list = Command::new("tar")
        .args(["-tzf", "support.tar.gz"])
        .current_dir(dir)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    for f in [
        "doctor.json",
        "database.json",
        "operations.json",
        "logs/refine.",
    ] {
        assert!(list.contains(f), "{f} not in {list}");
    }
    // Not over an existing file.
    let o = d.sh("refine doctor --bundle support.tar.gz", dir);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("exists already"), "{}", text(&o));
}

#[test]
fn perf_and_metrics_from_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = Daemon::start(&dir.join("data"));
    for _ in 0..3 {
        assert!(d.sh("refine apps list", dir).status.success());
    }
    let o = d.sh("refine perf", dir);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("apps.list"), "{out}");
    assert!(out.contains("daemon"), "{out}");
    let o = d.sh(
        "refine perf --jq '.operations[] | select(.operation == \"apps.list\") | .total.count'",
        dir,
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "3",
        "{}",
        text(&o)
    );
    // /metrics with the token, as a scraper would.
    let o = Command::new("curl")
        .args(["-sf", "-H"])
        .arg(format!("Authorization: Bearer {}", d.token))
        .arg(format!("{}/metrics", d.url))
        .output()
        .unwrap();
    assert!(o.status.success());
    let m = String::from_utf8_lossy(&o.stdout);
    assert!(
        m.contains("refine_operation_duration_seconds_count{operation=\"apps.list\"} 3"),
        "{m}"
    );
    let o = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/metrics", d.url))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "401");
}
