//! Cluster benchmark: one queue of instant scripted Goals through a standalone node, a cluster of
//! one and a cluster of three (all on this machine, so the differences are what coordinating
//! costs, not more hardware), writes to the bus per Goal, and the failover time (a node killed
//! mid-Goal → the Goal's step starting on another node). Three real `nats-server` processes,
//! clustered with JetStream.

use std::path::Path;
use std::time::{Duration, Instant};

use refine_e2e::nats::{Nats, PASSWORD, USER};
use refine_e2e::{remote_with_clones, scripted_app, Daemon, Http};
use serde_json::{json, Value};

const GOALS: usize = 24;
/// The lease and heartbeat TTL the nodes join with.
const TTL: u64 = 3;
const NAMES: [&str; 3] = ["alpha", "beta", "gamma"];

fn wait(what: &str, secs: u64, mut done: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !done() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "waited {secs} s for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    t.elapsed()
}

fn prompt(title: &str, file: &str, sleep: u32) -> String {
    let sleep = if sleep > 0 {
        format!("implement: sleep {sleep}\n")
    } else {
        String::new()
    };
    format!(
        "{title}.\n\n```refine-script\n{sleep}implement: write {file} {title}\\n\nquality: test 1 test -f {file}\n```\n"
    )
}

struct Fleet {
    nats: Option<Nats>,
    daemons: Vec<Daemon>,
    hs: Vec<Http>,
}

/// `n` nodes, each with its own clone of one bare remote; joined through NATS unless `alone`.
fn fleet(bin: &Path, tmp: &Path, label: &str, n: usize, alone: bool) -> Fleet {
    let dir = tmp.join(format!("cluster-{label}"));
    std::fs::create_dir_all(&dir).unwrap();
    let nats = (!alone).then(|| Nats::start(&dir));
    let (_, clones) = remote_with_clones(&dir, &NAMES[..n]);
    let mut daemons = Vec::new();
    for (i, name) in NAMES.iter().take(n).enumerate() {
        let data = dir.join(name);
        let d = match &nats {
            Some(nats) => Daemon::start_bin(
                bin,
                &data,
                &["--cluster", &nats.url(i), "--node-name", name],
                &[
                    ("REFINE_CLUSTER_USER", USER),
                    ("REFINE_CLUSTER_PASSWORD", PASSWORD),
                ],
            ),
            None => Daemon::start_bin(bin, &data, &[], &[]),
        };
        let h = d.client();
        if nats.is_some() {
            let s = h.ok("cluster.status", json!({}));
            h.ok(
                "cluster.join",
                json!({"urls": s["urls"], "user": USER, "password": PASSWORD, "name": name, "ttlSecs": TTL}),
            );
        }
        scripted_app(&h, &clones[i], 2);
        daemons.push(d);
    }
    let hs: Vec<Http> = daemons.iter().map(Daemon::client).collect();
    if nats.is_some() {
        for h in &hs {
            wait("every node up", 60, || {
                let nodes = h.ok("nodes.list", json!({}));
                let up = nodes
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|n| n["health"] == "up")
                    .count();
                up == n && h.ok("cluster.status", json!({}))["mode"] == "connected"
            });
        }
    }
    Fleet { nats, daemons, hs }
}

fn bus_writes(nats: &Option<Nats>) -> (u64, u64) {
    nats.as_ref().map_or((0, 0), |n| {
        (
            n.stream_seq("KV_refine-work"),
            n.stream_seq("KV_refine-leases"),
        )
    })
}

fn all_in_review(h: &Http, count: usize) -> bool {
    let gs = h.ok("goals.list", json!({"limit": 500}))["items"].take();
    let gs = gs.as_array().unwrap();
    gs.len() == count && gs.iter().all(|g| g["status"] == "review")
}

/// The queue through the fleet: Goals/s, bus writes per Goal, and who ran how many.
fn throughput(f: &Fleet, label: &str) {
    let (w0, l0) = bus_writes(&f.nats);
    let t = Instant::now();
    for i in 0..GOALS {
        let title = format!("Goal {i}");
        f.hs[i % f.hs.len()].ok(
            "goals.create",
            json!({"title": title, "prompt": prompt(&title, &format!("f{i}.txt"), 0), "status": "todo"}),
        );
    }
    let created = t.elapsed();
    for h in &f.hs {
        wait("every Goal in review", 600, || all_in_review(h, GOALS));
    }
    let took = t.elapsed();
    let (w1, l1) = bus_writes(&f.nats);
    let gs = f.hs[0].ok("goals.list", json!({"limit": 500}))["items"].take();
    let mut per_node: Vec<(String, usize)> = Vec::new();
    for g in gs.as_array().unwrap() {
        let n = g["nodeId"].as_str().unwrap_or_default().to_string();
        match per_node.iter_mut().find(|(id, _)| *id == n) {
            Some((_, c)) => *c += 1,
            None => per_node.push((n, 1)),
        }
    }
    let mut split: Vec<usize> = per_node.iter().map(|(_, c)| *c).collect();
    split.sort_unstable_by(|a, b| b.cmp(a));
    print!(
        "{label:<22} {GOALS} Goals created in {:.2} s, all in review after {:.1} s: {:.2} Goals/s; split {split:?}",
        created.as_secs_f64(),
        took.as_secs_f64(),
        GOALS as f64 / took.as_secs_f64()
    );
    if f.nats.is_some() {
        println!(
            "; bus writes per Goal {:.1} (work {:.1}, leases {:.1})",
            ((w1 - w0) + (l1 - l0)) as f64 / GOALS as f64,
            (w1 - w0) as f64 / GOALS as f64,
            (l1 - l0) as f64 / GOALS as f64
        );
    } else {
        println!();
    }
}

/// Kill the node working a long Goal; how long until another node starts its step.
fn failover(f: &mut Fleet) {
    let id = f.hs[0].ok(
        "goals.create",
        json!({"title": "Long", "prompt": prompt("Long", "long.txt", 120), "status": "todo"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut owner = Value::Null;
    wait("the long Goal implementing", 60, || {
        let g = f.hs[0].ok("goals.get", json!({"id": id}));
        owner = g["nodeId"].clone();
        g["status"] == "implement"
    });
    let ids: Vec<Value> =
        f.hs.iter()
            .map(|h| h.ok("cluster.status", json!({}))["nodeId"].clone())
            .collect();
    let dead = ids.iter().position(|n| *n == owner).unwrap();
    let survivor = (dead + 1) % f.hs.len();
    f.daemons[dead].signal(libc::SIGKILL);
    let took = wait("another node taking the Goal over", 120, || {
        let g = f.hs[survivor].ok("goals.get", json!({"id": id}));
        g["nodeId"] != owner && g["nodeId"].is_string()
    });
    println!(
        "failover (kill -9 of the node implementing a Goal → its step starting on another node): {:.2} s (lease TTL {TTL} s)",
        took.as_secs_f64()
    );
}

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nCluster benchmark: {GOALS} instant scripted Goals, 2 slots a node, one machine");
    let alone = fleet(bin, tmp, "alone", 1, true);
    throughput(&alone, "standalone node");
    drop(alone);
    let one = fleet(bin, tmp, "one", 1, false);
    throughput(&one, "cluster of 1");
    drop(one);
    let mut three = fleet(bin, tmp, "three", 3, false);
    throughput(&three, "cluster of 3");
    let t = Instant::now();
    let b0 = three.nats.as_ref().unwrap().stream_seq("KV_refine-nodes");
    std::thread::sleep(Duration::from_secs(5));
    let beats = three.nats.as_ref().unwrap().stream_seq("KV_refine-nodes") - b0;
    println!(
        "heartbeats: {:.1} bus writes/s for 3 idle nodes",
        beats as f64 / t.elapsed().as_secs_f64()
    );
    failover(&mut three);
}
