use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use refine_api::{Method, OpDef};
use refine_core::{Core, CoreConfig};
use refine_server::{router, ServerConfig};
use serde_json::{Map, Value};
use tower::ServiceExt;

pub const PORT: u16 = 7878;
pub const HOST: &str = "127.0.0.1:7878";

pub struct TestDaemon {
    pub core: Core,
    pub router: Router,
    pub token: String,
    pub dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestDaemon {
    pub fn new() -> TestDaemon {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        TestDaemon::with_data_dir(dir, &data)
    }

    /// A daemon whose data dir is `data` (somewhere inside `dir`, which the daemon keeps).
    pub fn with_data_dir(dir: tempfile::TempDir, data: &Path) -> TestDaemon {
        std::fs::create_dir_all(data).unwrap();
        let (core, _) = Core::open(CoreConfig::new(data)).unwrap();
        let token = "a".repeat(64);
        let router = router(
            core.clone(),
            ServerConfig {
                token: token.clone(),
                port: PORT,
                ui_dir: None,
                extra_hosts: vec![],
            },
        );
        TestDaemon {
            core,
            router,
            token,
            dir,
        }
    }

    /// A raw request; `headers` are added after Host and (unless `auth` is false) the token.
    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        auth: bool,
    ) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", HOST);
        if auth {
            b = b.header("authorization", format!("Bearer {}", self.token));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).to_string()));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Call an operation over HTTP the way a client derived from the registry does.
    pub async fn http(&self, op: &OpDef, input: Value, key: Option<&str>) -> Answer {
        let (uri, body) = request_for(op, input);
        let mut headers = vec![];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(k) = key {
            headers.push(("idempotency-key", k));
        }
        self.raw(op.method.as_str(), &uri, &headers, body, true)
            .await
    }

    pub async fn call(&self, name: &str, input: Value) -> Answer {
        self.http(refine_api::find(name).unwrap(), input, None)
            .await
    }

    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite_conn(self.dir.path());
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn rusqlite_conn(dir: &Path) -> refine_store::rusqlite::Connection {
    refine_store::rusqlite::Connection::open(dir.join("refine.db")).unwrap()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// URI (with query for GET) and JSON body for an operation and input.
pub fn request_for(op: &OpDef, input: Value) -> (String, Option<Vec<u8>>) {
    let mut fields: Map<String, Value> = input.as_object().cloned().unwrap_or_default();
    let mut path = String::new();
    for seg in op.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(p) => {
                let v = fields.remove(p).unwrap_or(Value::String("missing".into()));
                path.push_str(&enc(v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
                    .as_str()));
            }
            None => path.push_str(seg),
        }
    }
    if op.method == Method::Get {
        let q: Vec<String> = fields
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    enc(&k),
                    enc(&v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()))
                )
            })
            .collect();
        if !q.is_empty() {
            path = format!("{path}?{}", q.join("&"));
        }
        (path, None)
    } else {
        (
            path,
            Some(serde_json::to_vec(&Value::Object(fields)).unwrap()),
        )
    }
}

/// `git ARGS` in `dir` as a fixed committer, which must succeed; its output trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_dated(dir, args, None)
}

/// [`git`], with author and committer dates pinned when `date` is given.
fn git_dated(dir: &Path, args: &[&str], date: Option<&str>) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t.invalid");
    if let Some(d) = date {
        cmd.env("GIT_AUTHOR_DATE", d).env("GIT_COMMITTER_DATE", d);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A Git repository with one committed file.
pub fn git_repo(parent: &Path, name: &str) -> PathBuf {
    let p = parent.join(name);
    std::fs::create_dir_all(&p).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Today at 00:00 UTC: two repos built a second apart get the same commit ids (parity), and
    // the commit is still recent (churn windows).
    let day = format!("{} +0000", now - now % 86_400);
    git(&p, &["init", "-q", "-b", "main"]);
    std::fs::write(p.join("main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(p.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    git(&p, &["add", "."]);
    git_dated(&p, &["commit", "-qm", "init"], Some(&day));
    p.canonicalize().unwrap()
}
