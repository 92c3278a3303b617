//! `refine term`: terminal sessions in the daemon: list, new, show, attach (raw mode like tmux;
//! Ctrl-] detaches), send, scrollback, rename, resize, close.

use std::io::Write;

use clap::Subcommand;
use futures::{SinkExt, StreamExt};
use refine_api::ops::{apps, terminal};
use refine_client::{CliError, Client};
use refine_core::terminal::{
    CreateTerminalInput, ListTerminalsInput, RenameTerminalInput, ResizeTerminalInput,
    TerminalIdInput, TerminalInputInput, TerminalScrollbackInput,
};
use refine_model::terminal::{TerminalClientMessage, TerminalInfo, TerminalServerMessage};
use refine_model::{ApiError, ErrorCode};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::apps::app_opt;
use super::{Commands, Run};
use crate::render::{Cell, Printer, Render, Tone};
use crate::Result;

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
    /// One session: program, size, attached clients, exit code.
    Show { id: String },
    /// Attach this terminal to a session; Ctrl-] detaches (the session keeps running).
    Attach { id: String },
    /// Type TEXT into a session (--enter presses Enter after it).
    Send {
        id: String,
        text: String,
        #[arg(long)]
        enter: bool,
    },
    /// The last KiB of a session's output (escape sequences included).
    Scrollback {
        id: String,
        /// How many KiB (default 64).
        #[arg(long)]
        kb: Option<u32>,
    },
    /// Change a session's title.
    Rename { id: String, title: String },
    /// Set a session's size.
    Resize { id: String, cols: u16, rows: u16 },
    /// Close a session: its program and everything it started are ended.
    Close { id: String },
}

pub const COMMANDS: Commands = &[
    ("list", &[terminal::LIST.name, apps::LIST.name]),
    ("new", &[terminal::CREATE.name, apps::LIST.name]),
    ("show", &[terminal::GET.name]),
    ("attach", &[terminal::GET.name]),
    ("send", &[terminal::INPUT.name]),
    ("scrollback", &[terminal::SCROLLBACK.name]),
    ("rename", &[terminal::RENAME.name]),
    ("resize", &[terminal::RESIZE.name]),
    ("close", &[terminal::CLOSE.name]),
];

pub fn size() -> (u16, u16) {
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
    let resize = TerminalClientMessage::Resize { cols, rows };
    Message::Text(serde_json::to_string(&resize).unwrap_or_default().into())
}

/// Attach to session `id` until it exits or the user presses Ctrl-].
pub async fn attach(c: &Client, id: &str) -> Result {
    // A session that is not there is a plain "not found" (exit 3) before any WebSocket.
    let session = c
        .run(terminal::GET, &TerminalIdInput { id: id.to_string() })
        .await?;
    let id = session.id.as_str();
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
                    if let Ok(TerminalServerMessage::Exit { code }) = serde_json::from_str(t.as_str()) {
                        break match code {
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

pub async fn run(r: &Run<'_>, cmd: &TermCmd) -> Result {
    let c = r.c;
    let one = |id: &String| TerminalIdInput { id: id.clone() };
    match cmd {
        TermCmd::List { app } => {
            let input = ListTerminalsInput {
                app_id: app_opt(c, app).await?,
            };
            r.out.show(&TermList(c.run(terminal::LIST, &input).await?))
        }
        TermCmd::New {
            title,
            cwd,
            app,
            attach: then_attach,
            argv,
        } => {
            let (cols, rows) = size();
            let input = CreateTerminalInput {
                app_id: app_opt(c, app).await?,
                argv: (!argv.is_empty()).then(|| argv.clone()),
                cwd: cwd.clone(),
                cols: Some(cols),
                rows: Some(rows),
                title: title.clone(),
            };
            let t = c.run(terminal::CREATE, &input).await?;
            r.out.done(&t, |t| t.id.clone())?;
            if *then_attach {
                attach(c, &t.id).await?;
            }
            Ok(())
        }
        TermCmd::Show { id } => r.out.show(&c.run(terminal::GET, &one(id)).await?),
        TermCmd::Attach { id } => attach(c, id).await,
        TermCmd::Send { id, text, enter } => {
            let input = TerminalInputInput {
                id: id.clone(),
                text: if *enter {
                    format!("{text}\r")
                } else {
                    text.clone()
                },
            };
            let t = c.run(terminal::INPUT, &input).await?;
            r.out
                .done(&t, |t| format!("typed into {} ({})", t.id, t.title))
        }
        TermCmd::Scrollback { id, kb } => {
            let input = TerminalScrollbackInput {
                id: id.clone(),
                kb: *kb,
            };
            let sb = c.run(terminal::SCROLLBACK, &input).await?;
            if r.out.is_json() {
                return r.out.json(&sb);
            }
            // The output as the program wrote it, into a pipe (escaped on a terminal).
            crate::out::content(&sb.text);
            Ok(())
        }
        TermCmd::Rename { id, title } => {
            let input = RenameTerminalInput {
                id: id.clone(),
                title: title.clone(),
            };
            let t = c.run(terminal::RENAME, &input).await?;
            r.out
                .done(&t, |t| format!("renamed {} to {}", t.id, t.title))
        }
        TermCmd::Resize { id, cols, rows } => {
            let input = ResizeTerminalInput {
                id: id.clone(),
                cols: *cols,
                rows: *rows,
            };
            let t = c.run(terminal::RESIZE, &input).await?;
            r.out
                .done(&t, |t| format!("{} is {}x{}", t.id, t.cols, t.rows))
        }
        TermCmd::Close { id } => {
            let t = c.run(terminal::CLOSE, &one(id)).await?;
            r.out.done(&t, |t| format!("closed {} ({})", t.id, t.title))
        }
    }
}

/// `exited 1`, or `running`.
fn term_state(t: &TerminalInfo) -> Cell {
    if t.exited {
        crate::render::toned(
            format!("exited {}", crate::render::opt(&t.exit_code)),
            Tone::Bad,
        )
    } else {
        crate::render::state("running")
    }
}

/// `term list`: one row per session.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct TermList(pub Vec<TerminalInfo>);

impl Render for TermList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|t| {
                vec![
                    Cell::from(&t.id),
                    Cell::from(&t.title),
                    Cell::from(t.argv.join(" ")),
                    Cell::from(format!("{}x{}", t.cols, t.rows)),
                    Cell::from(t.clients),
                    term_state(t),
                ]
            })
            .collect();
        p.table(
            &["id", "title", "command", "size", "clients", "state"],
            rows,
        );
    }
}

/// `term show`: one session in full.
impl Render for TerminalInfo {
    fn render(&self, p: &mut Printer) {
        p.line(&self.title);
        p.fields(&[
            ("id", Cell::from(&self.id)),
            ("command", Cell::from(self.argv.join(" "))),
            (
                "cwd",
                Cell::from(if self.cwd.is_empty() {
                    "."
                } else {
                    self.cwd.as_str()
                }),
            ),
            ("size", Cell::from(format!("{}x{}", self.cols, self.rows))),
            ("pid", Cell::from(self.pid)),
            ("clients", Cell::from(self.clients)),
            ("state", term_state(self)),
            ("created", Cell::from(&self.created_at)),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn session(exited: bool) -> TerminalInfo {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-0000000000bb", "appId": "a1", "argv": ["bash", "-l"],
            "cwd": "", "title": "e2e", "cols": 120, "rows": 40, "pid": 99,
            "createdAt": "2026-03-01T10:00:00Z", "clients": 1, "exited": exited,
            "exitCode": if exited { Some(1) } else { None }
        }))
        .expect("a TerminalInfo")
    }

    #[test]
    fn sessions_render_from_their_typed_output() {
        let list = shown(&TermList(vec![session(false), session(true)]));
        assert!(list.starts_with("ID"), "{list}");
        assert!(
            list.contains(
                "0190a1b2-0000-7000-8000-0000000000bb  e2e    bash -l  120x40  1        running"
            ),
            "{list}"
        );
        assert!(list.contains("exited 1"), "{list}");
        let one = shown(&session(false));
        assert!(
            one.starts_with("e2e\n")
                && one.contains("command:  bash -l")
                && one.contains("cwd:      ."),
            "{one}"
        );
    }
}
