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
    v.push(("GET".into(), "/".into(), false));
    v
}

#[tokio::test]
async fn every_route_needs_the_token() {
    let d = TestDaemon::new();
    let mut checked = 0;
    for (method, uri, public) in all_routes() {
        if public {
            let a = d.raw(&method, &uri, &[], None, false).await;
            assert_eq!(a.status, StatusCode::OK, "{method} {uri} is public");
            assert_eq!(a.body, json!({"status": "ok"}), "health says nothing else");
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
        let cookie = d
            .raw(
                &method,
                &uri,
                &[
                    ("content-type", "application/json"),
                    ("cookie", "refine_token=nope"),
                ],
                body,
                false,
            )
            .await;
        assert_eq!(
            cookie.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} with a wrong cookie"
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
        checked >= registry().len(),
        "the matrix covers every operation"
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM activity"),
        0,
        "nothing was done"
    );
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
        let a = d
            .raw(
                &method,
                &uri,
                &[("sec-fetch-site", "cross-site")],
                None,
                true,
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {uri} Sec-Fetch-Site cross-site"
        );
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

#[tokio::test]
async fn browser_login_link_sets_a_strict_cookie_and_drops_the_token() {
    let d = TestDaemon::new();
    let a = d
        .raw("GET", &format!("/?token={}", d.token), &[], None, false)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers["location"], "/");
    let cookie = a.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let bad = d.raw("GET", "/?token=wrong", &[], None, false).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.headers.get("set-cookie").is_none());
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
    // With the cookie the API answers.
    let c = format!("refine_token={}", d.token);
    let ok = d
        .raw(
            "GET",
            "/api/v1/system/info",
            &[("cookie", c.as_str())],
            None,
            false,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let _ = HOST;
}
