//! terminal: PTY sessions owned by the daemon. Created from an argv array (default: the user's
//! login shell) in the app root; output kept in a bounded scrollback and fanned out to every
//! attached client (the WebSocket in refine-server); input, resize, rename, close; a reaper
//! closes sessions left without clients for `terminal.idleCloseMinutes`.

use crate::events::kind;
use refine_model::event::TerminalClosed;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use refine_host::pty::{Pty, PtyExit, PtySpec};
use refine_model::terminal::{TerminalInfo, TerminalScrollback};
use refine_model::{ApiError, ErrorCode, Surface};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;
use tokio::sync::{broadcast, watch};

use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// Sessions open at once (running or ended but not closed) before new ones are refused (429).
pub const MAX_SESSIONS: usize = 32;
/// How often the idle reaper looks.
const REAP_EVERY: Duration = Duration::from_secs(30);
/// Time between SIGHUP and SIGKILL when closing.
const CLOSE_GRACE: Duration = Duration::from_millis(1500);

/// A session this daemon holds.
pub(crate) struct Session {
    info: Mutex<TerminalInfo>,
    pty: Arc<Pty>,
    /// Since when no client is attached (`None` while one is).
    idle_since: Mutex<Option<Instant>>,
}

impl Session {
    fn snapshot(&self) -> TerminalInfo {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// One attached client (a WebSocket). Dropping it detaches.
pub struct TerminalClient {
    session: Arc<Session>,
    pub id: String,
    /// Output kept so far, replayed first.
    pub scrollback: Vec<u8>,
    /// Output after the scrollback.
    pub output: broadcast::Receiver<Arc<[u8]>>,
    /// `Some` once the program ended.
    pub exit: watch::Receiver<Option<PtyExit>>,
}

impl TerminalClient {
    /// Send input bytes: a keystroke at once when the PTY takes it, else off the executor (a
    /// full PTY buffer blocks).
    pub async fn input(&self, data: Vec<u8>) -> Result<(), ApiError> {
        let refused = |e: std::io::Error| {
            ApiError::conflict(format!("the terminal does not take input: {e}"))
        };
        let taken = self.session.pty.write_now(&data).map_err(refused)?;
        if taken == data.len() {
            return Ok(());
        }
        let pty = self.session.pty.clone();
        tokio::task::spawn_blocking(move || pty.write(&data[taken..]))
            .await
            .map_err(|_| ApiError::internal("input task failed"))?
            .map_err(refused)
    }

    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), ApiError> {
        resize(&self.session, cols, rows)
    }
}

impl Drop for TerminalClient {
    fn drop(&mut self) {
        let mut info = self.session.info.lock().unwrap_or_else(|p| p.into_inner());
        info.clients = info.clients.saturating_sub(1);
        if info.clients == 0 {
            *self
                .session
                .idle_since
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
    }
}

fn resize(s: &Session, cols: u16, rows: u16) -> Result<(), ApiError> {
    check_size(cols, rows)?;
    s.pty
        .resize(cols, rows)
        .map_err(|e| ApiError::conflict(format!("cannot resize: {e}")))?;
    let mut info = s.info.lock().unwrap_or_else(|p| p.into_inner());
    info.cols = cols;
    info.rows = rows;
    Ok(())
}

fn check_size(cols: u16, rows: u16) -> Result<(), ApiError> {
    if !(2..=1000).contains(&cols) || !(1..=500).contains(&rows) {
        return Err(ApiError::invalid("cols must be 2-1000 and rows 1-500"));
    }
    Ok(())
}

/// Open a terminal session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTerminalInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// The program and its arguments (default: the user's $SHELL as a login shell, else `bash -l`).
    #[serde(default)]
    pub argv: Option<Vec<String>>,
    /// Working directory relative to the app root (default: the root).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Columns (default 80).
    #[serde(default)]
    pub cols: Option<u16>,
    /// Rows (default 24).
    #[serde(default)]
    pub rows: Option<u16>,
    /// Tab title (default: the program's name).
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTerminalsInput {
    /// Only this app's sessions (default: all).
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalIdInput {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResizeTerminalInput {
    pub id: String,
    pub cols: u16,
    pub rows: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalInputInput {
    pub id: String,
    /// Text typed into the terminal as is (send "\r" for Enter); at most 64 KiB.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameTerminalInput {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalScrollbackInput {
    pub id: String,
    /// The last KiB of output to return (default 64, at most 16,384).
    #[serde(default)]
    pub kb: Option<u32>,
}

fn default_argv() -> Vec<String> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty() && Path::new(s).is_absolute() && Path::new(s).exists())
        .unwrap_or_else(|| "bash".to_string());
    vec![shell, "-l".to_string()]
}

fn validate_argv(argv: &[String]) -> Result<(), ApiError> {
    if argv.is_empty() || argv[0].is_empty() {
        return Err(ApiError::invalid("argv needs at least the program to run"));
    }
    if argv.len() > 512 {
        return Err(ApiError::invalid("argv has more than 512 entries"));
    }
    if argv.iter().any(|a| a.contains('\0') || a.len() > 64 * 1024) {
        return Err(ApiError::invalid(
            "argv entries must be text without NUL, at most 64 KiB",
        ));
    }
    Ok(())
}

fn program_name(argv: &[String]) -> String {
    Path::new(&argv[0])
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| argv[0].clone())
}

impl Core {
    fn session(&self, id: &str) -> Result<Arc<Session>, ApiError> {
        crate::apps::validate_id("terminal", id)?;
        self.0
            .terms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no terminal session {id}")))
    }

    /// `terminal.create`
    pub async fn terminal_create(
        &self,
        ctx: &Ctx,
        input: CreateTerminalInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let argv = input.argv.clone().unwrap_or_else(default_argv);
        validate_argv(&argv)?;
        let (cols, rows) = (input.cols.unwrap_or(80), input.rows.unwrap_or(24));
        check_size(cols, rows)?;
        if let Some(t) = &input.title {
            crate::wire::text("title", t, 100, false)?;
        }
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let open = self.0.terms.lock().unwrap_or_else(|p| p.into_inner()).len();
        if open >= MAX_SESSIONS {
            return Err(ApiError::new(
                ErrorCode::TooManyRequests,
                format!("{open} terminal sessions are open (the limit is {MAX_SESSIONS}); close one first"),
            )
            .with_details(json!({ "retryAfter": 5 })));
        }
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let (cwd_abs, cwd_rel) =
            crate::processes::resolve_cwd(Path::new(&app.path), input.cwd.as_deref())?;
        let title = input.title.clone().unwrap_or_else(|| program_name(&argv));
        let core = self.clone();
        let app_id = app.id.clone();
        let prepare = async move {
            let env = core.child_env(&HashMap::from([
                ("TERM".to_string(), "xterm-256color".to_string()),
                ("COLORTERM".to_string(), "truecolor".to_string()),
                ("REFINE_TERMINAL".to_string(), "1".to_string()),
            ]));
            let spec = PtySpec {
                argv: argv.clone(),
                cwd: cwd_abs,
                env,
                cols,
                rows,
                scrollback: settings.terminal.scrollback_kb as usize * 1024,
            };
            let pty = tokio::task::spawn_blocking(move || Pty::spawn(spec))
                .await
                .map_err(|_| ApiError::internal("spawn task failed"))?
                .map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        ApiError::invalid(format!(
                            "{} was not found (is it installed and on PATH?)",
                            argv[0]
                        ))
                    } else {
                        ApiError::invalid(format!("could not start {}: {e}", argv[0]))
                    }
                })?;
            let info = TerminalInfo {
                id: new_id(),
                app_id,
                argv,
                cwd: cwd_rel,
                title,
                cols,
                rows,
                pid: pty.pid(),
                created_at: clock::now(),
                clients: 0,
                exited: false,
                exit_code: None,
            };
            let session = Arc::new(Session {
                info: Mutex::new(info.clone()),
                pty,
                idle_since: Mutex::new(Some(Instant::now())),
            });
            core.0
                .terms
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(info.id.clone(), session.clone());
            core.watch_exit(session);
            core.start_reaper();
            Ok(info)
        };
        self.mutate(ctx, &input, prepare, |_, info: TerminalInfo| {
            let change = Change::new(format!("Opened a terminal: {}", info.argv.join(" ")))
                .app(Some(info.app_id.clone()))
                .target(info.id.clone())
                .event(kind::TERMINAL_CREATED, &info);
            Ok((info, change))
        })
        .await
    }

    /// Record the exit and tell subscribers (the session stays until closed).
    fn watch_exit(&self, session: Arc<Session>) {
        let core = self.clone();
        let mut rx = session.pty.exited();
        tokio::spawn(async move {
            let Ok(exit) = rx.wait_for(|e| e.is_some()).await.map(|e| *e) else {
                return;
            };
            let info = {
                let mut info = session.info.lock().unwrap_or_else(|p| p.into_inner());
                info.exited = true;
                info.exit_code = exit.map(|e| e.code);
                info.clone()
            };
            // Kill leftovers of the session (background jobs) once the program itself ended.
            refine_host::pty::signal_session(info.pid as i32, libc::SIGKILL);
            core.bus()
                .publish(kind::TERMINAL_EXITED, Some(info.app_id.clone()), &info);
        });
    }

    fn start_reaper(&self) {
        if self.0.term_reaper.swap(true, Ordering::SeqCst) {
            return;
        }
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REAP_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => { core.reap_terminals(Instant::now()).await; }
                    _ = async { let _ = shutdown.wait_for(|v| *v).await; } => {
                        core.close_all_terminals().await;
                        return;
                    }
                }
            }
        });
    }

    /// Close sessions without clients for longer than their app's `terminal.idleCloseMinutes`.
    pub async fn reap_terminals(&self, now: Instant) -> Vec<String> {
        let sessions: Vec<Arc<Session>> = self
            .0
            .terms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let mut closed = Vec::new();
        for s in sessions {
            let info = s.snapshot();
            let Some(since) = *s.idle_since.lock().unwrap_or_else(|p| p.into_inner()) else {
                continue;
            };
            let Ok(settings) = self.effective_settings(Some(info.app_id.clone())).await else {
                continue;
            };
            let minutes = settings.terminal.idle_close_minutes;
            if minutes == 0
                || info.clients > 0
                || now.saturating_duration_since(since) < Duration::from_secs(minutes as u64 * 60)
            {
                continue;
            }
            let ctx = Ctx::new(Surface::System)
                .with_actor("refine")
                .for_op("terminal.close");
            if self
                .close_terminal_as(
                    &ctx,
                    TerminalIdInput {
                        id: info.id.clone(),
                    },
                    "idle",
                )
                .await
                .is_ok()
            {
                closed.push(info.id);
            }
        }
        closed
    }

    /// Kill every session (daemon shutdown).
    pub async fn close_all_terminals(&self) {
        let all: Vec<Arc<Session>> = self
            .0
            .terms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for s in all {
            s.pty.kill(Duration::from_millis(300)).await;
            // Like closing one through the API: what ignored the hang-up goes too.
            refine_host::pty::signal_session(s.pty.pid() as i32, libc::SIGKILL);
        }
    }

    /// `terminal.list`
    pub async fn terminal_list(
        &self,
        ctx: &Ctx,
        i: ListTerminalsInput,
    ) -> Result<Vec<TerminalInfo>, ApiError> {
        let app = match &i.app_id {
            Some(a) => Some(self.resolve_app(ctx, Some(a)).await?.id),
            None => None,
        };
        let mut v: Vec<TerminalInfo> = self
            .0
            .terms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|s| s.snapshot())
            .filter(|t| app.as_ref().is_none_or(|a| &t.app_id == a))
            .collect();
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    /// Open terminal sessions: id, title and the shell's pid (its process group).
    pub(crate) fn terminal_pids(&self) -> Vec<(String, String, u32)> {
        self.0
            .terms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|s| s.snapshot())
            .filter(|t| !t.exited)
            .map(|t| (t.id, t.title, t.pid))
            .collect()
    }

    /// `terminal.get`
    pub async fn terminal_get(&self, i: TerminalIdInput) -> Result<TerminalInfo, ApiError> {
        Ok(self.session(&i.id)?.snapshot())
    }

    /// Attach a client: the scrollback, then live output (see [`TerminalClient`]).
    pub fn attach_terminal(&self, id: &str) -> Result<TerminalClient, ApiError> {
        let session = self.session(id)?;
        let (scrollback, output) = {
            let mut info = session.info.lock().unwrap_or_else(|p| p.into_inner());
            info.clients += 1;
            *session.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
            session.pty.attach()
        };
        Ok(TerminalClient {
            exit: session.pty.exited(),
            id: id.to_string(),
            session,
            scrollback,
            output,
        })
    }

    /// `terminal.resize`
    pub async fn terminal_resize(
        &self,
        ctx: &Ctx,
        i: ResizeTerminalInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let s = self.session(&i.id)?;
        check_size(i.cols, i.rows)?;
        let (cols, rows) = (i.cols, i.rows);
        let prepare = async move {
            resize(&s, cols, rows)?;
            Ok(s.snapshot())
        };
        self.mutate(ctx, &i, prepare, |_, info: TerminalInfo| {
            let change = Change::new(format!(
                "Resized terminal {} to {}x{}",
                info.title, info.cols, info.rows
            ))
            .app(Some(info.app_id.clone()))
            .target(info.id.clone());
            Ok((info, change))
        })
        .await
    }

    /// `terminal.input`
    pub async fn terminal_input(
        &self,
        ctx: &Ctx,
        i: TerminalInputInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let s = self.session(&i.id)?;
        if i.text.is_empty() || i.text.len() > 64 * 1024 {
            return Err(ApiError::invalid("text must be 1 byte to 64 KiB"));
        }
        if s.pty.exit_status().is_some() {
            return Err(ApiError::conflict(format!(
                "terminal {} has exited; open a new one",
                i.id
            )));
        }
        let data = i.text.clone().into_bytes();
        let prepare = async move {
            let pty = s.pty.clone();
            tokio::task::spawn_blocking(move || pty.write(&data))
                .await
                .map_err(|_| ApiError::internal("input task failed"))?
                .map_err(|e| {
                    ApiError::conflict(format!("the terminal does not take input: {e}"))
                })?;
            Ok(s.snapshot())
        };
        let n = i.text.len();
        self.mutate(ctx, &i, prepare, move |_, info: TerminalInfo| {
            let change = Change::new(format!("Typed {n} bytes into terminal {}", info.title))
                .app(Some(info.app_id.clone()))
                .target(info.id.clone());
            Ok((info, change))
        })
        .await
    }

    /// `terminal.rename`
    pub async fn terminal_rename(
        &self,
        ctx: &Ctx,
        i: RenameTerminalInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let s = self.session(&i.id)?;
        let title = i.title.trim().to_string();
        crate::wire::text("title", &title, 100, false)?;
        if title.is_empty() {
            return Err(ApiError::invalid("the title must not be empty"));
        }
        let prepare = async move {
            s.info.lock().unwrap_or_else(|p| p.into_inner()).title = title;
            Ok(s.snapshot())
        };
        self.mutate(ctx, &i, prepare, |_, info: TerminalInfo| {
            let change = Change::new(format!("Renamed a terminal to {}", info.title))
                .app(Some(info.app_id.clone()))
                .target(info.id.clone())
                .event(kind::TERMINAL_UPDATED, &info);
            Ok((info, change))
        })
        .await
    }

    /// `terminal.scrollback`
    pub async fn terminal_scrollback(
        &self,
        i: TerminalScrollbackInput,
    ) -> Result<TerminalScrollback, ApiError> {
        let s = self.session(&i.id)?;
        let kb = i.kb.unwrap_or(64);
        if !(1..=16384).contains(&kb) {
            return Err(ApiError::invalid("kb must be 1-16384"));
        }
        let bytes = s.pty.scrollback(kb as usize * 1024);
        Ok(TerminalScrollback {
            id: i.id,
            bytes: bytes.len() as u32,
            text: String::from_utf8_lossy(&bytes).to_string(),
        })
    }

    /// `terminal.close`: end the program and its whole session, forget the session.
    pub async fn terminal_close(
        &self,
        ctx: &Ctx,
        i: TerminalIdInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        self.close_terminal_as(ctx, i, "user").await
    }

    async fn close_terminal_as(
        &self,
        ctx: &Ctx,
        i: TerminalIdInput,
        reason: &'static str,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        crate::apps::validate_id("terminal", &i.id)?;
        let core = self.clone();
        let id = i.id.clone();
        let prepare = async move {
            let s = core.session(&id)?;
            core.0
                .terms
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            s.pty.kill(CLOSE_GRACE).await;
            let mut info = s.snapshot();
            if let Some(e) = s.pty.exit_status() {
                info.exited = true;
                info.exit_code = Some(e.code);
            }
            Ok(info)
        };
        self.mutate(ctx, &i, prepare, move |_, info: TerminalInfo| {
            let what = if reason == "idle" {
                "Closed an idle terminal"
            } else {
                "Closed a terminal"
            };
            let change = Change::new(format!("{what}: {}", info.title))
                .app(Some(info.app_id.clone()))
                .target(info.id.clone())
                .event(
                    kind::TERMINAL_CLOSED,
                    &TerminalClosed {
                        id: info.id.clone(),
                        app_id: info.app_id.clone(),
                        reason: reason.to_string(),
                    },
                );
            Ok((info, change))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoreConfig;

    #[tokio::test]
    async fn idle_sessions_are_reaped_attached_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let (core, _) = Core::open(CoreConfig::new(dir.path().join("data"))).unwrap();
        let repo = dir.path().join("app");
        std::fs::create_dir_all(&repo).unwrap();
        let git = |a: &[&str]| {
            assert!(std::process::Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(a)
                .status()
                .unwrap()
                .success())
        };
        git(&["init", "-q"]);
        let ctx = Ctx::new(Surface::Cli);
        core.apps_add(
            &ctx.for_op("apps.add"),
            crate::apps::AddAppInput {
                path: repo.to_string_lossy().to_string(),
                name: None,
            },
        )
        .await
        .unwrap();
        let open = |title: &str| CreateTerminalInput {
            argv: Some(vec!["bash".into(), "--norc".into(), "--noprofile".into()]),
            title: Some(title.into()),
            ..Default::default()
        };
        let create = ctx.for_op("terminal.create");
        let a = core
            .terminal_create(&create, open("a"))
            .await
            .unwrap()
            .value;
        let b = core
            .terminal_create(&create, open("b"))
            .await
            .unwrap()
            .value;
        let client = core.attach_terminal(&b.id).unwrap();
        let later = Instant::now() + Duration::from_secs(3600);
        assert!(core.reap_terminals(later).await.is_empty(), "0 = never");
        core.settings_update(
            &ctx.for_op("settings.update"),
            crate::settings::SettingsUpdateInput {
                scope: refine_model::SettingsScope::Global,
                app_id: None,
                revision: 0,
                patch: json!({"terminal": {"idleCloseMinutes": 1}}),
            },
        )
        .await
        .unwrap();
        assert!(
            core.reap_terminals(Instant::now()).await.is_empty(),
            "not yet"
        );
        assert_eq!(core.reap_terminals(later).await, vec![a.id.clone()]);
        assert!(core
            .terminal_get(TerminalIdInput { id: a.id })
            .await
            .is_err());
        assert_eq!(
            core.terminal_get(TerminalIdInput { id: b.id.clone() })
                .await
                .unwrap()
                .clients,
            1
        );
        drop(client);
        assert_eq!(core.reap_terminals(later).await, vec![b.id]);
    }
}
