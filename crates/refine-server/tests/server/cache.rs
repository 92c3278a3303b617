//! The caches: listed with their hit rate, cleared and rebuilt without an answer changing.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{git, git_repo, TestDaemon};

fn cache<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

async fn until_finished(d: &TestDaemon, id: &Value) -> Value {
    for _ in 0..500 {
        let op = d.call("operations.get", json!({"id": id})).await.body;
        if op["status"] != "running" {
            return op;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("operation {id} never finished");
}

#[tokio::test]
async fn clearing_or_rebuilding_a_cache_changes_no_answer() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    assert_eq!(
        d.call("apps.add", json!({"path": repo})).await.status,
        StatusCode::OK
    );
    std::fs::write(repo.join("checkout.ts"), "export const pay = 1;\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "checkout"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let first = git(&repo, &["rev-parse", "HEAD~1"]);

    let list = d.call("cache.list", json!({})).await.body;
    assert_eq!(cache(&list, "files.index")["hitRate"], Value::Null);
    let find = json!({"query": "chk"});
    let diff = json!({"from": first, "to": head});
    let find1 = d.call("files.find", find.clone()).await;
    assert_eq!(find1.status, StatusCode::OK, "{}", find1.body);
    let diff1 = d.call("changes.diff", diff.clone()).await;
    assert_eq!(diff1.status, StatusCode::OK, "{}", diff1.body);
    assert_eq!(diff1.body["filesChanged"], 1);
    // Asked again: from the caches.
    assert_eq!(d.call("files.find", find.clone()).await.body, find1.body);
    assert_eq!(d.call("changes.diff", diff.clone()).await.body, diff1.body);
    let list = d.call("cache.list", json!({})).await.body;
    let (files, diffs) = (cache(&list, "files.index"), cache(&list, "changes.diff"));
    assert_eq!(files["entries"], 1, "{files}");
    assert!(files["bytes"].as_f64().unwrap() > 0.0);
    // The watcher builds the list when it starts: both finds may be hits.
    let (hits, misses) = (
        files["hits"].as_f64().unwrap(),
        files["misses"].as_f64().unwrap(),
    );
    assert!(hits >= 1.0 && hits + misses == 2.0, "{files}");
    assert_eq!(files["hitRate"].as_f64().unwrap(), hits / 2.0);
    assert_eq!(diffs["entries"], 1);
    assert_eq!(
        (diffs["hits"].as_f64(), diffs["misses"].as_f64()),
        (Some(1.0), Some(1.0))
    );

    let cleared = d.call("cache.clear", json!({})).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert_eq!(cleared.body["dropped"], 2);
    assert_eq!(cache(&cleared.body["caches"], "changes.diff")["entries"], 0);
    assert_eq!(d.call("files.find", find.clone()).await.body, find1.body);
    assert_eq!(d.call("changes.diff", diff.clone()).await.body, diff1.body);
    let list = d.call("cache.list", json!({})).await.body;
    assert_eq!(
        cache(&list, "changes.diff")["misses"],
        1.0,
        "computed again once"
    );
    assert_eq!(
        cache(&list, "files.index")["misses"],
        1.0,
        "walked again once"
    );

    let one = d.call("cache.clear", json!({"name": "changes.diff"})).await;
    assert_eq!(one.body["dropped"], 1);
    assert_eq!(
        cache(&one.body["caches"], "files.index")["entries"],
        1,
        "the other stays"
    );

    // Rebuild: an operation with progress that fills the caches again.
    assert_eq!(
        d.call("changes.diff", diff.clone()).await.status,
        StatusCode::OK
    );
    let r = d.call("cache.rebuild", json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let done = until_finished(&d, &r.body["id"]).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["progress"], 100);
    assert_eq!(done["result"]["rebuilt"], 3, "{done}");
    let list = d.call("cache.list", json!({})).await.body;
    assert_eq!(cache(&list, "files.index")["entries"], 1);
    assert_eq!(cache(&list, "changes.diff")["entries"], 1);
    assert_eq!(d.call("changes.diff", diff.clone()).await.body, diff1.body);
    assert_eq!(d.call("files.find", find).await.body, find1.body);

    for op in ["cache.clear", "cache.rebuild"] {
        let r = d.call(op, json!({"name": "nope"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{op}: {}", r.body);
        assert!(r.body["message"].as_str().unwrap().contains("files.index"));
        let r = d.call(op, json!({"name": 3})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{op}: {}", r.body);
    }
    assert_eq!(
        d.count("SELECT count(*) FROM activity WHERE operation = 'cache.clear'"),
        2
    );
}

/// The start rules' facts are kept in memory: listed, cleared and rebuilt like the others, and
/// every change to a Goal shows in `workflow.eligible` at once.
#[tokio::test]
async fn kept_start_facts_follow_every_change_and_survive_a_clear() {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "app");
    assert_eq!(
        d.call("apps.add", json!({"path": repo})).await.status,
        StatusCode::OK
    );
    d.call("workflow.pause", json!({})).await;
    let mut ids = Vec::new();
    for (title, priority) in [("Low", 0), ("High", 5)] {
        let g = d
            .call(
                "goals.create",
                json!({"title": title, "status": "todo", "priority": priority}),
            )
            .await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.body);
        ids.push(g.body["id"].as_str().unwrap().to_string());
    }
    let titles = |e: &Value, list: &str| -> Vec<String> {
        e[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["title"].as_str().unwrap().to_string())
            .collect()
    };
    let e1 = d.call("workflow.eligible", json!({})).await.body;
    assert_eq!(titles(&e1, "eligible"), ["High"]);
    assert_eq!(titles(&e1, "blocked"), ["Low"]);
    let list = d.call("cache.list", json!({})).await.body;
    assert_eq!(cache(&list, "workflow.facts")["entries"], 2, "{list}");

    // A change is seen at once: the high one goes back to the backlog.
    let r = d
        .call("goals.update", json!({"id": ids[1], "priority": -1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e2 = d.call("workflow.eligible", json!({})).await.body;
    assert_eq!(titles(&e2, "eligible"), ["Low"]);
    assert_eq!(titles(&e2, "blocked"), ["High"]);

    let cleared = d
        .call("cache.clear", json!({"name": "workflow.facts"}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert_eq!(cleared.body["dropped"], 2);
    assert_eq!(
        cache(&cleared.body["caches"], "workflow.facts")["entries"],
        0
    );
    assert_eq!(d.call("workflow.eligible", json!({})).await.body, e2);
    let list = d.call("cache.list", json!({})).await.body;
    assert_eq!(
        cache(&list, "workflow.facts")["misses"],
        1.0,
        "read again once"
    );

    let r = d
        .call("cache.rebuild", json!({"name": "workflow.facts"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let done = until_finished(&d, &r.body["id"]).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["rebuilt"], 1, "{done}");
    assert_eq!(
        cache(&done["result"]["caches"], "workflow.facts")["entries"],
        2
    );
    assert_eq!(d.call("workflow.eligible", json!({})).await.body, e2);
}
