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

fn schema_of(db: &std::path::Path) -> i64 {
    let c = refine_store::rusqlite::Connection::open_with_flags(
        db,
        refine_store::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_older_database_is_backed_up_migrated_and_can_be_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("refine.db");
    // A database as the previous release left it, with a record of its own.
    let previous = refine_store::migrations::LATEST - 1;
    refine_store::migrations::create_at(&db, previous).unwrap();
    {
        let c = refine_store::rusqlite::Connection::open(&db).unwrap();
        c.execute(
            "INSERT INTO meta (key, value) VALUES ('fixture', 'from the previous release')",
            [],
        )
        .unwrap();
    }
    assert_eq!(schema_of(&db), previous);

    let d = Daemon::start(&data);
    assert_eq!(schema_of(&db), refine_store::migrations::LATEST);
    let o = d.sh("refine upgrade", dir);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("pre-migration"), "the backup is named: {out}");
    let status: serde_json::Value =
        serde_json::from_slice(&d.sh("refine upgrade --json", dir).stdout).unwrap();
    let backup = status["schema"]["backupBeforeMigration"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(status["backups"][0]["schemaVersion"], previous);
    assert_eq!(schema_of(std::path::Path::new(&backup)), previous);

    // Restoring needs the daemon stopped.
    let o = d.sh(&format!("refine restore {backup}"), dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("stop it first"), "{}", text(&o));
    let o = d.sh("refine stop", dir);
    assert!(o.status.success());
    let mut d = d;
    d.child.wait().unwrap();

    let o = refine_e2e::sh("refine restore /etc/hostname", dir, &data);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        schema_of(&db),
        refine_store::migrations::LATEST,
        "a bad file changes nothing"
    );
    let o = refine_e2e::sh(&format!("refine restore {backup}"), dir, &data);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("before-restore"), "{}", text(&o));
    assert_eq!(schema_of(&db), previous);
    let c = refine_store::rusqlite::Connection::open(&db).unwrap();
    let v: String = c
        .query_row("SELECT value FROM meta WHERE key = 'fixture'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(v, "from the previous release");
    drop(c);
    // Started again, it migrates again (with a fresh backup) and works.
    let d = Daemon::start(&data);
    assert_eq!(schema_of(&db), refine_store::migrations::LATEST);
    assert!(d.sh("refine apps list", dir).status.success());
    // And a backup with no daemon running copies the file itself.
    drop(d);
    let o = refine_e2e::sh("refine backup offline.db", dir, &data);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        schema_of(&dir.join("offline.db")),
        refine_store::migrations::LATEST
    );
}

#[test]
fn a_database_newer_than_the_binary_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("refine.db");
    refine_store::migrations::create_at(&db, refine_store::migrations::LATEST).unwrap();
    let newer = refine_store::migrations::LATEST + 3;
    {
        let c = refine_store::rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", newer).unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let o = Command::new(refine_bin())
        .args(["--serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .env("REFINE_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = text(&o);
    assert!(err.contains(&format!("schema version {newer}")), "{err}");
    assert!(
        err.contains(&format!("({})", refine_store::migrations::LATEST)),
        "{err}"
    );
    assert!(err.contains("refine restore"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file is untouched");
    assert!(
        !data.join("refine.db-wal").exists(),
        "never opened for writing"
    );
}
