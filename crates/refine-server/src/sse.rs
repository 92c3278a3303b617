//! `GET /api/v1/events`: the event bus as Server-Sent Events, resumable with `Last-Event-ID`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use refine_core::events::Backlog;
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

fn resync(state: &State) -> Event {
    Event {
        id: state.core.bus().last_id(),
        kind: "resync".to_string(),
        at: refine_core::clock::now(),
        app_id: None,
        data: serde_json::json!({ "reason": "events were missed; reload state" }),
    }
}

pub(crate) async fn events(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.last_event_id);
    let (backlog, rx) = state.core.bus().subscribe(last.as_deref());
    let first: Vec<Event> = match backlog {
        Backlog::Events(v) => v,
        Backlog::Resync => vec![resync(&state)],
    };
    let st = state.clone();
    let live = stream::unfold((rx, st), |(mut rx, st)| async move {
        let next = match rx.recv().await {
            Ok(e) => e,
            // Fell behind the broadcast buffer: tell the client to reload, then keep following.
            Err(RecvError::Lagged(_)) => resync(&st),
            Err(RecvError::Closed) => return None,
        };
        Some((next, (rx, st)))
    });
    let mut shutdown = state.core.shutdown_signal();
    let stop = async move {
        let _ = shutdown.wait_for(|v| *v).await;
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
