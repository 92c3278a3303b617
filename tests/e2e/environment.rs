//! The worktree environment with the scripted agent: the app's git-ignored files are copied and
//! linked into each new worktree and its setup commands run there before the agent starts
//! (recorded with the Round, the quality check sees them); a failing setup fails the Round with
//! its output as evidence; when the Goal is done, its teardown commands run and the worktree is
//! removed (the branch stays). Paths that would leave the app root are refused and stored nowhere.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use refine_e2e::git;
use serde_json::{json, Value};

use super::agents::{create, setup, wait_status};

fn rounds(h: &refine_e2e::Http, id: &str) -> Value {
    h.ok("runner.rounds", json!({"goalId": id}))
}

fn app_settings(h: &refine_e2e::Http, patch: Value) -> refine_e2e::Resp {
    let s = h.ok("settings.get", json!({}));
    let revision = s["app"]["revision"].as_u64().unwrap_or(0);
    h.call(
        "settings.update",
        json!({"scope": "app", "revision": revision, "patch": patch}),
    )
}

#[test]
fn setup_copies_links_and_teardown_shape_each_worktree() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, repo, h) = setup(tmp.path(), json!({}));
    std::fs::write(
        repo.join(".gitignore"),
        ".env\nconfig/local.yml\n*.out\nbig/\n",
    )
    .unwrap();
    git(&repo, &["add", ".gitignore"]);
    git(
        &repo,
        &[
            "-c",
            "user.email=t@e",
            "-c",
            "user.name=T",
            "commit",
            "-qm",
            "ignore",
        ],
    );
    std::fs::write(repo.join(".env"), "TOKEN=local-secret\n").unwrap();
    std::fs::create_dir_all(repo.join("config")).unwrap();
    std::fs::write(repo.join("config/local.yml"), "db: local\n").unwrap();
    std::fs::create_dir_all(repo.join("big")).unwrap();
    std::fs::write(repo.join("big/data.txt"), "lots\n").unwrap();

    // Paths that leave the app root, or are not paths, are refused and nothing is stored.
    let before = h.ok("settings.get", json!({}));
    for patch in [
        json!({"worktree": {"copy": ["../outside"]}}),
        json!({"worktree": {"link": ["/etc"]}}),
        json!({"worktree": {"copy": ["config/../../x"]}}),
        json!({"worktree": {"copy": [".git/config"]}}),
        json!({"worktree": {"setup": ["  "]}}),
    ] {
        let r = app_settings(&h, patch.clone());
        assert_eq!(r.status, 400, "{patch}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains("worktree."),
            "{}",
            r.body
        );
    }
    assert_eq!(h.ok("settings.get", json!({}))["app"], before["app"]);

    let r = app_settings(
        &h,
        json!({"worktree": {
            "copy": [".env", "config/local.yml", "package.json", "missing.txt"],
            "link": ["big"],
            "setup": ["echo prepared > setup.out && cat .env"],
            "teardown": ["echo tearing down in $(basename $PWD)"]
        }}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let id = create(
        &h,
        "Use the local config",
        "implement: write feature.txt on\\n\nquality: test 1 test -f .env && test -f setup.out && test -L big",
    );
    wait_status(&h, &id, "review", 90);
    let w = rounds(&h, &id)[0]["work"].clone();
    let env = w["environment"].as_array().unwrap();
    let find = |kind: &str, what: &str| -> Value {
        env.iter()
            .find(|s| s["kind"] == kind && s["what"] == what)
            .unwrap_or_else(|| panic!("no {kind} {what} in {env:?}"))
            .clone()
    };
    assert_eq!(find("copy", ".env")["passed"], true);
    assert_eq!(find("copy", "config/local.yml")["passed"], true);
    let tracked = find("copy", "package.json");
    assert_eq!(tracked["passed"], false);
    assert!(tracked["logExcerpt"]
        .as_str()
        .unwrap()
        .contains("not ignored"));
    assert!(find("copy", "missing.txt")["logExcerpt"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    assert_eq!(find("link", "big")["passed"], true);
    let s = find("setup", "echo prepared > setup.out && cat .env");
    assert_eq!(s["exitCode"], 0);
    assert!(
        s["logExcerpt"]
            .as_str()
            .unwrap()
            .contains("TOKEN=local-secret"),
        "{s}"
    );
    assert!(s["processId"].is_string());
    // The quality check ran in the prepared worktree and passed.
    assert_eq!(w["quality"][0]["passed"], true, "{}", w["quality"]);
    let worktree = PathBuf::from(w["worktree"].as_str().unwrap());
    assert_eq!(
        std::fs::read_to_string(worktree.join("config/local.yml")).unwrap(),
        "db: local\n"
    );
    assert!(std::fs::symlink_metadata(worktree.join("big"))
        .unwrap()
        .file_type()
        .is_symlink());
    // What was copied in never lands in the candidate.
    let cand = w["candidateCommit"].as_str().unwrap();
    let files = git(&repo, &["show", "--name-only", "--format=", cand]);
    assert_eq!(files, "feature.txt", "{files}");

    // "Evaluate now" checks a fresh checkout, prepared the same way: the check passes there too.
    let ev = h.ok("quality.evaluate", json!({"goalId": id}));
    assert_eq!(ev["passed"], true, "{ev}");

    // Done: the teardown runs in the worktree, which is then removed; the branch stays.
    let a = h.call("workflow.approve", json!({"goalId": id}));
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    let env = loop {
        let env = rounds(&h, &id)[0]["work"]["environment"].clone();
        if env
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "remove")
        {
            break env;
        }
        assert!(Instant::now() < deadline, "no teardown: {env}");
        std::thread::sleep(Duration::from_millis(150));
    };
    let t = env
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "teardown")
        .unwrap();
    assert_eq!(t["exitCode"], 0);
    assert!(
        t["logExcerpt"]
            .as_str()
            .unwrap()
            .contains("tearing down in"),
        "{t}"
    );
    assert!(!worktree.exists(), "the worktree is removed");
    git(
        &repo,
        &["rev-parse", "--verify", w["branch"].as_str().unwrap()],
    );
    assert!(
        repo.join(".env").exists(),
        "the app root keeps its own files"
    );

    // A failing setup fails the Round, with the command's output as evidence.
    let r = app_settings(
        &h,
        json!({"worktree": {"setup": ["echo cannot install; exit 3"]}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let bad = create(&h, "Needs a broken setup", "implement: write x.txt x\\n");
    let g = wait_status(&h, &bad, "failed", 90);
    let w = rounds(&h, &bad)[0]["work"].clone();
    assert!(
        w["fault"]
            .as_str()
            .unwrap()
            .contains("worktree setup failed"),
        "{w}"
    );
    let s = w["environment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "setup")
        .unwrap()
        .clone();
    assert_eq!(
        (s["exitCode"].clone(), s["passed"].clone()),
        (json!(3), json!(false))
    );
    assert!(s["logExcerpt"].as_str().unwrap().contains("cannot install"));
    assert!(
        g["rounds"][0]["outcome"]
            .as_str()
            .unwrap_or("")
            .contains("worktree setup failed"),
        "{}",
        g["rounds"]
    );
    assert!(w["candidateCommit"].is_null(), "the agent never ran: {w}");
}
