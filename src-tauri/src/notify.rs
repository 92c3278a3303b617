//! What needs a person, outside the window: a native notification when a Goal reaches review or
//! fails or a provider is held (the rules of `refine_core::events::needs_you`, shared with the
//! browser's bell), whose click opens the Goal in the window; and the tray's count of Goals in
//! review or failed, across the apps.

use refine_core::events::{needs_you, Attention};
use refine_model::Event;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Emitter, Manager};

/// A recount of the tray is on its way.
static RECOUNT: AtomicBool = AtomicBool::new(false);

/// The event the window listens to for "open this Goal" (a notification was clicked).
pub const OPEN: &str = "refine://open";

/// React to one event of the daemon's stream.
pub fn on_event(app: &AppHandle, ev: &Event) {
    if let Some(a) = needs_you(&ev.kind, &ev.data) {
        show(app.clone(), a);
    }
    let moves = ev.kind.starts_with("workflow.") || ev.kind.starts_with("work.goal");
    // A burst of events makes one recount, a moment later.
    if (moves || ev.kind == "resync") && !RECOUNT.swap(true, Ordering::SeqCst) {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            RECOUNT.store(false, Ordering::SeqCst);
            refresh_count(&app).await;
        });
    }
}

/// Show a notification; a click on it (its default action) opens the Goal in the window.
fn show(app: AppHandle, a: Attention) {
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Refine")
            .summary(&a.title)
            .body(&a.body)
            .action("default", "Open")
            .show();
        let handle = match shown {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, title = %a.title, "no notification (no notification service?)");
                return;
            }
        };
        tracing::info!(title = %a.title, "notification shown");
        handle.wait_for_action(|action| {
            if action == "default" {
                tracing::info!(title = %a.title, goal = ?a.goal_id, "notification clicked");
                crate::show_main(&app);
                let _ = app.emit(OPEN, json!({ "goalId": a.goal_id }));
            }
        });
    });
}

/// Goals in review or failed, over every app.
async fn needing(app: &AppHandle) -> Result<u64, String> {
    // Events can arrive before the backend is managed (the bridge starts while connecting).
    let backend = app
        .try_state::<crate::Backend>()
        .ok_or_else(|| "not connected yet".to_string())?;
    let apps = crate::call(backend.inner(), "apps.list", json!({})).await?;
    let mut total = 0;
    for a in apps.as_array().into_iter().flatten() {
        let page = crate::call(
            backend.inner(),
            "goals.list",
            json!({ "appId": a["id"], "status": ["review", "failed"], "limit": 1 }),
        )
        .await?;
        total += page["total"].as_u64().unwrap_or(0);
    }
    Ok(total)
}

/// Put the count on the tray icon (its label and tooltip).
pub async fn refresh_count(app: &AppHandle) {
    let n = match needing(app).await {
        Ok(n) => n,
        Err(e) => {
            tracing::debug!(error = %e, "could not count the Goals that need a person");
            return;
        }
    };
    let tip = match n {
        0 => "Refine".to_string(),
        1 => "Refine — 1 Goal needs you".to_string(),
        n => format!("Refine — {n} Goals need you"),
    };
    if let Some(tray) = app.tray_by_id("refine") {
        let _ = tray.set_tooltip(Some(&tip));
        let _ = tray.set_title(if n == 0 { None } else { Some(n.to_string()) });
    }
    tracing::info!(count = n, "tray count");
}
