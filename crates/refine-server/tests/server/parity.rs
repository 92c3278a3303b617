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
        ("system.events", json!({})),
        ("apps.list", json!({})),
        ("project.overview", json!({})),
        ("apps.add", json!({"path": "$REPO", "name": "Demo"})),
        ("apps.add", json!({"path": "$REPO"})),
        ("apps.get", json!({"id": "$APP"})),
        ("apps.select", json!({"id": null})),
        ("project.overview", json!({})),
        ("apps.select", json!({"id": "$APP"})),
        ("project.overview", json!({})),
        ("files.tree", json!({})),
        ("files.tree", json!({"path": "../x"})),
        (
            "files.create",
            json!({"path": "notes.md", "content": "# Notes\n"}),
        ),
        ("files.create", json!({"path": "docs", "kind": "dir"})),
        ("files.create", json!({"path": "docs", "kind": "dir"})),
        ("files.read", json!({"path": "notes.md"})),
        ("files.read", json!({"path": "/etc/passwd"})),
        (
            "files.write",
            json!({"path": "notes.md", "content": "stale\n", "etag": "0000"}),
        ),
        (
            "files.write",
            json!({"path": "notes.md", "content": "# Notes\nmore\n"}),
        ),
        (
            "files.rename",
            json!({"from": "notes.md", "to": "docs/notes.md"}),
        ),
        ("files.find", json!({"query": "notes"})),
        ("files.grep", json!({"pattern": "^more$"})),
        ("files.grep", json!({"pattern": "("})),
        ("files.tree", json!({"path": "docs"})),
        ("files.delete", json!({"path": "docs"})),
        ("files.delete", json!({"path": "docs", "recursive": true})),
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
        ("reporters.create", json!({"name": "Ada"})),
        ("reporters.create", json!({"name": "Ada"})),
        ("reporters.list", json!({})),
        ("features.create", json!({"name": "Checkout"})),
        ("features.list", json!({})),
        (
            "goals.create",
            json!({"title": "Coupon field", "prompt": "Add a coupon input", "featureId": "$FEATURE", "labels": ["ui"], "priority": 2}),
        ),
        (
            "goals.create",
            json!({"title": "Coupon API", "status": "todo", "featureId": "$FEATURE"}),
        ),
        ("goals.create", json!({"title": ""})),
        ("goals.get", json!({"id": "#1"})),
        (
            "goals.update",
            json!({"id": "#1", "notes": "from a call", "assignee": "claude-code"}),
        ),
        ("goals.list", json!({"q": "coupon", "sort": "number"})),
        ("goals.list", json!({"status": ["todo"]})),
        ("features.get", json!({"id": "$FEATURE"})),
        (
            "features.update",
            json!({"id": "$FEATURE", "description": "Pay less"}),
        ),
        (
            "features.reorder",
            json!({"id": "$FEATURE", "goalIds": ["#2", "#1"]}),
        ),
        (
            "features.remove_goal",
            json!({"id": "$FEATURE", "goalId": "#1"}),
        ),
        (
            "features.add_goal",
            json!({"id": "$FEATURE", "goalId": "#1", "index": 0}),
        ),
        ("workflow.eligible", json!({})),
        ("workflow.move", json!({"goalId": "#1", "to": "todo"})),
        ("workflow.advance", json!({"goalId": "#2", "to": "plan"})),
        ("workflow.advance", json!({"goalId": "#1", "to": "plan"})),
        ("workflow.advance", json!({"goalId": "#1", "to": "review"})),
        ("workflow.advance", json!({"goalId": "#1", "to": "failed"})),
        ("workflow.retry", json!({"goalId": "#1", "reason": "flaky"})),
        ("workflow.cancel", json!({"goalId": "#2"})),
        ("workflow.approve", json!({"goalId": "#1"})),
        ("workflow.decline", json!({"goalId": "#1"})),
        ("workflow.pause", json!({"reason": "lunch"})),
        ("workflow.automation", json!({})),
        ("workflow.resume", json!({})),
        (
            "goals.bulk_update",
            json!({"ids": ["#1", "#2", "#99"], "patch": {"addLabels": ["bulk"]}}),
        ),
        ("goals.delete", json!({"id": "#2"})),
        ("goals.restore", json!({"id": "#2"})),
        ("goals.export", json!({"format": "csv"})),
        (
            "import.preview",
            json!({"format": "markdown", "content": "# Search\n- [ ] Fuzzy search\n- [ ] \n"}),
        ),
        (
            "import.commit",
            json!({"format": "markdown", "content": "# Search\n- [ ] Fuzzy search\n"}),
        ),
        ("dashboard.summary", json!({})),
        ("features.delete", json!({"id": "$FEATURE"})),
        (
            "todos.add",
            json!({"reporterId": "$REPORTER", "text": "Write docs"}),
        ),
        ("todos.list", json!({"reporterId": "$REPORTER"})),
        ("todos.update", json!({"id": "$TODO", "done": true})),
        (
            "todos.reorder",
            json!({"reporterId": "$REPORTER", "ids": ["$TODO"]}),
        ),
        ("todos.delete", json!({"id": "$TODO"})),
        (
            "reporters.rename",
            json!({"id": "$REPORTER", "name": "Ada L."}),
        ),
        ("reporters.create", json!({"name": "Bob", "kind": "agent"})),
        (
            "reporters.merge",
            json!({"fromId": "$REPORTER2", "intoId": "$REPORTER"}),
        ),
        ("reporters.delete", json!({"id": "$REPORTER"})),
        ("changes.status", json!({})),
        ("changes.diff", json!({})),
        ("changes.log", json!({"limit": 5})),
        ("changes.refs", json!({})),
        ("changes.churn", json!({"days": 3})),
        ("changes.stage", json!({"paths": ["nope.txt"]})),
        ("changes.unstage", json!({"paths": ["main.rs"]})),
        ("changes.commit", json!({"message": "nothing to commit"})),
        ("changes.revert", json!({"sha": "HEAD~5"})),
        (
            "processes.start",
            json!({"argv": ["true"], "label": "parity"}),
        ),
        ("processes.list", json!({"live": true, "limit": 0})),
        (
            "processes.get",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "processes.logs",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "processes.stop",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "processes.restart",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        ),
        ("target.get", json!({})),
        ("target.check", json!({})),
        (
            "target.configure",
            json!({"revision": 0, "start": ["sleep", "30"], "test": null}),
        ),
        ("target.test", json!({})),
        ("target.build", json!({})),
        ("target.stop", json!({})),
        (
            "target.start",
            json!({"appId": "00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "terminal.create",
            json!({"argv": ["cat"], "cols": 80, "rows": 24}),
        ),
        ("terminal.list", json!({})),
        ("terminal.get", json!({"id": "$TERM"})),
        (
            "terminal.resize",
            json!({"id": "$TERM", "cols": 100, "rows": 30}),
        ),
        (
            "terminal.rename",
            json!({"id": "$TERM", "title": "cat here"}),
        ),
        ("terminal.scrollback", json!({"id": "$TERM", "kb": 0})),
        (
            "terminal.input",
            json!({"id": "00000000-0000-0000-0000-000000000000", "text": "x"}),
        ),
        ("terminal.close", json!({"id": "$TERM"})),
        ("terminal.get", json!({"id": "$TERM"})),
        ("quality.settings.get", json!({})),
        (
            "quality.settings.update",
            json!({"revision": 0, "tests": ["The cart shows a coupon field"], "instructions": "npm test"}),
        ),
        (
            "quality.settings.update",
            json!({"revision": 0, "tests": [], "instructions": ""}),
        ),
        (
            "quality.settings.update",
            json!({"revision": 1, "tests": [""], "instructions": ""}),
        ),
        ("quality.evaluations.list", json!({"limit": 5})),
        (
            "quality.evaluations.get",
            json!({"id": "00000000-0000-0000-0000-000000000000"}),
        ),
        ("governance.get", json!({})),
        (
            "governance.update",
            json!({"revision": 0, "statement": "A demo shop", "constitution": "Be kind."}),
        ),
        (
            "governance.rules.add",
            json!({"revision": 1, "title": "No new dependencies", "body": "Ask first."}),
        ),
        (
            "governance.rules.add",
            json!({"revision": 1, "title": "Stale"}),
        ),
        (
            "governance.rules.add",
            json!({"revision": 2, "title": "Tests for every fix"}),
        ),
        (
            "governance.rules.update",
            json!({"revision": 3, "id": "R1", "body": "Ask the owner first."}),
        ),
        (
            "governance.rules.reorder",
            json!({"revision": 4, "ids": ["R2", "R1"]}),
        ),
        (
            "governance.rules.delete",
            json!({"revision": 5, "id": "R2"}),
        ),
        (
            "governance.rules.delete",
            json!({"revision": 6, "id": "R9"}),
        ),
        ("guidance.list", json!({})),
        (
            "guidance.add",
            json!({"revision": 0, "title": "Small commits", "body": "One concern each."}),
        ),
        (
            "guidance.add",
            json!({"revision": 1, "title": "Design tokens", "enabled": false}),
        ),
        (
            "guidance.update",
            json!({"revision": 2, "id": "G2", "enabled": true}),
        ),
        (
            "guidance.reorder",
            json!({"revision": 3, "ids": ["G2", "G1"]}),
        ),
        ("guidance.delete", json!({"revision": 4, "id": "G1"})),
        ("guidance.delete", json!({"revision": 4, "id": "G2"})),
        ("agents.profiles.list", json!({})),
        ("agents.detect", json!({"name": "claude-code"})),
        ("agents.detect", json!({"name": "nope"})),
        ("agents.redetect", json!({"name": "scripted"})),
        ("agents.redetect", json!({"name": "nope"})),
        (
            "agents.profiles.save",
            json!({"profile": {"name": "mine", "provider": "generic", "command": "echo", "args": [], "env": {"API_TOKEN": "t0k"}, "promptDelivery": "argument"}}),
        ),
        (
            "agents.profiles.save",
            json!({"profile": {"name": "bad name", "provider": "generic", "command": "echo", "args": [], "promptDelivery": "argument"}}),
        ),
        ("agents.profiles.delete", json!({"name": "mine"})),
        ("agents.profiles.delete", json!({"name": "mine"})),
        ("agents.launch", json!({"profile": "claude-code"})),
        ("agents.runs.list", json!({"goalId": "#1"})),
        ("runner.status", json!({})),
        ("runner.pause", json!({"reason": "parity"})),
        ("runner.pause", json!({})),
        ("runner.resume", json!({})),
        ("runner.stop", json!({"goalId": "#1"})),
        ("runner.rounds", json!({"goalId": "#1"})),
        (
            "runner.tell",
            json!({"goalId": "#1", "message": "also add notes"}),
        ),
        ("runner.tell", json!({"goalId": "#1", "message": " "})),
        ("runner.release", json!({"profile": "claude-code"})),
        ("review.comments.list", json!({"goalId": "#1"})),
        ("review.comments.list", json!({"goalId": "#404"})),
        (
            "review.comments.add",
            json!({"goalId": "#1", "path": "app.py", "startLine": 1, "body": "why?"}),
        ),
        ("review.comments.add", json!({"goalId": "#1", "body": " "})),
        ("review.comments.update", json!({"id": 1, "body": "edited"})),
        ("review.comments.delete", json!({"id": 1})),
        ("review.comments.resolve", json!({"id": 1})),
        ("review.request_changes", json!({"goalId": "#1"})),
        ("review.pick", json!({"goalId": "#1", "candidate": 2})),
        ("review.pick", json!({"goalId": "#404", "candidate": 1})),
        ("review.cleanup_candidates", json!({"id": "#1"})),
        ("webhooks.list", json!({})),
        (
            "webhooks.create",
            json!({"url": "http://10.0.0.1/h", "events": ["workflow.transitioned"], "allowHttp": true}),
        ),
        (
            "webhooks.create",
            json!({"url": "https://hooks.example.com/h", "events": ["nope"]}),
        ),
        ("webhooks.update", json!({"id": "nope", "enabled": false})),
        ("webhooks.delete", json!({"id": "nope"})),
        ("webhooks.deliveries", json!({"id": "nope"})),
        ("webhooks.ping", json!({"id": "nope"})),
        ("previews.list", json!({})),
        ("goals.publish", json!({"goalId": "#1"})),
        ("goals.publish", json!({"goalId": "#1", "remote": "-x"})),
        ("previews.start", json!({"goalId": "#1"})),
        ("previews.start", json!({"goalId": "#404"})),
        ("previews.stop", json!({"goalId": "#1"})),
        (
            "agents.transcript",
            json!({"runId": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}),
        ),
        ("agents.transcript", json!({"runId": "not an id"})),
        ("agents.usage", json!({"days": 7})),
        ("agents.usage", json!({"goalId": "#1"})),
        ("quality.evaluate", json!({"goalId": "#1"})),
        (
            "chat.create",
            json!({"kind": "plan", "title": "Parity", "profile": "generic"}),
        ),
        ("chat.create", json!({"kind": "goal"})),
        ("chat.list", json!({})),
        ("chat.get", json!({"id": "$THREAD"})),
        (
            "chat.rename",
            json!({"id": "$THREAD", "title": "Parity chat"}),
        ),
        ("chat.send", json!({"threadId": "$THREAD", "content": " "})),
        ("chat.draft", json!({"threadId": "$THREAD"})),
        ("chat.delete", json!({"id": "$THREAD"})),
        ("chat.get", json!({"id": "$THREAD"})),
        ("apps.delete", json!({"id": "$APP"})),
        ("apps.get", json!({"id": "$APP"})),
        ("sessions.list", json!({})),
        ("sessions.link", json!({})),
        ("sessions.exchange", json!({"code": "0".repeat(64)})),
        ("sessions.exchange", json!({"code": "short"})),
        ("sessions.revoke", json!({"id": "no-such-session"})),
        ("performance.summary", json!({})),
        ("diagnostics.doctor", json!({})),
        ("diagnostics.logs", json!({})),
        ("diagnostics.logs", json!({"level": "warn", "limit": 10})),
        ("diagnostics.logs", json!({"limit": 0})),
        ("diagnostics.logs", json!({"after": "../../etc/passwd:0"})),
        ("diagnostics.logs", json!({"level": "loud"})),
        ("diagnostics.bundle", json!({})),
        ("diagnostics.bundle", json!({"path": "relative.tar.gz"})),
        ("diagnostics.bundle", json!({"path": "/etc/refine.tar.gz"})),
        ("diagnostics.bundle", json!({"path": "/tmp/refine.zip"})),
        ("cache.list", json!({})),
        ("cache.clear", json!({"name": "changes.diff"})),
        ("cache.clear", json!({"name": "nope"})),
        ("cache.rebuild", json!({"name": "nope"})),
        ("cache.rebuild", json!({})),
        ("upgrade.status", json!({})),
        ("upgrade.check", json!({})),
        ("upgrade.backup", json!({})),
        ("upgrade.backup", json!({"path": "relative.db"})),
        ("nodes.list", json!({})),
        ("nodes.get", json!({"id": "nobody"})),
        ("nodes.drain", json!({"id": "nobody"})),
        ("goals.assign", json!({"goalId": "#999", "nodeId": null})),
        ("cluster.status", json!({})),
        ("cluster.join", json!({"urls": []})),
        ("cluster.join", json!({"urls": ["nats://example.com:4222"]})),
        ("cluster.join", json!({"urls": ["nats://127.0.0.1:9"]})),
        ("cluster.leave", json!({})),
        ("system.shutdown", json!({})),
    ]
}

struct Side {
    d: TestDaemon,
    repo: String,
    app: String,
    op: String,
    vars: std::collections::HashMap<String, String>,
}

fn fill(v: &Value, s: &Side) -> Value {
    match v {
        Value::String(x) if x == "$REPO" => json!(s.repo),
        Value::String(x) if x == "$APP" => json!(s.app),
        Value::String(x) if x == "$OP" => json!(s.op),
        Value::String(x) if x.starts_with('$') && s.vars.contains_key(x) => json!(s.vars[x]),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), fill(v, s))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, s)).collect()),
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

/// Replace RFC 3339 timestamps inside text (exports embed them).
fn blank_times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let looks = b.len() >= i + 24
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 10] == b'T'
            && b[i + 13] == b':'
            && b[i + 23] == b'Z';
        if looks {
            out.push_str("<time>");
            i += 24;
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

/// Operations whose successful answers are measurements (latencies, free space, sizes).
const SHAPE_ONLY: &[&str] = &[
    "performance.summary",
    "diagnostics.doctor",
    "diagnostics.bundle",
    "upgrade.backup",
];

/// The keys of every object, the first element of every array: what an answer looks like.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
        Value::Null => json!("null"),
        _ => json!("value"),
    }
}

/// Blank out what legitimately differs between two daemons: ids, times, paths, pids.
fn normalize(v: &Value, dir: &str) -> Value {
    match v {
        Value::String(s) if is_uuid(s) => json!("<id>"),
        Value::String(s) if is_time(s) => json!("<time>"),
        Value::String(s) => json!(blank_times(&blank_uuids(&s.replace(dir, "<dir>")))),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "pid" | "uptimeSeconds" | "url" | "nextCursor" | "modifiedMs"
                        | "loadAverage" | "availableMemoryMb" | "resourceSlots" | "path"
                        | "version" => {
                            json!("<varies>")
                        }
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
            vars: Default::default(),
        });
    }
    for (name, input) in script() {
        let mut answers = Vec::new();
        for (i, side) in sides.iter_mut().enumerate() {
            let input = fill(&input, side);
            let (status, body) = if i == 0 {
                match refine_api::dispatch(&side.d.core, Ctx::new(Surface::Http), name, input).await
                {
                    Ok(r) => (r.status, r.value()),
                    Err(e) => (e.status(), serde_json::to_value(&e).unwrap()),
                }
            } else {
                let a = side.d.call(name, input).await;
                (a.status.as_u16(), a.body)
            };
            if name == "apps.add" && status == 200 {
                side.app = body["id"].as_str().unwrap().to_string();
            }
            let remember = |key: &str, side: &mut Side, v: &Value| {
                if let Some(id) = v.as_str() {
                    if status < 300 && !side.vars.contains_key(key) {
                        side.vars.insert(key.to_string(), id.to_string());
                    }
                }
            };
            match name {
                "features.create" => remember("$FEATURE", side, &body["feature"]["id"]),
                "reporters.create" if body["name"] == "Bob" => {
                    remember("$REPORTER2", side, &body["id"])
                }
                "reporters.create" => remember("$REPORTER", side, &body["id"]),
                "todos.add" => remember("$TODO", side, &body["id"]),
                "terminal.create" => remember("$TERM", side, &body["id"]),
                "chat.create" => remember("$THREAD", side, &body["id"]),
                _ => {}
            }
            if name == "apps.rescan" || name == "import.commit" {
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
            // Measurements differ between two daemons by nature: compare their shape.
            let body = if SHAPE_ONLY.contains(&name) && status < 300 {
                shape(&body)
            } else {
                normalize(&body, &dir)
            };
            answers.push((status, body));
        }
        assert_eq!(
            answers[0], answers[1],
            "{name}: dispatch (left) and HTTP (right) differ"
        );
    }
}
