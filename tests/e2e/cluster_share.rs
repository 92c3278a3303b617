//! Shared work: three nodes, each with its own clone of one bare remote (so one app to the
//! cluster), joined through three real `nats-server` processes. Goals and Features made on any
//! node reach every node with one numbering; each Goal runs on exactly one node; a decision is
//! taken on the node that worked the Goal and its merge reaches the remote once; a node killed
//! mid-Goal has the Goal taken over, runs nothing again when it comes back, and a node frozen
//! past its lease lands nothing when it thaws.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use refine_e2e::nats::Nats;
use refine_e2e::{git, remote_with_clones, scripted_app, Daemon, Http};
use refine_store::rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

use super::cluster::{node, sees, short_ttl, until};

const NAMES: [&str; 3] = ["alpha", "beta", "gamma"];

/// A scripted Goal that sleeps `secs` while implementing, then writes its own file, which the
/// quality gate checks.
fn prompt(title: &str, file: &str, secs: u32) -> String {
    format!(
        "{title}.\n\n```refine-script\nimplement: sleep {secs}\nimplement: write {file} {title}\\n\nquality: test 1 test -f {file}\n```\n"
    )
}

fn db(data: &Path) -> Connection {
    Connection::open_with_flags(data.join("refine.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// How many rows of `sql` (one `?1` for the Goal id) each node's database holds.
fn count_each(datas: &[PathBuf], sql: &str, goal: &str) -> Vec<i64> {
    datas
        .iter()
        .map(|d| db(d).query_row(sql, [goal], |r| r.get(0)).unwrap())
        .collect()
}

const PLANS: &str = "SELECT COUNT(*) FROM agent_runs WHERE goal_id = ?1 AND phase = 'plan'";
const TO_REVIEW: &str =
    "SELECT COUNT(*) FROM goal_transitions WHERE goal_id = ?1 AND to_status = 'review'";

/// When the Goal first made a transition matching `cond`, on any node.
fn first_at(datas: &[PathBuf], goal: &str, cond: &str) -> String {
    datas
        .iter()
        .filter_map(|d| {
            db(d)
                .query_row(
                    &format!("SELECT MIN(at) FROM goal_transitions WHERE goal_id = ?1 AND {cond}"),
                    [goal],
                    |r| r.get::<_, Option<String>>(0),
                )
                .unwrap()
        })
        .min()
        .unwrap_or_else(|| panic!("Goal {goal} made no transition where {cond}"))
}

/// Every node's transitions of a Goal, for a failure's message.
fn history(datas: &[PathBuf], goal: &str) -> String {
    let mut out = String::new();
    for (i, d) in datas.iter().enumerate() {
        let c = db(d);
        let mut st = c
            .prepare("SELECT from_status, to_status, at, actor FROM goal_transitions WHERE goal_id = ?1 ORDER BY seq")
            .unwrap();
        let rows: Vec<String> = st
            .query_map([goal], |r| {
                Ok(format!(
                    "{:?}→{} at {} by {}",
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push_str(&format!("node {i} ({}): {}\n", NAMES[i], rows.join("; ")));
    }
    out
}

/// `id → (number, status, node)` as `h` sees the app's Goals.
fn goals(h: &Http) -> BTreeMap<String, (u64, String, String)> {
    h.ok("goals.list", json!({"limit": 500}))["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                (
                    g["number"].as_u64().unwrap(),
                    g["status"].as_str().unwrap().to_string(),
                    g["nodeId"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn node_id(h: &Http) -> String {
    h.ok("cluster.status", json!({}))["nodeId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Wait until `h` sees Goal `id` in `status` on a node other than `not` (any node when `None`).
fn wait_goal(h: &Http, id: &str, status: &str, not: Option<&str>, secs: u64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let g = h.ok("goals.get", json!({"id": id}));
        if g["status"] == status && not.is_none_or(|n| g["nodeId"] != n) {
            return g;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited {secs}s for Goal {id} {status} (not on {not:?}) at {}: it is {} on {} (updated {})",
            h.base,
            g["status"],
            g["nodeId"],
            g["updatedAt"]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Have node `name`'s scripted agent append each run to the shared log `log`.
fn log_runs(h: &Http, log: &Path, name: &str) {
    let all = h.ok("agents.profiles.list", json!({}));
    let mut p = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "scripted")
        .expect("the scripted profile")
        .clone();
    p["env"]["REFINE_SCRIPTED_RUN_LOG"] = json!(log);
    p["env"]["REFINE_SCRIPTED_NODE"] = json!(name);
    h.ok("agents.profiles.save", json!({ "profile": p }));
}

fn micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

/// Put what the test did to a node (`killed`, `frozen`, `thawed`, `restarted`) in the run log,
/// on the same clock as the runs.
fn mark(log: &Path, event: &str, node: &str) -> u64 {
    use std::io::Write;
    let at = micros();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    writeln!(f, "{}", json!({"event": event, "node": node, "at": at})).unwrap();
    at
}

/// One agent run as the shared log has it.
#[derive(Debug, Clone)]
struct LoggedRun {
    node: String,
    goal: u64,
    round: u64,
    phase: String,
    candidate: Value,
    start: u64,
    end: Option<u64>,
}

/// The runs in the log, and the marks (`(event, node, at)`).
fn read_log(log: &Path) -> (Vec<LoggedRun>, Vec<(String, String, u64)>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut runs: BTreeMap<String, LoggedRun> = BTreeMap::new();
    let mut marks = Vec::new();
    // A last line without its newline is still being written: not read yet.
    let whole = text.rfind('\n').map_or("", |i| &text[..i]);
    for line in whole.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let at = v["at"].as_u64().unwrap();
        let node = v["node"].as_str().unwrap().to_string();
        match v["event"].as_str().unwrap() {
            "start" => {
                runs.insert(
                    v["run"].as_str().unwrap().to_string(),
                    LoggedRun {
                        node,
                        goal: v["goal"].as_u64().unwrap_or(0),
                        round: v["round"].as_u64().unwrap(),
                        phase: v["phase"].as_str().unwrap().to_string(),
                        candidate: v["candidate"].clone(),
                        start: at,
                        end: None,
                    },
                );
            }
            "end" => {
                let run = v["run"].as_str().unwrap();
                runs.get_mut(run)
                    .unwrap_or_else(|| panic!("{run} ended unstarted"))
                    .end = Some(at);
            }
            other => marks.push((other.to_string(), node, at)),
        }
    }
    (runs.into_values().collect(), marks)
}

/// When each run was active: from its start to its end, less the time its node was frozen; a
/// run with no end was ended by its node's kill (after its start); with neither it still runs.
fn active(run: &LoggedRun, marks: &[(String, String, u64)]) -> Vec<(u64, u64)> {
    let on_node = |what: &str| {
        marks
            .iter()
            .filter(|(e, n, at)| e == what && *n == run.node && *at >= run.start)
            .map(|(_, _, at)| *at)
            .min()
    };
    let end = run.end.or_else(|| on_node("killed")).unwrap_or(u64::MAX);
    let mut spans = vec![(run.start, end)];
    let frozen: Vec<(u64, u64)> = marks
        .iter()
        .filter(|(e, n, _)| e == "frozen" && *n == run.node)
        .map(|(_, _, from)| {
            let to = marks
                .iter()
                .filter(|(e, n, at)| e == "thawed" && *n == run.node && at > from)
                .map(|(_, _, at)| *at)
                .min()
                .unwrap_or(u64::MAX);
            (*from, to)
        })
        .collect();
    for (from, to) in frozen {
        spans = spans
            .into_iter()
            .flat_map(|(a, b)| {
                if to <= a || from >= b {
                    vec![(a, b)]
                } else {
                    [(a, from), (to, b)]
                        .into_iter()
                        .filter(|(x, y)| x < y)
                        .collect()
                }
            })
            .collect();
    }
    spans
}

/// No two runs of one Goal's Round and phase (and candidate) were active at the same time,
/// across the cluster. Returns the runs.
fn assert_no_overlap(log: &Path) -> Vec<LoggedRun> {
    let (runs, marks) = read_log(log);
    assert!(!runs.is_empty(), "the scripted agents logged no run");
    for (i, a) in runs.iter().enumerate() {
        for b in &runs[i + 1..] {
            if (a.goal, a.round, &a.phase, &a.candidate)
                != (b.goal, b.round, &b.phase, &b.candidate)
            {
                continue;
            }
            for (x0, x1) in active(a, &marks) {
                for (y0, y1) in active(b, &marks) {
                    assert!(
                        x1 <= y0 || y1 <= x0,
                        "two runs of Goal #{} round {} {} overlap: {a:?} and {b:?}\nmarks: {marks:?}",
                        a.goal,
                        a.round,
                        a.phase
                    );
                }
            }
        }
    }
    runs
}

/// The logged runs of Goal number `n` in `phase` (round 1).
fn logged(runs: &[LoggedRun], n: u64, phase: &str) -> Vec<LoggedRun> {
    runs.iter()
        .filter(|r| r.goal == n && r.round == 1 && r.phase == phase)
        .cloned()
        .collect()
}

/// The pids of a daemon's descendants (its agents and their commands).
fn descendants(pid: i32) -> Vec<i32> {
    let parent = |p: i32| -> Option<i32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        stat[stat.rfind(')')? + 2..]
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let all: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let mut out = vec![pid];
    let mut grew = true;
    while grew {
        grew = false;
        for &p in &all {
            if !out.contains(&p) && parent(p).is_some_and(|pp| out.contains(&pp)) {
                out.push(p);
                grew = true;
            }
        }
    }
    out.remove(0);
    out
}

/// Every node's agent run ids of a Goal (sorted), through its HTTP API (`runner.rounds`).
fn run_ids(h: &Http, goal: &str) -> Vec<String> {
    let rounds = h.ok("runner.rounds", json!({"goalId": goal}));
    let mut ids: Vec<String> = rounds
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["runs"].as_array().unwrap().iter())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn three_nodes_share_one_apps_work_run_each_goal_once_and_take_over_a_dead_nodes() {
    let _one = super::cluster::one_cluster_at_a_time();
    let mut tmp = tempfile::tempdir().unwrap();
    // REFINE_E2E_KEEP=1 keeps the nodes' data dirs (their logs) for a look after a failure.
    if std::env::var_os("REFINE_E2E_KEEP").is_some() {
        tmp.disable_cleanup(true);
        eprintln!("keeping {}", tmp.path().display());
    }
    let mut nats = Nats::start(tmp.path());

    // One remote, three clones of it.
    let (remote, clones) = remote_with_clones(tmp.path(), &NAMES);
    let mut daemons: Vec<Daemon> = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| node(tmp.path(), &nats, n, i))
        .collect();
    let datas: Vec<PathBuf> = daemons.iter().map(|d| d.data.clone()).collect();
    let hs: Vec<Http> = daemons.iter().map(Daemon::client).collect();
    for h in &hs {
        short_ttl(h);
    }
    for h in &hs {
        until("three nodes up", 30, || {
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "up")])
        });
    }
    let ids: Vec<String> = hs.iter().map(node_id).collect();
    // Every node's scripted agent logs its runs in one shared file.
    let log = tmp.path().join("runs.log");
    for ((h, clone), name) in hs.iter().zip(&clones).zip(NAMES) {
        scripted_app(h, clone, 2);
        log_runs(h, &log, name);
    }

    // Two Features made on alpha reach the others.
    let features: Vec<String> = ["Checkout", "Search"]
        .iter()
        .map(|n| {
            hs[0].ok("features.create", json!({"name": n}))["feature"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for h in &hs[1..] {
        until("the Features on every node", 30, || {
            let got = h.ok("features.list", json!({})).to_string();
            features
                .iter()
                .all(|f| got.contains(f.as_str()))
                .then(|| json!(true))
        });
    }

    // Twelve Goals in the two Features (in turn), made on all three nodes in turn.
    let mut made = Vec::new();
    for i in 0..12usize {
        let feature = &features[i % 2];
        let title = format!("Goal {i}");
        let g = hs[i % 3].ok(
            "goals.create",
            json!({"title": title, "prompt": prompt(&title, &format!("f{i}.txt"), 2), "status": "todo", "featureId": feature}),
        );
        let id = g["id"].as_str().unwrap().to_string();
        // The next one is made on the next node: once it has heard of this one (a Feature's
        // order is by position, which each node counts from the Goals it knows).
        until("the Goal on the next node", 30, || {
            (hs[(i + 1) % 3].call("goals.get", json!({"id": id})).status == 200)
                .then(|| json!(true))
        });
        made.push(id);
    }

    // Every node ends with all twelve in review, numbered 1..12 alike, worked across the nodes.
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    for h in &hs {
        loop {
            let gs = goals(h);
            if gs.len() == 12 && gs.values().all(|(_, s, _)| s == "review") {
                break;
            }
            if std::time::Instant::now() > deadline {
                let views: Vec<_> = hs.iter().map(goals).collect();
                let mut why = String::new();
                for id in &made {
                    why.push_str(&format!("{}\n", history(&datas, id)));
                }
                panic!("twelve Goals not in review: {views:#?}\n{why}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let views: Vec<_> = hs.iter().map(goals).collect();
    let numbers = |v: &BTreeMap<String, (u64, String, String)>| -> BTreeMap<String, u64> {
        v.iter().map(|(id, (n, _, _))| (id.clone(), *n)).collect()
    };
    assert_eq!(numbers(&views[0]), numbers(&views[1]));
    assert_eq!(numbers(&views[0]), numbers(&views[2]));
    let all: BTreeSet<u64> = views[0].values().map(|(n, _, _)| *n).collect();
    assert_eq!(all, (1..=12).collect(), "one numbering for the cluster");
    let workers: BTreeSet<&String> = views[0].values().map(|(_, _, w)| w).collect();
    assert_eq!(
        workers.len(),
        3,
        "the Goals were spread over the nodes: {views:?}"
    );
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0], views[2]);
    let runs = assert_no_overlap(&log);
    for id in &made {
        let n = views[0][id].0;
        assert_eq!(logged(&runs, n, "plan").len(), 1, "Goal #{n} planned once");
        // Its Round's evidence went out: every node shows the same runs, the plan among them.
        until("the same Round evidence on every node", 30, || {
            let each: Vec<Vec<String>> = hs.iter().map(|h| run_ids(h, id)).collect();
            (!each[0].is_empty() && each.iter().all(|e| *e == each[0])).then(|| json!(each))
        });
        let plans = count_each(&datas, PLANS, id);
        assert_eq!(plans, [1, 1, 1], "Goal {id}'s plan run on every node");
        let reviews = count_each(&datas, TO_REVIEW, id);
        assert_eq!(
            reviews.iter().sum::<i64>(),
            1,
            "one node moved {id} to review"
        );
        let worker = &views[0][id].2;
        let at = ids.iter().position(|n| n == worker).unwrap();
        assert_eq!(reviews[at], 1, "the node that worked {id} moved it");
    }

    // Each Goal's candidate is on the remote, on its Round's branch: one commit over main.
    let branches = git(
        &remote,
        &["for-each-ref", "--format=%(refname:short)", "refs/heads/"],
    );
    for (i, id) in made.iter().enumerate() {
        let n = views[0][id].0;
        let suffix = format!("/{n}/round-1");
        let on: Vec<&str> = branches.lines().filter(|b| b.ends_with(&suffix)).collect();
        assert_eq!(on.len(), 1, "Goal #{n}'s round 1 on the remote: {branches}");
        let count = git(
            &remote,
            &["rev-list", "--count", &format!("main..{}", on[0])],
        );
        assert_eq!(count, "1", "one candidate commit for Goal #{n}'s round 1");
        let file = git(&remote, &["show", &format!("{}:f{i}.txt", on[0])]);
        assert_eq!(file, format!("Goal {i}"));
    }

    // Feature order held across the nodes: each Goal started after the one before it in its
    // Feature reached review.
    for f in 0..2 {
        let chain: Vec<&String> = made.iter().skip(f).step_by(2).collect();
        for pair in chain.windows(2) {
            let reviewed = first_at(&datas, pair[0], "to_status = 'review'");
            let started = first_at(&datas, pair[1], "from_status = 'todo'");
            assert!(
                started >= reviewed,
                "{} started at {started}, before {} reached review at {reviewed}",
                pair[1],
                pair[0]
            );
        }
    }

    // A decision asked on any node is taken by the node that worked the Goal (in a shell, as a
    // person would); its merge reaches the remote once, and every node shows it done.
    let first = &made[6];
    let owner = ids.iter().position(|n| *n == views[0][first].2).unwrap();
    let other = (owner + 1) % 3;
    let n6 = views[0][first].0;
    let o = daemons[other].sh(&format!("refine goal approve {n6}"), tmp.path());
    assert!(o.status.success(), "{}", refine_e2e::text(&o));
    for h in &hs {
        wait_goal(h, first, "done", None, 60);
    }
    let merges = count_each(
        &datas,
        "SELECT COUNT(*) FROM goal_transitions WHERE goal_id = ?1 AND to_status = 'done'",
        first,
    );
    assert_eq!(merges[owner], 1, "the owner took the decision: {merges:?}");
    assert_eq!(merges.iter().sum::<i64>(), 1, "{merges:?}");
    // Cancel through another node's HTTP API: the answer is the owner's.
    let second = &made[9];
    let owner2 = ids.iter().position(|n| *n == views[0][second].2).unwrap();
    let r = hs[(owner2 + 2) % 3].call(
        "workflow.cancel",
        json!({"goalId": second, "reason": "not needed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["to"], "cancelled", "{}", r.body);
    for h in &hs {
        wait_goal(h, second, "cancelled", None, 60);
    }
    let remote_git = |args: &[&str]| git(&remote, args);
    assert_eq!(remote_git(&["show", "main:f6.txt"]), "Goal 6");
    let touching = remote_git(&["log", "--format=%H", "main", "--", "f6.txt"]);
    assert_eq!(touching.lines().count(), 1, "merged once: {touching}");

    // A node dies mid-Goal: another takes it over and finishes it.
    let long = hs[0].ok(
        "goals.create",
        json!({"title": "Long", "prompt": prompt("Long", "long.txt", 8), "status": "todo"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = wait_goal(&hs[0], &long, "implement", None, 60);
    let long_n = g["number"].as_u64().unwrap();
    let dead = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    // Its plan reached the others before it dies (the Round's evidence on the bus).
    let survivor = (dead + 1) % 3;
    // A run of the Round in `phase` whose status passes `settled`, on the survivor.
    let on_survivor = |what: &str, phase: &str, settled: fn(&Value) -> bool| {
        until(what, 30, || {
            let rounds = hs[survivor].ok("runner.rounds", json!({"goalId": long}));
            rounds[0]["runs"]
                .as_array()
                .is_some_and(|runs| {
                    runs.iter()
                        .any(|r| r["phase"] == phase && settled(&r["status"]))
                })
                .then(|| json!(true))
        })
    };
    on_survivor("the plan on another node", "plan", |s| s != "running");
    // Its implement agent has started (the Goal enters implement a little before: worktree,
    // lease renewal), and the run has reached the others (a run the node had not yet published
    // when it died is one the cluster never heard of); killed then, mid-implement.
    until("its implement agent running", 60, || {
        let (runs, _) = read_log(&log);
        logged(&runs, long_n, "implement")
            .iter()
            .any(|r| r.node == NAMES[dead] && r.end.is_none())
            .then(|| json!(true))
    });
    on_survivor("its implement run on another node", "implement", |s| {
        s == "running"
    });
    daemons[dead].signal(libc::SIGKILL);
    mark(&log, "killed", NAMES[dead]);
    // Killed mid-implement (its agent's sleep had not ended), else the rest proves nothing.
    let (runs, _) = read_log(&log);
    assert!(
        logged(&runs, long_n, "implement")
            .iter()
            .any(|r| r.node == NAMES[dead] && r.end.is_none()),
        "the node was killed during its implement: {:?}",
        logged(&runs, long_n, "implement")
    );
    let g = wait_goal(&hs[survivor], &long, "review", Some(&ids[dead]), 120);
    let taker = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    assert_ne!(taker, dead);
    let runs = assert_no_overlap(&log);
    // The taker went on from the pushed evidence: the plan was not made again, and the
    // implement it ran began after the killed node's ended.
    let plans = logged(&runs, long_n, "plan");
    assert_eq!(plans.len(), 1, "planned once across the cluster: {plans:?}");
    assert_eq!(plans[0].node, NAMES[dead]);
    let implements = logged(&runs, long_n, "implement");
    assert!(
        implements
            .iter()
            .any(|r| r.node == NAMES[taker] && r.end.is_some()),
        "{implements:?}"
    );
    // Its Round's evidence reads the same on the taker and the third node: the killed
    // node's runs (its implement settled as lost) and the taker's.
    let third = 3 - dead - taker;
    let evidence = until("the taken-over Round's evidence alike", 30, || {
        let (a, b) = (run_ids(&hs[taker], &long), run_ids(&hs[third], &long));
        // The work too: its candidate and checks, not only the runs.
        let work = |h: &Http| h.ok("runner.rounds", json!({"goalId": long}))[0]["work"].clone();
        let (wa, wb) = (work(&hs[taker]), work(&hs[third]));
        let settled = wb["candidateCommit"].is_string()
            && wb["quality"][0]["passed"] == true
            && wa["candidateCommit"] == wb["candidateCommit"];
        (a == b && settled).then(|| json!(a))
    });
    let rounds = hs[third].ok("runner.rounds", json!({"goalId": long}));
    let r1 = &rounds[0];
    assert!(r1["work"]["candidateCommit"].is_string(), "{r1}");
    assert!(
        r1["work"]["worktree"].is_null(),
        "no other node's path: {r1}"
    );
    assert_eq!(r1["work"]["quality"][0]["passed"], true, "{r1}");
    assert!(
        r1["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["phase"] == "implement" && r["status"] == "lost"),
        "the killed node's implement, settled: {r1}"
    );
    assert_eq!(
        evidence.as_array().unwrap().len(),
        r1["runs"].as_array().unwrap().len()
    );

    // Back again, it hears the Goal finished elsewhere and runs nothing of it.
    daemons[dead] = node(tmp.path(), &nats, NAMES[dead], dead);
    let back_at = mark(&log, "restarted", NAMES[dead]);
    let back = daemons[dead].client();
    short_ttl(&back);
    wait_goal(&back, &long, "review", Some(&ids[dead]), 60);
    std::thread::sleep(Duration::from_secs(4));
    let runs = assert_no_overlap(&log);
    let again: Vec<&LoggedRun> = runs
        .iter()
        .filter(|r| r.goal == long_n && r.node == NAMES[dead] && r.start > back_at)
        .collect();
    assert!(
        again.is_empty(),
        "the restarted node ran nothing of a Goal taken over: {again:?}"
    );
    // ...and now shows the same evidence as the others.
    until("the restarted node's evidence", 30, || {
        let (a, b) = (run_ids(&back, &long), run_ids(&hs[taker], &long));
        (a == b).then(|| json!(a))
    });
    assert_eq!(count_each(&datas, TO_REVIEW, &long).iter().sum::<i64>(), 1);
    let hs: Vec<Http> = daemons.iter().map(Daemon::client).collect();
    for h in &hs {
        until("three nodes up again", 30, || {
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "up")])
        });
    }

    // A node killed once it pushed its candidate (the Goal in quality): the node taking over
    // goes on from that candidate, with no implement run of its own.
    let resume = hs[0].ok(
        "goals.create",
        json!({"title": "Resume", "status": "todo", "prompt": "Resume.\n\n```refine-script\nimplement: write resume.txt Resume\\n\nquality: test 1 sleep 8 && test -f resume.txt\n```\n"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = wait_goal(&hs[0], &resume, "quality", None, 60);
    let gone = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    daemons[gone].signal(libc::SIGKILL);
    mark(&log, "killed", NAMES[gone]);
    let g = wait_goal(
        &hs[(gone + 1) % 3],
        &resume,
        "review",
        Some(&ids[gone]),
        120,
    );
    let taker = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    let resume_n = g["number"].as_u64().unwrap();
    let runs = assert_no_overlap(&log);
    let implements = logged(&runs, resume_n, "implement");
    assert_eq!(
        implements.len(),
        1,
        "the taker went on from the pushed candidate: {implements:?}"
    );
    assert_eq!(implements[0].node, NAMES[gone], "{implements:?}");
    assert_eq!(logged(&runs, resume_n, "plan").len(), 1);
    // The one implement run (the killed node's) is what the taker shows too.
    let on_taker = count_each(
        &datas[taker..=taker],
        "SELECT COUNT(*) FROM agent_runs WHERE goal_id = ?1 AND phase = 'implement'",
        &resume,
    );
    assert_eq!(on_taker, [1], "the killed node's implement run, replicated");
    daemons[gone] = node(tmp.path(), &nats, NAMES[gone], gone);
    short_ttl(&daemons[gone].client());
    let hs: Vec<Http> = daemons.iter().map(Daemon::client).collect();
    for h in &hs {
        until("three nodes up once more", 30, || {
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "up")])
        });
    }

    // A node frozen past its lease: the Goal is taken over; thawed, it lands nothing.
    let frozen_goal = hs[0].ok(
        "goals.create",
        json!({"title": "Frozen", "prompt": prompt("Frozen", "frozen.txt", 10), "status": "todo"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = wait_goal(&hs[0], &frozen_goal, "implement", None, 60);
    let frozen = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    let frozen_n = g["number"].as_u64().unwrap();
    // Its implement agent has started (a run it logs after the thaw is then a new one).
    until("the frozen node's implement started", 30, || {
        let (runs, _) = read_log(&log);
        logged(&runs, frozen_n, "implement")
            .iter()
            .any(|r| r.node == NAMES[frozen])
            .then(|| json!(true))
    });
    // The whole node is suspended, as a machine going to sleep: the daemon, then its agents.
    let pid = daemons[frozen].pid();
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
    }
    let children = descendants(pid);
    for &c in &children {
        unsafe {
            libc::kill(c, libc::SIGSTOP);
        }
    }
    mark(&log, "frozen", NAMES[frozen]);
    let awake = (frozen + 1) % 3;
    let g = wait_goal(&hs[awake], &frozen_goal, "review", Some(&ids[frozen]), 120);
    // The Round's evidence as the taker left it, on the third node.
    let third = 3 - frozen - awake;
    let evidence = |h: &Http| {
        let r = &h.ok("runner.rounds", json!({"goalId": frozen_goal}))[0];
        let runs: Vec<(Value, Value)> = r["runs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| (r["id"].clone(), r["status"].clone()))
                    .collect()
            })
            .unwrap_or_default();
        json!({"candidate": r["work"]["candidateCommit"], "runs": runs})
    };
    let settled = until("the taker's evidence on the third node", 30, || {
        let (a, b) = (evidence(&hs[awake]), evidence(&hs[third]));
        (a == b && b["candidate"].is_string()).then_some(b)
    });
    let thawed = mark(&log, "thawed", NAMES[frozen]);
    for &c in children.iter().chain([pid].iter()) {
        unsafe {
            libc::kill(c, libc::SIGCONT);
        }
    }
    // Give the thawed node time to try to land its step (its agent's sleep may end now).
    std::thread::sleep(Duration::from_secs(12));
    let runs = assert_no_overlap(&log);
    let late: Vec<&LoggedRun> = runs
        .iter()
        .filter(|r| r.goal == frozen_n && r.node == NAMES[frozen] && r.start > thawed)
        .collect();
    assert!(
        late.is_empty(),
        "the thawed node started runs of the Goal it lost: {late:?}"
    );
    // Nor did it publish its Round over the taker's (its implement ended after the thaw).
    assert_eq!(
        evidence(&hs[third]),
        settled,
        "the thawed node's copy of the Round reached the third node"
    );
    // ...nor wrote one to the bus at all: the other nodes would have refused it (its lease is
    // older than the taker's) and said so.
    for h in [&hs[awake], &hs[third]] {
        let problems = h.ok("cluster.status", json!({}))["problems"].to_string();
        assert!(
            !problems.contains(&format!("written by {} under lease", ids[frozen])),
            "the thawed node wrote a Round document: {problems}"
        );
    }
    assert_eq!(logged(&runs, frozen_n, "plan").len(), 1, "planned once");
    let reviews = count_each(&datas, TO_REVIEW, &frozen_goal);
    assert_eq!(
        reviews[frozen],
        0,
        "the thawed node (#{frozen}) moved nothing: {reviews:?}\n{}",
        history(&datas, &frozen_goal)
    );
    assert_eq!(reviews.iter().sum::<i64>(), 1, "{reviews:?}");
    // It says so in its activity log.
    let n = g["number"].as_u64().unwrap();
    until("the thawed node saying it stopped", 30, || {
        let acts = hs[frozen]
            .ok("activity.list", json!({"limit": 50}))
            .to_string();
        acts.contains(&format!("Stopped working Goal #{n} here"))
            .then(|| json!(true))
    });
    for h in &hs {
        let seen = wait_goal(h, &frozen_goal, "review", Some(&ids[frozen]), 60);
        assert_eq!(seen["nodeId"], g["nodeId"]);
    }

    // Every NATS server gone for 10 s: a Goal in progress goes on where it is and lands its
    // steps when the bus is back; a new Goal of the shared app is refused meanwhile (its number
    // comes from the cluster), and nothing is stored.
    let outage = hs[0].ok(
        "goals.create",
        json!({"title": "Outage", "prompt": prompt("Outage", "outage.txt", 4), "status": "todo"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = wait_goal(&hs[0], &outage, "implement", None, 60);
    let worker = ids.iter().position(|n| g["nodeId"] == *n).unwrap();
    for i in 0..3 {
        nats.kill(i);
    }
    let other = (worker + 1) % 3;
    until("the outage seen", 20, || {
        (hs[other].ok("cluster.status", json!({}))["mode"] == "unreachable").then(|| json!(true))
    });
    let before = goals(&hs[other]).len();
    let r = hs[other].call(
        "goals.create",
        json!({"title": "Meanwhile", "prompt": "x", "status": "todo"}),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("unreachable"),
        "{}",
        r.body
    );
    assert_eq!(goals(&hs[other]).len(), before, "nothing was stored");
    std::thread::sleep(Duration::from_secs(10));
    for i in 0..3 {
        nats.start_one(i);
    }
    for h in &hs {
        wait_goal(h, &outage, "review", None, 120);
    }
    let reviews = count_each(&datas, TO_REVIEW, &outage);
    assert_eq!(
        reviews[worker],
        1,
        "the node that worked it through the outage landed it: {reviews:?}\n{}",
        history(&datas, &outage)
    );
    assert_eq!(reviews.iter().sum::<i64>(), 1, "{reviews:?}");
    let outage_n = g["number"].as_u64().unwrap();
    let runs = assert_no_overlap(&log);
    let plans = logged(&runs, outage_n, "plan");
    assert_eq!(plans.len(), 1, "nothing ran twice: {plans:?}");
    until("Goals made again once the cluster is back", 60, || {
        (hs[other]
            .call(
                "goals.create",
                json!({"title": "After", "prompt": "x", "status": "backlog"}),
            )
            .status
            == 200)
            .then(|| json!(true))
    });
}

#[test]
fn the_run_log_check_fails_on_overlapping_runs_and_allows_killed_and_frozen_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("runs.log");
    let line = |run: &str, node: &str, event: &str, phase: &str, at: u64| {
        json!({"run": run, "node": node, "goal": 3, "round": 1, "phase": phase, "candidate": null, "event": event, "at": at})
            .to_string()
    };
    let write = |lines: &[String]| std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let mark = |event: &str, node: &str, at: u64| {
        json!({"event": event, "node": node, "at": at}).to_string()
    };
    // A killed node's run (no end) ends at the kill; a frozen node's is idle while frozen.
    write(&[
        line("a1", "alpha", "start", "implement", 10),
        mark("killed", "alpha", 20),
        line("b1", "beta", "start", "implement", 30),
        line("b1", "beta", "end", "implement", 40),
        line("c1", "gamma", "start", "quality", 50),
        mark("frozen", "gamma", 55),
        line("b2", "beta", "start", "quality", 60),
        line("b2", "beta", "end", "quality", 70),
        mark("thawed", "gamma", 80),
        line("c1", "gamma", "end", "quality", 85),
    ]);
    assert_eq!(assert_no_overlap(&log).len(), 4);
    // Without the kill, the first run still runs when the second starts: caught.
    write(&[
        line("a1", "alpha", "start", "implement", 10),
        line("b1", "beta", "start", "implement", 30),
        line("b1", "beta", "end", "implement", 40),
    ]);
    assert!(std::panic::catch_unwind(|| assert_no_overlap(&log)).is_err());
    // A frozen node's agent that kept running (only the daemon stopped): caught.
    write(&[
        line("c1", "gamma", "start", "quality", 50),
        line("c1", "gamma", "end", "quality", 75),
        line("b2", "beta", "start", "quality", 60),
        line("b2", "beta", "end", "quality", 70),
    ]);
    assert!(std::panic::catch_unwind(|| assert_no_overlap(&log)).is_err());
}
