//! The automated workflow end to end with the scripted agent, in real Git repositories: a
//! Feature runs plan → implement → quality → governance → review by itself in order and merges
//! on approval; findings open Rounds within the retry budget; cancel stops the agent and keeps
//! the worktree; kill -9 mid-implement resumes with one candidate per Round; broken output gets
//! repair prompts, then a provider fault that leaves the budget intact. Plus the CLI.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use refine_e2e::{git, git_repo, text, Daemon, Http};
use serde_json::{json, Value};

/// A daemon with one app, the scripted agent as the default profile, a fast scheduler and one
/// plain-text test.
pub(crate) fn setup(tmp: &Path, runner: Value) -> (Daemon, PathBuf, Http) {
    let repo = git_repo(tmp, "shop");
    let d = Daemon::start(&tmp.join("data"));
    let h = d.client();
    h.ok("apps.add", json!({"path": repo}));
    let mut r = json!({"pollSeconds": 1, "maxConcurrentGoals": 4});
    if let (Some(r), Some(extra)) = (r.as_object_mut(), runner.as_object()) {
        r.extend(extra.clone());
    }
    h.ok(
        "settings.update",
        json!({"scope": "global", "revision": 0, "patch": {"agents": {"defaultProfile": "scripted"}, "runner": r}}),
    );
    h.ok(
        "quality.settings.update",
        json!({"revision": 0, "tests": ["the greeting file exists"], "instructions": ""}),
    );
    (d, repo, h)
}

pub(crate) fn goal(h: &Http, id: &str) -> Value {
    h.ok("goals.get", json!({"id": id}))
}

/// Wait until the Goal is in `status` (panics with its state after `secs`).
pub(crate) fn wait_status(h: &Http, id: &str, status: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let g = goal(h, id);
        if g["status"] == status {
            return g;
        }
        if Instant::now() > deadline {
            let rounds = h.ok("runner.rounds", json!({"goalId": id}));
            panic!(
                "Goal {} is {} (waited for {status}): {}\nrounds: {rounds}",
                g["number"], g["status"], g["rounds"]
            );
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

pub(crate) fn create(h: &Http, title: &str, script: &str) -> String {
    let prompt = format!("{title}.\n\n```refine-script\n{script}\n```\n");
    let g = h.ok(
        "goals.create",
        json!({"title": title, "prompt": prompt, "status": "todo"}),
    );
    g["id"].as_str().unwrap().to_string()
}

/// The order in which Goals entered each state, from the database.
fn transitions(data: &Path) -> Vec<(String, String)> {
    let c = refine_store::rusqlite::Connection::open(data.join("refine.db")).unwrap();
    let mut st = c
        .prepare("SELECT goal_id, to_status FROM goal_transitions ORDER BY seq")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_feature_imported_from_markdown_runs_to_review_in_order_and_merges_on_approval() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, repo, h) = setup(tmp.path(), json!({}));
    let md = "# Greetings\n\
- [ ] Add hello\n  Write the greeting.\n  ```refine-script\n  implement: write hello.txt hello\\n\n  quality: test 1 test -f hello.txt\n  ```\n\
- [ ] Add world\n  ```refine-script\n  implement: write world.txt world\\n\n  quality: test 1 test -f world.txt\n  ```\n\
- [ ] Add bang\n  ```refine-script\n  implement: write bang.txt !\\n\n  quality: test 1 test -f bang.txt\n  ```\n";
    let imported = h.call(
        "import.commit",
        json!({"format": "markdown", "content": md}),
    );
    assert!(
        imported.status == 200 || imported.status == 202,
        "{}",
        imported.body
    );
    let list = |h: &Http| -> Vec<Value> {
        h.ok("goals.list", json!({"sort": "number"}))["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while list(&h).len() < 3 {
        assert!(Instant::now() < deadline, "the import did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut goals = list(&h);
    goals.sort_by_key(|g| g["number"].as_u64());
    let ids: Vec<String> = goals
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        wait_status(&h, id, "review", 90);
    }

    // Feature order: each Goal started only after the one before it reached review.
    let t = transitions(&d.data);
    let pos = |id: &str, to: &str| {
        t.iter()
            .position(|(g, s)| g == id && s == to)
            .unwrap_or_else(|| panic!("no transition of {id} to {to}"))
    };
    assert!(pos(&ids[0], "review") < pos(&ids[1], "plan"), "{t:?}");
    assert!(pos(&ids[1], "review") < pos(&ids[2], "plan"), "{t:?}");
    for id in &ids {
        for s in ["plan", "implement", "quality", "governance", "review"] {
            pos(id, s);
        }
    }

    // Evidence: plan, candidate on its own branch, quality per test, verdict, prepared merge.
    let rounds = h.ok("runner.rounds", json!({"goalId": ids[0]}));
    let w = &rounds[0]["work"];
    assert_eq!(w["branch"], "refine/1/round-1");
    assert_eq!(w["quality"][0]["command"], "test -f hello.txt");
    assert_eq!(w["quality"][0]["exitCode"], 0);
    assert_eq!(w["governance"]["passed"], true);
    assert!(w["integration"]["mergeCommit"].is_string());
    assert!(goal(&h, &ids[0])["rounds"][0]["plan"].is_string());
    let candidate = w["candidateCommit"].as_str().unwrap();
    assert_eq!(
        git(&repo, &["show", &format!("{candidate}:hello.txt")]),
        "hello"
    );
    assert!(
        !repo.join("hello.txt").exists(),
        "nothing lands before approval"
    );

    for id in &ids {
        let a = h.call("workflow.approve", json!({"goalId": id}));
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["to"], "done");
    }
    for f in ["hello.txt", "world.txt", "bang.txt"] {
        assert!(repo.join(f).exists(), "{f} is on main's checkout");
        git(&repo, &["cat-file", "-e", &format!("main:{f}")]);
    }
    let log = git(&repo, &["log", "--oneline", "main"]);
    assert_eq!(log.matches("Merge Goal #").count(), 3, "{log}");
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
}

#[test]
fn a_failing_check_opens_a_new_round_and_an_exhausted_budget_fails_the_goal() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, _repo, h) = setup(tmp.path(), json!({"retryBudget": 1}));
    let ok = create(
        &h,
        "Second time lucky",
        "implement: write hello.txt hi\\n\nround 1 quality: test 1 test -f missing.txt\nround 2 quality: test 1 test -f hello.txt",
    );
    let g = wait_status(&h, &ok, "review", 90);
    let rounds = g["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "{rounds:?}");
    assert!(rounds[0]["outcome"]
        .as_str()
        .unwrap()
        .starts_with("sent back by checks: quality"));
    assert!(rounds[1]["request"]
        .as_str()
        .unwrap()
        .contains("missing.txt"));
    let w = h.ok("runner.rounds", json!({"goalId": ok}));
    assert_eq!(w[0]["work"]["quality"][0]["passed"], false);
    assert_eq!(w[1]["work"]["quality"][0]["passed"], true);
    assert_ne!(w[0]["work"]["branch"], w[1]["work"]["branch"]);

    let never = create(
        &h,
        "Never passes",
        "implement: write x.txt x\\n\nquality: test 1 false",
    );
    let g = wait_status(&h, &never, "failed", 90);
    let rounds = g["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "the budget allowed one more Round");
    assert!(
        rounds[1]["outcome"]
            .as_str()
            .unwrap()
            .contains("retry budget"),
        "{rounds:?}"
    );
    let history = h.ok("quality.evaluations.list", json!({"goalId": never}));
    assert_eq!(
        history.as_array().map(|a| a.len()).unwrap_or(0),
        2,
        "{history}"
    );
}

#[test]
fn cancel_during_implement_stops_the_agent_and_keeps_the_worktree() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, repo, h) = setup(tmp.path(), json!({}));
    let id = create(
        &h,
        "Slow change",
        "implement: write slow.txt s\\n\nimplement: sleep 60",
    );
    wait_status(&h, &id, "implement", 60);
    // Wait until the agent process runs.
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        let st = h.ok("runner.status", json!({}));
        if let Some(p) = st["workers"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["goalId"] == id.as_str()))
            .and_then(|w| w["processId"].as_str())
        {
            let info = h.ok("processes.get", json!({"id": p}));
            if info["status"] == "running" {
                break info["pid"].as_i64().unwrap() as i32;
            }
        }
        assert!(Instant::now() < deadline, "no agent process");
        std::thread::sleep(Duration::from_millis(100));
    };
    let t = Instant::now();
    let c = h.call("workflow.cancel", json!({"goalId": id}));
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(c.body["to"], "cancelled");
    while unsafe { libc::kill(pid, 0) } == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the agent still runs after cancel"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let w = h.ok("runner.rounds", json!({"goalId": id}));
    let worktree = PathBuf::from(w[0]["work"]["worktree"].as_str().unwrap());
    assert!(
        worktree.join("slow.txt").exists(),
        "the worktree is kept as evidence"
    );
    assert_eq!(
        git(&repo, &["branch", "--list", "refine/1/round-1"]).trim_start_matches(['*', '+', ' ']),
        "refine/1/round-1"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(goal(&h, &id)["status"], "cancelled", "nothing moves it on");
    let runs = h.ok("agents.runs.list", json!({"goalId": id}));
    assert!(runs
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["phase"] == "implement" && r["status"] == "stopped"));
    drop(d);
}

#[test]
fn kill_9_during_implement_resumes_with_one_candidate_per_round_and_no_orphans() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut d, repo, h) = setup(tmp.path(), json!({}));
    let id = create(
        &h,
        "Survive a crash",
        "implement: write crash.txt c\\n\nimplement: sleep 3\nquality: test 1 test -f crash.txt",
    );
    wait_status(&h, &id, "implement", 60);
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        let runs = h.ok("agents.runs.list", json!({"goalId": id}));
        let running = runs.as_array().unwrap().iter().find(|r| {
            r["phase"] == "implement" && r["status"] == "running" && r["processId"].is_string()
        });
        if let Some(r) = running {
            let info = h.ok("processes.get", json!({"id": r["processId"]}));
            if let Some(p) = info["pid"].as_i64() {
                break p as i32;
            }
        }
        assert!(Instant::now() < deadline, "no agent process");
        std::thread::sleep(Duration::from_millis(50));
    };
    d.signal(libc::SIGKILL);
    let d2 = Daemon::start(&d.data);
    // The old agent is gone (PDEATHSIG, then start-up repair of its group).
    let t = Instant::now();
    while unsafe { libc::kill(pid, 0) } == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "orphaned agent {pid}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let h2 = d2.client();
    wait_status(&h2, &id, "review", 90);
    let w = h2.ok("runner.rounds", json!({"goalId": id}));
    assert_eq!(w.as_array().unwrap().len(), 1);
    let base = w[0]["work"]["baseCommit"].as_str().unwrap();
    let commits = git(&repo, &["rev-list", &format!("{base}..refine/1/round-1")]);
    assert_eq!(
        commits.lines().count(),
        1,
        "one candidate commit: {commits}"
    );
    let runs = h2.ok("agents.runs.list", json!({"goalId": id}));
    let statuses: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["phase"] == "implement")
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["lost", "done"], "{runs}");
    drop(d);
}

#[test]
fn broken_output_gets_repair_prompts_then_a_provider_fault_that_spares_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, _repo, h) = setup(tmp.path(), json!({"retryBudget": 1}));
    // Garbled once: the first repair prompt fixes it.
    let once = create(
        &h,
        "Mumbles once",
        "plan: garble 1\nplan: plan after repair\nimplement: write a.txt a\\n",
    );
    let g = wait_status(&h, &once, "review", 90);
    assert_eq!(g["rounds"][0]["plan"], "after repair");
    let runs = h.ok("agents.runs.list", json!({"goalId": once}));
    let plan: Vec<(u64, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["phase"] == "plan")
        .map(|r| {
            (
                r["attempt"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(plan, [(0, "invalid"), (1, "done")]);

    // Always garbled: two repairs, then a visible fault; the Goal fails without spending budget.
    let broken = create(&h, "Always mumbles", "implement: garble");
    let g = wait_status(&h, &broken, "failed", 90);
    let outcome = g["rounds"][0]["outcome"].as_str().unwrap();
    assert!(outcome.contains("provider fault"), "{outcome}");
    assert!(outcome.contains("after 2 repair prompts"), "{outcome}");
    let w = h.ok("runner.rounds", json!({"goalId": broken}));
    assert!(w[0]["work"]["fault"]
        .as_str()
        .unwrap()
        .contains("refine-result"));
    let runs = h.ok("agents.runs.list", json!({"goalId": broken}));
    let attempts: Vec<u64> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["phase"] == "implement")
        .map(|r| r["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, [0, 1, 2]);
    // The budget is intact: a retry gets the full budget again (a check finding may still
    // open a Round).
    let r = h.call("workflow.retry", json!({"goalId": broken}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!g["rounds"][0]["outcome"]
        .as_str()
        .unwrap()
        .starts_with("sent back by checks"));
}

#[test]
fn the_cli_lists_agents_and_drives_the_runner() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, _repo, h) = setup(tmp.path(), json!({}));
    let o = d.sh("refine agent list", tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("scripted") && out.contains("✔ installed"),
        "{out}"
    );
    assert!(
        out.contains("claude-code") && out.contains("not installed"),
        "{out}"
    );
    let o = d.sh(
        "refine agent set codex --env OPENAI_API_KEY=sk-secret-1 && refine agent profiles",
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("OPENAI_API_KEY=••••••"), "{out}");
    assert!(
        !out.contains("sk-secret-1"),
        "secrets are never shown: {out}"
    );
    let o = d.sh(
        "refine runner pause --reason 'lunch' && refine runner status",
        tmp.path(),
    );
    let out = text(&o);
    assert!(out.contains("Runner: paused"), "{out}");
    let id = create(&h, "Waits for resume", "implement: write w.txt w\\n");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(goal(&h, &id)["status"], "todo", "paused: nothing starts");
    let o = d.sh("refine runner resume", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    wait_status(&h, &id, "review", 90);
    let o = d.sh("refine agent runs 1", tmp.path());
    let out = text(&o);
    assert!(out.contains("implement") && out.contains("done"), "{out}");
    // A manual evaluation of the candidate, in a detached checkout of it.
    let o = d.sh("refine quality evaluate 1", tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("pass") && out.contains("the greeting file exists"),
        "{out}"
    );
    let history = h.ok("quality.evaluations.list", json!({"goalId": id}));
    let triggers: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["manual", "runner"], "newest first");
    let wt = d.data.join("evaluations");
    let left = std::fs::read_dir(&wt).map(|r| r.count()).unwrap_or(0);
    assert_eq!(left, 0, "the evaluation checkout is removed");
}

#[test]
fn goals_of_an_app_that_is_not_selected_run_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, repo, h) = setup(tmp.path(), json!({}));
    let apps = h.ok("apps.list", json!({}));
    let shop = apps[0]["id"].as_str().unwrap().to_string();
    let id = create(
        &h,
        "In the shop",
        "implement: write s.txt s\\n\nquality: test 1 test -f s.txt",
    );
    // Someone selects another app before the runner gets to the Goal.
    let other = git_repo(tmp.path(), "other");
    let o = h.ok("apps.add", json!({"path": other}));
    h.ok("apps.select", json!({"id": o["id"]}));
    // It runs to review while the other app stays selected (runner.rounds takes any Goal id).
    let deadline = Instant::now() + Duration::from_secs(90);
    let w = loop {
        let w = h.ok("runner.rounds", json!({"goalId": id}));
        if w[0]["work"]["integration"]["mergeCommit"].is_string() {
            break w;
        }
        assert!(Instant::now() < deadline, "no progress: {w}");
        std::thread::sleep(Duration::from_millis(150));
    };
    h.ok("apps.select", json!({"id": shop}));
    let g = wait_status(&h, &id, "review", 30);
    assert_eq!(g["appId"], shop.as_str());
    let candidate = w[0]["work"]["candidateCommit"].as_str().unwrap();
    assert_eq!(git(&repo, &["show", &format!("{candidate}:s.txt")]), "s");
}
