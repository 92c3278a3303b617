//! Terminal commands: list, new, attach (raw mode like tmux; Ctrl-] detaches), close.

use std::io::Write;

use clap::Subcommand;
use futures::{SinkExt, StreamExt};
use refine_client::{CliError, Client};
use refine_model::{ApiError, ErrorCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::commands::{app_id, print_json, s};
use crate::{table, Result};

/// The detach key: Ctrl-] (as in telnet and `docker attach`).
const DETACH: u8 = 0x1d;

#[derive(Subcommand, Debug)]
pub enum TermCmd {
    /// Open terminal sessions.
    List {
        /// Only this app's sessions (name or id).
        #[arg(long)]
        app: Option<String>,
    },
    /// Open a session (default: your login shell) and print its id.
    New {
        /// Tab title.
        #[arg(long)]
        title: Option<String>,
        /// Working directory relative to the app root.
        #[arg(long)]
        cwd: Option<String>,
        /// An app (name or id); default: the active app.
        #[arg(long)]
        app: Option<String>,
        /// Attach right away.
        #[arg(long, short)]
        attach: bool,
        /// The program and its arguments, after `--`.
        #[arg(last = true)]
        argv: Vec<String>,
    },
    /// Attach this terminal to a session; Ctrl-] detaches (the session keeps running).
    Attach { id: String },
    /// Close a session: its program and everything it started are ended.
    Close { id: String },
}

pub(crate) fn size() -> (u16, u16) {
    // SAFETY: TIOCGWINSZ fills a winsize struct.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        for fd in [1, 0, 2] {
            if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0 {
                return (ws.ws_col, ws.ws_row);
            }
        }
    }
    (80, 24)
}

/// Raw mode on standard input while alive; the previous mode comes back on drop.
struct RawMode(Option<libc::termios>);

impl RawMode {
    fn enter() -> RawMode {
        // SAFETY: termios calls on fd 0 with a zeroed struct they fill.
        unsafe {
            if libc::isatty(0) != 1 {
                return RawMode(None);
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return RawMode(None);
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(0, libc::TCSANOW, &t);
            RawMode(Some(saved))
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            // SAFETY: restores what tcgetattr returned.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}

fn resize_msg() -> Message {
    let (cols, rows) = size();
    Message::Text(
        json!({"type": "resize", "cols": cols, "rows": rows})
            .to_string()
            .into(),
    )
}

/// Attach to session `id` until it exits or the user presses Ctrl-].
pub async fn attach(c: &Client, id: &str) -> Result {
    let ws_base = c
        .base()
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let mut req = format!("{ws_base}/api/v1/terminal/{id}/ws")
        .into_client_request()
        .map_err(|e| CliError::Usage(format!("bad daemon URL {}: {e}", c.base())))?;
    if let Some(t) = c.token() {
        let v = format!("Bearer {t}")
            .parse()
            .map_err(|_| CliError::Usage("the token is not a valid header value".into()))?;
        req.headers_mut().insert("authorization", v);
    }
    req.headers_mut()
        .insert("x-refine-surface", "cli".parse().expect("static"));
    let ws = match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => ws,
        Err(WsError::Http(resp)) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice::<ApiError>(b).ok());
            return Err(CliError::Api(body.unwrap_or_else(|| {
                ApiError::new(
                    ErrorCode::from_http_status(status),
                    format!("the daemon refused to attach (HTTP {status})"),
                )
            })));
        }
        Err(e) => {
            return Err(CliError::NoDaemon(format!(
                "cannot reach the daemon at {}: {e}",
                c.base()
            )))
        }
    };
    let (mut tx, mut rx) = ws.split();
    let raw = RawMode::enter();
    let _ = tx.send(resize_msg()).await;

    // Standard input on its own thread (a blocking read cannot be cancelled).
    let (in_tx, mut in_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if in_tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut winch =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    let mut stdout = std::io::stdout();
    let mut stdin_open = true;
    let outcome: String = loop {
        tokio::select! {
            msg = rx.next() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    let _ = stdout.write_all(&b);
                    let _ = stdout.flush();
                }
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                    if v["type"] == "exit" {
                        break match v["code"].as_i64() {
                            Some(code) => format!("[the program exited with code {code}]"),
                            None => "[the program exited]".to_string(),
                        };
                    }
                }
                Some(Ok(Message::Close(_))) | None => break "[the session was closed]".to_string(),
                Some(Err(e)) => break format!("[connection lost: {e}]"),
                Some(Ok(_)) => {}
            },
            input = in_rx.recv(), if stdin_open => match input {
                Some(bytes) => {
                    if let Some(at) = bytes.iter().position(|&b| b == DETACH) {
                        if at > 0 {
                            let _ = tx.send(Message::Binary(bytes[..at].to_vec().into())).await;
                        }
                        let _ = tx.send(Message::Close(None)).await;
                        break format!("[detached from {id}; `refine term attach {id}` to come back]");
                    }
                    if tx.send(Message::Binary(bytes.into())).await.is_err() {
                        break "[connection lost]".to_string();
                    }
                }
                None => stdin_open = false,
            },
            _ = async { match winch.as_mut() { Some(w) => { w.recv().await; } None => std::future::pending().await } } => {
                let _ = tx.send(resize_msg()).await;
            }
        }
    };
    drop(raw);
    let _ = stdout.write_all(format!("\r\n{outcome}\r\n").as_bytes());
    let _ = stdout.flush();
    Ok(())
}

pub async fn run(c: &Client, cmd: &TermCmd, json_out: bool) -> Result {
    match cmd {
        TermCmd::List { app } => {
            let app = match app {
                Some(a) => json!(app_id(c, a).await?),
                None => Value::Null,
            };
            let list = c.call("terminal.list", json!({"appId": app})).await?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let state = if t["exited"] == json!(true) {
                        format!("exited {}", t["exitCode"])
                    } else {
                        "running".to_string()
                    };
                    let argv: Vec<String> = t["argv"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str().map(str::to_string))
                        .collect();
                    vec![
                        s(t, "id"),
                        s(t, "title"),
                        argv.join(" "),
                        format!("{}x{}", t["cols"], t["rows"]),
                        t["clients"].to_string(),
                        state,
                    ]
                })
                .collect();
            table::print(
                &["id", "title", "command", "size", "clients", "state"],
                rows,
            );
        }
        TermCmd::New {
            title,
            cwd,
            app,
            attach: then_attach,
            argv,
        } => {
            let app = match app {
                Some(a) => json!(app_id(c, a).await?),
                None => Value::Null,
            };
            let (cols, rows) = size();
            let mut input =
                json!({"appId": app, "title": title, "cwd": cwd, "cols": cols, "rows": rows});
            if !argv.is_empty() {
                input["argv"] = json!(argv);
            }
            let t = c.call("terminal.create", input).await?;
            let id = s(&t, "id");
            if json_out {
                print_json(&t);
            } else {
                println!("{id}");
            }
            if *then_attach {
                attach(c, &id).await?;
            }
        }
        TermCmd::Attach { id } => attach(c, id).await?,
        TermCmd::Close { id } => {
            let t = c.call("terminal.close", json!({"id": id})).await?;
            if json_out {
                print_json(&t);
            } else {
                println!("closed {} ({})", s(&t, "id"), s(&t, "title"));
            }
        }
    }
    Ok(())
}
