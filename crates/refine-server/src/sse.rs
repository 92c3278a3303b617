//! `GET /api/v1/events`: the event bus as Server-Sent Events, resumable with `Last-Event-ID`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use refine_core::events::{kind, Backlog};
use refine_model::Event;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::State;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsQuery {
    /// For clients that cannot set the header (e.g. a fresh EventSource).
    last_event_id: Option<String>,
}

fn sse(e: &Event) -> SseEvent {
    SseEvent::default()
        .id(e.id.clone())
        .data(serde_json::to_string(e).unwrap_or_default())
}

/// A resync marker with an id of its own (a client that resumes from it follows on from here).
fn resync(state: &State, reason: &str) -> Arc<Event> {
    Arc::new(state.core.bus().resync(reason))
}

pub(crate) async fn events(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    session: Option<axum::Extension<refine_core::sessions::SessionAuth>>,
    Query(q): Query<EventsQuery>,
) -> Response {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.last_event_id);
    let (backlog, rx) = state.core.bus().subscribe(last.as_deref());
    let first: Vec<Arc<Event>> = match backlog {
        Backlog::Events(v) => v,
        Backlog::Resync => vec![resync(
            &state,
            "the events after your Last-Event-ID are gone; reload state",
        )],
    };
    let st = state.clone();
    // Counted as an open stream for as long as the stream lives.
    let open = state.core.metrics().sse_opened();
    let live = stream::unfold((rx, st, open), |(mut rx, st, open)| async move {
        let next = match rx.recv().await {
            Ok(e) => e,
            // Fell behind the broadcast buffer: tell the client to reload, then keep following.
            Err(RecvError::Lagged(n)) => {
                st.core.metrics().bus_missed(n);
                resync(&st, "you fell behind the live events; reload state")
            }
            Err(RecvError::Closed) => return None,
        };
        Some((next, (rx, st, open)))
    });
    let mut shutdown = state.core.shutdown_signal();
    let mut revoked = session.map(|s| s.0.revoked);
    // The stream ends with the daemon, or when the browser session behind it is revoked.
    let stop = async move {
        tokio::select! {
            _ = shutdown.wait_for(|v| *v) => {}
            _ = async {
                match revoked.as_mut() {
                    Some(r) => { let _ = r.wait_for(|v| *v).await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    };
    let all: std::pin::Pin<Box<dyn Stream<Item = Result<SseEvent, Infallible>> + Send>> = Box::pin(
        stream::iter(first)
            .chain(live)
            .map(|e| Ok(sse(&e)))
            .take_until(stop),
    );
    Sse::new(all)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// `GET /api/v1/processes/{id}/stream`: one process's output as SSE — the last lines first,
/// then live lines, then an `exit` event with the final record when it ends.
pub(crate) async fn process_stream(
    AxState(state): AxState<State>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    use refine_core::processes::{ProcessIdInput, ProcessLogsInput};
    // Subscribe before reading the backlog so no line falls between the two.
    let (_, rx) = state.core.bus().subscribe(None);
    let logs = match state
        .core
        .processes_logs(ProcessLogsInput {
            id: id.clone(),
            tail: Some(500),
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return crate::security::error_response(&e),
    };
    let info = match state
        .core
        .processes_get(ProcessIdInput { id: id.clone() })
        .await
    {
        Ok(p) => p,
        Err(e) => return crate::security::error_response(&e),
    };
    let line = |l: &refine_model::process::LogLine| {
        SseEvent::default()
            .event("line")
            .data(serde_json::to_string(l).unwrap_or_default())
    };
    let backlog: Vec<SseEvent> = logs.lines.iter().map(line).collect();
    let ended = !info.status.is_live();
    let exit_now = ended.then(|| {
        SseEvent::default()
            .event("exit")
            .data(serde_json::to_string(&info).unwrap_or_default())
    });
    let live = stream::unfold((rx, id, ended), move |(mut rx, id, done)| async move {
        if done {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(e)
                    if e.data["id"] == serde_json::json!(id)
                        && e.kind == kind::PROCESSES_OUTPUT.name() =>
                {
                    let lines: Vec<SseEvent> = e.data["lines"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|l| SseEvent::default().event("line").data(l.to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    return Some((lines, (rx, id, false)));
                }
                Ok(e)
                    if e.data["id"] == serde_json::json!(id)
                        && e.kind == kind::PROCESSES_EXITED.name() =>
                {
                    let exit = SseEvent::default().event("exit").data(e.data.to_string());
                    return Some((vec![exit], (rx, id, true)));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => {
                    return Some((
                        vec![SseEvent::default().event("resync").data("{}")],
                        (rx, id, false),
                    ));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
    .flat_map(stream::iter);
    let all: std::pin::Pin<Box<dyn Stream<Item = Result<SseEvent, Infallible>> + Send>> = Box::pin(
        stream::iter(backlog)
            .chain(stream::iter(exit_now))
            .chain(live)
            .map(Ok),
    );
    Sse::new(all)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
