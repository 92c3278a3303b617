//! Webhooks against a local receiver: a webhook to plain http off this machine, without
//! `allowHttp`, or for an unknown event kind is refused and stored nowhere; a transition is
//! POSTed as signed JSON (the signature checked with Python's own hmac), the receiver's first 500
//! is retried with back-off and the history shows both attempts; a ping is delivered; the CLI
//! lists the webhook and its deliveries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use refine_e2e::text;
use serde_json::{json, Value};

use super::agents::setup;

struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// A receiver on loopback: answers 500 to the first request, 200 to the others.
fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let first = {
                let mut g = g.lock().unwrap();
                g.push(Received {
                    headers,
                    body,
                    at: Instant::now(),
                });
                g.len() == 1
            };
            let status = if first {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

/// HMAC-SHA256 of `body` under `key`, by Python's standard library.
fn python_hmac(key: &str, body: &[u8]) -> String {
    let mut p = Command::new("python3")
        .args([
            "-c",
            "import hmac, hashlib, sys; print('sha256=' + hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            key,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    p.stdin.take().unwrap().write_all(body).unwrap();
    let o = p.wait_with_output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn signed_deliveries_are_retried_after_a_500_and_kept_as_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, _repo, h) = setup(tmp.path(), json!({}));
    h.ok("runner.pause", json!({"reason": "webhooks only"}));
    let (url, got) = receiver();

    for (input, says) in [
        (
            json!({"url": "http://10.1.2.3/hook", "events": ["workflow.transitioned"], "allowHttp": true}),
            "non-loopback",
        ),
        (
            json!({"url": url, "events": ["workflow.transitioned"]}),
            "allowHttp",
        ),
        (
            json!({"url": url, "events": ["no.such.kind"], "allowHttp": true}),
            "not an event kind",
        ),
        (json!({"url": url, "events": [], "allowHttp": true}), "1-64"),
        (
            json!({"url": "ftp://example.com/", "events": ["workflow.transitioned"]}),
            "scheme",
        ),
    ] {
        let r = h.call("webhooks.create", input.clone());
        assert_eq!(r.status, 400, "{input}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{input}: {}",
            r.body
        );
    }
    assert_eq!(
        h.ok("webhooks.list", json!({})),
        json!([]),
        "nothing stored"
    );

    let made = h.ok(
        "webhooks.create",
        json!({"url": url, "events": ["workflow.transitioned"], "allowHttp": true}),
    );
    let secret = made["secret"].as_str().unwrap().to_string();
    let hook = made["webhook"].clone();
    let id = hook["id"].as_str().unwrap().to_string();
    assert_eq!(hook["secretHint"], secret[secret.len() - 4..]);
    assert!(
        !h.ok("webhooks.list", json!({}))
            .to_string()
            .contains(&secret),
        "the secret is shown once"
    );

    // A transition goes out, signed; the 500 is retried.
    let g = h.ok(
        "goals.create",
        json!({"title": "Ship it", "status": "backlog"}),
    );
    h.ok("workflow.move", json!({"goalId": g["id"], "to": "todo"}));
    wait_for("two attempts", || got.lock().unwrap().len() >= 2);
    let got = got.lock().unwrap();
    let (first, second) = (&got[0], &got[1]);
    assert_eq!(
        first.header("x-refine-delivery"),
        second.header("x-refine-delivery")
    );
    assert!(
        second.at - first.at >= Duration::from_millis(900),
        "backed off"
    );
    for r in [first, second] {
        assert_eq!(r.header("x-refine-event"), "workflow.transitioned");
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(
            r.header("x-refine-signature-256"),
            python_hmac(&secret, &r.body)
        );
        assert_ne!(
            r.header("x-refine-signature-256"),
            python_hmac("another secret", &r.body)
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["webhookId"], id.as_str());
        assert_eq!(body["event"]["kind"], "workflow.transitioned");
        assert_eq!(body["event"]["data"]["to"], "todo", "{body}");
    }
    drop(got);

    let history = |h: &refine_e2e::Http| h.ok("webhooks.deliveries", json!({"id": id}));
    wait_for("the delivery recorded", || {
        history(&h)[0]["status"] == "delivered"
    });
    let dl = history(&h)[0].clone();
    assert_eq!(dl["attempts"], 2, "{dl}");
    assert_eq!(dl["responseCode"], 200);
    assert_eq!(dl["eventKind"], "workflow.transitioned");

    // Ping; then the CLI shows the webhook and its history.
    let p = h.ok("webhooks.ping", json!({"id": id}));
    assert_eq!(p["eventKind"], "webhook.ping");
    wait_for("the ping delivered", || {
        history(&h)
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["eventKind"] == "webhook.ping" && d["status"] == "delivered")
    });
    let o = d.sh(
        &format!("refine webhook list && refine webhook deliveries {id}"),
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&url) && out.contains("workflow.transitioned"),
        "{out}"
    );
    assert!(
        out.contains("delivered") && out.contains("webhook.ping"),
        "{out}"
    );
    assert!(!out.contains(&secret), "{out}");

    // Disabled: nothing more goes out; deleted: gone with its history.
    let before = history(&h).as_array().unwrap().len();
    let off = h.ok("webhooks.update", json!({"id": id, "enabled": false}));
    assert_eq!(off["enabled"], false);
    assert_eq!(
        history(&h).as_array().unwrap().len(),
        before,
        "changing a webhook keeps its history"
    );
    let gone = h.ok("webhooks.delete", json!({"id": id}));
    assert_eq!(gone["id"], id.as_str());
    assert_eq!(h.call("webhooks.deliveries", json!({"id": id})).status, 404);
}
