//! Every operation answers identically through in-process dispatch (what the desktop window
//! uses) and HTTP (browser, CLI, agents). Two daemons run the same script, one per transport.

use std::collections::HashSet;

use refine_api::registry;
use refine_core::Ctx;
use refine_model::Surface;
use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

/// The script: every registered operation must appear (add new ones here).
fn script() -> Vec<(&'static str, Value)> {
    vec![
        ("system.health", json!({})),
        ("system.info", json!({})),
        ("system.operations", json!({})),
        ("apps.list", json!({})),
        ("project.overview", json!({})),
        ("apps.add", json!({"path": "$REPO", "name": "Demo"})),
        ("apps.add", json!({"path": "$REPO"})),
        ("apps.get", json!({"id": "$APP"})),
        ("apps.select", json!({"id": null})),
        ("project.overview", json!({})),
        ("apps.select", json!({"id": "$APP"})),
        ("project.overview", json!({})),
        ("settings.get", json!({})),
        (
            "settings.update",
            json!({"scope": "global", "revision": 0, "patch": {"ui": {"theme": "dark"}}}),
        ),
        (
            "settings.update",
            json!({"scope": "global", "revision": 0, "patch": {"ui": {"theme": "light"}}}),
        ),
        ("apps.rescan", json!({"id": "$APP"})),
        ("operations.list", json!({"kind": "apps.rescan"})),
        ("operations.get", json!({"id": "$OP"})),
        ("operations.cancel", json!({"id": "$OP"})),
        ("operations.list", json!({"limit": 3})),
        ("activity.list", json!({"limit": 4, "operation": "apps"})),
        ("activity.list", json!({"surface": "cli"})),
        ("apps.remove", json!({"id": "$APP"})),
        ("apps.get", json!({"id": "$APP"})),
        ("system.shutdown", json!({})),
    ]
}

struct Side {
    d: TestDaemon,
    repo: String,
    app: String,
    op: String,
}

fn fill(v: &Value, s: &Side) -> Value {
    match v {
        Value::String(x) if x == "$REPO" => json!(s.repo),
        Value::String(x) if x == "$APP" => json!(s.app),
        Value::String(x) if x == "$OP" => json!(s.op),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), fill(v, s))).collect()),
        other => other.clone(),
    }
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Replace UUIDs inside text (error messages name ids).
fn blank_uuids(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        if s.is_char_boundary(i)
            && s.len() >= i + 36
            && s.is_char_boundary(i + 36)
            && is_uuid(&s[i..i + 36])
        {
            out.push_str("<id>");
            i += 36;
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_time(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T'
}

/// Blank out what legitimately differs between two daemons: ids, times, paths, pids.
fn normalize(v: &Value, dir: &str) -> Value {
    match v {
        Value::String(s) if is_uuid(s) => json!("<id>"),
        Value::String(s) if is_time(s) => json!("<time>"),
        Value::String(s) => json!(blank_uuids(&s.replace(dir, "<dir>"))),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "pid" | "uptimeSeconds" | "url" | "nextCursor" => json!("<varies>"),
                        _ => normalize(v, dir),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(x, dir)).collect()),
        other => other.clone(),
    }
}

async fn settle_rescans(s: &Side) {
    for _ in 0..200 {
        let page =
            s.d.call("operations.list", json!({"status": "running"}))
                .await;
        if page.body["items"].as_array().is_some_and(|a| a.is_empty()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("a rescan never finished");
}

#[tokio::test]
async fn dispatch_and_http_answer_identically() {
    let names: HashSet<&str> = script().iter().map(|(n, _)| *n).collect();
    for op in registry() {
        assert!(
            names.contains(op.name),
            "add {} to the parity script",
            op.name
        );
    }
    let mut sides = Vec::new();
    for _ in 0..2 {
        let d = TestDaemon::new();
        let repo = git_repo(d.dir.path(), "demo").to_string_lossy().to_string();
        sides.push(Side {
            d,
            repo,
            app: String::new(),
            op: String::new(),
        });
    }
    for (name, input) in script() {
        let mut answers = Vec::new();
        for (i, side) in sides.iter_mut().enumerate() {
            let input = fill(&input, side);
            let (status, body) = if i == 0 {
                match refine_api::dispatch(&side.d.core, Ctx::new(Surface::Http), name, input).await
                {
                    Ok(r) => (r.status, r.body),
                    Err(e) => (e.status(), serde_json::to_value(&e).unwrap()),
                }
            } else {
                let a = side.d.call(name, input).await;
                (a.status.as_u16(), a.body)
            };
            if name == "apps.add" && status == 200 {
                side.app = body["id"].as_str().unwrap().to_string();
            }
            if name == "apps.rescan" {
                settle_rescans(side).await;
            }
            if name == "operations.list" {
                if let Some(first) = body["items"].get(0) {
                    side.op = first["id"].as_str().unwrap_or_default().to_string();
                }
            }
            let dir = side
                .d
                .dir
                .path()
                .canonicalize()
                .unwrap()
                .to_string_lossy()
                .to_string();
            answers.push((status, normalize(&body, &dir)));
        }
        assert_eq!(
            answers[0], answers[1],
            "{name}: dispatch (left) and HTTP (right) differ"
        );
    }
}
