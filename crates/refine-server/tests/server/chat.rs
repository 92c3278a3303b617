//! Chat over HTTP with small shell "agents" (saved profiles): threads, a reply that streams as
//! `chat.delta` events before it is stored, failures, deleting a thread mid-reply, Goal drafts
//! through import's preview, bad input (400, nothing stored), unknown threads (404), and a reply
//! left behind by a stopped daemon settled as failed.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use tokio::sync::broadcast::Receiver;

use crate::support::{git_repo, TestDaemon};

async fn with_app() -> (TestDaemon, String) {
    let d = TestDaemon::new();
    let repo = git_repo(d.dir.path(), "shop");
    let a = d.call("apps.add", json!({"path": repo})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    (d, id)
}

/// Save a profile that runs `script` with `sh -c` (the prompt arrives on standard input).
async fn shell_agent(d: &TestDaemon, name: &str, script: &str) {
    let r = d
        .call(
            "agents.profiles.save",
            json!({"profile": {
                "name": name, "provider": "generic", "command": "sh",
                "args": ["-c", script], "promptDelivery": "stdin"
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn ok(d: &TestDaemon, op: &str, input: Value) -> Value {
    let r = d.call(op, input.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{op} {input}: {:?}", r.body);
    r.body
}

/// Wait for the reply `id` to end; returns the chat events seen meanwhile (kind, data).
async fn until_done(
    rx: &mut Receiver<std::sync::Arc<refine_model::Event>>,
    id: &str,
) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the reply did not end within 30 s")
            .unwrap();
        if !e.kind.starts_with("chat.") {
            continue;
        }
        let end = e.kind == "chat.message"
            && e.data["message"]["id"] == id
            && matches!(
                e.data["message"]["status"].as_str(),
                Some("done" | "failed")
            );
        seen.push((e.kind.clone(), e.data.clone()));
        if end {
            return seen;
        }
    }
}

fn footprint(d: &TestDaemon) -> Vec<i64> {
    [
        "SELECT COUNT(*) FROM chat_threads",
        "SELECT COUNT(*) FROM chat_messages",
        "SELECT COUNT(*) FROM activity",
        "SELECT COUNT(*) FROM operations",
        "SELECT COUNT(*) FROM agent_runs",
        "SELECT COUNT(*) FROM goals",
    ]
    .iter()
    .map(|q| d.count(q))
    .collect()
}

#[tokio::test]
async fn a_reply_streams_live_then_is_stored() {
    let (d, app) = with_app().await;
    shell_agent(
        &d,
        "echo-agent",
        "echo 'Thinking about it'; sleep 0.4; echo \"You said: $(grep -c . ) lines\"; printf '```refine-result\\n{\"reply\": \"Short answer.\"}\\n```\\n'",
    )
    .await;
    let t = ok(
        &d,
        "chat.create",
        json!({"kind": "project", "profile": "echo-agent"}),
    )
    .await;
    assert_eq!(t["title"], "Project chat");
    assert_eq!(t["kind"], "project");
    assert_eq!(t["appId"], app.as_str());
    assert_eq!(t["messageCount"], 0);
    let tid = t["id"].as_str().unwrap().to_string();

    let (_, mut rx) = d.core.bus().subscribe(None);
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": tid, "content": "How do coupons work here?"}),
    )
    .await;
    assert_eq!(sent["message"]["role"], "user");
    assert_eq!(sent["message"]["status"], "done");
    assert_eq!(sent["message"]["seq"], 1);
    assert_eq!(sent["reply"]["role"], "assistant");
    assert_eq!(
        sent["reply"]["status"], "pending",
        "the answer comes at once"
    );
    assert_eq!(sent["reply"]["seq"], 2);
    assert_eq!(sent["thread"]["replying"], true);
    let rid = sent["reply"]["id"].as_str().unwrap().to_string();

    // A second message while the agent answers is refused.
    let busy = d
        .call("chat.send", json!({"threadId": tid, "content": "and?"}))
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{:?}", busy.body);

    let events = until_done(&mut rx, &rid).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    let first_delta = kinds
        .iter()
        .position(|k| *k == "chat.delta")
        .expect("deltas");
    let streaming = events
        .iter()
        .position(|(k, v)| k == "chat.message" && v["message"]["status"] == "streaming")
        .expect("the reply went streaming");
    assert!(streaming < first_delta, "{kinds:?}");
    let deltas: Vec<String> = events
        .iter()
        .filter(|(k, v)| k == "chat.delta" && v["messageId"] == rid.as_str())
        .map(|(_, v)| v["text"].as_str().unwrap().to_string())
        .collect();
    assert!(
        deltas.len() >= 2,
        "output arrives as it is written: {deltas:?}"
    );
    assert_eq!(deltas[0], "Thinking about it\n");
    let streamed = deltas.concat();
    assert!(streamed.contains("You said: "), "{streamed}");
    assert!(
        !streamed.contains("refine-result"),
        "the result block is not streamed: {streamed}"
    );
    let (_, last) = events.last().unwrap();
    assert_eq!(last["message"]["status"], "done");
    assert_eq!(
        last["message"]["content"], "Short answer.",
        "the block's reply wins"
    );

    let view = ok(&d, "chat.get", json!({"id": tid})).await;
    let msgs = view["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["content"], "How do coupons work here?");
    assert_eq!(msgs[1]["content"], "Short answer.");
    assert!(msgs[1]["runId"].is_string(), "the agent run is linked");
    assert_eq!(view["thread"]["replying"], false);
    assert_eq!(view["thread"]["messageCount"], 2);
    assert_eq!(view["thread"]["preview"], "Short answer.");

    // The prompt had the conversation: a plain-text answer is the output without the block.
    shell_agent(&d, "cat-agent", "cat").await;
    let t2 = ok(
        &d,
        "chat.create",
        json!({"kind": "plan", "profile": "cat-agent", "title": "Q3 plans"}),
    )
    .await;
    let t2id = t2["id"].as_str().unwrap().to_string();
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": t2id, "content": "Let us plan coupons"}),
    )
    .await;
    until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
    let view = ok(&d, "chat.get", json!({"id": t2id})).await;
    let reply = view["messages"][1]["content"].as_str().unwrap();
    assert!(
        reply.starts_with("# Refine: chat\nPhase: chat\n"),
        "{reply}"
    );
    assert!(reply.contains("### Person\nLet us plan coupons"), "{reply}");
    assert!(reply.contains("plans work on the app"), "{reply}");

    // Newest first; renamed; activity for every write.
    let list = ok(&d, "chat.list", json!({})).await;
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Q3 plans", "Project chat"]);
    let r = ok(&d, "chat.rename", json!({"id": tid, "title": "Coupons"})).await;
    assert_eq!(r["title"], "Coupons");
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity WHERE operation LIKE 'chat.%'"),
        5
    );
}

/// Send `content` to a new project thread of `profile`; the thread's id.
async fn send_new(d: &TestDaemon, profile: &str, content: &str) -> String {
    let t = ok(
        d,
        "chat.create",
        json!({"kind": "project", "profile": profile}),
    )
    .await;
    let tid = t["id"].as_str().unwrap().to_string();
    ok(d, "chat.send", json!({"threadId": tid, "content": content})).await;
    tid
}

/// The reply of thread `tid` once it has ended (its message read back, not watched as events: a
/// long reply's output outruns the event buffer).
async fn stored_reply(d: &TestDaemon, tid: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let view = ok(d, "chat.get", json!({"id": tid})).await;
        if view["thread"]["replying"] == false {
            return view["messages"][1].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reply within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Send `content` to a new project thread of `profile`; the stored reply once it has ended.
async fn reply_of(d: &TestDaemon, profile: &str, content: &str) -> Value {
    let tid = send_new(d, profile, content).await;
    stored_reply(d, &tid).await
}

#[tokio::test]
async fn a_long_plain_text_reply_keeps_the_outputs_end() {
    let (d, _) = with_app().await;
    // A plain-text reply longer than a message holds keeps the output's end, says so, and the
    // run's log keeps the whole output.
    shell_agent(
        &d,
        "long-agent",
        "cat >/dev/null; i=0; while [ $i -lt 4000 ]; do printf 'line %05d %0100d\\n' $i 0; i=$((i+1)); done",
    )
    .await;
    let m = reply_of(&d, "long-agent", "all of it").await;
    assert_eq!(m["status"], "done");
    let reply = m["content"].as_str().unwrap();
    assert!(
        reply.starts_with("[The output's beginning is left out here; the whole output is in the run's log.]\nline "),
        "{}",
        &reply[..200]
    );
    assert!(
        reply.ends_with(&format!("line 03999 {:0100}", 0)),
        "the end is kept"
    );
    assert!(!reply.contains("line 00000 "), "the beginning is left out");
    assert!(
        reply.len() <= 256 * 1024 + 200 && reply.len() > 200 * 1024,
        "{}",
        reply.len()
    );
    let process: String = refine_store::rusqlite::Connection::open(d.dir.path().join("refine.db"))
        .unwrap()
        .query_row(
            "SELECT process_id FROM agent_runs WHERE id = ?1",
            [m["runId"].as_str().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let log = std::fs::read_to_string(
        d.dir
            .path()
            .join("logs/processes")
            .join(format!("{process}.log")),
    )
    .unwrap();
    assert!(log.contains("O line 00000 "), "the log keeps it all");
    assert_eq!(m["processId"], process.as_str(), "the reply names its log");

    // While it streams, the reply is bounded the same way: `chat.get` shows the end of what
    // arrived (600 KB here, within what a run's transcript keeps), with the note, and names the
    // process whose log has it all.
    let gate = tempfile::tempdir().unwrap();
    let go = gate.path().join("go");
    shell_agent(
        &d,
        "streaming-agent",
        &format!(
            "cat >/dev/null; i=0; while [ $i -lt 3000 ]; do printf 'line %05d %0190d\\n' $i 0; i=$((i+1)); \
             [ $((i % 100)) -eq 0 ] && sleep 0.02; done; while [ ! -e '{}' ]; do sleep 0.05; done; echo 'That is all.'",
            go.display()
        ),
    )
    .await;
    let tid = send_new(&d, "streaming-agent", "go on").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let streaming = loop {
        let view = ok(&d, "chat.get", json!({"id": tid})).await;
        let m = view["messages"][1].clone();
        let text = m["content"].as_str().unwrap_or_default();
        if m["status"] == "streaming" && text.contains("line 02999 ") {
            break m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the output's end did not stream within 30 s: {} {} …{}",
            m["status"],
            text.len(),
            &text[text.len().saturating_sub(120)..]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let text = streaming["content"].as_str().unwrap();
    assert!(
        text.starts_with("[The output's beginning is left out here; the whole output is in the run's log.]\nline "),
        "{}",
        &text[..200]
    );
    assert!(text.len() <= 256 * 1024 + 200, "{}", text.len());
    assert!(!text.contains("line 00000 "));
    let process = streaming["processId"]
        .as_str()
        .expect("a streaming reply names its process");
    let out = ok(&d, "processes.get", json!({"id": process})).await;
    assert_eq!(out["status"], "running", "{out}");
    std::fs::write(&go, "").unwrap();
    let done = stored_reply(&d, &tid).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["processId"], process);
    let stored = done["content"].as_str().unwrap();
    assert!(
        stored.trim_end().ends_with("That is all."),
        "{}",
        &stored[stored.len() - 200..]
    );
    assert!(stored.len() <= 256 * 1024 + 200, "{}", stored.len());

    // Whatever the agent says on stderr does not count: a short answer after 400 KB of
    // diagnostics is the whole reply, with no note.
    shell_agent(
        &d,
        "noisy-agent",
        "cat >/dev/null; i=0; while [ $i -lt 4000 ]; do printf 'debug %05d %0100d\\n' $i 0 >&2; i=$((i+1)); done; echo 'The short answer.'",
    )
    .await;
    let m = reply_of(&d, "noisy-agent", "and?").await;
    assert_eq!(m["status"], "done");
    assert_eq!(m["content"], "The short answer.");
}

#[tokio::test]
async fn failing_agents_and_deleting_mid_reply() {
    let (d, _) = with_app().await;
    shell_agent(&d, "broken", "echo 'cannot reach the model' >&2; exit 3").await;
    let t = ok(
        &d,
        "chat.create",
        json!({"kind": "project", "profile": "broken"}),
    )
    .await;
    let tid = t["id"].as_str().unwrap();
    let (_, mut rx) = d.core.bus().subscribe(None);
    let sent = ok(&d, "chat.send", json!({"threadId": tid, "content": "hi"})).await;
    let rid = sent["reply"]["id"].as_str().unwrap();
    let events = until_done(&mut rx, rid).await;
    let m = &events.last().unwrap().1["message"];
    assert_eq!(m["status"], "failed");
    let why = m["content"].as_str().unwrap();
    assert!(
        why.contains("exited with code 3") && why.contains("cannot reach the model"),
        "{why}"
    );
    // A failed reply does not block the thread.
    let again = ok(
        &d,
        "chat.send",
        json!({"threadId": tid, "content": "hi again"}),
    )
    .await;
    until_done(&mut rx, again["reply"]["id"].as_str().unwrap()).await;

    // A missing program fails the reply with a reason.
    let missing = d
        .call(
            "agents.profiles.save",
            json!({"profile": {"name": "ghost", "provider": "generic", "command": "/nonexistent/agent", "args": [], "promptDelivery": "stdin"}}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::OK, "{:?}", missing.body);
    let g = ok(
        &d,
        "chat.create",
        json!({"kind": "project", "profile": "ghost"}),
    )
    .await;
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": g["id"], "content": "anyone?"}),
    )
    .await;
    let events = until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
    let m = &events.last().unwrap().1["message"];
    assert_eq!(m["status"], "failed");
    assert!(
        m["content"].as_str().unwrap().contains("could not start"),
        "{m}"
    );

    // Deleting a thread while its agent runs stops the agent.
    shell_agent(&d, "slow", "echo started; sleep 30").await;
    let s = ok(
        &d,
        "chat.create",
        json!({"kind": "project", "profile": "slow"}),
    )
    .await;
    let sid = s["id"].as_str().unwrap().to_string();
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": sid, "content": "take your time"}),
    )
    .await;
    let rid = sent["reply"]["id"].as_str().unwrap().to_string();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap()
            .unwrap();
        if e.kind == "chat.delta" && e.data["messageId"] == rid.as_str() {
            break;
        }
    }
    let view = ok(&d, "chat.get", json!({"id": sid})).await;
    assert_eq!(view["messages"][1]["status"], "streaming");
    assert_eq!(
        view["messages"][1]["content"], "started\n",
        "chat.get shows what streamed so far"
    );
    ok(&d, "chat.delete", json!({"id": sid})).await;
    assert_eq!(
        d.call("chat.get", json!({"id": sid})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        d.count(&format!(
            "SELECT COUNT(*) FROM chat_messages WHERE thread_id = '{sid}'"
        )),
        0
    );
    let mut stopped = false;
    for _ in 0..100 {
        let live = ok(&d, "processes.list", json!({"live": true})).await;
        if live.as_array().unwrap().is_empty() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped, "the agent of a deleted thread is stopped");
}

#[tokio::test]
async fn goal_threads_and_goal_drafts() {
    let (d, app) = with_app().await;
    ok(
        &d,
        "goals.create",
        json!({"title": "Coupon field", "prompt": "The cart has no coupon input yet."}),
    )
    .await;
    shell_agent(&d, "cat-agent", "cat").await;
    let t = ok(
        &d,
        "chat.create",
        json!({"kind": "goal", "goalId": "#1", "profile": "cat-agent"}),
    )
    .await;
    assert_eq!(t["title"], "#1 Coupon field");
    assert_eq!(t["goalNumber"], 1);
    assert_eq!(t["goalTitle"], "Coupon field");
    let tid = t["id"].as_str().unwrap().to_string();

    // A draft needs a conversation.
    let empty = d.call("chat.draft", json!({"threadId": tid})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{:?}", empty.body);

    let (_, mut rx) = d.core.bus().subscribe(None);
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": tid, "content": "What is missing?"}),
    )
    .await;
    until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
    let view = ok(&d, "chat.get", json!({"id": tid})).await;
    let prompt = view["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("## Goal #1: Coupon field")
            && prompt.contains("The cart has no coupon input yet."),
        "the Goal is in the prompt: {prompt}"
    );

    // An agent that answers with a task list: import's preview of it, nothing stored.
    shell_agent(
        &d,
        "planner",
        "printf 'Here is the plan:\\n\\n# Checkout\\n- [ ] Coupon field\\n    Shoppers enter a code.\\n    Done when the total drops.\\n- [ ] Coupon API\\n'",
    )
    .await;
    let p = ok(
        &d,
        "chat.create",
        json!({"kind": "plan", "profile": "planner"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_string();
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": pid, "content": "Coupons, please"}),
    )
    .await;
    until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
    let before = footprint(&d);
    let draft = ok(&d, "chat.draft", json!({"threadId": pid})).await;
    assert_eq!(draft["threadId"], pid.as_str());
    assert_eq!(draft["import"]["format"], "markdown");
    assert_eq!(draft["import"]["appId"], app.as_str());
    let preview = &draft["preview"];
    assert_eq!(preview["create"], 2, "{preview}");
    assert_eq!(preview["goals"][0]["title"], "Coupon field");
    assert_eq!(preview["goals"][0]["feature"], "Checkout");
    assert_eq!(
        preview["goals"][0]["prompt"],
        "Shoppers enter a code.\nDone when the total drops."
    );
    assert_eq!(preview["features"][0]["new"], true);
    let after = footprint(&d);
    // (Running the agent leaves its process and run records, as any agent run does.)
    assert_eq!(
        [before[0], before[1], before[3]],
        [after[0], after[1], after[3]],
        "a draft stores no chat message and no operation"
    );
    assert_eq!(before[5], after[5], "no Goal yet");

    // The same shape import.preview gives for that text, and import.commit creates the Goals.
    let same = ok(&d, "import.preview", draft["import"].clone()).await;
    assert_eq!(&same, preview);
    let receipt = d.call("import.commit", draft["import"].clone()).await;
    assert_eq!(receipt.status, StatusCode::ACCEPTED, "{:?}", receipt.body);
    let receipt = receipt.body;
    let op = receipt["id"].as_str().unwrap().to_string();
    for _ in 0..200 {
        let o = ok(&d, "operations.get", json!({"id": op})).await;
        if o["status"] != "running" {
            assert_eq!(o["status"], "succeeded", "{o}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM goals WHERE title IN ('Coupon field', 'Coupon API')"),
        3
    );

    // Free text becomes one Goal whose prompt is the text.
    shell_agent(
        &d,
        "chatty",
        "echo 'Make checkout faster.'; echo 'It takes 4 s today; aim for 1 s.'",
    )
    .await;
    let c = ok(
        &d,
        "chat.create",
        json!({"kind": "plan", "profile": "chatty"}),
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_string();
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": cid, "content": "speed?"}),
    )
    .await;
    until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
    let draft = ok(&d, "chat.draft", json!({"threadId": cid})).await;
    assert_eq!(
        draft["preview"]["goals"][0]["title"],
        "Make checkout faster."
    );
    assert_eq!(
        draft["preview"]["goals"][0]["prompt"],
        "It takes 4 s today; aim for 1 s."
    );

    // A Goal thread outlives its Goal's deletion as a thread about "a Goal that no longer exists".
    ok(&d, "goals.delete", json!({"id": "#1"})).await;
    let g = d
        .call("chat.create", json!({"kind": "goal", "goalId": "#1"}))
        .await;
    assert_eq!(
        g.status,
        StatusCode::NOT_FOUND,
        "a deleted Goal: {:?}",
        g.body
    );
}

#[tokio::test]
async fn bad_input_is_a_400_that_stores_nothing() {
    let (d, _) = with_app().await;
    let t = ok(
        &d,
        "chat.create",
        json!({"kind": "project", "profile": "generic"}),
    )
    .await;
    let tid = t["id"].as_str().unwrap().to_string();
    let before = footprint(&d);
    let long = "x".repeat(100_001);
    let cases = [
        ("chat.create", json!({"kind": "meeting"})),
        ("chat.create", json!({"kind": "goal"})),
        ("chat.create", json!({"kind": "project", "goalId": "#1"})),
        ("chat.create", json!({"kind": "project", "title": "   "})),
        (
            "chat.create",
            json!({"kind": "project", "title": "a\u{1}b"}),
        ),
        (
            "chat.create",
            json!({"kind": "project", "profile": "no-such-agent"}),
        ),
        ("chat.create", json!({"kind": "project", "colour": "red"})),
        ("chat.send", json!({"threadId": tid, "content": ""})),
        ("chat.send", json!({"threadId": tid, "content": "  \n "})),
        (
            "chat.send",
            json!({"threadId": tid, "content": "bell\u{7}"}),
        ),
        ("chat.send", json!({"threadId": tid, "content": long})),
        (
            "chat.send",
            json!({"threadId": "not-a-uuid", "content": "hi"}),
        ),
        ("chat.send", json!({"threadId": tid})),
        ("chat.rename", json!({"id": tid, "title": ""})),
        ("chat.get", json!({"id": "not-a-uuid"})),
        ("chat.draft", json!({"threadId": "x"})),
        ("chat.delete", json!({"id": "12"})),
    ];
    for (op, input) in cases {
        let r = d.call(op, input.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{op} {input}: {:?}",
            r.body
        );
        assert_eq!(r.body["code"], "invalid_input");
    }
    let ghost = "00000000-0000-7000-8000-000000000000";
    for (op, input) in [
        ("chat.get", json!({"id": ghost})),
        ("chat.send", json!({"threadId": ghost, "content": "hi"})),
        ("chat.rename", json!({"id": ghost, "title": "x"})),
        ("chat.delete", json!({"id": ghost})),
        ("chat.draft", json!({"threadId": ghost})),
        ("chat.create", json!({"kind": "goal", "goalId": "#9"})),
    ] {
        let r = d.call(op, input.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{op} {input}: {:?}",
            r.body
        );
    }
    assert_eq!(footprint(&d), before, "nothing was stored");
}

#[tokio::test]
async fn a_reply_left_by_a_stopped_daemon_is_settled_as_failed() {
    let (d, _) = with_app().await;
    let t = ok(
        &d,
        "chat.create",
        json!({"kind": "plan", "profile": "generic"}),
    )
    .await;
    let tid = t["id"].as_str().unwrap().to_string();
    // What a daemon that died mid-reply leaves behind.
    d.core
        .store()
        .write(|tx| {
            tx.execute_batch(&format!(
                "INSERT INTO chat_messages VALUES ('01900000-0000-7000-8000-000000000001', '{tid}', 1, 'user', 'hello', 'done', NULL, '2026-01-01T00:00:00.000Z');
                 INSERT INTO chat_messages VALUES ('01900000-0000-7000-8000-000000000002', '{tid}', 2, 'assistant', 'half a', 'streaming', NULL, '2026-01-01T00:00:00.000Z');"
            ))
            .map_err(refine_store::StoreError::from)
        })
        .unwrap();
    let list = ok(&d, "chat.list", json!({})).await;
    assert_eq!(list[0]["replying"], false, "settled when listed: {list}");
    let view = ok(&d, "chat.get", json!({"id": tid})).await;
    assert_eq!(view["messages"][1]["status"], "failed");
    assert_eq!(
        view["messages"][1]["content"],
        refine_core::chat::DAEMON_STOPPED
    );
    // The thread takes messages again.
    let (_, mut rx) = d.core.bus().subscribe(None);
    let sent = ok(
        &d,
        "chat.send",
        json!({"threadId": tid, "content": "again"}),
    )
    .await;
    assert_eq!(sent["message"]["seq"], 3);
    until_done(&mut rx, sent["reply"]["id"].as_str().unwrap()).await;
}
