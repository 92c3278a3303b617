//! Best-of-N with the scripted agent: a Round implements three candidates side by side, each in
//! its own worktree and branch, each through quality and governance; the one that fails its check
//! is evidence, a person picks one that passed (in the shell), approving merges exactly that one,
//! the others' branches stay until a cleanup removes them. N outside 1–5 is refused and stored
//! nowhere; a Round whose candidates all fail fails the Goal, saying why for each.

use refine_e2e::{git, text};
use serde_json::{json, Value};

use super::agents::{create, goal, setup, wait_status};

fn work(h: &refine_e2e::Http, id: &str) -> Value {
    h.ok("runner.rounds", json!({"goalId": id}))[0].clone()
}

fn branches(repo: &std::path::Path) -> String {
    git(repo, &["branch", "--list", "--format=%(refname:short)"])
}

#[test]
fn best_of_three_with_one_failing_candidate_is_picked_merged_and_cleaned_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, repo, h) = setup(tmp.path(), json!({}));

    // More than five candidates (or none) is refused, and nothing is stored.
    let before = h.ok("goals.list", json!({}))["total"].clone();
    for n in [0, 6, 50] {
        let r = h.call(
            "goals.create",
            json!({"title": "Too many", "candidates": n, "status": "todo"}),
        );
        assert_eq!(r.status, 400, "{n}: {}", r.body);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("between 1 and 5"),
            "{}",
            r.body
        );
    }
    assert_eq!(h.ok("goals.list", json!({}))["total"], before);
    let s = h.ok("settings.get", json!({}));
    let r = h.call(
        "settings.update",
        json!({"scope": "app", "revision": s["app"]["revision"], "patch": {"runner": {"candidates": 6}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("runner.candidates"));

    // The app's default: three candidates per Round.
    let s = h.ok("settings.get", json!({}));
    h.ok(
        "settings.update",
        json!({"scope": "app", "revision": s["app"]["revision"], "patch": {"runner": {"candidates": 3}}}),
    );
    let id = create(
        &h,
        "Greet in three ways",
        "implement: write greeting.txt hello\\n\n\
         candidate 2 implement: write broken.txt oops\\n\n\
         candidate 3 implement: write extra.txt more\\n\n\
         quality: test 1 test -f greeting.txt && test ! -f broken.txt",
    );
    let g = wait_status(&h, &id, "review", 120);
    let n = g["number"].as_u64().unwrap();
    let round = work(&h, &id);
    let w = &round["work"];
    let cands = w["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 3, "{w}");
    let status: Vec<&str> = cands
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["passed", "failed", "passed"], "{w}");
    assert!(
        cands[1]["failure"].as_str().unwrap().contains("quality"),
        "{}",
        cands[1]
    );
    assert_eq!(cands[1]["quality"][0]["passed"], false);
    // Each has its own branch and commit from the same base; the diffs differ.
    let prefix = format!("refine/{n}/round-1");
    assert_eq!(cands[0]["branch"], prefix.as_str());
    assert_eq!(cands[1]["branch"], format!("{prefix}-c2").as_str());
    assert_eq!(cands[2]["branch"], format!("{prefix}-c3").as_str());
    let commits: Vec<&str> = cands
        .iter()
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    assert!(commits[0] != commits[1] && commits[1] != commits[2]);
    for c in cands {
        let parent = git(
            &repo,
            &["rev-parse", &format!("{}^", c["commit"].as_str().unwrap())],
        );
        assert_eq!(Some(parent.as_str()), w["baseCommit"].as_str());
        assert!(
            c["governance"].is_object() || c["status"] == "failed",
            "{c}"
        );
    }
    assert_eq!(cands[0]["filesChanged"], 1);
    assert_eq!(cands[2]["filesChanged"], 2);
    // The agent ran once per candidate for each phase, each run recorded with its candidate.
    let runs = round["runs"].as_array().unwrap();
    for k in 1..=3 {
        assert!(
            runs.iter()
                .any(|r| r["phase"] == "implement" && r["candidate"] == k),
            "no implement run of candidate {k}: {runs:?}"
        );
        assert_eq!(
            cands[k - 1]["runIds"].as_array().unwrap().len(),
            runs.iter().filter(|r| r["candidate"] == k).count()
        );
    }
    assert!(w["candidateCommit"].is_null() && w["picked"].is_null());

    // Nothing that needs one candidate works before a pick.
    for (op, input) in [
        ("workflow.approve", json!({"goalId": id})),
        (
            "review.comments.add",
            json!({"goalId": id, "body": "which?"}),
        ),
        ("review.cleanup_candidates", json!({"id": id})),
    ] {
        let r = h.call(op, input);
        assert_eq!(r.status, 409, "{op}: {}", r.body);
    }
    assert_eq!(goal(&h, &id)["status"], "review");
    let r = h.call("review.pick", json!({"goalId": id, "candidate": 2}));
    assert_eq!(r.status, 409, "a failed candidate: {}", r.body);
    let r = h.call("review.pick", json!({"goalId": id, "candidate": 7}));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("1–3"));

    // Side by side in the shell, then pick candidate 3 and approve it.
    let o = d.sh(&format!("refine review candidates {n}"), tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("3 candidates"), "{out}");
    assert!(out.contains("failed") && out.contains("passed"), "{out}");
    assert!(out.contains(&format!("{prefix}-c3")), "{out}");
    assert!(out.contains("c2: quality"), "{out}");
    let o = d.sh(&format!("refine review pick {n} 3 --approve"), tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let g = wait_status(&h, &id, "done", 30);
    assert_eq!(g["status"], "done");
    let w = work(&h, &id)["work"].clone();
    assert_eq!(w["picked"], 3);
    assert_eq!(w["candidateCommit"].as_str(), Some(commits[2]));
    assert_eq!(w["branch"], format!("{prefix}-c3").as_str());
    assert!(w["integration"]["mergedAt"].is_string(), "{w}");
    // The target branch has exactly candidate 3's change.
    let tree = git(&repo, &["ls-tree", "--name-only", "HEAD"]);
    assert!(
        tree.contains("extra.txt") && tree.contains("greeting.txt"),
        "{tree}"
    );
    assert!(!tree.contains("broken.txt"), "{tree}");
    // The others are kept as evidence.
    let list = branches(&repo);
    assert!(
        list.contains(&prefix) && list.contains(&format!("{prefix}-c2")),
        "{list}"
    );

    // Cleanup removes the unpicked ones (branch and worktree); the record stays.
    let gone = h.ok("review.cleanup_candidates", json!({"id": id}));
    assert_eq!(gone["removed"], json!(["1.1", "1.2"]), "{gone}");
    let list = branches(&repo);
    assert!(
        !list
            .lines()
            .any(|l| l == prefix || l == format!("{prefix}-c2")),
        "{list}"
    );
    assert!(list.contains(&format!("{prefix}-c3")), "{list}");
    let w = work(&h, &id)["work"].clone();
    assert!(w["candidates"][0]["removedAt"].is_string());
    assert!(w["candidates"][2]["removedAt"].is_null());
    for c in w["candidates"].as_array().unwrap().iter().take(2) {
        assert!(!std::path::Path::new(c["worktree"].as_str().unwrap()).exists());
    }
    let r = h.call("review.cleanup_candidates", json!({"id": id}));
    assert_eq!(r.status, 409, "nothing left: {}", r.body);
}

#[test]
fn a_round_whose_candidates_all_fail_fails_the_goal_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, _repo, h) = setup(tmp.path(), json!({}));
    let prompt = "Nothing works.\n\n```refine-script\nimplement: write a.txt a\\n\nquality: test 1 false\n```\n";
    let g = h.ok(
        "goals.create",
        json!({"title": "Doomed", "prompt": prompt, "status": "todo", "candidates": 2}),
    );
    assert_eq!(g["candidates"], 2);
    let id = g["id"].as_str().unwrap().to_string();
    let g = wait_status(&h, &id, "failed", 120);
    let w = work(&h, &id)["work"].clone();
    assert_eq!(w["candidates"].as_array().unwrap().len(), 2);
    let why = g["rounds"][0]["outcome"].as_str().unwrap_or_default();
    assert!(why.contains("none of the 2 candidates passed"), "{why}");
    assert!(why.contains("c1") && why.contains("c2"), "{why}");
}

/// "No worktree" mode: Goals run in the app's own checkout, one at a time, each on its branch;
/// the next starts once the one in review is decided; a checkout with someone's uncommitted work
/// is left alone until it is clean; best-of-N makes one candidate there.
#[test]
fn no_worktree_mode_runs_goals_one_at_a_time_in_the_apps_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, repo, h) = setup(tmp.path(), json!({}));
    let s = h.ok("settings.get", json!({}));
    let r = h.call(
        "settings.update",
        json!({"scope": "app", "revision": s["app"]["revision"], "patch": {"worktree": {"mode": "elsewhere"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    h.ok(
        "settings.update",
        json!({"scope": "app", "revision": s["app"]["revision"], "patch": {"worktree": {"mode": "checkout"}}}),
    );
    let a = create(
        &h,
        "Add a",
        "implement: write a.txt a\\n\nround 2 implement: append a.txt again\\n\nquality: test 1 test -f a.txt",
    );
    let b = create(
        &h,
        "Add b",
        "implement: write b.txt b\\n\nquality: test 1 test -f a.txt && test -f b.txt",
    );
    let ga = wait_status(&h, &a, "review", 90);
    let n = ga["number"].as_u64().unwrap();
    let w = work(&h, &a)["work"].clone();
    assert_eq!(w["inCheckout"], true, "{w}");
    let root = std::fs::canonicalize(&repo).unwrap();
    assert_eq!(
        std::fs::canonicalize(w["worktree"].as_str().unwrap()).unwrap(),
        root
    );
    assert_eq!(
        git(&repo, &["symbolic-ref", "--short", "HEAD"]),
        format!("refine/{n}/round-1")
    );
    assert!(
        repo.join("a.txt").exists(),
        "the agent worked in the checkout"
    );
    assert!(
        !tmp.path().join("data/worktrees").exists(),
        "no worktree was made"
    );
    // One at a time: b waits while a is in review.
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(1200));
        assert_eq!(
            goal(&h, &b)["status"],
            "todo",
            "b started while a was in review"
        );
    }

    // The person looks at main meanwhile and leaves a file: changes can't be requested (the
    // file would go into the candidate); once it is gone, Round 2 runs in the checkout again.
    git(&repo, &["checkout", "-q", "main"]);
    std::fs::write(repo.join("notes.txt"), "mine\n").unwrap();
    let r = h.call(
        "review.request_changes",
        json!({"goalId": a, "message": "say it again"}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("uncommitted"),
        "{}",
        r.body
    );
    std::fs::remove_file(repo.join("notes.txt")).unwrap();
    h.ok(
        "review.request_changes",
        json!({"goalId": a, "message": "say it again"}),
    );
    let ga = wait_status(&h, &a, "review", 90);
    assert_eq!(ga["rounds"].as_array().unwrap().len(), 2);
    let all = h.ok("runner.rounds", json!({"goalId": a}));
    let w2 = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == 2)
        .unwrap()["work"]
        .clone();
    assert_eq!(w2["inCheckout"], true, "{w2}");
    assert!(
        repo.join(".git").is_dir(),
        "the checkout is still a repository"
    );
    assert_eq!(
        git(&repo, &["symbolic-ref", "--short", "HEAD"]),
        format!("refine/{n}/round-1")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("a.txt")).unwrap(),
        "a\nagain\n"
    );

    // Approved: the checkout is back on main with a merged; then b runs on top of it.
    h.ok("workflow.approve", json!({"goalId": a}));
    assert_eq!(git(&repo, &["symbolic-ref", "--short", "HEAD"]), "main");
    assert!(repo.join("a.txt").exists());
    wait_status(&h, &b, "review", 90);
    let wb = work(&h, &b)["work"].clone();
    assert_eq!(wb["quality"][0]["passed"], true, "b saw a's change: {wb}");
    h.ok("workflow.approve", json!({"goalId": b}));

    // Someone's uncommitted file keeps the next Goal out of the checkout, untouched.
    std::fs::write(repo.join("mine.txt"), "my work\n").unwrap();
    let c = h.ok(
        "goals.create",
        json!({"title": "Add c", "status": "todo", "candidates": 3,
               "prompt": "Add c.\n\n```refine-script\nimplement: write c.txt c\\n\nquality: test 1 test -f c.txt\n```\n"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_ne!(goal(&h, &c)["status"], "review");
    assert_eq!(git(&repo, &["symbolic-ref", "--short", "HEAD"]), "main");
    assert_eq!(
        std::fs::read_to_string(repo.join("mine.txt")).unwrap(),
        "my work\n"
    );
    assert!(!repo.join("c.txt").exists());
    let waiting = work(&h, &c)["work"]["waiting"].clone();
    assert!(
        waiting.as_str().unwrap_or_default().contains("uncommitted"),
        "the Goal says why it waits: {waiting}"
    );
    std::fs::remove_file(repo.join("mine.txt")).unwrap();
    wait_status(&h, &c, "review", 120);
    let wc = work(&h, &c)["work"].clone();
    assert!(
        wc["candidates"].as_array().unwrap().is_empty(),
        "one checkout, one candidate: {wc}"
    );
    assert!(wc["candidateCommit"].is_string());
}
