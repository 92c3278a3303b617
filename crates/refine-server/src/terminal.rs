//! `GET /api/v1/terminal/{id}/ws`: a terminal session over a WebSocket. The security layer has
//! checked Host, Origin and the token before this handler runs, so a refused client never sees
//! `101`. Protocol: the server sends the scrollback as one binary message, then live output as
//! binary messages; the client sends input as binary (or text) frames, except a text frame that
//! is JSON `{"type":"resize","cols":N,"rows":M}`; when the program exits the server sends
//! `{"type":"exit","code":N}` and closes. Several clients may attach to one session.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State as AxState};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use refine_core::sessions::SessionAuth;
use refine_core::terminal::TerminalClient;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use refine_model::terminal::{TerminalClientMessage, TerminalServerMessage};

use crate::security::error_response;
use crate::State;

/// Largest message a client may send (input or resize).
const MAX_IN: usize = 256 * 1024;
/// Output chunks are coalesced up to this size per message.
const MAX_OUT: usize = 64 * 1024;

pub(crate) async fn attach(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    session: Option<axum::Extension<SessionAuth>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(r) => return r.into_response(),
    };
    let client = match state.core.attach_terminal(&id) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    // A browser authenticates with a subprotocol and must get one back.
    let revoked = session.map(|s| s.0.revoked);
    ws.max_message_size(MAX_IN)
        .protocols([crate::security::WS_PROTOCOL])
        .on_upgrade(move |socket| async move {
            let _open = state.core.metrics().websocket_opened();
            run(socket, client, revoked).await
        })
}

fn exit_frame(code: Option<i32>) -> Message {
    control(&TerminalServerMessage::Exit { code })
}

fn control(m: &TerminalServerMessage) -> Message {
    Message::Text(m.to_json().into())
}

/// Resolves when the browser session behind a socket is revoked (never for the token).
async fn until_revoked(revoked: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match revoked {
        Some(r) => {
            let _ = r.wait_for(|v| *v).await;
        }
        None => std::future::pending().await,
    }
}

async fn run(
    socket: WebSocket,
    mut c: TerminalClient,
    mut revoked: Option<tokio::sync::watch::Receiver<bool>>,
) {
    let (mut tx, mut rx) = socket.split();
    let first = std::mem::take(&mut c.scrollback);
    if tx.send(Message::Binary(first.into())).await.is_err() {
        return;
    }
    let mut exit = c.exit.clone();
    loop {
        tokio::select! {
            _ = until_revoked(&mut revoked) => {
                let _ = tx.close().await;
                return;
            }
            out = c.output.recv() => match out {
                Ok(chunk) => {
                    let mut buf = chunk.to_vec();
                    while buf.len() < MAX_OUT {
                        match c.output.try_recv() {
                            Ok(more) => buf.extend_from_slice(&more),
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                    if tx.send(Message::Binary(buf.into())).await.is_err() {
                        return;
                    }
                    // Take turns: a terminal printing as fast as it can would otherwise send
                    // until its task's budget runs out (megabytes), and every other terminal's
                    // echo would wait behind it.
                    tokio::task::yield_now().await;
                }
                Err(RecvError::Lagged(n)) => {
                    if tx.send(control(&TerminalServerMessage::Lagged { missed: n.min(u32::MAX as u64) as u32 })).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => {
                    let code = c.exit.borrow().map(|e| e.code);
                    let _ = tx.send(exit_frame(code)).await;
                    let _ = tx.close().await;
                    return;
                }
            },
            code = async { exit.wait_for(|e| e.is_some()).await.ok().and_then(|e| e.map(|x| x.code)) } => {
                // Whatever output is still queued goes first.
                let mut rest = Vec::new();
                loop {
                    match c.output.try_recv() {
                        Ok(more) => rest.extend_from_slice(&more),
                        Err(TryRecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
                if !rest.is_empty() {
                    let _ = tx.send(Message::Binary(rest.into())).await;
                }
                let _ = tx.send(exit_frame(code)).await;
                let _ = tx.close().await;
                return;
            },
            msg = rx.next() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    if c.input(b.to_vec()).await.is_err() {
                        continue;
                    }
                }
                Some(Ok(Message::Text(t))) => {
                    let s = t.as_str();
                    if s.starts_with('{') {
                        if let Ok(TerminalClientMessage::Resize { cols, rows }) = serde_json::from_str(s) {
                            if let Err(e) = c.resize(cols, rows) {
                                let _ = tx.send(control(&TerminalServerMessage::Error { message: e.message })).await;
                            }
                            continue;
                        }
                    }
                    let _ = c.input(s.as_bytes().to_vec()).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
