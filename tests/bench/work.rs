//! The work benchmark: 100,000 Goals in 200 Features, then list, search, dashboard, eligibility
//! and a 10,000-issue import, measured over HTTP against a real daemon.

use std::path::Path;
use std::time::{Duration, Instant};

use refine_model::work::Goal;
use refine_model::workflow::WorkflowState;
use serde_json::{json, Value};

use crate::{ms, percentile, start};

const GOALS: usize = 100_000;
const FEATURES: usize = 200;
const WORDS: &[&str] = &[
    "checkout", "coupon", "search", "index", "login", "session", "invoice", "export", "report",
    "cache", "retry", "upload", "avatar", "billing", "webhook", "queue", "latency", "locale",
    "theme", "audit",
];

fn state_for(i: usize) -> WorkflowState {
    match i % 10 {
        0..=3 => WorkflowState::Done,
        4..=6 => WorkflowState::Todo,
        7 => WorkflowState::Backlog,
        8 => WorkflowState::Review,
        _ => WorkflowState::Cancelled,
    }
}

fn seed(db: &Path, app_id: &str, features: &[String]) -> Duration {
    let t = Instant::now();
    let store = refine_store::Store::open(db).expect("open the store");
    let now = "2026-11-01T00:00:00.000Z";
    for chunk in (0..GOALS).collect::<Vec<_>>().chunks(10_000) {
        store
            .write(|tx| {
                for &i in chunk {
                    let f = i % FEATURES;
                    let w = |k: usize| WORDS[(i * 7 + k * 13) % WORDS.len()];
                    let g = Goal {
                        id: uuid_like(i),
                        app_id: app_id.to_string(),
                        number: i as u32 + 1,
                        title: format!("{} {} for {}", w(0), w(1), w(2)),
                        prompt: format!(
                            "Make the {} {} work with {} and {}.",
                            w(3),
                            w(4),
                            w(5),
                            w(6)
                        ),
                        notes: String::new(),
                        status: state_for(i),
                        priority: (i % 5) as i32,
                        reporter_id: None,
                        reporter_name: None,
                        assignee: None,
                        feature_id: Some(features[f].clone()),
                        feature_name: None,
                        position: Some((i / FEATURES) as u32),
                        node_id: "bench-node".into(),
                        labels: vec![format!("area-{}", i % 30)],
                        external: None,
                        created_at: now.into(),
                        updated_at: now.into(),
                        deleted_at: None,
                        candidates: None,
                        pinned_node: None,
                        rounds: vec![],
                    };
                    refine_store::goals::insert(tx, &g)?;
                    refine_store::goals::insert_round(tx, &g.id, 1, "First attempt", now)?;
                }
                Ok::<_, refine_store::StoreError>(())
            })
            .expect("seed goals");
    }
    t.elapsed()
}

fn uuid_like(i: usize) -> String {
    format!("01900000-0000-7000-8000-{i:012}")
}

fn timed(
    http: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    path: &str,
    n: usize,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = http
            .get(format!("{url}{path}"))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let _ = r.bytes().unwrap();
        out.push(t.elapsed());
    }
    out.sort();
    out
}

fn report(name: &str, l: &[Duration], aim: &str) {
    println!(
        "{name:<34} p50 {}  p99 {}  (aim: {aim})",
        ms(percentile(l, 0.5)),
        ms(percentile(l, 0.99))
    );
}

pub fn run(bin: &Path, tmp: &Path) {
    println!("\nWork benchmark: {GOALS} Goals in {FEATURES} Features");
    let data = tmp.join("work");
    let repo = refine_e2e::git_repo(tmp, "work-app");
    let (mut child, url, token, _) = start(bin, &data);
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: Value| -> Value {
        http.post(format!("{url}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let app = post("/api/v1/apps", json!({"path": repo}));
    let app_id = app["id"].as_str().unwrap().to_string();
    let features: Vec<String> = (0..FEATURES)
        .map(|i| {
            post(
                "/api/v1/work/features",
                json!({"name": format!("Feature {i:03}")}),
            )["feature"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let took = seed(&data.join("refine.db"), &app_id, &features);
    println!(
        "seeded in {:.1} s (direct store writes, FTS index included)",
        took.as_secs_f64()
    );

    let (mut child, url, token, _) = start(bin, &data);
    let _ = timed(&http, &url, &token, "/api/v1/work/goals?limit=50", 5);
    report(
        "list page (50, priority order)",
        &timed(&http, &url, &token, "/api/v1/work/goals?limit=50", 200),
        "p99 < 10 ms",
    );
    let mut filtered = Vec::new();
    for i in 0..200 {
        let path = format!(
            "/api/v1/work/goals?limit=50&status=todo&label=area-{}",
            i % 30
        );
        filtered.extend(timed(&http, &url, &token, &path, 1));
    }
    filtered.sort();
    report(
        "list page (status + label filter)",
        &filtered,
        "p99 < 10 ms",
    );
    let mut search = Vec::new();
    for i in 0..200 {
        let path = format!("/api/v1/work/goals?limit=50&q={}", WORDS[i % WORDS.len()]);
        search.extend(timed(&http, &url, &token, &path, 1));
    }
    search.sort();
    report("full-text search (50 per page)", &search, "p99 < 20 ms");
    report(
        "dashboard.summary",
        &timed(&http, &url, &token, "/api/v1/dashboard", 20),
        "< 50 ms",
    );
    report(
        "workflow.eligible (30k todo)",
        &timed(&http, &url, &token, "/api/v1/workflow/eligible", 20),
        "< 20 ms",
    );

    let issues: Vec<Value> = (0..10_000)
        .map(|i| json!({"number": i + 1, "title": format!("Issue {i}: {}", WORDS[i % WORDS.len()]), "body": "Imported body text", "labels": [{"name": "imported"}], "state": "OPEN", "url": format!("https://example.test/{i}")}))
        .collect();
    let content = serde_json::to_string(&issues).unwrap();
    let t = Instant::now();
    // The second daemon listens on a new port: `post` above still names the first one.
    let receipt: Value = http
        .post(format!("{url}/api/v1/import"))
        .bearer_auth(&token)
        .json(&json!({"format": "github", "content": content}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = receipt["id"]
        .as_str()
        .expect("an import receipt")
        .to_string();
    loop {
        let op: Value = http
            .get(format!("{url}/api/v1/operations/{id}"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if op["status"] != "running" {
            assert_eq!(op["status"], "succeeded", "{op}");
            assert_eq!(op["result"]["created"], 10_000);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "{:<34} {:.2} s  (aim: < 3 s)",
        "import of 10,000 GitHub issues",
        t.elapsed().as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
}
