//! Terminal sessions over a real socket: the WebSocket protocol (scrollback, live output, input,
//! resize, exit), several clients on one session, refusal before the upgrade (never `101`),
//! the session cap (429) and close killing the program.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use futures::{SinkExt, StreamExt};
use refine_server::{router, ServerConfig};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::{git_repo, TestDaemon};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const BASH: [&str; 3] = ["bash", "--norc", "--noprofile"];

async fn app(d: &TestDaemon) {
    let repo = git_repo(d.dir.path(), "app");
    assert_eq!(
        d.call("apps.add", json!({"path": repo})).await.status,
        StatusCode::OK
    );
}

/// Serve the daemon's core on a real loopback socket (a router configured for that port).
async fn listen(d: &TestDaemon) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(
        d.core.clone(),
        ServerConfig {
            token: d.token.clone(),
            port: addr.port(),
            ui_dir: None,
            extra_hosts: vec![],
        },
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

async fn connect(
    addr: SocketAddr,
    id: &str,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, WsError> {
    let mut req = format!("ws://{addr}/api/v1/terminal/{id}/ws")
        .into_client_request()
        .unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

fn refused_status(r: Result<Ws, WsError>) -> u16 {
    match r {
        Err(WsError::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("the upgrade was accepted (101)"),
    }
}

/// Read messages until the binary output seen so far contains `needle`; returns all of it.
async fn read_until(ws: &mut Ws, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("never saw {needle:?} in {seen:?}"))
            .expect("the socket stays open")
            .unwrap();
        match msg {
            Message::Binary(b) => seen.push_str(&String::from_utf8_lossy(&b)),
            Message::Text(t) => seen.push_str(&format!("<text:{}>", t.as_str())),
            _ => {}
        }
    }
    seen
}

async fn create(d: &TestDaemon, argv: &[&str]) -> Value {
    let r = d
        .call(
            "terminal.create",
            json!({"argv": argv, "cols": 80, "rows": 24}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let rest = &s[s.rfind(')').unwrap() + 2..];
            !rest.starts_with('Z')
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn websocket_output_input_scrollback_resize_and_exit() {
    let d = TestDaemon::new();
    app(&d).await;
    let (_, mut events) = d.core.bus().subscribe(None);
    let addr = listen(&d).await;
    let t = create(&d, &BASH).await;
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(t["title"], "bash");
    assert_eq!(
        (t["exited"].as_bool(), t["clients"].as_u64()),
        (Some(false), Some(0))
    );

    let origin = format!("http://127.0.0.1:{}", addr.port());
    let mut a = connect(addr, &id, Some(&d.token), Some(&origin))
        .await
        .unwrap();
    a.send(Message::Binary(b"echo h\"\"i\r".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut a, "hi\r\n").await;

    // A second client gets the scrollback with what the first one produced.
    let mut b = connect(addr, &id, Some(&d.token), None).await.unwrap();
    let first = b.next().await.unwrap().unwrap();
    let Message::Binary(replay) = first else {
        panic!("the scrollback comes first as binary: {first:?}")
    };
    assert!(String::from_utf8_lossy(&replay).contains("hi\r\n"));
    let info = d.call("terminal.get", json!({"id": id})).await.body;
    assert_eq!(info["clients"], 2);

    // Resize from one client; both see the program's answer.
    b.send(Message::Text(
        json!({"type": "resize", "cols": 100, "rows": 30})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    b.send(Message::Text("stty size\r".into())).await.unwrap();
    read_until(&mut b, "30 100").await;
    read_until(&mut a, "30 100").await;
    assert_eq!(
        d.call("terminal.get", json!({"id": id})).await.body["cols"],
        100
    );
    let r = d
        .call("terminal.resize", json!({"id": id, "cols": 90, "rows": 20}))
        .await;
    assert_eq!(
        (r.body["cols"].as_u64(), r.body["rows"].as_u64()),
        (Some(90), Some(20))
    );
    assert_eq!(
        d.call("terminal.resize", json!({"id": id, "cols": 0, "rows": 20}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // Input without a socket, and the scrollback as text.
    let r = d
        .call(
            "terminal.input",
            json!({"id": id, "text": "echo via-\"\"op\r"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    read_until(&mut a, "via-op\r\n").await;
    let sb = d
        .call("terminal.scrollback", json!({"id": id, "kb": 4}))
        .await
        .body;
    assert!(sb["text"].as_str().unwrap().contains("via-op"), "{sb}");
    let renamed = d
        .call("terminal.rename", json!({"id": id, "title": "build"}))
        .await
        .body;
    assert_eq!(renamed["title"], "build");

    // Exit: every client gets the exit frame, then the socket closes.
    d.call("terminal.input", json!({"id": id, "text": "exit 3\r"}))
        .await;
    let seen = read_until(&mut a, r#"{"type":"exit","code":3}"#).await;
    assert!(seen.contains("<text:"), "{seen}");
    read_until(&mut b, r#""code":3"#).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), a.next())
        .await
        .unwrap();
    assert!(
        matches!(ended, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "{ended:?}"
    );
    let info = d.call("terminal.get", json!({"id": id})).await.body;
    assert_eq!(
        (info["exited"].as_bool(), info["exitCode"].as_i64()),
        (Some(true), Some(3))
    );
    let listed = d.call("terminal.list", json!({})).await.body;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let mut kinds = Vec::new();
    while let Ok(e) = events.try_recv() {
        kinds.push(e.kind.clone());
    }
    for k in ["terminal.created", "terminal.updated", "terminal.exited"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    let closed = d.call("terminal.close", json!({"id": id})).await;
    assert_eq!(closed.status, StatusCode::OK);
    assert_eq!(
        d.call("terminal.get", json!({"id": id})).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn refused_before_the_upgrade() {
    let d = TestDaemon::new();
    app(&d).await;
    let addr = listen(&d).await;
    let id = create(&d, &BASH).await["id"].as_str().unwrap().to_string();
    let port = addr.port();
    assert_eq!(
        refused_status(connect(addr, &id, Some(&d.token), Some("http://evil.test")).await),
        403
    );
    assert_eq!(
        refused_status(connect(addr, &id, Some(&d.token), Some("null")).await),
        403
    );
    assert_eq!(
        refused_status(
            connect(
                addr,
                &id,
                Some(&d.token),
                Some(&format!("http://localhost:{}", port + 1))
            )
            .await
        ),
        403
    );
    assert_eq!(refused_status(connect(addr, &id, None, None).await), 401);
    assert_eq!(
        refused_status(connect(addr, &id, Some("wrong"), None).await),
        401
    );
    // A foreign Host (DNS rebinding) is refused too.
    let mut req = format!("ws://{addr}/api/v1/terminal/{id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("host", format!("evil.test:{port}").parse().unwrap());
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", d.token).parse().unwrap(),
    );
    let r = tokio_tungstenite::connect_async(req).await.map(|(w, _)| w);
    assert_eq!(refused_status(r), 403);
    assert_eq!(
        refused_status(
            connect(
                addr,
                "00000000-0000-0000-0000-000000000000",
                Some(&d.token),
                None
            )
            .await
        ),
        404
    );
    // Nobody attached through any refused attempt.
    let info = d.call("terminal.get", json!({"id": id})).await.body;
    assert_eq!(info["clients"], 0);
    d.call("terminal.close", json!({"id": id})).await;
}

#[tokio::test]
async fn cap_is_429_and_close_kills_the_program() {
    let d = TestDaemon::new();
    app(&d).await;
    let mut pids = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..refine_core::terminal::MAX_SESSIONS {
        let t = create(&d, &["sleep", "600"]).await;
        pids.push(t["pid"].as_u64().unwrap());
        ids.push(t["id"].as_str().unwrap().to_string());
    }
    let over = d
        .call("terminal.create", json!({"argv": ["sleep", "600"]}))
        .await;
    assert_eq!(
        over.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        over.body
    );
    assert_eq!(over.body["code"], "too_many_requests");
    assert!(over.headers.get("retry-after").is_some());
    assert!(pids.iter().all(|p| alive(*p)));
    for id in &ids {
        let r = d.call("terminal.close", json!({"id": id})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    for _ in 0..100 {
        if pids.iter().all(|p| !alive(*p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        pids.iter().all(|p| !alive(*p)),
        "close killed every program"
    );
    assert_eq!(d.call("terminal.list", json!({})).await.body, json!([]));
    let bad = d
        .call("terminal.create", json!({"argv": ["bash"], "cwd": "../.."}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let missing = d
        .call("terminal.create", json!({"argv": ["no-such-program-xyz"]}))
        .await;
    assert_eq!(
        missing.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        missing.body
    );
}
