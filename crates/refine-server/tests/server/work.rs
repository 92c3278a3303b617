//! Work and workflow over HTTP: what a user relies on, checked in answers and rows.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{git_repo, TestDaemon};

async fn with_app() -> TestDaemon {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "shop");
    let a = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(a.status, StatusCode::OK);
    d
}

async fn goal(d: &TestDaemon, body: Value) -> Value {
    let a = d.call("goals.create", body).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body
}

#[tokio::test]
async fn goals_crud_soft_delete_and_search() {
    let d = with_app().await;
    let g = goal(&d, json!({"title": "Coupon field", "prompt": "The cart has **no** coupon input", "labels": ["ui", "ui", " checkout "], "priority": 3})).await;
    assert_eq!(g["number"], 1);
    assert_eq!(g["status"], "backlog");
    assert_eq!(g["labels"], json!(["ui", "checkout"]));
    assert_eq!(g["rounds"][0]["number"], 1);
    goal(
        &d,
        json!({"title": "Search by SKU", "notes": "fuzzy matching please"}),
    )
    .await;

    let by_number = d.call("goals.get", json!({"id": "#1"})).await;
    assert_eq!(by_number.body["id"], g["id"]);
    let patched = d
        .call(
            "goals.update",
            json!({"id": g["id"], "title": "Coupon code field", "assignee": "claude-code"}),
        )
        .await;
    assert_eq!(patched.body["title"], "Coupon code field");
    assert_eq!(
        patched.body["prompt"], g["prompt"],
        "a partial patch keeps the rest"
    );
    let cleared = d
        .call("goals.update", json!({"id": "#1", "assignee": null}))
        .await;
    assert_eq!(cleared.body["assignee"], Value::Null);
    let nothing = d.call("goals.update", json!({"id": "#1"})).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);

    // Full-text search over title, prompt and notes, prefix words.
    let found = d.call("goals.list", json!({"q": "coupo"})).await;
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.body["items"][0]["number"], 1);
    let notes = d.call("goals.list", json!({"q": "fuzzy"})).await;
    assert_eq!(notes.body["items"][0]["number"], 2);
    let hostile = d.call("goals.list", json!({"q": "\" OR 1=1 --"})).await;
    assert_eq!(
        hostile.status,
        StatusCode::OK,
        "search words are quoted, never FTS syntax"
    );

    let del = d.call("goals.delete", json!({"id": "#2"})).await;
    assert!(del.body["deletedAt"].is_string());
    assert_eq!(d.call("goals.list", json!({})).await.body["total"], 1);
    assert_eq!(
        d.call("goals.list", json!({"deleted": true})).await.body["total"],
        1
    );
    assert_eq!(
        d.call("goals.update", json!({"id": "#2", "title": "x"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let back = d.call("goals.restore", json!({"id": "#2"})).await;
    assert_eq!(back.body["deletedAt"], Value::Null);
    assert_eq!(d.count("SELECT COUNT(*) FROM goals"), 2);
}

#[tokio::test]
async fn pagination_filters_and_sorts_are_stable() {
    let d = with_app().await;
    for i in 0..23 {
        let status = if i % 3 == 0 { "todo" } else { "backlog" };
        goal(&d, json!({"title": format!("Goal {i:02}"), "priority": i % 4, "status": status, "labels": if i % 2 == 0 { json!(["even"]) } else { json!([]) }})).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut input = json!({"limit": 5});
        if let Some(c) = &cursor {
            input["cursor"] = json!(c);
        }
        let page = d.call("goals.list", input).await.body;
        let items = page["items"].as_array().unwrap().clone();
        let prios: Vec<i64> = items
            .iter()
            .map(|g| g["priority"].as_i64().unwrap())
            .collect();
        assert!(
            prios.windows(2).all(|w| w[0] >= w[1]),
            "priority order within a page"
        );
        seen.extend(items.iter().map(|g| g["number"].as_u64().unwrap()));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        23,
        "every goal exactly once across pages: {seen:?}"
    );
    let todo = d
        .call(
            "goals.list",
            json!({"status": ["todo"], "label": "even", "sort": "number"}),
        )
        .await
        .body;
    let nums: Vec<u64> = todo["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["number"].as_u64().unwrap())
        .collect();
    assert_eq!(nums, vec![1, 7, 13, 19]);
    // The same filter as a query string, the way the browser and CLI send it.
    let q = d
        .raw(
            "GET",
            "/api/v1/work/goals?status=todo,backlog&sort=title&limit=2",
            &[],
            None,
            true,
        )
        .await;
    assert_eq!(q.status, StatusCode::OK, "{:?}", q.body);
    assert_eq!(q.body["items"][0]["title"], "Goal 00");
    assert_eq!(q.body["total"], 23);
}

#[tokio::test]
async fn features_order_and_the_start_rules() {
    let d = with_app().await;
    let f = d
        .call("features.create", json!({"name": "Checkout"}))
        .await
        .body;
    let fid = f["feature"]["id"].clone();
    for t in ["One", "Two", "Three"] {
        goal(&d, json!({"title": t, "featureId": fid, "status": "todo"})).await;
    }
    let detail = d.call("features.get", json!({"id": fid})).await.body;
    let order: Vec<&str> = detail["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["One", "Two", "Three"]);
    // Drag the third before the first.
    let moved = d
        .call(
            "features.add_goal",
            json!({"id": fid, "goalId": "#3", "index": 0}),
        )
        .await
        .body;
    let order: Vec<&str> = moved["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["Three", "One", "Two"]);
    let bad = d
        .call(
            "features.reorder",
            json!({"id": fid, "goalIds": ["#1", "#2"]}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "an order must name every Goal once"
    );

    // Only the first of the Feature may start; the reason names the blocker.
    let e = d.call("workflow.eligible", json!({})).await.body;
    assert_eq!(e["eligible"].as_array().unwrap().len(), 1);
    assert_eq!(e["eligible"][0]["title"], "Three");
    let refused = d
        .call("workflow.advance", json!({"goalId": "#1", "to": "plan"}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("waiting for #3 “Three”"),
        "{:?}",
        refused.body
    );
    assert_eq!(
        d.call("goals.get", json!({"id": "#1"})).await.body["status"],
        "todo",
        "nothing changed"
    );

    // Three reaches review → One may start. One fails → Two is blocked by the failure.
    for to in ["plan", "implement", "quality", "governance", "review"] {
        let a = d
            .call("workflow.advance", json!({"goalId": "#3", "to": to}))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{to}: {:?}", a.body);
    }
    assert_eq!(
        d.call("workflow.advance", json!({"goalId": "#1", "to": "plan"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        d.call(
            "workflow.advance",
            json!({"goalId": "#1", "to": "failed", "reason": "tests broke"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let e = d.call("workflow.eligible", json!({})).await.body;
    let blocked = e["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["number"] == 2)
        .unwrap()
        .clone();
    assert!(
        blocked["reason"]
            .as_str()
            .unwrap()
            .starts_with("blocked: #1 “One” failed"),
        "{blocked:?}"
    );
    assert_eq!(
        d.call("features.get", json!({"id": fid})).await.body["feature"]["status"],
        "blocked"
    );

    // Retry opens a new Round with the reason; approve, decline.
    let r = d
        .call(
            "workflow.retry",
            json!({"goalId": "#1", "reason": "fixed CI"}),
        )
        .await
        .body;
    assert_eq!(r["to"], "todo");
    assert_eq!(r["newRound"], true);
    let rounds = r["goal"]["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    assert_eq!(rounds[0]["outcome"], "failed: tests broke");
    assert_eq!(rounds[1]["request"], "Retry after failure: fixed CI");
    let declined = d
        .call(
            "workflow.decline",
            json!({"goalId": "#3", "reason": "needs tests"}),
        )
        .await
        .body;
    assert_eq!(declined["to"], "todo");
    assert_eq!(declined["goal"]["rounds"].as_array().unwrap().len(), 2);
    let wrong = d.call("workflow.approve", json!({"goalId": "#3"})).await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);
    assert_eq!(wrong.body["details"]["from"], "todo");
    let by_hand = d
        .call("workflow.move", json!({"goalId": "#3", "to": "review"}))
        .await;
    assert_eq!(by_hand.status, StatusCode::CONFLICT);
    // Every transition was recorded; refused ones left no trace.
    let n = d.count("SELECT COUNT(*) FROM goal_transitions WHERE goal_id = (SELECT id FROM goals WHERE number = 3)");
    assert_eq!(n, 1 + 5 + 1, "created + five advances + decline");
}

#[tokio::test]
async fn bulk_edit_applies_what_it_can() {
    let d = with_app().await;
    goal(&d, json!({"title": "A"})).await;
    goal(&d, json!({"title": "B", "status": "todo"})).await;
    let c = goal(&d, json!({"title": "C", "status": "todo"})).await;
    for to in ["plan", "implement"] {
        d.call("workflow.advance", json!({"goalId": c["id"], "to": to}))
            .await;
    }
    let r = d
        .call("goals.bulk_update", json!({"ids": ["#1", "#2", "#3", "#404"], "patch": {"status": "todo", "priority": 7, "addLabels": ["sprint"]}}))
        .await
        .body;
    assert_eq!(r["updated"], 2, "{r:?}");
    assert_eq!(r["failed"], 2);
    let res = r["results"].as_array().unwrap();
    assert_eq!(
        res[2]["error"]["code"], "conflict",
        "implement cannot be moved to todo by hand"
    );
    assert_eq!(res[3]["error"]["code"], "not_found");
    let g3 = d.call("goals.get", json!({"id": "#3"})).await.body;
    assert_eq!(g3["priority"], 0, "a refused item is untouched");
    assert_eq!(g3["labels"], json!([]));
    let g1 = d.call("goals.get", json!({"id": "#1"})).await.body;
    assert_eq!(
        (g1["status"].as_str(), g1["priority"].as_i64()),
        (Some("todo"), Some(7))
    );
    assert_eq!(g1["labels"], json!(["sprint"]));
}

#[tokio::test]
async fn imports_preview_commit_and_reimport_without_duplicates() {
    let d = with_app().await;
    let md = "# Search\n- [ ] Fuzzy search\n  Typos should still match.\n- [ ]\n- [x] Index SKUs\n";
    let p = d
        .call(
            "import.preview",
            json!({"format": "markdown", "content": md}),
        )
        .await
        .body;
    assert_eq!(p["create"], 2);
    assert_eq!(
        p["errors"],
        json!([{"row": 4, "message": "a task item without a title"}])
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM goals"),
        0,
        "preview stores nothing"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM features"), 0);

    let commit = |body: Value| async {
        let r = d.call("import.commit", body).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        for _ in 0..500 {
            let op = d.call("operations.get", json!({"id": id})).await.body;
            if op["status"] != "running" {
                return op;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the import never finished");
    };
    let op = commit(json!({"format": "markdown", "content": md})).await;
    assert_eq!(op["status"], "succeeded");
    assert_eq!(op["result"]["created"], 2);
    assert_eq!(op["result"]["featuresCreated"], 1);
    let again =
        commit(json!({"format": "markdown", "content": md.replace("Typos should", "Typos must")}))
            .await;
    assert_eq!(again["result"]["created"], 0);
    assert_eq!(again["result"]["updated"], 1);
    assert_eq!(again["result"]["unchanged"], 1);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM goals"),
        2,
        "re-import updates, never duplicates"
    );
    let fuzzy = d.call("goals.list", json!({"q": "fuzzy"})).await.body;
    assert_eq!(fuzzy["items"][0]["prompt"], "Typos must still match.");
    assert_eq!(fuzzy["items"][0]["featureName"], "Search");

    let gh = json!([
        {"number": 7, "title": "Crash on save", "body": "Steps", "labels": [{"name": "bug"}], "state": "OPEN", "url": "https://example.test/7"},
        {"number": 8, "title": "Old", "body": "", "labels": [], "state": "CLOSED", "url": "https://example.test/8"},
        {"number": 9, "title": ""}
    ])
    .to_string();
    let p = d
        .call("import.preview", json!({"format": "github", "content": gh}))
        .await
        .body;
    assert_eq!(
        (p["create"].as_u64(), p["errors"][0]["row"].as_u64()),
        (Some(2), Some(3))
    );
    let op = commit(json!({"format": "github", "content": gh})).await;
    assert_eq!(op["result"]["created"], 2);
    let crash = d.call("goals.list", json!({"label": "bug"})).await.body;
    assert_eq!(
        crash["items"][0]["external"],
        json!({"source": "github", "id": "7", "url": "https://example.test/7"})
    );

    let csv = "Summary,Tags,Priority,Key\nPay with card,billing,High,P-1\nBad prio,,soonish,P-2\n";
    let p = d
        .call("import.preview", json!({"format": "csv", "content": csv, "mapping": {"title": "Summary", "labels": "Tags", "priority": "Priority", "externalId": "Key"}}))
        .await
        .body;
    assert_eq!(p["create"], 1);
    assert!(p["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("soonish"));
    let jira = "Summary,Issue key,Description,Priority,Status,Labels,Epic Name\nSSO,ACC-1,Okta,Highest,To Do,auth,Accounts\n";
    assert_eq!(
        d.call("import.preview", json!({"format": "jira", "content": jira}))
            .await
            .body["goals"][0]["priority"],
        2
    );
    // Whole tracker exports are bigger than the default 1 MiB body limit.
    let big: String = (0..40_000)
        .map(|i| format!("- [ ] Task number {i} with some words\n"))
        .collect();
    assert!(big.len() > 1024 * 1024);
    let p = d
        .call(
            "import.preview",
            json!({"format": "markdown", "content": big}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body["message"]);
    assert_eq!(p.body["create"], 40_000);
    let bad = d
        .call(
            "import.preview",
            json!({"format": "github", "content": "{\"nope\": 1}"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Lossless JSON export, read back into a fresh app as the same work.
    let export = d.call("goals.export", json!({"format": "json"})).await.body;
    let other = TestDaemon::new();
    let repo = git_repo(other.dir.path(), "copy");
    other.call("apps.add", json!({"path": repo})).await;
    let p = other
        .call(
            "import.preview",
            json!({"format": "refine", "content": export["content"]}),
        )
        .await
        .body;
    assert_eq!(p["create"], 4);
    assert!(p["errors"].as_array().unwrap().is_empty());
    let csv = d.call("goals.export", json!({"format": "csv"})).await.body;
    assert!(csv["content"]
        .as_str()
        .unwrap()
        .starts_with("Issue key,Summary,Description,Issue Type,Status,Priority,Labels"));
}

#[tokio::test]
async fn reporters_merge_cascades_and_todos_keep_order() {
    let d = with_app().await;
    let ada = d
        .call("reporters.create", json!({"name": "Ada"}))
        .await
        .body;
    let bob = d
        .call("reporters.create", json!({"name": "Bob", "kind": "agent"}))
        .await
        .body;
    assert_eq!(
        d.call("reporters.create", json!({"name": "Ada"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    goal(&d, json!({"title": "From Bob", "reporterId": bob["id"]})).await;
    d.call("todos.add", json!({"reporterId": ada["id"], "text": "one"}))
        .await;
    let t2 = d
        .call("todos.add", json!({"reporterId": bob["id"], "text": "two"}))
        .await
        .body;
    let m = d
        .call(
            "reporters.merge",
            json!({"fromId": bob["id"], "intoId": ada["id"]}),
        )
        .await
        .body;
    assert_eq!(m["goalsMoved"], 1);
    assert_eq!(
        d.call("goals.get", json!({"id": "#1"})).await.body["reporterName"],
        "Ada"
    );
    let todos = d
        .call("todos.list", json!({"reporterId": ada["id"]}))
        .await
        .body;
    let texts: Vec<&str> = todos
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["one", "two"]);
    let done = d
        .call("todos.update", json!({"id": t2["id"], "done": true}))
        .await
        .body;
    assert_eq!(done["done"], true);
    let ids: Vec<Value> = todos
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|t| t["id"].clone())
        .collect();
    let reordered = d
        .call(
            "todos.reorder",
            json!({"reporterId": ada["id"], "ids": ids}),
        )
        .await
        .body;
    assert_eq!(reordered[0]["text"], "two");
    assert_eq!(
        d.call("reporters.list", json!({}))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "Bob is retired"
    );
    d.call("reporters.delete", json!({"id": ada["id"]})).await;
    assert_eq!(
        d.call("goals.get", json!({"id": "#1"})).await.body["reporterName"],
        "Ada",
        "history keeps the name"
    );
}

#[tokio::test]
async fn dashboard_counts_throughput_and_attention() {
    let d = with_app().await;
    goal(&d, json!({"title": "Ship", "status": "todo"})).await;
    goal(&d, json!({"title": "Later"})).await;
    for to in ["plan", "implement", "quality", "governance", "review"] {
        d.call("workflow.advance", json!({"goalId": "#1", "to": to}))
            .await;
    }
    let before = d.call("dashboard.summary", json!({})).await.body;
    let count = |v: &Value, s: &str| {
        v["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["state"] == s)
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(count(&before, "review"), 1);
    assert_eq!(before["attention"][0]["kind"], "review");
    let approved = d
        .raw(
            "POST",
            "/api/v1/workflow/approve",
            &[
                ("content-type", "application/json"),
                ("x-refine-actor", "Zo%C3%AB"),
            ],
            Some(br##"{"goalId": "#1"}"##.to_vec()),
            true,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let rounds = approved.body["goal"]["rounds"].as_array().unwrap().clone();
    assert_eq!(rounds.len(), 1, "stepping forward keeps one attempt");
    assert_eq!(rounds[0]["outcome"], "approved");
    let who = d
        .call("activity.list", json!({"operation": "workflow.approve"}))
        .await
        .body;
    assert_eq!(
        who["items"][0]["actor"], "Zoë",
        "percent-encoded actors are decoded"
    );
    let after = d.call("dashboard.summary", json!({})).await.body;
    assert_eq!(count(&after, "review"), 0);
    assert_eq!(count(&after, "done"), 1);
    assert_eq!(after["throughput"].as_array().unwrap().len(), 14);
    assert_eq!(after["throughput"][13]["done"], 1, "today counts one");
    assert!(after["medianCycleHours"].is_number());
    assert_eq!(after["total"], 2);
    let paused = d
        .call("workflow.pause", json!({"reason": "demo"}))
        .await
        .body;
    assert_eq!(paused["paused"], true);
    assert_eq!(
        d.call("workflow.pause", json!({})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        d.call("dashboard.summary", json!({})).await.body["automationPaused"],
        true
    );
}

#[tokio::test]
async fn page_totals_stop_counting_at_ten_thousand() {
    let d = with_app().await;
    let app = d.call("apps.list", json!({})).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let now = "2026-11-01T00:00:00.000Z";
    d.core
        .store()
        .write(|tx| {
            for i in 0..10_005u32 {
                let g = refine_model::work::Goal {
                    id: format!("01900000-0000-7000-8000-{i:012}"),
                    app_id: app.clone(),
                    number: i + 1,
                    title: format!("Goal {i}"),
                    prompt: String::new(),
                    notes: String::new(),
                    status: refine_model::workflow::WorkflowState::Backlog,
                    priority: 0,
                    reporter_id: None,
                    reporter_name: None,
                    assignee: None,
                    feature_id: None,
                    feature_name: None,
                    position: None,
                    node_id: "n".into(),
                    labels: vec![],
                    external: None,
                    created_at: now.into(),
                    updated_at: now.into(),
                    deleted_at: None,
                    candidates: None,
                    pinned_node: None,
                    rounds: vec![],
                };
                refine_store::goals::insert(tx, &g)?;
            }
            Ok::<_, refine_store::StoreError>(())
        })
        .unwrap();
    let page = d.call("goals.list", json!({"limit": 5})).await.body;
    assert_eq!(page["total"], 10_000);
    assert_eq!(page["totalIsLowerBound"], true);
    let few = d.call("goals.list", json!({"q": "9999"})).await.body;
    assert_eq!(
        (few["total"].as_u64(), few["totalIsLowerBound"].as_bool()),
        (Some(1), Some(false))
    );
}

#[tokio::test]
async fn best_of_n_is_asked_per_goal_within_one_to_five() {
    let d = with_app().await;
    let g = goal(&d, json!({"title": "Three ways", "candidates": 3})).await;
    assert_eq!(g["candidates"], 3);
    let plain = goal(&d, json!({"title": "One way"})).await;
    assert_eq!(plain["candidates"], Value::Null, "the app's setting");
    for bad in [0, 6] {
        let r = d
            .call("goals.update", json!({"id": g["id"], "candidates": bad}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", r.body);
        assert!(r.body["message"]
            .as_str()
            .unwrap()
            .contains("between 1 and 5"));
    }
    let kept = d.call("goals.get", json!({"id": g["id"]})).await;
    assert_eq!(kept.body["candidates"], 3, "a refused patch stores nothing");
    let two = d
        .call("goals.update", json!({"id": g["id"], "candidates": 2}))
        .await;
    assert_eq!(two.body["candidates"], 2);
    let cleared = d
        .call("goals.update", json!({"id": g["id"], "candidates": null}))
        .await;
    assert_eq!(cleared.body["candidates"], Value::Null);
    // A Goal in the backlog has no candidates to pick from.
    let r = d
        .call("review.pick", json!({"goalId": g["id"], "candidate": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("picked in review"));
}

/// The journal keeps what was asked, not the fields left out: a create that names only a
/// title and labels stores just those; an edit that clears a field keeps its `null`.
#[tokio::test]
async fn the_journal_keeps_the_fields_asked_for() {
    let d = with_app().await;
    let g = goal(
        &d,
        json!({"title": "Journal me", "labels": ["a"], "prompt": null, "assignee": "ann"}),
    )
    .await;
    let kept = d.count(
        "SELECT COUNT(*) FROM operations WHERE kind = 'goals.create'
           AND json_extract(input, '$.title') = 'Journal me'
           AND json_extract(input, '$.labels[0]') = 'a'
           AND instr(input, 'null') = 0 AND json_type(input, '$.prompt') IS NULL",
    );
    assert_eq!(kept, 1);
    let cleared = d
        .call("goals.update", json!({"id": g["id"], "assignee": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(cleared.body["assignee"], Value::Null);
    let kept_clear = d.count(
        "SELECT COUNT(*) FROM operations WHERE kind = 'goals.update'
           AND json_type(input, '$.assignee') = 'null'",
    );
    assert_eq!(kept_clear, 1, "clearing a field is journaled as such");
}
