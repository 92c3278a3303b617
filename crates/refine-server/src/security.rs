//! The security layer in front of every route: Host allow-list (DNS rebinding), Origin and
//! Sec-Fetch-Site checks (cross-site and cross-port requests), duplicate and absolute-form
//! request parts refused, authentication, and hardening headers on every answer.
//!
//! Authentication: programs (the CLI, agents, the attached desktop app) send the data dir's
//! token as `Authorization: Bearer`; a browser sends the secret of its own session
//! (`Bearer rs_…`, or, for a terminal WebSocket, the subprotocol `refine.session.rs_…`), which it
//! got by exchanging a one-time login link. No cookie is ever accepted: cookies for 127.0.0.1
//! go to every port of that host. The UI bundle itself holds no data and is served to anyone
//! who passes the Host and Origin checks; the page signs in before it asks for anything.

use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use refine_core::sessions::{SessionAuth, SECRET_PREFIX};
use refine_model::{ApiError, ErrorCode};
use subtle::ConstantTimeEq;

use crate::State;

/// The name browsers of older versions kept the token under; cleared when seen.
const LEGACY_COOKIE: &str = "refine_token";

/// The WebSocket subprotocol that carries a browser session's secret (browsers cannot set
/// headers on a WebSocket); the daemon answers with [`WS_PROTOCOL`].
pub const WS_SESSION_PREFIX: &str = "refine.session.";
pub const WS_PROTOCOL: &str = "refine";

pub(crate) fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, axum::Json(e)).into_response();
    if let Some(after) = e
        .details
        .as_ref()
        .and_then(|d| d.get("retryAfter"))
        .and_then(|v| v.as_u64())
    {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(after));
    }
    // RFC 9110: a 401 names the scheme to authenticate with.
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"refine\""),
        );
    }
    r
}

fn deny(code: ErrorCode, msg: &str) -> Response {
    error_response(&ApiError::new(code, msg))
}

fn host_allowed(headers: &HeaderMap, port: u16, extra: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    authority_allowed(host, port, extra)
}

fn authority_allowed(host: &str, port: u16, extra: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    let names = ["localhost", "127.0.0.1", "[::1]"];
    names
        .iter()
        .map(|n| n.to_string())
        .chain(extra.iter().cloned())
        .any(|n| host == format!("{n}:{port}") || (port == 80 && host == n))
}

fn origin_allowed(origin: &str, port: u16, extra: &[String]) -> bool {
    let origin = origin.to_ascii_lowercase();
    if matches!(
        origin.as_str(),
        "tauri://localhost" | "http://tauri.localhost" | "https://tauri.localhost"
    ) {
        return true;
    }
    ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .map(|n| n.to_string())
        .chain(extra.iter().cloned())
        .any(|n| {
            origin == format!("http://{n}:{port}")
                || (port == 80 && origin == format!("http://{n}"))
        })
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// What a request presents: the `Authorization: Bearer` value, else (WebSocket upgrades only)
/// a session secret in `Sec-WebSocket-Protocol`.
fn presented_secret(req: &Request) -> Option<String> {
    let headers = req.headers();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return None;
    }
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(WS_SESSION_PREFIX))
        .map(str::to_string)
}

fn query_token(uri: &Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

fn has_legacy_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|kv| kv.trim().starts_with(&format!("{LEGACY_COOKIE}=")))
}

/// Whether a path is answered without credentials: the public operations (health, the login
/// exchange) and the UI bundle (no data in it).
fn is_public(method: &Method, path: &str) -> bool {
    if refine_api::registry()
        .iter()
        .any(|op| op.public && op.path == path)
    {
        return true;
    }
    (method == Method::GET || method == Method::HEAD) && !is_endpoint(path)
}

/// Paths that answer programs (behind the token), as opposed to the UI's files.
fn is_endpoint(path: &str) -> bool {
    path.starts_with("/api/") || path == "/mcp" || path == "/metrics"
}

/// The page a browser gets for a login link with a wrong token.
/// The page a browser gets without the cookie: how to get in, nothing else.
const BAD_LINK_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Refine</title><body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>Refine</h1><p>This access link is not valid. Run <code>refine open</code> for a new one.</p></body>";

fn harden(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
}

pub(crate) async fn guard(AxState(state): AxState<State>, req: Request, next: Next) -> Response {
    let mut r = check(&state, req, next).await;
    harden(&mut r);
    r
}

fn bad_request(msg: &str) -> Response {
    deny(ErrorCode::InvalidInput, msg)
}

async fn check(state: &State, mut req: Request, next: Next) -> Response {
    let cfg = &state.config;
    let headers = req.headers();
    // One Host and one Origin: with two, parts of a stack that read different ones disagree
    // about where a request came from.
    if headers.get_all(header::HOST).iter().count() > 1 {
        return bad_request("a request has one Host header");
    }
    if headers.get_all(header::ORIGIN).iter().count() > 1 {
        return bad_request("a request has at most one Origin header");
    }
    if !host_allowed(headers, cfg.port, &cfg.extra_hosts) {
        return deny(
            ErrorCode::Forbidden,
            "this Host is not allowed; use http://127.0.0.1 or http://localhost",
        );
    }
    // `GET http://evil.test/… HTTP/1.1`: an absolute-form target must name this daemon too.
    if let Some(authority) = req.uri().authority() {
        if !authority_allowed(authority.as_str(), cfg.port, &cfg.extra_hosts) {
            return deny(
                ErrorCode::Forbidden,
                "the request target names another host",
            );
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .map(|o| origin_allowed(o, cfg.port, &cfg.extra_hosts))
            .unwrap_or(false);
        if !ok {
            return deny(
                ErrorCode::Forbidden,
                "cross-origin requests are not allowed",
            );
        }
    }
    // A browser says where a request comes from. Another port of this host is "same-site": a
    // page there (the target app, anything an agent serves) gets nothing from here.
    if let Some(site) = headers.get("sec-fetch-site") {
        let ok = site
            .to_str()
            .is_ok_and(|v| v.eq_ignore_ascii_case("same-origin") || v.eq_ignore_ascii_case("none"));
        if !ok {
            return deny(
                ErrorCode::Forbidden,
                "requests from other sites and other local ports are not allowed",
            );
        }
    }
    let path = req.uri().path().to_string();
    let legacy_cookie = has_legacy_cookie(headers);
    // A login link of older versions (`/?token=<the data dir's token>`): trade it for a
    // one-time login code at once, so the token stays nowhere in the page.
    if req.method() == Method::GET && !is_endpoint(&path) {
        if let Some(t) = query_token(req.uri()) {
            if !ct_eq(&t, &cfg.token) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    BAD_LINK_PAGE,
                )
                    .into_response();
            }
            let base = format!("http://127.0.0.1:{}", cfg.port);
            return match state.core.mint_login_link(&base) {
                Ok(link) => {
                    let target = link.url.replacen(&base, "", 1);
                    let target = if path == "/" {
                        target
                    } else {
                        target.replacen('/', &path, 1)
                    };
                    (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
                }
                Err(e) => error_response(&e),
            };
        }
    }
    if is_public(req.method(), &path) {
        let mut r = next.run(req).await;
        if legacy_cookie {
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "refine_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict",
                ),
            );
        }
        return r;
    }
    let secret = presented_secret(&req);
    match secret {
        Some(t) if ct_eq(&t, &cfg.token) => next.run(req).await,
        Some(t) if t.starts_with(SECRET_PREFIX) => match state.core.authenticate_session(&t) {
            Some(auth) => {
                req.extensions_mut().insert::<SessionAuth>(auth);
                next.run(req).await
            }
            None => deny(
                ErrorCode::Unauthorized,
                "this browser session has ended (expired or revoked); sign in again with the link `refine open` prints",
            ),
        },
        _ => deny(
            ErrorCode::Unauthorized,
            "missing or wrong token: programs send `Authorization: Bearer <token>` (the data dir's `token` file); browsers sign in through the link `refine open` prints",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_origin_rules() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:7878"));
        assert!(host_allowed(&h, 7878, &[]));
        for bad in [
            "evil.test",
            "0.0.0.0:7878",
            "localhost.evil.test:7878",
            "127.0.0.1:1",
            "localhost",
        ] {
            h.insert(header::HOST, HeaderValue::from_static(bad));
            assert!(!host_allowed(&h, 7878, &[]), "{bad}");
        }
        assert!(!host_allowed(&HeaderMap::new(), 7878, &[]));
        assert!(origin_allowed("http://localhost:7878", 7878, &[]));
        assert!(origin_allowed("tauri://localhost", 7878, &[]));
        for bad in [
            "null",
            "http://evil.test",
            "http://localhost:7879",
            "https://localhost:7878",
        ] {
            assert!(!origin_allowed(bad, 7878, &[]), "{bad}");
        }
    }

    #[test]
    fn secrets_from_the_header_or_a_websocket_subprotocol_never_a_cookie() {
        let req = |hs: &[(&str, &str)]| {
            let mut b = axum::http::Request::builder().uri("/api/v1/x");
            for (k, v) in hs {
                b = b.header(*k, *v);
            }
            b.body(axum::body::Body::empty()).unwrap()
        };
        assert_eq!(
            presented_secret(&req(&[("cookie", "refine_token=xyz")])),
            None
        );
        assert_eq!(
            presented_secret(&req(&[("authorization", "Bearer abc")])).as_deref(),
            Some("abc")
        );
        let ws = [
            ("upgrade", "websocket"),
            ("sec-websocket-protocol", "refine, refine.session.rs_123"),
        ];
        assert_eq!(presented_secret(&req(&ws)).as_deref(), Some("rs_123"));
        assert_eq!(
            presented_secret(&req(&ws[1..])),
            None,
            "only on a WebSocket upgrade"
        );
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("abc", "ab"));
    }
}
