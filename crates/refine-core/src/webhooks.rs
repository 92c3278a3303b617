//! webhooks: per-app URLs that receive a JSON POST for chosen event kinds, signed with
//! HMAC-SHA256 (`X-Refine-Signature-256: sha256=<hex>`) under a per-webhook secret, retried with
//! back-off (1 s, 2 s, 4 s, … up to 5 minutes; six attempts), every attempt kept as delivery
//! history. Deliveries are rows, so a restart resumes what was pending. `https` goes anywhere;
//! plain `http` only to a loopback address and only when the webhook allows it.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use refine_model::webhooks::{Webhook, WebhookCreated, WebhookDelivery};
use refine_model::{ApiError, Event};
use refine_store::webhooks as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use specta::Type;

use crate::events::kind;
use crate::{clock, new_id, wire, Change, Core, Ctx, Mutated};

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 6;
const PER_APP: usize = 20;
const BODY_MAX: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListWebhooksInput {
    /// The app (default: the active app).
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhookInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// `https://…`; `http://` only to a loopback address with `allowHttp`.
    #[schemars(length(min = 1, max = 2000))]
    pub url: String,
    /// Event kinds to send (see `system.events`), at least one.
    #[schemars(length(min = 1, max = 64))]
    pub events: Vec<String>,
    /// Allow plain `http` to a loopback address (a local receiver).
    #[serde(default)]
    pub allow_http: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhookInput {
    pub id: String,
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub allow_http: Option<bool>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookIdInput {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveriesInput {
    pub id: String,
    /// At most this many, newest first (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// Where a webhook may send: https anywhere, http only to loopback when allowed.
pub fn check_url(url: &str, allow_http: bool) -> Result<(), ApiError> {
    if url.len() > 2000 {
        return Err(ApiError::invalid("url is longer than 2000 characters"));
    }
    let u = reqwest::Url::parse(url)
        .map_err(|e| ApiError::invalid(format!("url {url:?} is not a URL: {e}")))?;
    let host = u
        .host_str()
        .ok_or_else(|| ApiError::invalid(format!("url {url:?} names no host")))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ApiError::invalid(
            "url must not carry credentials; receivers check the signature instead",
        ));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = bare.eq_ignore_ascii_case("localhost")
                || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(ApiError::invalid(format!(
                    "url {url:?} is plain http to a non-loopback address; use https (http is only for a receiver on this machine, with allowHttp)"
                )));
            }
            if !allow_http {
                return Err(ApiError::invalid(format!(
                    "url {url:?} is plain http; set allowHttp to send to a loopback receiver, or use https"
                )));
            }
            Ok(())
        }
        other => Err(ApiError::invalid(format!(
            "url scheme {other:?} is not https or http"
        ))),
    }
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() || events.len() > 64 {
        return Err(ApiError::invalid("events lists 1-64 event kinds"));
    }
    for e in events {
        if !kind::ALL.iter().any(|k| k.name == e) || e.starts_with("webhook.") {
            return Err(ApiError::invalid(format!(
                "{e:?} is not an event kind a webhook can receive (see system.events)"
            )));
        }
    }
    Ok(())
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, the `X-Refine-Signature-256` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal("no random bytes"))?;
    Ok(format!("whsec_{}", hex::encode(bytes)))
}

/// The wait before attempt `n + 1` after `n` failed ones.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs((1u64 << attempts.saturating_sub(1).min(9)).min(300))
}

fn changed(w: &Webhook, summary: String) -> Change {
    Change::new(summary)
        .app(Some(w.app_id.clone()))
        .target(w.id.clone())
        .event(kind::WEBHOOK_CHANGED, w)
}

/// Event kinds some enabled webhook wants, per app.
type Wanted = HashMap<String, HashSet<String>>;

/// What the bus's filter knows of [`Wanted`]: `None` takes every event of an app (not read
/// yet, or a webhook changed since); `generation` counts webhook changes.
#[derive(Default)]
struct SharedWanted {
    generation: u64,
    wanted: Option<Wanted>,
}

impl Core {
    /// `webhooks.list`
    pub async fn webhooks_list(
        &self,
        ctx: &Ctx,
        i: ListWebhooksInput,
    ) -> Result<Vec<Webhook>, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        let hooks = self.read(move |c| table::list(c, Some(&app.id))).await?;
        Ok(hooks.into_iter().map(|(w, _)| w).collect())
    }

    /// `webhooks.create`: the secret is in the answer, and only there.
    pub async fn webhooks_create(
        &self,
        ctx: &Ctx,
        i: CreateWebhookInput,
    ) -> Result<Mutated<WebhookCreated>, ApiError> {
        let allow_http = i.allow_http.unwrap_or(false);
        let url = i.url.trim().to_string();
        check_url(&url, allow_http)?;
        check_events(&i.events)?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        let secret = secret()?;
        let now = clock::now();
        let w = Webhook {
            id: new_id(),
            app_id: app.id.clone(),
            url,
            events: i.events.clone(),
            allow_http,
            enabled: true,
            secret_hint: secret[secret.len() - 4..].to_string(),
            created_at: now.clone(),
            updated_at: now,
        };
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            if table::list(tx, Some(&w.app_id))?.len() >= PER_APP {
                return Err(ApiError::conflict(format!(
                    "the app has {PER_APP} webhooks; delete one first"
                )));
            }
            table::insert(tx, &w, &secret)?;
            let change = changed(&w, format!("Added webhook {}", w.url));
            Ok((WebhookCreated { webhook: w, secret }, change))
        })
        .await
    }

    /// `webhooks.update`
    pub async fn webhooks_update(
        &self,
        ctx: &Ctx,
        i: UpdateWebhookInput,
    ) -> Result<Mutated<Webhook>, ApiError> {
        wire::text("id", &i.id, 64, false)?;
        if let Some(e) = &i.events {
            check_events(e)?;
        }
        let input = i.clone();
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            let (mut w, _) = table::get(tx, &input.id)?
                .ok_or_else(|| ApiError::not_found(format!("no webhook {}", input.id)))?;
            if let Some(u) = &input.url {
                w.url = u.trim().to_string();
            }
            if let Some(e) = &input.events {
                w.events = e.clone();
            }
            if let Some(a) = input.allow_http {
                w.allow_http = a;
            }
            if let Some(e) = input.enabled {
                w.enabled = e;
            }
            check_url(&w.url, w.allow_http)?;
            w.updated_at = clock::now();
            table::update(tx, &w)?;
            let change = changed(&w, format!("Changed webhook {}", w.url));
            Ok((w, change))
        })
        .await
    }

    /// `webhooks.delete`
    pub async fn webhooks_delete(
        &self,
        ctx: &Ctx,
        i: WebhookIdInput,
    ) -> Result<Mutated<Webhook>, ApiError> {
        let id = i.id.clone();
        self.mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
            let (w, _) = table::get(tx, &id)?
                .ok_or_else(|| ApiError::not_found(format!("no webhook {id}")))?;
            table::delete(tx, &id)?;
            let change = changed(&w, format!("Deleted webhook {}", w.url));
            Ok((w, change))
        })
        .await
    }

    /// `webhooks.deliveries`: the history, newest first.
    pub async fn webhooks_deliveries(
        &self,
        _ctx: &Ctx,
        i: DeliveriesInput,
    ) -> Result<Vec<WebhookDelivery>, ApiError> {
        let limit = i.limit.unwrap_or(50).clamp(1, 500);
        let id = i.id.clone();
        let found = self.read(move |c| table::get(c, &id)).await?;
        if found.is_none() {
            return Err(ApiError::not_found(format!("no webhook {}", i.id)));
        }
        self.read(move |c| table::deliveries(c, &i.id, limit)).await
    }

    /// `webhooks.ping`: a `webhook.ping` delivery now, to try the receiver.
    pub async fn webhooks_ping(
        &self,
        ctx: &Ctx,
        i: WebhookIdInput,
    ) -> Result<Mutated<WebhookDelivery>, ApiError> {
        let id = i.id.clone();
        let r = self
            .mutate(ctx, &i, async { Ok(()) }, move |tx, ()| {
                let (w, _) = table::get(tx, &id)?
                    .ok_or_else(|| ApiError::not_found(format!("no webhook {id}")))?;
                let now = clock::now();
                let event = json!({"id": "ping", "kind": "webhook.ping", "at": now, "appId": w.app_id, "data": {"webhookId": w.id}});
                let body = json!({"webhookId": w.id, "event": event}).to_string();
                let n = table::enqueue(tx, &w.id, "ping", "webhook.ping", &body, &now)?;
                let d = table::get_delivery(tx, n)?
                    .ok_or_else(|| ApiError::internal("the delivery vanished"))?;
                let change = Change::new(format!("Pinged webhook {}", w.url))
                    .app(Some(w.app_id.clone()))
                    .target(w.id.clone())
                    .event(kind::WEBHOOK_DELIVERY, &d);
                Ok((d, change))
            })
            .await?;
        self.0.webhook_wake.notify_one();
        Ok(r)
    }

    /// The app's webhooks that want `event`, each with a pending delivery.
    fn enqueue_event(&self, event: &Event) -> Result<bool, ApiError> {
        let Some(app) = event.app_id.as_deref() else {
            return Ok(false);
        };
        if event.kind.starts_with("webhook.") {
            return Ok(false);
        }
        let hooks = self.0.store.read(|c| table::list(c, Some(app)))?;
        let wanted: Vec<Webhook> = hooks
            .into_iter()
            .map(|(w, _)| w)
            .filter(|w| w.enabled && w.events.iter().any(|k| k == &event.kind))
            .collect();
        if wanted.is_empty() {
            return Ok(false);
        }
        let now = clock::now();
        self.0.store.write(|tx| {
            for w in &wanted {
                let mut body = json!({"webhookId": w.id, "event": event}).to_string();
                if body.len() > BODY_MAX {
                    body = json!({"webhookId": w.id, "event": {"id": event.id, "kind": event.kind, "at": event.at, "appId": event.app_id, "truncated": true}}).to_string();
                }
                table::enqueue(tx, &w.id, &event.id, &event.kind, &body, &now)?;
            }
            Ok::<_, ApiError>(())
        })?;
        Ok(true)
    }

    /// One attempt of a due delivery; records it and publishes `webhook.delivery`.
    async fn attempt(&self, http: &reqwest::Client, mut d: WebhookDelivery, body: String) {
        let id = d.webhook_id.clone();
        let Ok(Some((w, secret))) = self.read(move |c| table::get(c, &id)).await else {
            return;
        };
        if !w.enabled {
            d.status = "failed".into();
            d.error = Some("the webhook is disabled; not sent".into());
            d.next_attempt_at = None;
            let rec = d.clone();
            let _ = self
                .blocking(move |core| {
                    core.0
                        .store
                        .write(|tx| table::record(tx, &rec))
                        .map_err(ApiError::from)
                })
                .await;
            self.bus()
                .publish(kind::WEBHOOK_DELIVERY, Some(w.app_id.clone()), &d);
            return;
        }
        let sig = signature(&secret, body.as_bytes());
        let sent = http
            .post(&w.url)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("Refine-Webhook/", env!("CARGO_PKG_VERSION")),
            )
            .header("x-refine-event", &d.event_kind)
            .header("x-refine-delivery", d.id.to_string())
            .header("x-refine-signature-256", sig)
            .body(body)
            .send()
            .await;
        d.attempts += 1;
        match sent {
            Ok(r) if r.status().is_success() => {
                d.status = "delivered".into();
                d.response_code = Some(r.status().as_u16());
                d.error = None;
                d.next_attempt_at = None;
                d.delivered_at = Some(clock::now());
            }
            other => {
                let (code, error) = match other {
                    Ok(r) => (
                        Some(r.status().as_u16()),
                        format!("the receiver answered {}", r.status()),
                    ),
                    Err(e) => (None, format!("could not reach the receiver: {e}")),
                };
                d.response_code = code;
                d.error = Some(error);
                if d.attempts >= MAX_ATTEMPTS {
                    d.status = "failed".into();
                    d.next_attempt_at = None;
                } else {
                    d.next_attempt_at = Some(clock::format(
                        time::OffsetDateTime::now_utc() + backoff(d.attempts),
                    ));
                }
            }
        }
        let rec = d.clone();
        let stored = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| table::record(tx, &rec))
                    .map_err(ApiError::from)
            })
            .await;
        if let Err(e) = stored {
            tracing::warn!(delivery = d.id, error = %e.message, "recording a webhook delivery failed");
        }
        self.bus()
            .publish(kind::WEBHOOK_DELIVERY, Some(w.app_id.clone()), &d);
    }

    /// The dispatcher (events → pending deliveries) and the sender (due deliveries → POST).
    pub fn start_webhooks(&self) {
        // The bus asks `shared` as it publishes, so with no webhook (or none for a kind) an
        // event does not wake the dispatcher. `shared` is never narrower than the truth: a
        // webhook change resets it to "everything" in publish order, and the dispatcher's
        // fresh read replaces that only if no later change came meanwhile.
        let shared: Arc<Mutex<SharedWanted>> = Arc::default();
        let filter = shared.clone();
        let mut events = self.bus().subscribe_filtered(
            1024,
            Box::new(move |e| {
                let mut w = filter.lock().unwrap_or_else(|p| p.into_inner());
                if e.kind == kind::WEBHOOK_CHANGED.name() {
                    w.generation += 1;
                    w.wanted = None;
                    return true;
                }
                match (&w.wanted, &e.app_id) {
                    (Some(w), Some(app)) => w.get(app).is_some_and(|k| k.contains(&e.kind)),
                    (None, Some(_)) => true,
                    _ => false,
                }
            }),
        );
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut wanted: Option<Wanted> = None;
            loop {
                let event = tokio::select! {
                    e = events.recv() => e,
                    _ = shutdown.wait_for(|v| *v) => return,
                };
                let Some((event, missed)) = event else { return };
                if missed > 0 {
                    tracing::warn!(missed, "webhooks fell behind the event stream");
                }
                // Which (app, kind) pairs any webhook wants, re-read when a webhook changes.
                if event.kind == kind::WEBHOOK_CHANGED.name() || wanted.is_none() {
                    let generation = shared.lock().unwrap_or_else(|p| p.into_inner()).generation;
                    wanted = core.read(|c| table::list(c, None)).await.ok().map(|hooks| {
                        let mut w = Wanted::new();
                        for (hook, _) in hooks.into_iter().filter(|(h, _)| h.enabled) {
                            w.entry(hook.app_id).or_default().extend(hook.events);
                        }
                        w
                    });
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    if s.generation == generation {
                        s.wanted = wanted.clone();
                    }
                }
                let interesting = match (&wanted, &event.app_id) {
                    (Some(w), Some(app)) => w.get(app).is_some_and(|k| k.contains(&event.kind)),
                    (None, Some(_)) => true,
                    _ => false,
                };
                if !interesting {
                    continue;
                }
                let c2 = core.clone();
                let queued = core.blocking(move |_| c2.enqueue_event(&event)).await;
                match queued {
                    Ok(true) => core.0.webhook_wake.notify_one(),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e.message, "queueing a webhook delivery failed")
                    }
                }
            }
        });
        let core = self.clone();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            // Made for the first delivery (its TLS set-up is not worth holding when no hook
            // ever fires).
            let mut http: Option<reqwest::Client> = None;
            loop {
                let now = clock::now();
                let due = core
                    .read(move |c| table::due(c, &now, 32))
                    .await
                    .unwrap_or_default();
                if !due.is_empty() && http.is_none() {
                    match reqwest::Client::builder()
                        .timeout(Duration::from_secs(10))
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                    {
                        Ok(h) => http = Some(h),
                        Err(e) => {
                            tracing::error!(error = %e, "no HTTP client for webhooks");
                            return;
                        }
                    }
                }
                if let Some(http) = &http {
                    for (d, body) in due {
                        core.attempt(http, d, body).await;
                    }
                }
                let wait = match core.read(table::next_due).await {
                    Ok(Some(at)) => clock::until(&at)
                        .unwrap_or(Duration::ZERO)
                        .clamp(Duration::from_millis(50), Duration::from_secs(60)),
                    _ => Duration::from_secs(60),
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = core.0.webhook_wake.notified() => {}
                    _ = shutdown.wait_for(|v| *v) => return,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback_and_only_when_allowed() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/h", true).is_ok());
        assert!(check_url("http://[::1]:9000/h", true).is_ok());
        assert!(check_url("http://localhost/h", true).is_ok());
        assert!(check_url("http://127.0.0.1:9000/h", false).is_err());
        let e = check_url("http://10.0.0.5/h", true).unwrap_err();
        assert!(e.message.contains("non-loopback"), "{}", e.message);
        assert!(check_url("ftp://x/", true).is_err());
        assert!(check_url("https://u:p@x/", false).is_err());
        assert!(check_url("not a url", false).is_err());
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn back_off_doubles_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(20), Duration::from_secs(300));
    }
}
