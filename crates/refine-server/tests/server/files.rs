//! Files over HTTP: the confinement matrix over every files operation (SECURITY.md item 6),
//! etag conflicts, binary detection, the size cap, .gitignore, fuzzy find, regex grep and the
//! watcher's events.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::StatusCode;
use refine_model::Event;
use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

struct Setup {
    d: TestDaemon,
    repo: PathBuf,
    outside: tempfile::TempDir,
}

/// A daemon with one app (`shop`: `main.rs`, `Cargo.toml`) and an outside directory holding a
/// sentinel file, linked from inside the app (`leak` → the file, `outdir` → the directory).
async fn setup() -> Setup {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "shop");
    let a = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "sentinel").unwrap();
    symlink(outside.path().join("secret.txt"), repo.join("leak")).unwrap();
    symlink(outside.path(), repo.join("outdir")).unwrap();
    Setup { d, repo, outside }
}

fn sentinel_intact(outside: &Path) {
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.txt")).unwrap(),
        "sentinel",
        "the file outside the root is untouched"
    );
    let names: Vec<_> = std::fs::read_dir(outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "nothing appeared outside the root: {names:?}"
    );
}

/// Every files operation with `bad` in each of its path fields.
fn attempts(bad: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("files.tree", json!({"path": bad})),
        ("files.read", json!({"path": bad})),
        ("files.write", json!({"path": bad, "content": "pwned"})),
        ("files.create", json!({"path": bad, "content": "pwned"})),
        ("files.create", json!({"path": bad, "kind": "dir"})),
        ("files.rename", json!({"from": bad, "to": "moved"})),
        ("files.rename", json!({"from": "main.rs", "to": bad})),
        ("files.delete", json!({"path": bad, "recursive": true})),
        ("files.grep", json!({"pattern": "sentinel", "path": bad})),
    ]
}

async fn expect_refused(s: &Setup, bad: &str, status: StatusCode) {
    for (op, input) in attempts(bad) {
        let a = s.d.call(op, input.clone()).await;
        assert_eq!(a.status, status, "{op} {input}: {:?}", a.body);
        assert!(
            a.body["code"].is_string(),
            "{op}: the error body {:?}",
            a.body
        );
        let text = a.body.to_string();
        assert!(
            !text.contains(s.outside.path().to_str().unwrap()),
            "{op}: errors never name paths outside the root: {text}"
        );
    }
    sentinel_intact(s.outside.path());
    assert!(s.repo.join("main.rs").is_file(), "main.rs is still there");
}

#[tokio::test]
async fn confinement_matrix_over_every_files_operation() {
    let s = setup().await;
    let long = "a/".repeat(2500);
    for bad in [
        "../x",
        "/etc/passwd",
        "a/../../x",
        "..",
        "a\0b",
        long.as_str(),
    ] {
        expect_refused(&s, bad, StatusCode::BAD_REQUEST).await;
    }
    // Links inside the root that lead outside: refused in the kernel (beneath the root handle).
    for bad in ["leak", "outdir/secret.txt", "outdir"] {
        for (op, input) in attempts(bad) {
            let a = s.d.call(op, input.clone()).await;
            assert!(
                a.status == StatusCode::FORBIDDEN
                    || (a.status == StatusCode::BAD_REQUEST && op == "files.tree" && bad == "leak")
                    || (a.status == StatusCode::CONFLICT
                        && (op == "files.create" || input["from"] == "main.rs")),
                "{op} {input}: {} {:?}",
                a.status,
                a.body
            );
        }
        sentinel_intact(s.outside.path());
    }
    assert!(
        std::fs::symlink_metadata(s.repo.join("leak")).is_ok(),
        "the refused delete left the link"
    );
    // URL-encoded traversal in the query string: decoded by the transport, then refused.
    for q in [
        "%2e%2e/x",
        "%2E%2E%2Fetc%2Fpasswd",
        "a%2F..%2F..%2Fx",
        "%00",
        "%2Fetc%2Fpasswd",
    ] {
        for route in ["/api/v1/files/tree", "/api/v1/files/content"] {
            let a =
                s.d.raw("GET", &format!("{route}?path={q}"), &[], None, true)
                    .await;
            assert_eq!(
                a.status,
                StatusCode::BAD_REQUEST,
                "{route}?path={q}: {:?}",
                a.body
            );
        }
        let a =
            s.d.raw(
                "GET",
                &format!("/api/v1/files/grep?pattern=x&path={q}"),
                &[],
                None,
                true,
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "grep path={q}");
    }
    // In a JSON body `%2e%2e` is a literal name: confined, and here simply not there.
    let a = s.d.call("files.read", json!({"path": "%2e%2e/x"})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // Nothing of it reached the audit log.
    assert_eq!(
        s.d.count("SELECT COUNT(*) FROM activity WHERE operation LIKE 'files.%'"),
        0
    );
    sentinel_intact(s.outside.path());
}

#[tokio::test]
async fn the_data_dir_is_refused_when_the_app_root_contains_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = repo.join(".refine-state");
    let d = TestDaemon::with_data_dir(dir, &data);
    let a = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    symlink(".refine-state", repo.join("state-link")).unwrap();
    symlink(".refine-state/refine.db", repo.join("db-link")).unwrap();
    for bad in [
        ".refine-state/refine.db",
        "./.refine-state//refine.db",
        "state-link/refine.db",
        "db-link",
        ".refine-state",
    ] {
        for (op, input) in attempts(bad) {
            if op == "files.rename" && input["from"] == "main.rs" {
                continue; // moving a file *into* it is covered below
            }
            let a = d.call(op, input.clone()).await;
            assert!(
                a.status == StatusCode::FORBIDDEN
                    // The link itself lives in the root: it is a file there, and taken.
                    || (a.status == StatusCode::BAD_REQUEST
                        && op == "files.tree"
                        && bad == "db-link")
                    || (a.status == StatusCode::CONFLICT && op == "files.create" && bad == "db-link"),
                "{op} {input}: {} {:?}",
                a.status,
                a.body
            );
        }
    }
    let into = d
        .call(
            "files.rename",
            json!({"from": "main.rs", "to": ".refine-state/main.rs"}),
        )
        .await;
    assert_eq!(into.status, StatusCode::FORBIDDEN);
    let tree = d.call("files.tree", json!({"showIgnored": true})).await;
    assert!(
        !tree.body.to_string().contains(".refine-state\""),
        "{:?}",
        tree.body
    );
    let found = d
        .call(
            "files.find",
            json!({"query": "refine.db", "showIgnored": true}),
        )
        .await;
    assert_eq!(
        found.body["items"].as_array().unwrap().len(),
        0,
        "{:?}",
        found.body
    );
    let grep = d
        .call(
            "files.grep",
            json!({"pattern": "SQLite format", "fixedStrings": true, "showIgnored": true}),
        )
        .await;
    assert!(grep.body["matches"].as_array().unwrap().is_empty());
    assert!(data.join("refine.db").is_file(), "the database is intact");
}

fn all_names(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(e.file_name().to_string_lossy().to_string());
        if e.file_type().unwrap().is_dir() {
            all_names(&e.path(), out);
        }
    }
}

#[tokio::test]
async fn injection_looking_names_are_plain_names() {
    let s = setup().await;
    for name in [
        ";touch pwned",
        "$(touch pwned)",
        "`touch pwned`",
        "x && touch pwned",
    ] {
        let c =
            s.d.call("files.create", json!({"path": name, "content": name}))
                .await;
        assert_eq!(c.status, StatusCode::OK, "{name}: {:?}", c.body);
        assert_eq!(std::fs::read_to_string(s.repo.join(name)).unwrap(), name);
        let r = s.d.call("files.read", json!({"path": name})).await;
        assert_eq!(r.body["content"], name);
        let g =
            s.d.call("files.grep", json!({"pattern": name, "fixedStrings": true}))
                .await;
        assert_eq!(g.status, StatusCode::OK);
        let f = s.d.call("files.find", json!({"query": name})).await;
        assert_eq!(f.status, StatusCode::OK);
    }
    let mv =
        s.d.call(
            "files.rename",
            json!({"from": ";touch pwned", "to": "$(rm -rf ~)"}),
        )
        .await;
    assert_eq!(mv.status, StatusCode::OK);
    assert!(s.repo.join("$(rm -rf ~)").is_file());
    let del =
        s.d.call("files.delete", json!({"path": "$(touch pwned)"}))
            .await;
    assert_eq!(del.status, StatusCode::OK);
    let mut names = Vec::new();
    all_names(s.d.dir.path(), &mut names);
    all_names(s.outside.path(), &mut names);
    if let Ok(cwd) = std::env::current_dir() {
        assert!(!cwd.join("pwned").exists());
    }
    assert!(!names.iter().any(|n| n == "pwned"), "{names:?}");
}

#[tokio::test]
async fn stale_writes_answer_412_and_change_nothing() {
    let s = setup().await;
    let v1 = s.d.call("files.read", json!({"path": "main.rs"})).await;
    assert_eq!(v1.status, StatusCode::OK);
    assert_eq!(v1.body["binary"], false);
    assert_eq!(v1.body["content"], "fn main() {}\n");
    let etag1 = v1.body["etag"].as_str().unwrap().to_string();
    assert_eq!(etag1.len(), 64, "sha256 hex");

    let w = s
        .d
        .call(
            "files.write",
            json!({"path": "main.rs", "content": "fn main() { println!(\"2\"); }\n", "etag": etag1}),
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{:?}", w.body);
    let etag2 = w.body["etag"].as_str().unwrap().to_string();
    assert_ne!(etag1, etag2);

    // Someone else's edit based on the first version.
    let stale =
        s.d.call(
            "files.write",
            json!({"path": "main.rs", "content": "lost update\n", "etag": etag1}),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{:?}",
        stale.body
    );
    assert_eq!(stale.body["code"], "stale");
    assert_eq!(stale.body["details"]["etag"], etag2);
    assert_eq!(
        std::fs::read_to_string(s.repo.join("main.rs")).unwrap(),
        "fn main() { println!(\"2\"); }\n",
        "nothing written"
    );
    assert_eq!(
        s.d.count("SELECT COUNT(*) FROM activity WHERE operation = 'files.write'"),
        1,
        "only the successful write is in the audit log"
    );
    // The journal keeps a digest, not the content.
    assert_eq!(
        s.d.count(
            "SELECT COUNT(*) FROM operations WHERE kind = 'files.write' AND input LIKE '%println%'"
        ),
        0
    );

    // A keyed write replays without writing again.
    let first =
        s.d.http(
            refine_api::find("files.write").unwrap(),
            json!({"path": "main.rs", "content": "v3\n"}),
            Some("write-once"),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    std::fs::write(s.repo.join("main.rs"), "edited on disk\n").unwrap();
    let again =
        s.d.http(
            refine_api::find("files.write").unwrap(),
            json!({"path": "main.rs", "content": "v3\n"}),
            Some("write-once"),
        )
        .await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body, first.body);
    assert_eq!(
        std::fs::read_to_string(s.repo.join("main.rs")).unwrap(),
        "edited on disk\n"
    );
}

#[tokio::test]
async fn binary_files_and_the_size_cap() {
    let s = setup().await;
    std::fs::write(s.repo.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let bin = s.d.call("files.read", json!({"path": "logo.png"})).await;
    assert_eq!(bin.status, StatusCode::OK);
    assert_eq!(bin.body["binary"], true);
    assert_eq!(bin.body["content"], Value::Null);
    assert_eq!(bin.body["size"], 16.0);

    std::fs::write(s.repo.join("huge.txt"), vec![b'x'; 3 * 1024 * 1024]).unwrap();
    let big = s.d.call("files.read", json!({"path": "huge.txt"})).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.body["code"], "payload_too_large");
    assert!(big.body["message"].as_str().unwrap().contains("range"));
    let part =
        s.d.call(
            "files.read",
            json!({"path": "huge.txt", "offset": 100, "length": 4}),
        )
        .await;
    assert_eq!(part.status, StatusCode::OK);
    assert_eq!(part.body["content"], "xxxx");
    assert_eq!(part.body["offset"], 100.0);
}

#[tokio::test]
async fn tree_find_and_grep() {
    let s = setup().await;
    std::fs::write(s.repo.join(".gitignore"), "target/\n*.log\n").unwrap();
    std::fs::create_dir_all(s.repo.join("target/debug")).unwrap();
    std::fs::write(s.repo.join("target/debug/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(s.repo.join("build.log"), "fn main").unwrap();
    std::fs::create_dir_all(s.repo.join("src/bin")).unwrap();
    std::fs::write(
        s.repo.join("src/lib.rs"),
        "pub fn add(a: i32) -> i32 {\n    a\n}\n",
    )
    .unwrap();

    let names = |v: &Value| -> Vec<String> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let root = s.d.call("files.tree", json!({})).await;
    assert_eq!(root.status, StatusCode::OK, "{:?}", root.body);
    assert_eq!(
        names(&root.body),
        [
            "src",
            ".gitignore",
            "Cargo.toml",
            "leak",
            "main.rs",
            "outdir"
        ],
        "dirs first; ignored and .git hidden; links listed as links"
    );
    let outdir = &root.body["entries"][5];
    assert_eq!(outdir["kind"], "symlink");
    let all = s.d.call("files.tree", json!({"showIgnored": true})).await;
    let target = all.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "target")
        .unwrap()
        .clone();
    assert_eq!(target["ignored"], true);
    assert_eq!(target["kind"], "dir");
    let src = s.d.call("files.tree", json!({"path": "src"})).await;
    assert_eq!(names(&src.body), ["bin", "lib.rs"]);
    assert_eq!(src.body["entries"][1]["path"], "src/lib.rs");
    assert!(src.body["entries"][1]["modifiedMs"].as_f64().unwrap() > 0.0);
    let not_dir = s.d.call("files.tree", json!({"path": "main.rs"})).await;
    assert_eq!(not_dir.status, StatusCode::BAD_REQUEST);

    let found = s.d.call("files.find", json!({"query": "mainrs"})).await;
    let paths: Vec<&str> = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["main.rs"], "ignored target/ is not searched");
    let lib = s.d.call("files.find", json!({"query": "slb"})).await;
    assert_eq!(lib.body["items"][0]["path"], "src/lib.rs");
    assert_eq!(lib.body["items"][0]["positions"], json!([0, 4, 6]));

    let g =
        s.d.call("files.grep", json!({"pattern": r"fn\s+\w+\(", "limit": 10}))
            .await;
    assert_eq!(g.status, StatusCode::OK, "{:?}", g.body);
    let hits: Vec<(String, u64)> = g.body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_string(),
                m["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [("main.rs".to_string(), 1), ("src/lib.rs".to_string(), 1)]
    );
    assert_eq!(g.body["matches"][1]["text"], "pub fn add(a: i32) -> i32 {");
    let bad = s.d.call("files.grep", json!({"pattern": "fn ("})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["message"]
        .as_str()
        .unwrap()
        .contains("regular expression"));
    let ci =
        s.d.call(
            "files.grep",
            json!({"pattern": "PUB FN", "caseInsensitive": true, "path": "src"}),
        )
        .await;
    assert_eq!(ci.body["matches"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn create_rename_delete_record_activity_and_events() {
    let s = setup().await;
    let (_, mut rx) = s.d.core.bus().subscribe(None);
    let dir =
        s.d.call("files.create", json!({"path": "docs", "kind": "dir"}))
            .await;
    assert_eq!(dir.status, StatusCode::OK, "{:?}", dir.body);
    assert_eq!(dir.body["kind"], "dir");
    let f =
        s.d.call(
            "files.create",
            json!({"path": "docs/a.md", "content": "# A\n"}),
        )
        .await;
    assert_eq!(f.body["kind"], "file");
    let dup = s.d.call("files.create", json!({"path": "docs/a.md"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let taken =
        s.d.call(
            "files.rename",
            json!({"from": "docs/a.md", "to": "main.rs"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let mv =
        s.d.call(
            "files.rename",
            json!({"from": "docs/a.md", "to": "docs/b.md"}),
        )
        .await;
    assert_eq!(mv.status, StatusCode::OK);
    assert_eq!(mv.body["path"], "docs/b.md");
    let full = s.d.call("files.delete", json!({"path": "docs"})).await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(full.body["message"].as_str().unwrap().contains("recursive"));
    let gone =
        s.d.call("files.delete", json!({"path": "docs", "recursive": true}))
            .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body, json!({"path": "docs", "kind": "dir"}));
    assert!(!s.repo.join("docs").exists());
    assert_eq!(
        s.d.count("SELECT COUNT(*) FROM activity WHERE operation LIKE 'files.%'"),
        4
    );
    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if e.kind.starts_with("files.") && e.kind != "files.changed" {
            kinds.push(e.kind.clone());
        }
    }
    assert_eq!(
        kinds,
        [
            "files.created",
            "files.created",
            "files.renamed",
            "files.deleted"
        ]
    );
}

async fn next_change(
    rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<Event>>,
    path: &str,
) -> std::sync::Arc<Event> {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(e)
                    if e.kind == "files.changed"
                        && e.data["paths"]
                            .as_array()
                            .is_some_and(|p| p.iter().any(|x| x == path)) =>
                {
                    return e
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("no files.changed event for {path}"))
}

#[tokio::test]
async fn the_watcher_reports_changes_made_on_disk() {
    let s = setup().await;
    std::fs::write(s.repo.join(".gitignore"), "*.log\n").unwrap();
    let (_, mut rx) = s.d.core.bus().subscribe(None);
    // The first files call starts the app's watcher.
    assert_eq!(
        s.d.call("files.tree", json!({})).await.status,
        StatusCode::OK
    );
    std::fs::write(s.repo.join("noise.log"), "x").unwrap();
    std::fs::write(s.repo.join("README.md"), "# Shop\n").unwrap();
    let e = next_change(&mut rx, "README.md").await;
    let app_id = s.d.call("apps.list", json!({})).await.body[0]["id"].clone();
    assert_eq!(e.app_id.as_deref(), app_id.as_str());
    assert_eq!(e.data["appId"], app_id);
    let paths = e.data["paths"].as_array().unwrap();
    assert_eq!(paths.len(), e.data["kinds"].as_array().unwrap().len());
    assert!(!paths.iter().any(|p| p == "noise.log"), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.as_str().unwrap().starts_with(".git")),
        "{paths:?}"
    );
    std::fs::remove_file(s.repo.join("README.md")).unwrap();
    let removed = next_change(&mut rx, "README.md").await;
    let i = removed.data["paths"]
        .as_array()
        .unwrap()
        .iter()
        .position(|p| p == "README.md")
        .unwrap();
    assert_eq!(removed.data["kinds"][i], "removed");
}

/// Name search keeps the app's file list between calls; it must follow every change: ones made
/// on disk (once the watcher reported them) and ones made through Refine (at once).
#[tokio::test]
async fn name_search_follows_changes_on_disk_and_through_refine() {
    let s = setup().await;
    let (_, mut rx) = s.d.core.bus().subscribe(None);
    let paths = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["path"].as_str().unwrap().to_string())
            .collect()
    };
    let first = s.d.call("files.find", json!({"query": "zebra"})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert!(paths(&first.body).is_empty());

    std::fs::create_dir_all(s.repo.join("docs")).unwrap();
    std::fs::write(s.repo.join("docs/zebra.md"), "z").unwrap();
    next_change(&mut rx, "docs/zebra.md").await;
    let found = s.d.call("files.find", json!({"query": "zebra"})).await;
    assert_eq!(paths(&found.body), ["docs/zebra.md"]);

    let created =
        s.d.call(
            "files.create",
            json!({"path": "zebra2.txt", "content": "z"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let both = s.d.call("files.find", json!({"query": "zebra"})).await;
    let mut got = paths(&both.body);
    got.sort();
    assert_eq!(
        got,
        ["docs/zebra.md", "zebra2.txt"],
        "no wait for the watcher"
    );

    std::fs::remove_file(s.repo.join("docs/zebra.md")).unwrap();
    next_change(&mut rx, "docs/zebra.md").await;
    let left = s.d.call("files.find", json!({"query": "zebra"})).await;
    assert_eq!(paths(&left.body), ["zebra2.txt"]);
}

/// The symlink-swap race: while a thread keeps replacing `swap/` between a real directory and a
/// link to the outside, reads and writes of `swap/secret.txt` never reach the outside file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_swapped_in_mid_request_never_escapes() {
    let s = setup().await;
    let swap = s.repo.join("swap");
    let outside = s.outside.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (swap, outside, stop) = (swap.clone(), outside.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut flips = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = std::fs::remove_dir_all(&swap).or_else(|_| std::fs::remove_file(&swap));
                if flips.is_multiple_of(2) {
                    let _ = std::fs::create_dir(&swap);
                    let _ = std::fs::write(swap.join("secret.txt"), "inside");
                } else {
                    let _ = symlink(&outside, &swap);
                }
                flips += 1;
            }
            flips
        })
    };
    for i in 0..200 {
        let r =
            s.d.call("files.read", json!({"path": "swap/secret.txt"}))
                .await;
        if r.status == StatusCode::OK {
            assert_ne!(
                r.body["content"], "sentinel",
                "a read went outside the root"
            );
        }
        let _ =
            s.d.call(
                "files.write",
                json!({"path": "swap/secret.txt", "content": format!("w{i}")}),
            )
            .await;
        let _ =
            s.d.call("files.delete", json!({"path": "swap/secret.txt"}))
                .await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let flips = swapper.join().unwrap();
    assert!(flips > 10, "the swapper ran ({flips} flips)");
    sentinel_intact(&outside);
}
