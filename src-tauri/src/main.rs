//! Refine's desktop window. It embeds the daemon (also listening on loopback, so the browser and
//! the CLI reach the same one) or, when a daemon already runs for the data dir, attaches to it.
//! The window talks through one generic `rpc` IPC command and one event bridge; terminal
//! sessions attach through the `term_*` commands (see `terminal.rs`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod notify;
mod terminal;

use std::sync::atomic::{AtomicBool, Ordering};

use refine_client::{CliError, Client};
use refine_core::{Core, Ctx};
use refine_model::{ApiError, Event, Surface};
use refine_server::daemon::{DaemonOptions, StartError};
use serde_json::Value;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager};
use terminal::{Endpoint, Terminals};

/// The name of the one event the window listens to.
const EVENT: &str = "refine://event";

/// Where the window's calls go.
pub(crate) enum Backend {
    /// The daemon runs inside this process.
    Embedded(Core),
    /// Another process owns the data dir; talk to it over loopback HTTP.
    Attached(Client),
}

/// Whether a tray icon exists (closing the window then hides it instead of quitting).
static HAS_TRAY: AtomicBool = AtomicBool::new(false);

/// Run any registry operation. Errors are the wire error body `{code, message, details?}`.
#[tauri::command]
#[specta::specta]
async fn rpc(
    backend: tauri::State<'_, Backend>,
    op: String,
    input: Value,
    idempotency_key: Option<String>,
    actor: Option<String>,
) -> Result<Value, ApiError> {
    tracing::debug!(%op, "rpc");
    call_as(backend.inner(), &op, input, idempotency_key, actor).await
}

/// Run an operation as the desktop surface (for the window, and for the shell's own reads).
async fn call_as(
    backend: &Backend,
    op: &str,
    input: Value,
    idempotency_key: Option<String>,
    actor: Option<String>,
) -> Result<Value, ApiError> {
    match backend {
        Backend::Embedded(core) => {
            let mut ctx = Ctx::new(Surface::Desktop);
            ctx.idempotency_key = idempotency_key;
            if let Some(a) = actor {
                ctx.actor = a;
            }
            refine_api::dispatch(core, ctx, op, input)
                .await
                .map(|r| r.value())
        }
        Backend::Attached(client) => client
            .call_keyed(op, input, idempotency_key)
            .await
            .map(|(_, v)| v)
            .map_err(|e| match e {
                CliError::Api(e) => e,
                other => ApiError::unavailable(other.to_string()),
            }),
    }
}

/// A read the shell makes itself; errors as their message.
pub(crate) async fn call(backend: &Backend, op: &str, input: Value) -> Result<Value, String> {
    call_as(backend, op, input, None, None)
        .await
        .map_err(|e| e.message)
}

/// The backend, and where its terminal sockets are (the daemon's loopback URL and token).
async fn connect(app: &AppHandle) -> Result<(Backend, Endpoint), String> {
    let data_dir = refine_core::daemon::default_data_dir();
    let mut opts = DaemonOptions::new(data_dir.clone());
    if let Some(p) = std::env::var("REFINE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        opts.port = p;
    }
    let started = match refine_server::daemon::start(opts.clone()).await {
        Err(StartError::PortInUse(_)) => {
            // Something else owns the default port: listen on a free one instead.
            opts.port = 0;
            refine_server::daemon::start(opts).await
        }
        other => other,
    };
    match started {
        Ok(daemon) => {
            tracing::info!(url = %daemon.url, "embedded daemon listening");
            let core = daemon.core.clone();
            let endpoint = Endpoint::new(&daemon.url, Some(daemon.token.clone()));
            tauri::async_runtime::spawn(async move {
                if let Err(e) = daemon.serve().await {
                    tracing::error!(error = %e, "embedded daemon stopped");
                }
            });
            bridge_embedded(app.clone(), core.clone());
            Ok((Backend::Embedded(core), endpoint))
        }
        Err(StartError::DataDir(refine_core::daemon::DataDirError::Locked { running, .. })) => {
            let url = running.map(|r| r.url);
            let client =
                Client::discover_as(url, &data_dir, None, "desktop").map_err(|e| e.to_string())?;
            tracing::info!(url = client.base(), "attached to the running daemon");
            bridge_attached(app.clone(), client.clone());
            let endpoint = Endpoint::new(client.base(), client.token().map(str::to_string));
            Ok((Backend::Attached(client), endpoint))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn resync_event(core: &Core) -> Event {
    Event {
        id: core.bus().last_id(),
        kind: "resync".to_string(),
        at: refine_core::clock::now(),
        app_id: None,
        data: serde_json::json!({ "reason": "events were missed; reload state" }),
    }
}

fn bridge_embedded(app: AppHandle, core: Core) {
    tauri::async_runtime::spawn(async move {
        let (_, mut rx) = core.bus().subscribe(None);
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    std::sync::Arc::new(resync_event(&core))
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            notify::on_event(&app, &ev);
            let _ = app.emit(EVENT, &*ev);
        }
    });
}

fn bridge_attached(app: AppHandle, client: Client) {
    tauri::async_runtime::spawn(async move {
        loop {
            let r = client
                .follow(None, |ev| {
                    notify::on_event(&app, &ev);
                    let _ = app.emit(EVENT, &ev);
                    true
                })
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "event stream ended; retrying");
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
}

pub(crate) fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

fn quit(app: &AppHandle) {
    if let Some(Backend::Embedded(core)) = app.try_state::<Backend>().as_deref() {
        // End what the daemon started before the process goes (the serve task may not get to).
        tauri::async_runtime::block_on(core.shutdown_cleanup());
    }
    app.exit(0);
}

fn tray(app: &tauri::App) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Refine", true, None::<&str>)?;
    let quit_item = MenuItem::with_id(app, "quit", "Quit Refine", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit_item])?;
    let mut builder = TrayIconBuilder::with_id("refine")
        .tooltip("Refine")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "quit" => quit(app),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Only the app's own content may load in the window; external links are refused.
fn navigation_allowed(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => {
            matches!(url.host_str(), Some("tauri.localhost"))
                || (cfg!(debug_assertions) && url.host_str() == Some("localhost"))
        }
        _ => false,
    }
}

fn main() {
    let _logs = refine_server::logging::init(&refine_core::daemon::default_data_dir());

    let commands =
        tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
            rpc,
            terminal::term_attach,
            terminal::term_send,
            terminal::term_resize,
            terminal::term_ack,
            terminal::term_detach,
        ]);
    let nav_guard = tauri::plugin::Builder::<tauri::Wry>::new("refine-navigation")
        .on_navigation(|_, url| {
            let ok = navigation_allowed(url);
            if !ok {
                tracing::warn!(%url, "blocked navigation away from Refine");
            }
            ok
        })
        .build();

    tauri::Builder::default()
        .plugin(nav_guard)
        .invoke_handler(commands.invoke_handler())
        .setup(|app| {
            let handle = app.handle().clone();
            let (backend, endpoint) =
                tauri::async_runtime::block_on(connect(&handle)).map_err(|e| {
                    eprintln!("refine-desktop: {e}");
                    e
                })?;
            app.manage(backend);
            app.manage(Terminals::new(endpoint));
            match tray(app) {
                Ok(()) => HAS_TRAY.store(true, Ordering::SeqCst),
                Err(e) => tracing::warn!(error = %e, "no tray icon (no system tray here?)"),
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { notify::refresh_count(&handle).await });
            Ok(())
        })
        .on_page_load(|webview, payload| {
            let (label, url, event) = (webview.label(), payload.url(), payload.event());
            tracing::debug!(webview = label, %url, ?event, "page load");
            // A (re)loading page has lost its channels: end the terminal attachments it made.
            if event == PageLoadEvent::Started {
                if let Some(terms) = webview.try_state::<Terminals>() {
                    terms.page_gone(label);
                }
            }
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Destroyed = event {
                // A window's own webview has the window's label.
                if let Some(terms) = window.try_state::<Terminals>() {
                    terms.page_gone(window.label());
                }
            }
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if HAS_TRAY.load(Ordering::SeqCst)
                    && std::env::var_os("REFINE_EXIT_ON_CLOSE").is_none()
                {
                    // Keep the daemon (and its sessions) alive; the tray brings the window back.
                    api.prevent_close();
                    let _ = window.hide();
                } else {
                    quit(window.app_handle());
                }
            }
        })
        .run(tauri::generate_context!())
        .expect("error while running Refine");
}
