//! The loopback HTTP transport of the daemon. Every API route is generated from the operation
//! registry; beside them: the SSE event stream, terminal WebSockets, the MCP endpoint and the
//! static UI. All of it sits behind one security layer (Host, Origin, token; SECURITY.md).

mod api;
pub mod daemon;
mod json;
mod listener;
pub mod logging;
mod mcp;
mod security;
mod sse;
mod static_ui;
mod terminal;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use refine_core::Core;

pub use security::{WS_PROTOCOL, WS_SESSION_PREFIX};

/// Largest request body accepted (bytes); larger is a 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// What the router needs to know about how it is reached.
#[derive(Clone)]
pub struct ServerConfig {
    /// The per-install secret.
    pub token: String,
    /// The port the listener is bound to (Host and Origin checks name it).
    pub port: u16,
    /// Serve the UI from this folder instead of the bundle embedded at build time.
    pub ui_dir: Option<PathBuf>,
    /// Extra Host names accepted (a non-loopback bind adds its address).
    pub extra_hosts: Vec<String>,
}

pub(crate) struct AppState {
    pub core: Core,
    pub config: ServerConfig,
}

pub(crate) type State = Arc<AppState>;

/// The whole router: API routes from the registry, events, MCP, UI, wrapped in the security layer.
pub fn router(core: Core, config: ServerConfig) -> Router {
    let state: State = Arc::new(AppState { core, config });
    Router::new()
        .merge(api::routes())
        .route("/api/v1/events", axum::routing::get(sse::events))
        .route(
            "/api/v1/processes/{id}/stream",
            axum::routing::get(sse::process_stream),
        )
        .route(
            "/api/v1/terminal/{id}/ws",
            axum::routing::get(terminal::attach),
        )
        .route("/metrics", axum::routing::get(metrics))
        .route(
            "/mcp",
            axum::routing::post(mcp::handle).get(mcp::get_not_allowed),
        )
        .fallback(static_ui::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

/// `GET /metrics`: the daemon's metrics in the OpenMetrics text format Prometheus scrapes.
async fn metrics(
    axum::extract::State(state): axum::extract::State<State>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.core.metrics_text().await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => security::error_response(&e),
    }
}

/// Serve `router` on `listener` until the core asks for shutdown; returns when connections drain.
pub async fn serve(
    core: Core,
    listener: tokio::net::TcpListener,
    config: ServerConfig,
) -> std::io::Result<()> {
    let mut shutdown = core.shutdown_signal();
    let app = router(core, config);
    listener::serve(listener, app, listener::MAX_CONNECTIONS, async move {
        let _ = shutdown.wait_for(|v| *v).await;
    })
    .await
}
