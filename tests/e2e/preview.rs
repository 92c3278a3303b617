//! Previews with the scripted agent: a Goal in review runs its candidate's app from the Round's
//! worktree on its own loopback port (`PORT`, `REFINE_PREVIEW_URL`), health-checked, printed by
//! `refine goal preview`; what it serves is the candidate's file; it stops when the Goal leaves
//! review. A Goal not in review, or an app without a start command, is refused.

use std::time::{Duration, Instant};

use refine_e2e::text;
use serde_json::{json, Value};

use super::agents::{create, setup, wait_status};

fn previews(h: &refine_e2e::Http) -> Vec<Value> {
    h.ok("previews.list", json!({}))
        .as_array()
        .cloned()
        .unwrap()
}

#[test]
fn a_candidate_runs_on_its_own_port_until_its_goal_leaves_review() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, _repo, h) = setup(tmp.path(), json!({}));
    h.ok("runner.pause", json!({}));
    let early = create(
        &h,
        "Serve a page",
        "implement: write index.html <h1>candidate page</h1>\\n",
    );
    let r = h.call("previews.start", json!({"goalId": early}));
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("in todo"),
        "{}",
        r.body
    );
    assert_eq!(
        h.call("previews.start", json!({"goalId": "#77"})).status,
        404
    );

    h.ok("runner.resume", json!({}));
    wait_status(&h, &early, "review", 90);
    // No start command yet: said so.
    let t = h.ok("target.get", json!({}));
    let revision = t["revision"].as_u64().unwrap_or(0);
    h.ok(
        "target.configure",
        json!({"revision": revision, "start": null}),
    );
    let r = h.call("previews.start", json!({"goalId": early}));
    assert!((400..500).contains(&r.status), "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("start command"),
        "{}",
        r.body
    );
    assert!(previews(&h).is_empty());

    // The app's start command serves its working directory on $PORT.
    h.ok(
        "target.configure",
        json!({"revision": h.ok("target.get", json!({}))["revision"], "start": ["sh", "-c", "echo \"preview at $REFINE_PREVIEW_URL\"; exec python3 -m http.server \"$PORT\" --bind 127.0.0.1"]}),
    );
    let n = h.ok("goals.get", json!({"id": early}))["number"]
        .as_u64()
        .unwrap();
    let o = d.sh(&format!("refine goal preview {n}"), tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!("#{n} runs at http://127.0.0.1:")),
        "{out}"
    );
    let p = previews(&h)[0].clone();
    assert_eq!(p["status"], "healthy", "{p}");
    let page = reqwest::blocking::get(format!("{}index.html", p["url"].as_str().unwrap()))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("candidate page"),
        "the candidate's worktree is served: {page}"
    );
    // Its process is a supervised one, listed with the app's processes, told its URL.
    let procs = h.ok("processes.list", json!({}));
    let proc_ = procs["items"]
        .as_array()
        .or(procs.as_array())
        .unwrap()
        .iter()
        .find(|x| x["id"] == p["processId"])
        .cloned()
        .unwrap_or_else(|| panic!("no process {} in {procs}", p["processId"]));
    assert!(proc_["label"]
        .as_str()
        .unwrap()
        .starts_with(&format!("preview #{n}")));
    let logs = h.ok("processes.logs", json!({"id": p["processId"], "tail": 50}));
    assert!(
        logs.to_string().contains("preview at http://127.0.0.1:"),
        "{logs}"
    );
    // Asking again answers the running one.
    let again = h.ok("previews.start", json!({"goalId": early}));
    assert_eq!(again["port"], p["port"]);

    // Approve: the Goal leaves review and the preview stops by itself.
    let a = h.call("workflow.approve", json!({"goalId": early}));
    assert_eq!(a.status, 200, "{}", a.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !previews(&h).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the preview still runs: {:?}",
            previews(&h)
        );
        std::thread::sleep(Duration::from_millis(150));
    }
    let gone = reqwest::blocking::Client::new()
        .get(p["url"].as_str().unwrap())
        .timeout(Duration::from_secs(2))
        .send();
    assert!(gone.is_err(), "nothing answers on the port any more");
    let fin = h.ok("processes.get", json!({"id": p["processId"]}));
    assert_ne!(fin["status"], "running", "{fin}");
}
