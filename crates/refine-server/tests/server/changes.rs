//! changes over HTTP: status, diff (rename, binary, untracked), log, commit, revert, churn, and
//! hostile refs and paths.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{git, git_repo, TestDaemon};

#[tokio::test]
async fn status_diff_commit_revert_and_churn() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    git(&repo, &["config", "user.email", "t@example.com"]);
    git(&repo, &["config", "user.name", "T"]);
    d.call("apps.add", json!({"path": repo})).await;

    std::fs::write(repo.join("logo.png"), [137u8, 80, 78, 71, 0, 0, 1]).unwrap();
    git(&repo, &["add", "logo.png"]);
    git(&repo, &["commit", "-qm", "add logo"]);
    git(&repo, &["mv", "main.rs", "app.rs"]);
    std::fs::write(repo.join("logo.png"), [137u8, 80, 78, 71, 0, 9, 9]).unwrap();
    std::fs::write(repo.join("notes.txt"), "remember\n").unwrap();

    let st = d.call("changes.status", json!({})).await.body;
    assert_eq!(st["branch"], "main");
    assert_eq!(
        (
            st["staged"].as_u64(),
            st["unstaged"].as_u64(),
            st["untracked"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{st}"
    );
    let diff = d.call("changes.diff", json!({})).await.body;
    let file = |p: &str| {
        diff["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("{p} in {diff}"))
    };
    assert_eq!(file("app.rs")["status"], "renamed");
    assert_eq!(file("app.rs")["oldPath"], "main.rs");
    assert_eq!(file("logo.png")["binary"], true);
    assert_eq!(file("logo.png")["patch"], "");
    assert_eq!(file("notes.txt")["status"], "added");
    let staged = d
        .call("changes.diff", json!({"scope": "staged"}))
        .await
        .body;
    assert_eq!(staged["filesChanged"], 1);

    let c = d
        .call("changes.commit", json!({"message": "rename main"}))
        .await;
    assert_eq!(c.status, StatusCode::OK, "{:?}", c.body);
    assert_eq!(c.body["subject"], "rename main");
    let none = d
        .call("changes.commit", json!({"message": "nothing staged"}))
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let staged = d
        .call("changes.stage", json!({"paths": ["notes.txt"]}))
        .await
        .body;
    assert_eq!(staged["staged"], 1);
    let unstaged = d
        .call("changes.unstage", json!({"paths": ["notes.txt"]}))
        .await
        .body;
    assert_eq!(unstaged["staged"], 0);

    let log = d.call("changes.log", json!({"limit": 2})).await.body;
    assert_eq!(log["commits"][0]["subject"], "rename main");
    assert_eq!(log["nextSkip"], 2);
    let between = d
        .call("changes.diff", json!({"from": "HEAD~1", "to": "HEAD"}))
        .await
        .body;
    assert_eq!(between["files"][0]["status"], "renamed");
    let rev = d
        .call("changes.revert", json!({"sha": c.body["sha"]}))
        .await;
    assert_eq!(rev.status, StatusCode::OK, "{:?}", rev.body);
    assert!(repo.join("main.rs").exists() && !repo.join("app.rs").exists());
    let churn = d.call("changes.churn", json!({"days": 7})).await.body;
    assert_eq!(churn["days"].as_array().unwrap().len(), 7);
    assert_eq!(churn["days"][6]["commits"], 4, "{churn}");
    let refs = d.call("changes.refs", json!({})).await.body;
    assert_eq!(refs["branches"][0]["name"], "main");
    assert_eq!(refs["branches"][0]["current"], true);
    let activity = d
        .call("activity.list", json!({"operation": "changes"}))
        .await
        .body;
    assert_eq!(
        activity["items"].as_array().unwrap().len(),
        4,
        "commit, stage, unstage, revert are audited"
    );
}

#[tokio::test]
async fn hostile_refs_and_paths_are_refused() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    d.call("apps.add", json!({"path": repo})).await;
    let sentinel = d.dir.path().join("pwned");
    for r in [
        "--upload-pack=touch pwned",
        "--output=/tmp/x",
        "HEAD;touch pwned",
        "$(touch pwned)",
        "a..b",
        "-n",
    ] {
        let a = d.call("changes.log", json!({"ref": r})).await;
        assert!(a.status.is_client_error(), "ref {r}: {}", a.status);
        let a = d
            .call("changes.diff", json!({"from": r, "to": "HEAD"}))
            .await;
        assert!(a.status.is_client_error(), "diff from {r}: {}", a.status);
        let a = d.call("changes.revert", json!({"sha": r})).await;
        assert!(a.status.is_client_error(), "revert {r}: {}", a.status);
    }
    for p in ["../outside", "/etc/passwd", ".git/config", "a/../../b"] {
        let a = d.call("changes.stage", json!({"paths": [p]})).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "path {p}");
    }
    // Shell-looking names are plain paths to git: nothing runs.
    let a = d
        .call(
            "changes.stage",
            json!({"paths": [";touch pwned", "$(touch pwned)"]}),
        )
        .await;
    assert!(a.status.is_client_error(), "{:?}", a.body);
    let a = d
        .call(
            "changes.log",
            json!({"author": "x --exec=touch pwned", "grep": "$(touch pwned)"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        !sentinel.exists() && !repo.join("pwned").exists(),
        "no command ran"
    );
}
