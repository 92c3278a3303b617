//! The security layer in front of every route: Host allow-list (DNS rebinding), Origin and
//! Sec-Fetch-Site checks (cross-site requests), the per-install token (Bearer header or the
//! HttpOnly cookie obtained once through `/?token=`), and hardening headers on every answer.

use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use refine_model::{ApiError, ErrorCode};
use subtle::ConstantTimeEq;

use crate::State;

/// Name of the cookie that carries the token in a browser.
pub const TOKEN_COOKIE: &str = "refine_token";

/// Paths answered without the token (Host and Origin are still checked).
const PUBLIC_PATHS: &[&str] = &["/api/v1/system/health"];

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
    r
}

fn deny(code: ErrorCode, msg: &str) -> Response {
    error_response(&ApiError::new(code, msg))
}

fn host_allowed(headers: &HeaderMap, port: u16, extra: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
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

fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == TOKEN_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn query_token(uri: &Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

/// The page a browser gets without the cookie: how to get in, nothing else.
const LOCKED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>Refine</title><body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>Refine</h1><p>This page needs the daemon's access link. Run <code>refine open</code>, or open the URL the daemon printed when it started.</p></body>";

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

async fn check(state: &State, req: Request, next: Next) -> Response {
    let cfg = &state.config;
    let headers = req.headers();
    if !host_allowed(headers, cfg.port, &cfg.extra_hosts) {
        return deny(
            ErrorCode::Forbidden,
            "this Host is not allowed; use http://127.0.0.1 or http://localhost",
        );
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
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return deny(ErrorCode::Forbidden, "cross-site requests are not allowed");
    }
    let path = req.uri().path().to_string();
    if PUBLIC_PATHS.contains(&path.as_str()) {
        return next.run(req).await;
    }
    // A browser's first visit: exchange `?token=` for the cookie, then drop it from the URL.
    if req.method() == Method::GET && !path.starts_with("/api/") && path != "/mcp" {
        if let Some(t) = query_token(req.uri()) {
            if !ct_eq(&t, &cfg.token) {
                return deny(
                    ErrorCode::Unauthorized,
                    "the access link is not valid (wrong token)",
                );
            }
            let cookie = format!(
                "{TOKEN_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                cfg.token
            );
            let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, path)]).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            return r;
        }
    }
    match presented_token(headers) {
        Some(t) if ct_eq(&t, &cfg.token) => next.run(req).await,
        _ if !path.starts_with("/api/") && path != "/mcp" && req.method() == Method::GET => (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            LOCKED_PAGE,
        )
            .into_response(),
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
    fn tokens_from_header_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; refine_token=xyz"),
        );
        assert_eq!(presented_token(&h).as_deref(), Some("xyz"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(presented_token(&h).as_deref(), Some("abc"));
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("abc", "ab"));
    }
}
