//! Terminal sessions in the desktop window. Sessions live in the daemon and are attached over
//! `GET /api/v1/terminal/{id}/ws` (protocol: `crates/refine-server/src/terminal.rs`). The page in
//! the window must not hold the daemon's token, so this process is the WebSocket client: it opens
//! the socket on the daemon's loopback listener with `Authorization: Bearer <token>` (embedded and
//! attached daemons alike) and forwards what arrives to a Tauri channel the page passed in:
//! output as raw bytes (an `ArrayBuffer` in the page, no JSON), control messages
//! (`{"type":"exit","code":N}`, `lagged`, `error`) as the daemon's JSON, and a final
//! `{"type":"closed"}` when the socket ends without the page asking. Input, resize and
//! acknowledgements come back as commands naming the attachment.
//!
//! Flow control: the page acknowledges output once xterm.js has taken it (`term_ack`); with more
//! than [`WINDOW`] bytes unacknowledged this process stops reading the socket, so the daemon's
//! usual back-pressure applies (it skips output for this client and says `lagged`) instead of
//! output piling up in the window's IPC queue.
//!
//! Nothing outlives its page: an attachment ends on `term_detach`, when the session or the socket
//! ends, when the channel fails, and when the page that made it starts loading again (a reload) or
//! its window goes away.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::{SinkExt, StreamExt};
use refine_model::terminal::{TerminalClientMessage, TerminalServerMessage};
use refine_model::{ApiError, ErrorCode};
use tauri::ipc::{Channel, InvokeResponseBody, IpcResponse};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Unacknowledged output (bytes) after which the socket is not read until the page catches up.
const WINDOW: usize = 1024 * 1024;
/// Largest input message the daemon accepts (its `MAX_IN`).
const MAX_INPUT: usize = 256 * 1024;

/// One message on an attachment's channel: output bytes (an `ArrayBuffer` in the page) or a JSON
/// control message. Not `Serialize`: raw bytes must not become a JSON array of numbers.
pub struct TermFrame(InvokeResponseBody);

impl TermFrame {
    fn bytes(b: Vec<u8>) -> TermFrame {
        TermFrame(InvokeResponseBody::Raw(b))
    }
    fn json(s: String) -> TermFrame {
        TermFrame(InvokeResponseBody::Json(s))
    }
    /// A control message from the daemon. It must be JSON: anything else is dropped rather than
    /// handed to the page (which evaluates small JSON messages as script).
    fn control(text: &str) -> Option<TermFrame> {
        let v = serde_json::from_str::<serde_json::Value>(text).ok()?;
        Some(TermFrame::json(v.to_string()))
    }
}

impl IpcResponse for TermFrame {
    fn body(self) -> tauri::Result<InvokeResponseBody> {
        Ok(self.0)
    }
}

impl specta::Type for TermFrame {
    // `ArrayBuffer | {type, …}`; specta has no ArrayBuffer, and the page decodes it by hand.
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        <serde_json::Value as specta::Type>::definition(types)
    }
}

/// Where the daemon's WebSockets are and the token that opens them. Never sent to the page.
pub struct Endpoint {
    ws_base: String,
    token: Option<String>,
}

impl Endpoint {
    /// `http_base` is the daemon's loopback URL (`http://127.0.0.1:PORT`).
    pub fn new(http_base: &str, token: Option<String>) -> Endpoint {
        let base = http_base.trim_end_matches('/');
        let ws_base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.to_string()
        };
        Endpoint { ws_base, token }
    }
}

/// What the page asks of an attachment.
enum ToDaemon {
    Input(Vec<u8>),
    Resize { cols: u16, rows: u16 },
    Ack(usize),
}

struct Attachment {
    /// The webview (page) that made it.
    webview: String,
    tx: mpsc::Sender<ToDaemon>,
}

#[derive(Default)]
struct Registry {
    live: HashMap<u32, Attachment>,
    /// Page loads seen per webview: an attach that began before a (re)load is not kept.
    loads: HashMap<String, u64>,
}

/// The window's terminal attachments (managed state).
pub struct Terminals {
    endpoint: Endpoint,
    next: AtomicU32,
    reg: Arc<Mutex<Registry>>,
}

fn lock(reg: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    reg.lock().unwrap_or_else(|p| p.into_inner())
}

impl Terminals {
    pub fn new(endpoint: Endpoint) -> Terminals {
        Terminals {
            endpoint,
            next: AtomicU32::new(1),
            reg: Arc::default(),
        }
    }

    /// The page of `webview` is (re)loading or gone: end every attachment it made.
    pub fn page_gone(&self, webview: &str) {
        let mut reg = lock(&self.reg);
        *reg.loads.entry(webview.to_string()).or_default() += 1;
        let before = reg.live.len();
        // Dropping the sender ends the attachment's task, which closes the socket.
        reg.live.retain(|_, a| a.webview != webview);
        let ended = before - reg.live.len();
        if ended > 0 {
            tracing::debug!(
                webview,
                ended,
                "page reloaded or closed: terminal attachments ended"
            );
        }
    }

    fn sender(&self, webview: &str, attachment: u32) -> Result<mpsc::Sender<ToDaemon>, ApiError> {
        lock(&self.reg)
            .live
            .get(&attachment)
            .filter(|a| a.webview == webview)
            .map(|a| a.tx.clone())
            .ok_or_else(|| ApiError::not_found(format!("no terminal attachment {attachment}")))
    }

    async fn send(&self, webview: &str, attachment: u32, msg: ToDaemon) -> Result<(), ApiError> {
        self.sender(webview, attachment)?
            .send(msg)
            .await
            .map_err(|_| ApiError::not_found(format!("terminal attachment {attachment} ended")))
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_socket(endpoint: &Endpoint, id: &str) -> Result<Socket, ApiError> {
    let mut req = format!("{}/api/v1/terminal/{id}/ws", endpoint.ws_base)
        .into_client_request()
        .map_err(|e| ApiError::internal(format!("bad daemon URL {}: {e}", endpoint.ws_base)))?;
    if let Some(t) = &endpoint.token {
        let v = format!("Bearer {t}")
            .parse()
            .map_err(|_| ApiError::internal("the token is not a valid header value"))?;
        req.headers_mut().insert("authorization", v);
    }
    req.headers_mut()
        .insert("x-refine-surface", "desktop".parse().expect("static"));
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(resp)) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice::<ApiError>(b).ok());
            Err(body.unwrap_or_else(|| {
                ApiError::new(
                    ErrorCode::from_http_status(status),
                    format!("the daemon refused to attach (HTTP {status})"),
                )
            }))
        }
        Err(e) => Err(ApiError::unavailable(format!(
            "cannot reach the daemon's terminal socket: {e}"
        ))),
    }
}

/// Attach to terminal session `id`. Output, control messages and the end arrive on `channel`;
/// the answer names the attachment for `term_send`, `term_resize`, `term_ack` and `term_detach`.
#[tauri::command]
#[specta::specta]
pub async fn term_attach(
    webview: tauri::Webview,
    terms: tauri::State<'_, Terminals>,
    id: String,
    channel: Channel<TermFrame>,
) -> Result<u32, ApiError> {
    // Session ids are UUIDs; checking here also keeps the URL path clean.
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::invalid("terminal id must be a UUID"));
    }
    let label = webview.label().to_string();
    let generation = lock(&terms.reg).loads.get(&label).copied();
    let ws = open_socket(&terms.endpoint, &id).await?;
    let attachment = terms.next.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(64);
    {
        let mut reg = lock(&terms.reg);
        if reg.loads.get(&label).copied() != generation {
            // The page that asked is gone; nobody would read or detach this.
            return Err(ApiError::unavailable("the page reloaded while attaching"));
        }
        reg.live
            .insert(attachment, Attachment { webview: label, tx });
    }
    tracing::debug!(%id, attachment, "terminal attached");
    let reg = terms.reg.clone();
    tauri::async_runtime::spawn(async move {
        let why = pump(ws, rx, &channel).await;
        lock(&reg).live.remove(&attachment);
        tracing::debug!(%id, attachment, why, "terminal detached");
    });
    Ok(attachment)
}

/// Moves bytes between the socket and the page until one side ends; says why.
async fn pump(
    ws: Socket,
    mut rx: mpsc::Receiver<ToDaemon>,
    channel: &Channel<TermFrame>,
) -> &'static str {
    let (mut sink, mut stream) = ws.split();
    let mut unacked = 0usize;
    let why = loop {
        tokio::select! {
            cmd = rx.recv() => {
                let msg = match cmd {
                    Some(ToDaemon::Input(b)) => Message::Binary(b.into()),
                    Some(ToDaemon::Resize { cols, rows }) => Message::Text(
                        serde_json::to_string(&TerminalClientMessage::Resize { cols, rows })
                            .unwrap_or_default()
                            .into(),
                    ),
                    Some(ToDaemon::Ack(n)) => {
                        unacked = unacked.saturating_sub(n);
                        continue;
                    }
                    None => {
                        let _ = sink.send(Message::Close(None)).await;
                        return "detached";
                    }
                };
                if sink.send(msg).await.is_err() {
                    break "the socket closed";
                }
            }
            msg = stream.next(), if unacked < WINDOW => {
                let frame = match msg {
                    Some(Ok(Message::Binary(b))) => {
                        if b.is_empty() {
                            continue;
                        }
                        unacked += b.len();
                        TermFrame::bytes(Vec::from(b))
                    }
                    Some(Ok(Message::Text(t))) => match TermFrame::control(t.as_str()) {
                        Some(frame) => frame,
                        None => continue,
                    },
                    Some(Ok(Message::Close(_))) | None => break "the daemon ended it",
                    Some(Err(_)) => break "the socket failed",
                    Some(Ok(_)) => continue,
                };
                if channel.send(frame).is_err() {
                    let _ = sink.send(Message::Close(None)).await;
                    return "the window's channel failed";
                }
            }
        }
    };
    let _ = channel.send(TermFrame::json(TerminalServerMessage::Closed {}.to_json()));
    why
}

/// Type into an attachment's session (bytes as the terminal produced them).
#[tauri::command]
#[specta::specta]
pub async fn term_send(
    webview: tauri::Webview,
    terms: tauri::State<'_, Terminals>,
    attachment: u32,
    data: Vec<u8>,
) -> Result<(), ApiError> {
    if data.len() > MAX_INPUT {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "input is limited to 256 KiB per message",
        ));
    }
    terms
        .send(webview.label(), attachment, ToDaemon::Input(data))
        .await
}

/// Resize an attachment's session.
#[tauri::command]
#[specta::specta]
pub async fn term_resize(
    webview: tauri::Webview,
    terms: tauri::State<'_, Terminals>,
    attachment: u32,
    cols: u16,
    rows: u16,
) -> Result<(), ApiError> {
    terms
        .send(webview.label(), attachment, ToDaemon::Resize { cols, rows })
        .await
}

/// The page has taken `bytes` more output (flow control; see the module doc).
#[tauri::command]
#[specta::specta]
pub async fn term_ack(
    webview: tauri::Webview,
    terms: tauri::State<'_, Terminals>,
    attachment: u32,
    bytes: u32,
) -> Result<(), ApiError> {
    terms
        .send(webview.label(), attachment, ToDaemon::Ack(bytes as usize))
        .await
}

/// End an attachment (the session keeps running). Detaching twice is fine.
#[tauri::command]
#[specta::specta]
pub fn term_detach(webview: tauri::Webview, terms: tauri::State<'_, Terminals>, attachment: u32) {
    let mut reg = lock(&terms.reg);
    if reg
        .live
        .get(&attachment)
        .is_some_and(|a| a.webview == webview.label())
    {
        reg.live.remove(&attachment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_urls_follow_the_daemon_url() {
        assert_eq!(
            Endpoint::new("http://127.0.0.1:7878/", None).ws_base,
            "ws://127.0.0.1:7878"
        );
        assert_eq!(
            Endpoint::new("https://localhost:9", None).ws_base,
            "wss://localhost:9"
        );
    }

    #[test]
    fn only_json_control_messages_reach_the_page() {
        let ok = TermFrame::control(r#"{"type":"exit","code":0}"#).expect("json");
        assert!(matches!(ok.0, InvokeResponseBody::Json(s) if s == r#"{"type":"exit","code":0}"#));
        assert!(TermFrame::control("alert(1)").is_none());
    }

    #[test]
    fn a_reload_ends_the_pages_attachments_only() {
        let terms = Terminals::new(Endpoint::new("http://127.0.0.1:1", None));
        let (a, _ra) = mpsc::channel(1);
        let (b, _rb) = mpsc::channel(1);
        {
            let mut reg = lock(&terms.reg);
            reg.live.insert(
                1,
                Attachment {
                    webview: "main".into(),
                    tx: a,
                },
            );
            reg.live.insert(
                2,
                Attachment {
                    webview: "other".into(),
                    tx: b,
                },
            );
        }
        terms.page_gone("main");
        assert!(terms.sender("main", 1).is_err());
        assert!(terms.sender("other", 2).is_ok());
        assert!(
            terms.sender("main", 2).is_err(),
            "another page's attachment"
        );
        assert_eq!(lock(&terms.reg).loads.get("main"), Some(&1));
    }
}
