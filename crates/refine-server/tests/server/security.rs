//! SECURITY.md items 2-5 and 8, for every route the registry declares.

use axum::http::StatusCode;
use refine_api::registry;
use serde_json::json;

use crate::support::{request_for, TestDaemon, HOST};

/// Every registered route plus the non-operation routes.
fn all_routes() -> Vec<(String, String, bool)> {
    let mut v: Vec<(String, String, bool)> = registry()
        .iter()
        .map(|op| {
            let input = json!({"id": uuid::Uuid::now_v7().to_string()});
            let (uri, _) = request_for(op, input);
            (
                op.method.as_str().to_string(),
                uri.split('?').next().unwrap().to_string(),
                op.public,
            )
        })
        .collect();
    v.push(("GET".into(), "/api/v1/events".into(), false));
    v.push((
        "GET".into(),
        format!("/api/v1/processes/{}/stream", uuid::Uuid::now_v7()),
        false,
    ));
    v.push(("POST".into(), "/mcp".into(), false));
    v
}

#[tokio::test]
async fn every_route_needs_the_token() {
    let d = TestDaemon::new();
    let mut checked = 0;
    for (method, uri, public) in all_routes() {
        if public {
            continue;
        }
        let body = (method != "GET").then(|| b"{}".to_vec());
        let ct = [("content-type", "application/json")];
        let no = d.raw(&method, &uri, &ct, body.clone(), false).await;
        assert_eq!(
            no.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without token"
        );
        let wrong = d
            .raw(
                &method,
                &uri,
                &[
                    ("content-type", "application/json"),
                    ("authorization", &format!("Bearer {}", "b".repeat(64))),
                ],
                body.clone(),
                false,
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} with a wrong token"
        );
        // Cookies go to every port of 127.0.0.1: the daemon accepts none, not even the token.
        let real = format!("refine_token={}", d.token);
        let cookie = d
            .raw(
                &method,
                &uri,
                &[
                    ("content-type", "application/json"),
                    ("cookie", real.as_str()),
                ],
                body,
                false,
            )
            .await;
        assert_eq!(
            cookie.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} with the token as a cookie"
        );
        if uri.starts_with("/api/") {
            assert_eq!(
                no.body["code"], "unauthorized",
                "{method} {uri}: {:?}",
                no.body
            );
        }
        checked += 1;
    }
    assert!(
        checked >= registry().iter().filter(|o| !o.public).count(),
        "the matrix covers every operation"
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity"),
        0,
        "nothing was done"
    );
}

#[tokio::test]
async fn public_routes_say_nothing() {
    let d = TestDaemon::new();
    let health = d
        .raw("GET", "/api/v1/system/health", &[], None, false)
        .await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        health.body,
        json!({"status": "ok"}),
        "health says nothing else"
    );
    // The UI bundle is public: it holds no data (the page signs in before it asks anything).
    let page = d.raw("GET", "/", &[], None, false).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.to_string().contains(&d.token));
    // The login exchange wants a real, unused code.
    let ct = [("content-type", "application/json")];
    let bad = d
        .raw(
            "POST",
            "/api/v1/sessions/exchange",
            &ct,
            Some(format!("{{\"code\":\"{}\"}}", "0".repeat(64)).into_bytes()),
            false,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{:?}", bad.body);
    let public: Vec<&str> = registry()
        .iter()
        .filter(|o| o.public)
        .map(|o| o.name)
        .collect();
    assert_eq!(public, ["system.health", "sessions.exchange"]);
    assert_eq!(d.count("SELECT COUNT(*) FROM browser_sessions"), 0);
}

#[tokio::test]
async fn foreign_hosts_are_refused_everywhere() {
    let d = TestDaemon::new();
    for (method, uri, _) in all_routes() {
        for host in [
            "evil.test",
            "0.0.0.0:7878",
            "localhost.evil.test:7878",
            "127.0.0.1:9999",
        ] {
            let req = axum::http::Request::builder()
                .method(method.as_str())
                .uri(&uri)
                .header("host", host)
                .header("authorization", format!("Bearer {}", d.token))
                .body(axum::body::Body::empty())
                .unwrap();
            let resp = tower::ServiceExt::oneshot(d.router.clone(), req)
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::FORBIDDEN,
                "{method} {uri} Host {host}"
            );
        }
        // No Host at all.
        let req = axum::http::Request::builder()
            .method(method.as_str())
            .uri(&uri)
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(d.router.clone(), req)
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::FORBIDDEN,
            "{method} {uri} without Host"
        );
    }
}

#[tokio::test]
async fn foreign_origins_and_cross_site_fetches_are_refused() {
    let d = TestDaemon::new();
    for (method, uri, _) in all_routes() {
        for origin in [
            "http://evil.test",
            "null",
            "http://127.0.0.1:9999",
            "http://localhost:7879",
        ] {
            let a = d
                .raw(&method, &uri, &[("origin", origin)], None, true)
                .await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{method} {uri} Origin {origin}"
            );
        }
        // Another port of this host is "same-site" to a browser: refused like another site.
        for site in ["cross-site", "same-site"] {
            let a = d
                .raw(&method, &uri, &[("sec-fetch-site", site)], None, true)
                .await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{method} {uri} Sec-Fetch-Site {site}"
            );
        }
    }
    for site in ["same-origin", "none"] {
        let a = d
            .raw(
                "GET",
                "/api/v1/system/info",
                &[("sec-fetch-site", site)],
                None,
                true,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "Sec-Fetch-Site {site}");
    }
    // Our own origins pass.
    for origin in [
        "http://127.0.0.1:7878",
        "http://localhost:7878",
        "tauri://localhost",
    ] {
        let a = d
            .raw(
                "GET",
                "/api/v1/system/info",
                &[("origin", origin)],
                None,
                true,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{origin}");
        assert!(
            a.headers.get("access-control-allow-origin").is_none(),
            "no CORS reflection"
        );
    }
}

#[tokio::test]
async fn bodies_must_be_small_json() {
    let d = TestDaemon::new();
    let repo = crate::support::git_repo(d.dir.path(), "r");
    let body = serde_json::to_vec(&json!({"path": repo})).unwrap();
    let a = d
        .raw(
            "POST",
            "/api/v1/apps",
            &[("content-type", "text/plain")],
            Some(body.clone()),
            true,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(a.body["code"], "unsupported_media_type");
    let a = d.raw("POST", "/api/v1/apps", &[], Some(body), true).await;
    assert_eq!(
        a.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );
    let big = format!("{{\"path\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let a = d
        .raw(
            "POST",
            "/api/v1/apps",
            &[("content-type", "application/json")],
            Some(big.into_bytes()),
            true,
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.body["code"], "payload_too_large");
    assert_eq!(d.count("SELECT COUNT(*) FROM apps"), 0);
}

#[tokio::test]
async fn hardening_headers_on_every_answer() {
    let d = TestDaemon::new();
    for (uri, auth) in [
        ("/api/v1/system/info", true),
        ("/api/v1/apps", false),
        ("/", true),
        ("/api/v1/system/health", false),
    ] {
        let a = d.raw("GET", uri, &[], None, auth).await;
        assert_eq!(a.headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(a.headers["cache-control"], "no-store", "{uri}");
        assert!(
            a.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{uri}"
        );
    }
}

/// Trade a login code for a session secret the way the page does.
async fn sign_in(d: &TestDaemon, code: &str) -> crate::support::Answer {
    d.raw(
        "POST",
        "/api/v1/sessions/exchange",
        &[
            ("content-type", "application/json"),
            ("origin", "http://127.0.0.1:7878"),
            (
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.1.2 Safari/537.36",
            ),
        ],
        Some(serde_json::to_vec(&json!({ "code": code })).unwrap()),
        false,
    )
    .await
}

fn code_of(url: &str) -> String {
    url.split("#login=").nth(1).unwrap().to_string()
}

#[tokio::test]
async fn a_browser_trades_a_one_time_link_for_a_session_of_its_own() {
    let d = TestDaemon::new();
    d.core.set_url(Some("http://127.0.0.1:7878".into()));
    // The old form of link (`/?token=`) becomes a one-time code at once; no cookie is set.
    let a = d
        .raw("GET", &format!("/?token={}", d.token), &[], None, false)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let location = a.headers["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/#login="), "{location}");
    assert!(!location.contains(&d.token));
    assert!(a.headers.get("set-cookie").is_none());
    let bad = d.raw("GET", "/?token=wrong", &[], None, false).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // The token query is only a login link for pages, never a way into the API.
    let api = d
        .raw(
            "GET",
            &format!("/api/v1/system/info?token={}", d.token),
            &[],
            None,
            false,
        )
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);

    let grant = sign_in(&d, &code_of(&location)).await;
    assert_eq!(grant.status, StatusCode::OK, "{:?}", grant.body);
    let secret = grant.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rs_") && secret != d.token);
    assert_eq!(
        grant.body["session"]["label"],
        "Headless Chrome 156 on Linux"
    );
    // A code works once.
    let again = sign_in(&d, &code_of(&location)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    let bearer = format!("Bearer {secret}");
    let as_browser = [("authorization", bearer.as_str())];
    let ok = d
        .raw("GET", "/api/v1/system/info", &as_browser, None, false)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    // Only as a header: the same secret as a cookie opens nothing.
    let c = format!("refine_session={secret}; refine_token={secret}");
    let cookie = d
        .raw(
            "GET",
            "/api/v1/system/info",
            &[("cookie", c.as_str())],
            None,
            false,
        )
        .await;
    assert_eq!(cookie.status, StatusCode::UNAUTHORIZED);
    // The database keeps a hash only.
    assert_eq!(
        d.count(&format!(
            "SELECT COUNT(*) FROM browser_sessions WHERE secret_hash = '{secret}'"
        )),
        0
    );
    assert_eq!(
        d.count(&format!(
            "SELECT COUNT(*) FROM operations WHERE result LIKE '%{secret}%' OR input LIKE '%{}%'",
            code_of(&location)
        )),
        0,
        "neither the secret nor the code is journaled"
    );
    // A browser session cannot mint more sessions.
    let mint = d
        .raw(
            "POST",
            "/api/v1/sessions/link",
            &[
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
            ],
            Some(b"{}".to_vec()),
            false,
        )
        .await;
    assert_eq!(mint.status, StatusCode::FORBIDDEN);

    // Listed (marked as the caller's own), then revoked: the secret stops working at once.
    let list = d
        .raw("GET", "/api/v1/sessions", &as_browser, None, false)
        .await;
    let id = grant.body["session"]["id"].as_str().unwrap().to_string();
    assert_eq!(list.body[0]["id"], id.as_str());
    assert_eq!(list.body[0]["current"], true);
    let revoked = d.call("sessions.revoke", json!({ "id": id })).await;
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    assert!(revoked.body["revokedAt"].is_string());
    let after = d
        .raw("GET", "/api/v1/system/info", &as_browser, None, false)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.body["message"].as_str().unwrap().contains("ended"));
    let twice = d.call("sessions.revoke", json!({ "id": id })).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    let _ = HOST;
}

#[tokio::test]
async fn sessions_survive_a_restart_and_revocations_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = TestDaemon::with_data_dir(dir, &data);
    let link = d.core.mint_login_link("http://127.0.0.1:7878").unwrap();
    let keep = sign_in(&d, &code_of(&link.url)).await.body["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let link = d.core.mint_login_link("http://127.0.0.1:7878").unwrap();
    let gone = sign_in(&d, &code_of(&link.url)).await.body;
    let gone_secret = gone["secret"].as_str().unwrap().to_string();
    d.call("sessions.revoke", json!({ "id": gone["session"]["id"] }))
        .await;
    let TestDaemon { core, dir, .. } = d;
    drop(core);
    let d = TestDaemon::with_data_dir(dir, &data);
    for (secret, status) in [
        (keep, StatusCode::OK),
        (gone_secret, StatusCode::UNAUTHORIZED),
    ] {
        let bearer = format!("Bearer {secret}");
        let a = d
            .raw(
                "GET",
                "/api/v1/apps",
                &[("authorization", bearer.as_str())],
                None,
                false,
            )
            .await;
        assert_eq!(a.status, status);
    }
}

#[tokio::test]
async fn duplicate_and_absolute_form_request_parts_are_refused() {
    let d = TestDaemon::new();
    let mut b = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/runner/pause")
        .header("host", HOST)
        .header("host", "evil.test")
        .header("authorization", format!("Bearer {}", d.token))
        .header("content-type", "application/json");
    let resp = tower::ServiceExt::oneshot(
        d.router.clone(),
        b.body(axum::body::Body::from("{}")).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "two Host headers");
    b = axum::http::Request::builder()
        .method("GET")
        .uri("/api/v1/system/info")
        .header("host", HOST)
        .header("origin", "http://127.0.0.1:7878")
        .header("origin", "http://evil.test")
        .header("authorization", format!("Bearer {}", d.token));
    let resp =
        tower::ServiceExt::oneshot(d.router.clone(), b.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "two Origin headers");
    let resp = tower::ServiceExt::oneshot(
        d.router.clone(),
        axum::http::Request::builder()
            .method("POST")
            .uri("http://evil.test/api/v1/system/shutdown")
            .header("host", HOST)
            .header("authorization", format!("Bearer {}", d.token))
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{}"))
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "absolute-form target of another host"
    );
    let ok = tower::ServiceExt::oneshot(
        d.router.clone(),
        axum::http::Request::builder()
            .uri("http://127.0.0.1:7878/api/v1/system/info")
            .header("host", HOST)
            .header("authorization", format!("Bearer {}", d.token))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        ok.status(),
        StatusCode::OK,
        "absolute form naming the daemon itself"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM activity"), 0, "nothing ran");
}

#[tokio::test]
async fn a_write_needs_a_body_and_strict_utf8_json() {
    let d = TestDaemon::new();
    let repo = crate::support::git_repo(d.dir.path(), "r");
    let add = d.call("apps.add", json!({ "path": repo })).await;
    assert_eq!(add.status, StatusCode::OK);
    let before = d.count("SELECT COUNT(*) FROM activity");
    let ct = [("content-type", "application/json")];
    for (uri, body, code) in [
        ("/api/v1/apps/select", None, "invalid_input"),
        ("/api/v1/runner/pause", Some(&b""[..]), "invalid_input"),
        ("/api/v1/runner/pause", Some(&b"null"[..]), "invalid_input"),
        ("/api/v1/system/shutdown", Some(&b"[]"[..]), "invalid_input"),
        (
            "/api/v1/apps/select",
            Some(&br#"{"id":null,"id":"x"}"#[..]),
            "invalid_input",
        ),
    ] {
        let a = d
            .raw("POST", uri, &ct, body.map(<[u8]>::to_vec), true)
            .await;
        assert_eq!(a.body["code"], code, "{uri} {body:?}: {:?}", a.body);
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
    }
    for charset in ["latin1", "utf-16", "\"iso-8859-1\""] {
        let ct = format!("application/json; charset={charset}");
        let a = d
            .raw(
                "POST",
                "/api/v1/runner/pause",
                &[("content-type", ct.as_str())],
                Some(b"{}".to_vec()),
                true,
            )
            .await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{charset}");
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity"),
        before,
        "nothing was done"
    );
    let a = d
        .raw(
            "POST",
            "/api/v1/runner/pause",
            &[("content-type", "application/json; charset=UTF-8")],
            Some(b"{}".to_vec()),
            true,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}
