//! The UI bundle: from `--ui-dir` when given, else embedded at build time (read from
//! `ui/dist` on disk in debug builds). Unknown paths fall back to `index.html` (client routing).

use std::path::{Component, Path, PathBuf};

use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use refine_model::ApiError;

use crate::security::error_response;
use crate::State;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Bundle;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Refine</title><body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>Refine</h1><p>The daemon is running, but the UI bundle was not built. Run <code>make run</code> (or <code>npm --prefix ui run build</code>) and reload.</p></body>";

fn safe_relative(path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    let p = Path::new(rel);
    if rel.contains('\0') || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(p.to_path_buf())
}

fn file(state: &State, rel: &Path) -> Option<Vec<u8>> {
    match &state.config.ui_dir {
        Some(dir) => {
            let full = dir.join(rel);
            // Never follow a link out of the bundle folder.
            let canon = full.canonicalize().ok()?;
            let root = dir.canonicalize().ok()?;
            if !canon.starts_with(&root) || !canon.is_file() {
                return None;
            }
            std::fs::read(canon).ok()
        }
        None => Bundle::get(&rel.to_string_lossy()).map(|f| f.data.into_owned()),
    }
}

pub(crate) async fn serve(AxState(state): AxState<State>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error_response(&ApiError::not_found("no such route"));
    }
    let path = req.uri().path();
    let Some(rel) = safe_relative(path) else {
        return error_response(&ApiError::not_found("no such file"));
    };
    let rel = if rel.as_os_str().is_empty() {
        PathBuf::from("index.html")
    } else {
        rel
    };
    let (body, name) = match file(&state, &rel) {
        Some(b) => (b, rel),
        // Client-side routes (no extension) get the app shell; missing assets are 404s.
        None if rel.extension().is_none() => match file(&state, Path::new("index.html")) {
            Some(b) => (b, PathBuf::from("index.html")),
            None => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    NOT_BUILT,
                )
                    .into_response()
            }
        },
        None => return error_response(&ApiError::not_found("no such file")),
    };
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    let mut r = (StatusCode::OK, body).into_response();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}
