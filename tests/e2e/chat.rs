//! `refine chat` against a real daemon answered by the scripted agent (`refine agent-script`):
//! a reply that streams (as `chat.delta` events on the SSE stream and in the CLI's output), the
//! thread shown, Goal drafts previewed and imported, exit codes for bad input, and a reply cut
//! off by `kill -9` settled as failed after the restart, with every message kept; a long reply
//! printed once.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, text, Daemon};
use serde_json::Value;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(o));
    text(o)
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

/// Follow the daemon's event stream in a thread; events arrive on the channel.
fn events(d: &Daemon) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    let http = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap();
    let resp = http
        .get(format!("{}/api/v1/events", d.url))
        .bearer_auth(&d.token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    std::thread::spawn(move || {
        for line in BufReader::new(resp).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:") {
                if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

#[test]
fn chat_in_the_shell_with_the_scripted_agent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut d = Daemon::start(&data);
    git_repo(tmp.path(), "shop");
    let dir = tmp.path();
    ok(&d.sh(
        "refine apps add shop && refine settings set agents.defaultProfile scripted",
        dir,
    ));

    let out = ok(&d.sh("refine chat new --plan --title Coupons", dir));
    assert!(
        out.contains("Started chat “Coupons” (plan, agent scripted)"),
        "{out}"
    );
    let id = out.trim().rsplit(' ').next().unwrap().to_string();

    // The message carries the scripted agent's instructions: what to say while working, the
    // reply, and the Goal draft it gives when asked for one.
    std::fs::write(
        dir.join("msg.md"),
        "Let us plan coupons.\n\n```refine-script\nchat: say Looking at the cart…\nchat: sleep 0.6\nchat: reply Two Goals: a coupon field and a coupon API.\ndraft: reply # Checkout\\n- [ ] Coupon field\\n    Shoppers enter a code; the total drops.\\n- [ ] Coupon API\\n    POST /coupons checks a code.\n```\n",
    )
    .unwrap();
    let live = events(&d);
    let out = ok(&d.sh(
        &format!("refine chat send {} --file msg.md", &id[..30]),
        dir,
    ));
    assert!(out.contains("Looking at the cart…"), "streamed: {out}");
    assert!(
        out.trim_end()
            .ends_with("Two Goals: a coupon field and a coupon API."),
        "{out}"
    );
    assert!(!out.contains("refine-result"), "{out}");

    // On the event stream: the reply went streaming, its output arrived as deltas, then done.
    let mut seen: Vec<(String, Value)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let e = live.recv_timeout(left).expect("the reply's events");
        let kind = e["kind"].as_str().unwrap_or("").to_string();
        if !kind.starts_with("chat.") {
            continue;
        }
        let done = kind == "chat.message"
            && e["data"]["message"]["role"] == "assistant"
            && e["data"]["message"]["status"] == "done";
        seen.push((kind, e["data"].clone()));
        if done {
            break;
        }
    }
    let kinds: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    let delta = seen
        .iter()
        .position(|(k, v)| {
            k == "chat.delta" && v["text"].as_str().unwrap().contains("Looking at the cart…")
        })
        .unwrap_or_else(|| panic!("no delta with the agent's words: {kinds:?}"));
    let streaming = seen
        .iter()
        .position(|(k, v)| k == "chat.message" && v["message"]["status"] == "streaming")
        .unwrap_or_else(|| panic!("never streaming: {kinds:?}"));
    assert!(streaming < delta && delta < seen.len() - 1, "{kinds:?}");
    assert_eq!(
        seen.last().unwrap().1["message"]["content"],
        "Two Goals: a coupon field and a coupon API."
    );

    let out = ok(&d.sh(&format!("refine chat show {id}"), dir));
    assert!(out.starts_with("Coupons (plan, agent scripted)"), "{out}");
    assert!(
        out.contains("── you · ") && out.contains("Let us plan coupons."),
        "{out}"
    );
    assert!(
        out.contains("── agent (scripted) · ")
            && out.contains("Two Goals: a coupon field and a coupon API."),
        "{out}"
    );
    let list = json(&d.sh("refine chat list --json", dir));
    assert_eq!(list[0]["messageCount"], 2);
    assert_eq!(list[0]["replying"], false);

    // Goal drafts: a preview first, then created through the import.
    let out = ok(&d.sh(&format!("refine chat draft {id}"), dir));
    assert!(out.contains("2 to create"), "{out}");
    assert!(
        out.contains("Coupon field") && out.contains("Shoppers enter a code; the total drops."),
        "{out}"
    );
    let goals = json(&d.sh("refine goal list --json", dir));
    assert_eq!(
        goals["items"].as_array().map(|a| a.len()).unwrap_or(0),
        0,
        "a draft stores no Goal: {goals}"
    );
    let out = ok(&d.sh(&format!("refine chat draft {id} --import"), dir));
    assert!(out.contains("Created 2 Goal(s)"), "{out}");
    let out = ok(&d.sh("refine goal list --all", dir));
    assert!(
        out.contains("Coupon field") && out.contains("Coupon API"),
        "{out}"
    );

    // A thread about a Goal.
    let out = ok(&d.sh("refine chat new --goal 2", dir));
    assert!(
        out.contains("“#2 Coupon API” (goal #2, agent scripted)"),
        "{out}"
    );

    // Refusals and their exit codes.
    let o = d.sh(&format!("refine chat send {id} '   '"), dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = d.sh("refine chat show 0190a0a0-0000-7000-8000-000000000000", dir);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = d.sh("refine chat new --profile nobody", dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no agent profile named \"nobody\""),
        "{}",
        text(&o)
    );
    let o = d.sh("refine chat new --goal 99", dir);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // A reply cut off by kill -9: after the restart it is failed, and nothing said is lost.
    std::fs::write(
        dir.join("slow.md"),
        "Take your time.\n```refine-script\nchat: say Still thinking\nchat: sleep 60\n```\n",
    )
    .unwrap();
    let out = ok(&d.sh(
        &format!("refine chat send {id} --file slow.md --no-wait"),
        dir,
    ));
    assert!(out.contains("the reply is"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = json(&d.sh(&format!("refine chat show {id} --json"), dir));
        let last = v["messages"].as_array().unwrap().last().unwrap().clone();
        if last["status"] == "streaming"
            && last["content"].as_str().unwrap().contains("Still thinking")
        {
            break;
        }
        assert!(Instant::now() < deadline, "never streaming: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    d.signal(libc::SIGKILL);
    drop(d);
    let d = Daemon::start(&data);
    let v = json(&d.sh(&format!("refine chat show {id} --json"), dir));
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4, "{v}");
    assert_eq!(
        msgs[2]["content"],
        "Take your time.\n```refine-script\nchat: say Still thinking\nchat: sleep 60\n```"
    );
    assert_eq!(msgs[3]["status"], "failed");
    assert_eq!(
        msgs[3]["content"],
        "No reply: the daemon stopped before the agent answered."
    );
    assert_eq!(
        msgs[1]["content"],
        "Two Goals: a coupon field and a coupon API."
    );
    // The thread takes messages again (its history still tells the scripted agent to sleep,
    // so the reply is left to run), and removing the thread stops its agent.
    let out = ok(&d.sh(
        &format!("refine chat send {id} 'Still there?' --no-wait"),
        dir,
    ));
    assert!(out.contains("the reply is"), "{out}");
    let out = ok(&d.sh(&format!("refine chat rm {id}"), dir));
    assert!(out.contains("Deleted chat “Coupons”"), "{out}");
    let o = d.sh(&format!("refine chat show {id}"), dir);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

#[test]
fn a_long_reply_is_printed_once() {
    // A plain-text agent printing 600 KB: `refine chat send` prints it as it streams, and the
    // stored reply (its end, after a note line) is not printed again.
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    git_repo(tmp.path(), "shop");
    let dir = tmp.path();
    let profile = serde_json::json!({"profile": {
        "name": "long-talker", "provider": "generic", "command": "sh", "promptDelivery": "stdin",
        "args": ["-c", "cat >/dev/null; i=0; while [ $i -lt 3000 ]; do printf 'line %05d %0190d\\n' $i 0; i=$((i+1)); done; echo 'That is all.'"],
    }});
    std::fs::write(dir.join("profile.json"), profile.to_string()).unwrap();
    ok(&d.sh(
        "refine apps add shop && refine call agents.profiles.save \"$(cat profile.json)\"",
        dir,
    ));
    let out = ok(&d.sh("refine chat new --profile long-talker --title Long", dir));
    let id = out.trim().rsplit(' ').next().unwrap().to_string();
    let out = ok(&d.sh(&format!("refine chat send {id} 'Everything, please.'"), dir));
    assert!(out.contains("line 00000 "), "streamed from its start");
    assert_eq!(out.matches("That is all.").count(), 1, "printed once");
    assert_eq!(out.matches("line 02999 ").count(), 1, "printed once");
    assert!(
        !out.contains("beginning is left out"),
        "the note is not printed"
    );
    let v = json(&d.sh(&format!("refine chat show {id} --json"), dir));
    let reply = v["messages"][1]["content"].as_str().unwrap();
    assert!(reply.starts_with("[The output's beginning is left out here"));
    assert!(reply.trim_end().ends_with("That is all."));
}
