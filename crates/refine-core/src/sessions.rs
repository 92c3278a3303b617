//! Browser sessions. A browser never holds the data dir's token: cookies are not isolated by
//! port, so anything a browser keeps as a cookie for `127.0.0.1:7878` it also sends to every
//! other server on 127.0.0.1 (the target app, whatever an agent starts). Instead a person opens
//! a one-time login link (`…/#login=CODE`, printed at start-up and by `refine open`); the page
//! exchanges the code for a session secret of its own, keeps it in origin-scoped storage and
//! sends it as a header. Sessions slide their expiry with use, are listed and revocable; only
//! a hash of each secret is stored, and the daemon checks them from memory.

use crate::events::kind;
use refine_model::event::IdRef;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use refine_model::session::{BrowserSession, LoginLink, SessionGrant};
use refine_model::ApiError;
use refine_store::sessions as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use specta::Type;

use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// A session ends when it was not used for this long.
pub const IDLE_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);
/// A login link works once, within this.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// A session's use is written down at most this often (its expiry slides in memory at once).
const TOUCH_EVERY: Duration = Duration::from_secs(300);
/// Prefix of session secrets (tells them apart from the data dir's token).
pub const SECRET_PREFIX: &str = "rs_";

/// A session the daemon accepts.
struct Live {
    id: String,
    expires: Mutex<Instant>,
    last_touch: Mutex<Instant>,
    revoked: tokio::sync::watch::Sender<bool>,
}

/// The daemon's sessions and pending login codes.
#[derive(Default)]
pub(crate) struct Sessions {
    /// Live sessions by the hash of their secret.
    live: RwLock<HashMap<String, Arc<Live>>>,
    /// Pending login codes by hash → when they stop working.
    codes: Mutex<HashMap<String, Instant>>,
}

/// Who a request authenticated as, when it presented a session secret.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub id: String,
    /// Turns true when the session is revoked (long streams end then).
    pub revoked: tokio::sync::watch::Receiver<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionIdInput {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeInput {
    /// The code of the login link (after `#login=`).
    pub code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginLinkInput {}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "no random bytes");
        ApiError::internal("internal error")
    })?;
    Ok(hex::encode(bytes))
}

fn wall_after(d: Duration) -> String {
    clock::format(time::OffsetDateTime::now_utc() + d)
}

/// Until when a stored session works, as an `Instant` (expired: `None`).
fn instant_of(expires_at: &str) -> Option<Instant> {
    let t = time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339)
        .ok()?;
    let left = t - time::OffsetDateTime::now_utc();
    (left > time::Duration::ZERO)
        .then(|| Instant::now() + Duration::from_secs_f64(left.as_seconds_f64()))
}

/// "Chrome 156 on Linux" from a User-Agent header (good enough to tell sessions apart).
pub fn browser_label(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let version = |name: &str| {
        ua.split_whitespace()
            .find_map(|p| p.strip_prefix(name))
            .map(|v| v.split('.').next().unwrap_or(v).to_string())
    };
    let browser = if let Some(v) = version("Edg/") {
        format!("Edge {v}")
    } else if let Some(v) = version("Firefox/") {
        format!("Firefox {v}")
    } else if let Some(v) = version("HeadlessChrome/") {
        format!("Headless Chrome {v}")
    } else if let Some(v) = version("Chrome/") {
        format!("Chrome {v}")
    } else if ua.contains("Safari/") {
        "Safari".to_string()
    } else if ua.is_empty() {
        "Unknown browser".to_string()
    } else {
        ua.chars().take(40).filter(|c| !c.is_control()).collect()
    };
    let os = if ua.contains("Linux") {
        " on Linux"
    } else if ua.contains("Mac OS") {
        " on macOS"
    } else if ua.contains("Windows") {
        " on Windows"
    } else {
        ""
    };
    format!("{browser}{os}")
}

impl Core {
    /// Load the live sessions (start-up).
    pub(crate) fn load_sessions(&self) -> Result<(), ApiError> {
        let rows = self.0.store.read(table::list)?;
        let mut live = self
            .0
            .sessions
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner());
        for r in rows {
            if r.session.revoked_at.is_some() {
                continue;
            }
            if let Some(expires) = instant_of(&r.session.expires_at) {
                live.insert(
                    r.secret_hash,
                    Arc::new(Live {
                        id: r.session.id,
                        expires: Mutex::new(expires),
                        last_touch: Mutex::new(Instant::now()),
                        revoked: tokio::sync::watch::channel(false).0,
                    }),
                );
            }
        }
        Ok(())
    }

    /// The session a secret belongs to, if it is live; slides its expiry.
    pub fn authenticate_session(&self, secret: &str) -> Option<SessionAuth> {
        if !secret.starts_with(SECRET_PREFIX) {
            return None;
        }
        let live = self
            .0
            .sessions
            .live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash(secret))
            .cloned()?;
        let now = Instant::now();
        {
            let mut expires = live.expires.lock().unwrap_or_else(|p| p.into_inner());
            if *expires <= now {
                return None;
            }
            *expires = now + IDLE_EXPIRY;
        }
        let due = {
            let mut last = live.last_touch.lock().unwrap_or_else(|p| p.into_inner());
            let due = now.duration_since(*last) >= TOUCH_EVERY;
            if due {
                *last = now;
            }
            due
        };
        if due {
            let core = self.clone();
            let id = live.id.clone();
            std::thread::spawn(move || {
                let (at, until) = (clock::now(), wall_after(IDLE_EXPIRY));
                let _ = core.0.store.write(|tx| table::touch(tx, &id, &at, &until));
            });
        }
        Some(SessionAuth {
            id: live.id.clone(),
            revoked: live.revoked.subscribe(),
        })
    }

    /// `sessions.link`: a one-time login link for a browser. Only for holders of the data dir's
    /// token (the CLI, the desktop app): a browser session cannot mint more sessions, so
    /// revoking one really shuts it out.
    pub async fn sessions_link(
        &self,
        ctx: &Ctx,
        _input: LoginLinkInput,
    ) -> Result<Mutated<LoginLink>, ApiError> {
        if ctx.session_id.is_some() {
            return Err(ApiError::forbidden(
                "a browser session cannot create login links; run `refine open`",
            ));
        }
        let base = self
            .url()
            .ok_or_else(|| ApiError::unavailable("the daemon is not listening on HTTP"))?;
        let mut quiet = ctx.clone();
        // A link is a credential: never stored for replay.
        quiet.idempotency_key = None;
        let core = self.clone();
        self.mutate(
            &quiet,
            &serde_json::json!({}),
            async { Ok(()) },
            move |_, ()| {
                let link = core.mint_login_link(&base)?;
                Ok((link, Change::new("Created a browser login link")))
            },
        )
        .await
    }

    /// A one-time login link (also printed when the daemon starts).
    pub fn mint_login_link(&self, base: &str) -> Result<LoginLink, ApiError> {
        let code = random_hex()?;
        let mut codes = self
            .0
            .sessions
            .codes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        codes.retain(|_, until| *until > now);
        codes.insert(hash(&code), now + LINK_LIFETIME);
        Ok(LoginLink {
            url: format!("{}/#login={code}", base.trim_end_matches('/')),
            expires_at: wall_after(LINK_LIFETIME),
        })
    }

    /// Whether `code` is a pending login code; it is used up either way.
    fn take_code(&self, code: &str) -> bool {
        let mut codes = self
            .0
            .sessions
            .codes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        codes
            .remove(&hash(code))
            .is_some_and(|until| until > Instant::now())
    }

    /// `sessions.exchange`: a login code for a session secret (the one call a browser makes
    /// without credentials). `user_agent` labels the session.
    pub async fn exchange_login_code(
        &self,
        ctx: &Ctx,
        input: ExchangeInput,
        user_agent: Option<String>,
    ) -> Result<Mutated<SessionGrant>, ApiError> {
        let code = input.code.trim();
        if code.len() != 64 || !code.chars().all(|c| c.is_ascii_hexdigit()) || !self.take_code(code)
        {
            return Err(ApiError::unauthorized(
                "this login link is not valid: it was used already, expired, or mistyped; run `refine open` for a new one",
            ));
        }
        let secret = format!("{SECRET_PREFIX}{}", random_hex()?);
        let now = clock::now();
        let session = BrowserSession {
            id: new_id(),
            label: browser_label(user_agent.as_deref()),
            created_at: now.clone(),
            last_used_at: now,
            expires_at: wall_after(IDLE_EXPIRY),
            revoked_at: None,
            current: true,
        };
        let secret_hash = hash(&secret);
        let mut quiet = ctx.clone();
        // The answer holds the secret: it must not be kept for replay.
        quiet.idempotency_key = None;
        let (s2, h2) = (session.clone(), secret_hash.clone());
        let out = self
            .mutate(
                &quiet,
                &serde_json::json!({ "session": session.id }),
                async { Ok(()) },
                move |tx, ()| {
                    table::insert(tx, &s2, &h2)?;
                    let change = Change::new(format!("Browser session started ({})", s2.label))
                        .target(s2.id.clone())
                        .event(kind::SESSIONS_CHANGED, &IdRef { id: s2.id.clone() });
                    Ok((
                        SessionGrant {
                            secret: secret.clone(),
                            session: s2,
                        },
                        change,
                    ))
                },
            )
            .await?;
        self.0
            .sessions
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                secret_hash,
                Arc::new(Live {
                    id: session.id.clone(),
                    expires: Mutex::new(Instant::now() + IDLE_EXPIRY),
                    last_touch: Mutex::new(Instant::now()),
                    revoked: tokio::sync::watch::channel(false).0,
                }),
            );
        Ok(out)
    }

    /// `sessions.list`: every browser session, newest first; `current` marks the caller's.
    pub async fn sessions_list(&self, ctx: &Ctx) -> Result<Vec<BrowserSession>, ApiError> {
        let mine = ctx.session_id.clone();
        let rows = self.read(table::list).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut s = r.session;
                s.current = mine.as_deref() == Some(s.id.as_str());
                s
            })
            .collect())
    }

    /// `sessions.revoke`: end a browser session at once (its open event streams and terminals
    /// close too).
    pub async fn sessions_revoke(
        &self,
        ctx: &Ctx,
        input: SessionIdInput,
    ) -> Result<Mutated<BrowserSession>, ApiError> {
        let id = input.id.clone();
        let out = self
            .mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
                let at = clock::now();
                if !table::revoke(tx, &id, &at)? {
                    return Err(ApiError::not_found(format!("no live browser session {id}")));
                }
                let s = table::list(tx)?
                    .into_iter()
                    .find(|r| r.session.id == id)
                    .map(|r| r.session)
                    .ok_or_else(|| ApiError::not_found(format!("no browser session {id}")))?;
                let change = Change::new(format!("Revoked browser session ({})", s.label))
                    .target(id.clone())
                    .event(kind::SESSIONS_CHANGED, &IdRef { id: id.clone() });
                Ok((s, change))
            })
            .await?;
        let mut live = self
            .0
            .sessions
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner());
        live.retain(|_, l| {
            if l.id == input.id {
                let _ = l.revoked.send(true);
                false
            } else {
                true
            }
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_browser() {
        assert_eq!(
            browser_label(Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.8078.73 Safari/537.36")),
            "Headless Chrome 156 on Linux"
        );
        assert_eq!(
            browser_label(Some(
                "Mozilla/5.0 (Windows NT 10.0; rv:140.0) Gecko/20100101 Firefox/140.0"
            )),
            "Firefox 140 on Windows"
        );
        assert_eq!(browser_label(None), "Unknown browser");
    }
}
