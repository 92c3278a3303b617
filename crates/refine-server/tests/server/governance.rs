//! Quality settings, governance and guidance over HTTP: CRUD, stable ids that are never reused,
//! one revision per collection (a stale writer gets a 409 and nothing changes), bad input is a
//! 400 that stores nothing, and every write leaves an activity row and an event.

use axum::http::StatusCode;
use refine_model::agents::QualityCheck;
use refine_model::quality::QualityEvaluation;
use serde_json::{json, Value};
use tokio::sync::broadcast::Receiver;

use crate::support::{git_repo, TestDaemon};

/// A daemon with one app (active) and its id.
async fn with_app() -> (TestDaemon, String) {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "shop");
    let a = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    (d, id)
}

/// Everything stored that a refused write must leave alone.
fn footprint(d: &TestDaemon) -> Vec<i64> {
    [
        "SELECT COUNT(*) FROM activity",
        "SELECT COUNT(*) FROM operations",
        "SELECT COUNT(*) FROM idempotency",
        "SELECT COALESCE(SUM(revision), 0) FROM quality_settings",
        "SELECT COALESCE(SUM(revision), 0) FROM governance",
        "SELECT COUNT(*) FROM governance_rules",
        "SELECT COALESCE(SUM(revision), 0) FROM guidance_revision",
        "SELECT COUNT(*) FROM guidance",
        "SELECT COUNT(*) FROM meta",
    ]
    .iter()
    .map(|q| d.count(q))
    .collect()
}

/// Kinds of the events published since `rx` subscribed.
fn drain(rx: &mut Receiver<std::sync::Arc<refine_model::Event>>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push((e.kind.clone(), e.data.clone()));
    }
    out
}

/// Call with an Idempotency-Key (as every client does for mutations).
async fn keyed(d: &TestDaemon, op: &str, input: Value) -> crate::support::Answer {
    let key = uuid::Uuid::now_v7().to_string();
    d.http(refine_api::find(op).unwrap(), input, Some(&key))
        .await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn quality_settings_are_fenced_by_their_revision() {
    let (d, app) = with_app().await;
    let empty = d.call("quality.settings.get", json!({})).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(
        empty.body,
        json!({"appId": app, "tests": [], "instructions": "", "revision": 0})
    );
    let (_, mut rx) = d.core.bus().subscribe(None);

    let saved = keyed(
        &d,
        "quality.settings.update",
        json!({"revision": 0, "tests": ["  The cart shows a coupon field ", "Paying twice is refused"],
               "instructions": "Run `npm test`, then open /cart."}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["revision"], 1);
    assert_eq!(
        saved.body["tests"][0], "The cart shows a coupon field",
        "tests are trimmed"
    );
    let events = drain(&mut rx);
    assert_eq!(events[0].0, "quality.updated");
    assert_eq!(events[0].1, json!({"appId": app, "revision": 1}));
    assert_eq!(events[1].0, "activity.created");
    assert_eq!(events[1].1["operation"], "quality.settings.update");
    assert_eq!(events[1].1["appId"], app.as_str());

    // A writer that read revision 0 is refused; nothing changes.
    let before = footprint(&d);
    let stale = keyed(
        &d,
        "quality.settings.update",
        json!({"revision": 0, "tests": [], "instructions": ""}),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.body);
    assert_eq!(stale.body["code"], "conflict");
    assert_eq!(stale.body["details"]["currentRevision"], 1);
    assert_eq!(footprint(&d), before);

    let long_test = "x".repeat(2001);
    let long_instructions = "y".repeat(20_001);
    let too_many: Vec<String> = (0..101).map(|n| format!("test {n}")).collect();
    for bad in [
        json!({"revision": 1, "tests": too_many, "instructions": ""}),
        json!({"revision": 1, "tests": ["ok", "   "], "instructions": ""}),
        json!({"revision": 1, "tests": [long_test], "instructions": ""}),
        json!({"revision": 1, "tests": [], "instructions": long_instructions}),
        json!({"revision": 1, "tests": ["a\u{0}b"], "instructions": ""}),
        json!({"revision": 1, "tests": "one", "instructions": ""}),
        json!({"revision": -1, "tests": [], "instructions": ""}),
        json!({"revision": 1, "tests": []}),
        json!({"revision": 1, "tests": [], "instructions": "", "extra": 1}),
        json!({"revision": 1, "tests": [], "instructions": "", "appId": "nope"}),
    ] {
        let a = keyed(&d, "quality.settings.update", bad.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", a.body);
        assert_eq!(a.body["code"], "invalid_input");
    }
    assert_eq!(footprint(&d), before, "bad input stores nothing");
    assert!(drain(&mut rx).is_empty(), "refused writes publish nothing");

    // The edge of the limits is fine, and the automation's reader sees the result.
    let hundred: Vec<String> = (0..100).map(|n| format!("test {n}")).collect();
    let ok = keyed(
        &d,
        "quality.settings.update",
        json!({"revision": 1, "tests": hundred, "instructions": "z".repeat(20_000)}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["revision"], 2);
    let (tests, instructions) = d
        .core
        .store()
        .read(|c| refine_store::agents::quality_tests(c, &app))
        .unwrap();
    assert_eq!(tests.len(), 100);
    assert_eq!(instructions.len(), 20_000);
    assert_eq!(
        d.count(
            "SELECT COUNT(*) FROM activity WHERE operation = 'quality.settings.update' AND surface = 'http'"
        ),
        2
    );

    // No app selected: a clear precondition, not a crash.
    d.call("apps.select", json!({"id": null})).await;
    let none = d.call("quality.settings.get", json!({})).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let named = d.call("quality.settings.get", json!({"appId": app})).await;
    assert_eq!(named.body["revision"], 2);
}

#[tokio::test]
async fn governance_rules_keep_their_ids_and_share_one_revision() {
    let (d, app) = with_app().await;
    let g = d.call("governance.get", json!({})).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.body["revision"], 0);
    assert_eq!(g.body["rules"], json!([]));
    assert_eq!(g.body["updatedAt"], Value::Null);
    let (_, mut rx) = d.core.bus().subscribe(None);

    let g = keyed(
        &d,
        "governance.update",
        json!({"revision": 0, "statement": "A shop for tea.", "constitution": "# Principles\n\nNo dark patterns.\n"}),
    )
    .await;
    assert_eq!(g.status, StatusCode::OK, "{:?}", g.body);
    assert_eq!(g.body["revision"], 1);
    assert_eq!(g.body["statement"], "A shop for tea.");
    let mut rev = 1;
    for (title, body) in [
        ("No new dependencies", "Ask first."),
        ("Prices are integers", "Cents, never floats."),
        ("Tests for every fix", ""),
    ] {
        let a = keyed(
            &d,
            "governance.rules.add",
            json!({"revision": rev, "title": title, "body": body}),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        rev += 1;
        assert_eq!(a.body["revision"], rev);
    }
    let g = d.call("governance.get", json!({})).await.body;
    assert_eq!(ids(&g["rules"]), ["R1", "R2", "R3"]);
    assert_eq!(g["rules"][1]["position"], 1);
    assert_eq!(g["rules"][2]["body"], "");

    let e = keyed(
        &d,
        "governance.rules.update",
        json!({"revision": rev, "id": "R2", "body": "Integer cents."}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{:?}", e.body);
    rev += 1;
    assert_eq!(e.body["rules"][1]["body"], "Integer cents.");
    assert_eq!(e.body["rules"][1]["title"], "Prices are integers");

    let r = keyed(
        &d,
        "governance.rules.delete",
        json!({"revision": rev, "id": "R2"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    rev += 1;
    assert_eq!(ids(&r.body["rules"]), ["R1", "R3"]);
    assert_eq!(r.body["rules"][1]["position"], 1, "positions close the gap");

    // A removed id is never handed out again.
    let a = keyed(
        &d,
        "governance.rules.add",
        json!({"revision": rev, "title": "Accessible forms"}),
    )
    .await;
    rev += 1;
    assert_eq!(ids(&a.body["rules"]), ["R1", "R3", "R4"]);

    let o = keyed(
        &d,
        "governance.rules.reorder",
        json!({"revision": rev, "ids": ["R4", "R1", "R3"]}),
    )
    .await;
    assert_eq!(o.status, StatusCode::OK, "{:?}", o.body);
    rev += 1;
    assert_eq!(ids(&o.body["rules"]), ["R4", "R1", "R3"]);
    assert_eq!(o.body["revision"], rev);

    // What the governance gate reads follows the same order.
    let (statement, constitution, rules) = d
        .core
        .store()
        .read(|c| refine_store::agents::governance_texts(c, &app))
        .unwrap();
    assert_eq!(statement, "A shop for tea.");
    assert!(constitution.contains("No dark patterns."));
    let gate: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(gate, ["R4", "R1", "R3"]);

    let events = drain(&mut rx);
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "governance.updated").count(),
        rev as usize,
        "{kinds:?}"
    );
    assert_eq!(
        events.last().unwrap().1["operation"],
        "governance.rules.reorder"
    );
    for (op, n) in [
        ("governance.update", 1),
        ("governance.rules.add", 4),
        ("governance.rules.update", 1),
        ("governance.rules.delete", 1),
        ("governance.rules.reorder", 1),
    ] {
        assert_eq!(
            d.count(&format!(
                "SELECT COUNT(*) FROM activity WHERE operation = '{op}' AND app_id = '{app}'"
            )),
            n,
            "{op}"
        );
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE target = 'R2' AND summary LIKE 'Removed governance rule R2%'"),
        1
    );

    // Stale writers: a 409 naming the current revision, whatever they tried.
    let before = footprint(&d);
    for (op, input) in [
        (
            "governance.update",
            json!({"revision": 1, "statement": "Old"}),
        ),
        (
            "governance.rules.add",
            json!({"revision": 1, "title": "Late"}),
        ),
        (
            "governance.rules.update",
            json!({"revision": 1, "id": "R1", "title": "Late"}),
        ),
        (
            "governance.rules.update",
            json!({"revision": 1, "id": "R99", "title": "Late"}),
        ),
        (
            "governance.rules.delete",
            json!({"revision": rev - 1, "id": "R1"}),
        ),
        (
            "governance.rules.reorder",
            json!({"revision": rev + 1, "ids": ["R1", "R3", "R4"]}),
        ),
    ] {
        let a = keyed(&d, op, input.clone()).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{op} {input}: {:?}", a.body);
        assert_eq!(a.body["details"]["currentRevision"], rev);
        assert!(
            a.body["message"]
                .as_str()
                .unwrap()
                .contains("changed since you read it"),
            "{:?}",
            a.body
        );
    }
    assert_eq!(footprint(&d), before, "stale writes store nothing");

    // Bad input: a 400 (unknown rule: 404), nothing stored.
    for (op, input, status) in [
        ("governance.update", json!({"revision": rev}), 400),
        (
            "governance.update",
            json!({"revision": rev, "statement": "s".repeat(5001)}),
            400,
        ),
        (
            "governance.update",
            json!({"revision": rev, "constitution": "c".repeat(50_001)}),
            400,
        ),
        (
            "governance.rules.add",
            json!({"revision": rev, "title": "  "}),
            400,
        ),
        (
            "governance.rules.add",
            json!({"revision": rev, "title": "two\nlines"}),
            400,
        ),
        (
            "governance.rules.add",
            json!({"revision": rev, "title": "t".repeat(201)}),
            400,
        ),
        (
            "governance.rules.add",
            json!({"revision": rev, "title": "ok", "body": "b".repeat(20_001)}),
            400,
        ),
        (
            "governance.rules.add",
            json!({"revision": rev, "title": "ok", "id": "R9"}),
            400,
        ),
        (
            "governance.rules.update",
            json!({"revision": rev, "id": "R1"}),
            400,
        ),
        (
            "governance.rules.update",
            json!({"revision": rev, "id": "rule-1", "title": "x"}),
            400,
        ),
        (
            "governance.rules.update",
            json!({"revision": rev, "id": "R0", "title": "x"}),
            400,
        ),
        (
            "governance.rules.update",
            json!({"revision": rev, "id": "R99", "title": "x"}),
            404,
        ),
        (
            "governance.rules.update",
            json!({"revision": rev, "id": "R2", "title": "x"}),
            404,
        ),
        (
            "governance.rules.delete",
            json!({"revision": rev, "id": "R2"}),
            404,
        ),
        (
            "governance.rules.delete",
            json!({"revision": rev, "id": "../R1"}),
            400,
        ),
        (
            "governance.rules.reorder",
            json!({"revision": rev, "ids": ["R1", "R3"]}),
            400,
        ),
        (
            "governance.rules.reorder",
            json!({"revision": rev, "ids": ["R1", "R1", "R3"]}),
            400,
        ),
        (
            "governance.rules.reorder",
            json!({"revision": rev, "ids": ["R1", "R3", "R4", "R9"]}),
            400,
        ),
    ] {
        let a = keyed(&d, op, input.clone()).await;
        assert_eq!(a.status.as_u16(), status, "{op} {input}: {:?}", a.body);
        assert!(a.body["message"].is_string());
    }
    assert_eq!(footprint(&d), before, "bad input stores nothing");
    assert!(
        !drain(&mut rx)
            .iter()
            .any(|(k, _)| k == "governance.updated"),
        "refused writes publish nothing"
    );

    // Ids are unique across the install: another app's first rule is R5, and its revision is
    // its own.
    let other = git_repo(d.dir.path(), "blog");
    let b = d
        .call("apps.add", json!({"path": other, "name": "blog"}))
        .await;
    let b = b.body["id"].as_str().unwrap().to_string();
    let a = keyed(
        &d,
        "governance.rules.add",
        json!({"appId": b, "revision": 0, "title": "Posts have authors"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(ids(&a.body["rules"]), ["R5"]);
    assert_eq!(a.body["revision"], 1);
    assert_eq!(a.body["appId"], b.as_str());
    let mine = d.call("governance.get", json!({"appId": app})).await.body;
    assert_eq!(ids(&mine["rules"]), ["R4", "R1", "R3"]);
    let cross = keyed(
        &d,
        "governance.rules.delete",
        json!({"appId": b, "revision": 1, "id": "R1"}),
    )
    .await;
    assert_eq!(
        cross.status,
        StatusCode::NOT_FOUND,
        "another app's rule is not reachable"
    );

    // The same key replays the stored answer rather than adding twice.
    let key = uuid::Uuid::now_v7().to_string();
    let op = refine_api::find("governance.rules.add").unwrap();
    let input = json!({"appId": b, "revision": 1, "title": "Drafts are private"});
    let first = d.http(op, input.clone(), Some(&key)).await;
    let again = d.http(op, input, Some(&key)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(
        d.count(&format!(
            "SELECT COUNT(*) FROM governance_rules WHERE app_id = '{b}'"
        )),
        2
    );
}

#[tokio::test]
async fn guidance_entries_are_edited_enabled_and_ordered() {
    let (d, app) = with_app().await;
    let l = d.call("guidance.list", json!({})).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.body, json!({"appId": app, "entries": [], "revision": 0}));
    let (_, mut rx) = d.core.bus().subscribe(None);

    let a = keyed(
        &d,
        "guidance.add",
        json!({"revision": 0, "title": "Prefer small commits", "body": "One concern per commit."}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["entries"][0]["id"], "G1");
    assert_eq!(a.body["entries"][0]["enabled"], true);
    let a = keyed(
        &d,
        "guidance.add",
        json!({"revision": 1, "title": "Use the design tokens", "enabled": false}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["revision"], 2);
    assert_eq!(ids(&a.body["entries"]), ["G1", "G2"]);
    assert_eq!(a.body["entries"][1]["enabled"], false);

    let enabled = |d: &TestDaemon| -> Vec<String> {
        d.core
            .store()
            .read(|c| refine_store::agents::enabled_guidance(c, &app))
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect()
    };
    assert_eq!(enabled(&d), ["G1"], "disabled entries do not reach agents");

    let u = keyed(
        &d,
        "guidance.update",
        json!({"revision": 2, "id": "G2", "enabled": true, "body": "Colours come from tokens.css."}),
    )
    .await;
    assert_eq!(u.status, StatusCode::OK, "{:?}", u.body);
    assert_eq!(
        u.body["entries"][1]["body"],
        "Colours come from tokens.css."
    );
    assert_eq!(enabled(&d), ["G1", "G2"]);
    let o = keyed(
        &d,
        "guidance.reorder",
        json!({"revision": 3, "ids": ["G2", "G1"]}),
    )
    .await;
    assert_eq!(o.status, StatusCode::OK, "{:?}", o.body);
    assert_eq!(enabled(&d), ["G2", "G1"]);
    let off = keyed(
        &d,
        "guidance.update",
        json!({"revision": 4, "id": "G1", "enabled": false}),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE summary LIKE 'Disabled guidance G1%'"),
        1
    );
    let r = keyed(&d, "guidance.delete", json!({"revision": 5, "id": "G2"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(ids(&r.body["entries"]), ["G1"]);
    assert_eq!(r.body["entries"][0]["position"], 0);
    let a = keyed(&d, "guidance.add", json!({"revision": 6, "title": "Again"})).await;
    assert_eq!(ids(&a.body["entries"]), ["G1", "G3"], "G2 stays retired");
    assert_eq!(a.body["revision"], 7);

    let events = drain(&mut rx);
    assert_eq!(
        events
            .iter()
            .filter(|(k, _)| k == "guidance.updated")
            .count(),
        7
    );
    assert_eq!(
        events
            .iter()
            .filter(|(k, v)| k == "activity.created"
                && v["operation"].as_str().unwrap().starts_with("guidance."))
            .count(),
        7
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE operation LIKE 'guidance.%'"),
        7
    );

    let before = footprint(&d);
    for (op, input, status) in [
        ("guidance.add", json!({"revision": 6, "title": "Late"}), 409),
        (
            "guidance.update",
            json!({"revision": 0, "id": "G1", "enabled": true}),
            409,
        ),
        ("guidance.delete", json!({"revision": 6, "id": "G1"}), 409),
        (
            "guidance.reorder",
            json!({"revision": 8, "ids": ["G3", "G1"]}),
            409,
        ),
        ("guidance.add", json!({"revision": 7, "title": ""}), 400),
        (
            "guidance.add",
            json!({"revision": 7, "title": "x", "enabled": "yes"}),
            400,
        ),
        ("guidance.update", json!({"revision": 7, "id": "G1"}), 400),
        (
            "guidance.update",
            json!({"revision": 7, "id": "R1", "title": "x"}),
            400,
        ),
        (
            "guidance.update",
            json!({"revision": 7, "id": "G2", "title": "x"}),
            404,
        ),
        ("guidance.delete", json!({"revision": 7, "id": "G9"}), 404),
        (
            "guidance.reorder",
            json!({"revision": 7, "ids": ["G1"]}),
            400,
        ),
    ] {
        let a = keyed(&d, op, input.clone()).await;
        assert_eq!(a.status.as_u16(), status, "{op} {input}: {:?}", a.body);
        if status == 409 {
            assert_eq!(a.body["details"]["currentRevision"], 7);
        }
    }
    assert_eq!(footprint(&d), before, "refused writes store nothing");
}

#[tokio::test]
async fn quality_history_lists_recorded_evaluations_newest_first() {
    let (d, app) = with_app().await;
    let goal = d
        .call("goals.create", json!({"title": "Coupon field"}))
        .await;
    assert_eq!(goal.status, StatusCode::OK, "{:?}", goal.body);
    let goal_id = goal.body["id"].as_str().unwrap().to_string();
    let row = |id: &str, goal: Option<&str>, at: &str, passed: Option<bool>| QualityEvaluation {
        id: id.to_string(),
        app_id: app.clone(),
        goal_id: goal.map(str::to_string),
        round: goal.map(|_| 1),
        commit_sha: Some("a1b2c3".into()),
        trigger: if goal.is_some() { "round" } else { "manual" }.into(),
        passed,
        checks: vec![QualityCheck {
            test: "The cart shows a coupon field".into(),
            command: "npm test".into(),
            exit_code: Some(if passed == Some(true) { 0 } else { 1 }),
            passed: passed == Some(true),
            duration_ms: 1234,
            log_excerpt: "1 passing".into(),
            process_id: None,
        }],
        error: None,
        started_at: at.to_string(),
        ended_at: passed.map(|_| at.to_string()),
    };
    let e1 = uuid::Uuid::now_v7().to_string();
    let e2 = uuid::Uuid::now_v7().to_string();
    let e3 = uuid::Uuid::now_v7().to_string();
    let rows = vec![
        row(&e1, Some(&goal_id), "2025-01-01T10:00:00.000Z", Some(false)),
        row(&e2, None, "2025-01-02T10:00:00.000Z", Some(true)),
        row(&e3, Some(&goal_id), "2025-01-03T10:00:00.000Z", None),
    ];
    d.core
        .store()
        .write(|tx| {
            for r in &rows {
                refine_store::quality::insert_evaluation(tx, r)?;
            }
            Ok::<_, refine_store::StoreError>(())
        })
        .unwrap();

    let all = d.call("quality.evaluations.list", json!({})).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(ids(&all.body), [e3.clone(), e2.clone(), e1.clone()]);
    assert_eq!(all.body[1]["checks"][0]["durationMs"], 1234);
    assert_eq!(all.body[1]["passed"], true);
    assert_eq!(all.body[0]["passed"], Value::Null, "still running");
    let of_goal = d
        .call(
            "quality.evaluations.list",
            json!({"goalId": "#1", "limit": 1}),
        )
        .await;
    assert_eq!(ids(&of_goal.body), std::slice::from_ref(&e3));
    let of_goal = d
        .call("quality.evaluations.list", json!({"goalId": goal_id}))
        .await;
    assert_eq!(ids(&of_goal.body), [e3, e1.clone()]);

    let one = d.call("quality.evaluations.get", json!({"id": e1})).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<QualityEvaluation>(one.body).unwrap(),
        rows[0]
    );
    for (input, status) in [
        (json!({"limit": 0}), 400),
        (json!({"limit": 501}), 400),
        (json!({"goalId": "#99"}), 404),
        (json!({"goalId": "not-a-goal"}), 400),
    ] {
        let a = d.call("quality.evaluations.list", input.clone()).await;
        assert_eq!(a.status.as_u16(), status, "{input}: {:?}", a.body);
    }
    let missing = d
        .call(
            "quality.evaluations.get",
            json!({"id": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE operation LIKE 'quality.%'"),
        0,
        "reads record nothing"
    );
}
