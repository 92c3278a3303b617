//! Nodes and the cluster, against three real `nats-server` processes (clustered, JetStream with
//! three replicas) and real daemons: membership, health, drain through the bus, a node going
//! down, NATS servers going away and coming back, refused credentials, bad bus messages, and
//! the scheduler honouring drain and pins.

use std::path::Path;
use std::time::{Duration, Instant};

use refine_e2e::nats::{Nats, PASSWORD, USER};
use refine_e2e::{git_repo, text, Daemon, Http};
use serde_json::{json, Value};

use super::agents::{create, goal, wait_status};

/// One cluster test at a time: each runs three NATS servers and daemons (most of them three,
/// with agents), and two at once on a two-core machine starve each other's leases and watches.
pub(super) fn one_cluster_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static CLUSTERS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CLUSTERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// A daemon joined to the cluster as `name` (a short TTL so the test sees a node go down soon).
pub(super) fn node(tmp: &Path, nats: &Nats, name: &str, server: usize) -> Daemon {
    let url = nats.url(server);
    Daemon::start_args(
        &tmp.join(name),
        &["--cluster", &url, "--node-name", name],
        &[
            ("REFINE_CLUSTER_USER", USER),
            ("REFINE_CLUSTER_PASSWORD", PASSWORD),
        ],
    )
}

pub(super) fn until(what: &str, secs: u64, mut f: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "waited {secs}s for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `name → health` as `h` sees the nodes.
fn health(h: &Http) -> Vec<(String, String, bool)> {
    h.ok("nodes.list", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["health"].as_str().unwrap().to_string(),
                n["draining"].as_bool().unwrap(),
            )
        })
        .collect()
}

pub(super) fn sees(h: &Http, want: &[(&str, &str)]) -> Option<Value> {
    let got = health(h);
    want.iter()
        .all(|(n, s)| got.iter().any(|(gn, gs, _)| gn == n && gs == s))
        .then(|| json!(got))
}

pub(super) fn short_ttl(h: &Http) {
    // The node joined from --cluster with the default TTL; join again with a short one.
    let s = h.ok("cluster.status", json!({}));
    let urls = s["urls"].clone();
    let name = s["nodeName"].clone();
    h.ok(
        "cluster.join",
        json!({"urls": urls, "user": USER, "password": PASSWORD, "name": name, "ttlSecs": 3}),
    );
}

#[test]
fn three_nodes_see_each_other_drain_through_the_bus_and_notice_a_dead_node() {
    let _one = one_cluster_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let mut nats = Nats::start(tmp.path());
    let a = node(tmp.path(), &nats, "alpha", 0);
    let b = node(tmp.path(), &nats, "beta", 1);
    let mut c = node(tmp.path(), &nats, "gamma", 2);
    let (ha, hb, hc) = (a.client(), b.client(), c.client());
    for h in [&ha, &hb, &hc] {
        short_ttl(h);
    }
    for h in [&ha, &hb, &hc] {
        until("three nodes up", 30, || {
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "up")])
        });
    }
    let s = ha.ok("cluster.status", json!({}));
    assert_eq!(s["mode"], "connected", "{s}");
    assert_eq!(s["counts"]["nodes"], 3);
    assert_eq!(s["counts"]["up"], 3);
    assert_eq!(s["nodes"][0]["name"], "alpha");
    assert_eq!(s["nodes"][0]["isSelf"], true);
    assert!(
        s.to_string().find(PASSWORD).is_none(),
        "the password is never shown"
    );
    // Every node announces what it is.
    let g = ha.ok("nodes.get", json!({"id": "gamma"}));
    assert_eq!(g["isSelf"], false);
    assert_eq!(g["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        g["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "scripted"),
        "{g}"
    );
    assert_eq!(ha.call("nodes.get", json!({"id": "nobody"})).status, 404);

    // Alpha drains beta through the bus, in a shell; every node sees it.
    let o = a.sh("refine nodes drain beta", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Draining beta"), "{}", text(&o));
    for h in [&ha, &hb, &hc] {
        until("beta draining", 20, || {
            health(h)
                .iter()
                .any(|(n, _, d)| n == "beta" && *d)
                .then(|| json!(true))
        });
    }
    assert_eq!(hb.ok("nodes.get", json!({"id": "beta"}))["isSelf"], true);
    let r = ha.call("nodes.drain", json!({"id": "beta"}));
    assert_eq!(r.status, 409, "{}", r.body);
    hb.ok("nodes.drain", json!({"id": "beta", "drain": false}));
    until("beta undrained", 20, || {
        health(&ha)
            .iter()
            .any(|(n, _, d)| n == "beta" && !*d)
            .then(|| json!(true))
    });

    // gamma dies: after the TTL the others say it is down.
    c.signal(libc::SIGKILL);
    for h in [&ha, &hb] {
        until("gamma down", 20, || {
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "down")])
        });
    }
    let o = a.sh("refine cluster status", tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("connected") && out.contains("1 down"), "{out}");

    // One NATS server goes away: the cluster keeps working (beta was connected to it).
    nats.kill(1);
    std::thread::sleep(Duration::from_secs(4));
    for h in [&ha, &hb] {
        until("alpha and beta up with one server gone", 30, || {
            let s = h.ok("cluster.status", json!({}));
            (s["mode"] == "connected").then_some(())?;
            sees(h, &[("alpha", "up"), ("beta", "up")])
        });
    }
    hb.ok("nodes.drain", json!({"id": "alpha"}));
    until("alpha draining, asked by beta", 20, || {
        (ha.ok("nodes.get", json!({"id": "alpha"}))["draining"] == true).then(|| json!(true))
    });

    // All of them go away: nodes say so, keep answering, and come back with the servers.
    nats.kill(0);
    nats.kill(2);
    until("alpha sees the outage", 20, || {
        let s = ha.ok("cluster.status", json!({}));
        (s["mode"] == "unreachable" && s["error"].is_string()).then_some(s)
    });
    let nodes = ha.ok("nodes.list", json!({}));
    assert_eq!(nodes[0]["health"], "up", "this node is always up: {nodes}");
    assert!(nodes.as_array().unwrap()[1..]
        .iter()
        .all(|n| n["health"] == "unknown"));
    std::thread::sleep(Duration::from_secs(5));
    for i in 0..3 {
        nats.start_one(i);
    }
    for h in [&ha, &hb] {
        until("reconnected", 60, || {
            let s = h.ok("cluster.status", json!({}));
            (s["mode"] == "connected").then_some(())?;
            sees(h, &[("alpha", "up"), ("beta", "up"), ("gamma", "down")])
        });
    }
}

#[test]
fn refused_credentials_bad_urls_and_bad_bus_messages_get_clear_errors() {
    let _one = one_cluster_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(tmp.path());
    let d = Daemon::start(&tmp.path().join("solo"));
    let h = d.client();
    let s = h.ok("cluster.status", json!({}));
    assert_eq!(s["mode"], "standalone");
    assert_eq!(s["counts"]["nodes"], 1);

    // Wrong password: a 400 that says so, and nothing stored.
    let r = h.call(
        "cluster.join",
        json!({"urls": [nats.url(0)], "user": USER, "password": "wrong"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("refused the credentials"),
        "{}",
        r.body
    );
    // Nobody listening: 503.
    let r = h.call("cluster.join", json!({"urls": ["nats://127.0.0.1:9"]}));
    assert_eq!(r.status, 503, "{}", r.body);
    // Not a NATS URL, a remote server without TLS, credentials in the URL.
    for (urls, says) in [
        (json!(["http://127.0.0.1:4222"]), "not a NATS URL"),
        (json!(["nats://nats.example.com:4222"]), "must use TLS"),
        (json!(["nats://u:p@127.0.0.1:4222"]), "not in the URL"),
        (json!([]), "one to 16"),
    ] {
        let r = h.call("cluster.join", json!({"urls": urls}));
        assert_eq!(r.status, 400, "{urls}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{}",
            r.body
        );
    }
    let s = h.ok("cluster.status", json!({}));
    assert_eq!(s["mode"], "standalone", "nothing was stored: {s}");
    assert_eq!(h.call("cluster.leave", json!({})).status, 409);

    // The right credentials, in a shell (the password from the environment).
    let o = d.sh(
        &format!(
            "REFINE_CLUSTER_PASSWORD={PASSWORD} refine cluster join {} --user {USER} --name solo --ttl 3",
            nats.url(0)
        ),
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Joined the cluster"), "{}", text(&o));
    until("connected", 20, || {
        let s = h.ok("cluster.status", json!({}));
        (s["mode"] == "connected").then_some(s)
    });

    // Messages on the bus that are not what a node says are refused, counted and explained.
    let id = "01a24f3a-2397-71ca-b8c0-459ef4062889";
    nats.publish(1, &format!("$KV.refine-nodes.{id}"), b"{not json");
    let mut newer = json!({
        "stateVersion": 2, "id": id, "name": "future", "host": "h", "version": "9.0.0",
        "profiles": [], "capacity": 1, "load": 0, "draining": false, "running": [],
        "startedAt": "2026-01-01T00:00:00.000Z", "somethingNew": true
    });
    nats.publish(2, "$KV.refine-nodes.other", newer.to_string().as_bytes());
    // A well-formed announcement under someone else's key.
    newer["stateVersion"] = json!(1);
    newer.as_object_mut().unwrap().remove("somethingNew");
    nats.publish(0, "$KV.refine-nodes.impostor", newer.to_string().as_bytes());
    let s = until("three refusals", 20, || {
        let s = h.ok("cluster.status", json!({}));
        (s["rejected"].as_u64().unwrap() >= 3).then_some(s)
    });
    let problems = s["problems"].to_string();
    assert!(problems.contains("not JSON"), "{problems}");
    assert!(
        problems.contains("state version 2") && problems.contains("upgrade this node"),
        "{problems}"
    );
    assert!(problems.contains("under another key"), "{problems}");
    // None of them became a node.
    let nodes = h.ok("nodes.list", json!({}));
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    let o = d.sh("refine cluster status", tmp.path());
    assert!(text(&o).contains("refused"), "{}", text(&o));

    // Leaving: standalone again; the stored servers are forgotten across a restart.
    let o = d.sh("refine cluster leave", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let s = h.ok("cluster.status", json!({}));
    assert_eq!(s["mode"], "standalone");
    assert!(s["urls"].as_array().unwrap().is_empty());
}

#[test]
fn a_draining_node_starts_nothing_and_a_pinned_goal_waits_for_its_node() {
    let _one = one_cluster_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(tmp.path());
    let repo = git_repo(tmp.path(), "shop");
    let a = node(tmp.path(), &nats, "alpha", 0);
    let b = node(tmp.path(), &nats, "beta", 1);
    let (h, hb) = (a.client(), b.client());
    until("beta known to alpha", 30, || sees(&h, &[("beta", "up")]));
    let _ = hb;
    h.ok("apps.add", json!({"path": repo}));
    h.ok(
        "settings.update",
        json!({"scope": "global", "revision": 0, "patch": {"agents": {"defaultProfile": "scripted"}, "runner": {"pollSeconds": 1, "maxConcurrentGoals": 4}}}),
    );
    h.ok(
        "quality.settings.update",
        json!({"revision": 0, "tests": ["the greeting file exists"], "instructions": ""}),
    );
    let script = "implement: write greeting.txt hello\\n\nquality: test 1 test -f greeting.txt";

    // Draining: a new Goal stays in todo; undrained, it runs.
    let o = a.sh("refine nodes drain alpha", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let first = create(&h, "Greet", script);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        goal(&h, &first)["status"],
        "todo",
        "a draining node starts nothing"
    );
    let o = a.sh("refine nodes undrain alpha", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    wait_status(&h, &first, "review", 60);

    // Pinned to beta: alpha leaves it alone; pinned to alpha (by name, in a shell), it runs.
    // (Made while alpha drains, so alpha cannot start it before the pin lands.)
    h.ok("nodes.drain", json!({"id": "alpha"}));
    let second = create(&h, "Greet again", script);
    let n = goal(&h, &second)["number"].as_u64().unwrap();
    let g = h.ok("goals.assign", json!({"goalId": second, "nodeId": "beta"}));
    assert!(g["pinnedNode"].is_string(), "{g}");
    h.ok("nodes.drain", json!({"id": "alpha", "drain": false}));
    let _ = h.ok("goals.list", json!({}));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        goal(&h, &second)["status"],
        "todo",
        "pinned to another node"
    );
    let r = h.call(
        "goals.assign",
        json!({"goalId": second, "nodeId": "nobody"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = h.call("goals.assign", json!({"goalId": second, "nodeId": "beta"}));
    assert_eq!(r.status, 409, "{}", r.body);
    let o = a.sh(&format!("refine goal assign {n} --node alpha"), tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Pinned Goal"), "{}", text(&o));
    let g = wait_status(&h, &second, "review", 60);
    assert_eq!(
        g["pinnedNode"],
        h.ok("cluster.status", json!({}))["nodeId"],
        "{g}"
    );
    let o = a.sh(&format!("refine goal assign {n} --unpin"), tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(goal(&h, &second)["pinnedNode"].is_null());
    // Each pin and drain is in the audit log.
    let acts = h.ok("activity.list", json!({"limit": 50}));
    let s = acts.to_string();
    assert!(
        s.contains("Pinned Goal")
            && s.contains("Unpinned Goal")
            && s.contains("Draining node alpha"),
        "{s}"
    );
}
