//! HTTP client of the daemon: finds it, sends any registry operation, follows events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use refine_api::{find, Method, Op};
use refine_model::{ApiError, ErrorCode, Event};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// A daemon URL as given (`--url`, `REFINE_URL`): http(s) with a host, no trailing slash.
fn checked_url(raw: &str) -> Result<String, CliError> {
    let bad = |why: &str| {
        CliError::Usage(format!(
            "--url {raw:?} is not a daemon URL ({why}); e.g. http://127.0.0.1:7878"
        ))
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("no query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A failure a client reports (the CLI turns it into an exit code).
#[derive(Debug)]
pub enum CliError {
    Api(ApiError),
    /// No daemon answers (exit code 7).
    NoDaemon(String),
    Usage(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Api(e) => e.code.exit_code(),
            CliError::NoDaemon(_) => ErrorCode::Unavailable.exit_code(),
            CliError::Usage(_) => 2,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Api(e) => {
                let code = serde_json::to_value(e.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                write!(f, "{} ({code})", e.message)
            }
            CliError::NoDaemon(m) | CliError::Usage(m) => write!(f, "{m}"),
        }
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        CliError::Api(e)
    }
}

#[derive(Clone)]
pub struct Client {
    surface: &'static str,
    base: String,
    token: Option<String>,
    actor: Option<String>,
    http: reqwest::Client,
    data_dir: PathBuf,
}

impl Client {
    /// Locate the daemon: `--url`/`REFINE_URL`, else the data dir's `daemon.json`.
    pub fn discover(
        url: Option<String>,
        data_dir: &Path,
        actor: Option<String>,
    ) -> Result<Client, CliError> {
        Self::discover_as(url, data_dir, actor, "cli")
    }

    /// Like [`Client::discover`], naming the surface the requests come from (`cli`, `desktop`).
    pub fn discover_as(
        url: Option<String>,
        data_dir: &Path,
        actor: Option<String>,
        surface: &'static str,
    ) -> Result<Client, CliError> {
        let base = match url {
            Some(u) => checked_url(&u)?,
            None => match refine_core::daemon::read_daemon_info(data_dir) {
                Some(info) => info.url,
                None => {
                    return Err(CliError::NoDaemon(format!(
                        "no Refine daemon is running for {} (no daemon.json). Start one with `refine --serve` or `make run`",
                        data_dir.display()
                    )))
                }
            },
        };
        let token = match std::env::var("REFINE_TOKEN").ok().filter(|t| !t.is_empty()) {
            Some(t) => Some(t),
            None => refine_core::daemon::read_token(data_dir)
                .map_err(|e| CliError::Usage(e.to_string()))?,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(Client {
            surface,
            base,
            token,
            actor,
            http,
            data_dir: data_dir.to_path_buf(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("x-refine-surface", self.surface);
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(a) = &self.actor {
            r = r.header("x-refine-actor", encode(a));
        }
        r
    }

    fn unreachable(&self, e: reqwest::Error) -> CliError {
        CliError::NoDaemon(format!(
            "the Refine daemon at {} does not answer ({}). If it stopped, start it with `refine --serve`; data dir {}",
            self.base,
            if e.is_connect() { "connection refused".to_string() } else { e.to_string() },
            self.data_dir.display()
        ))
    }

    /// Call an operation through its typed handle (`refine_api::ops::apps::ADD`, …): the
    /// compiler checks the input, the answer is decoded into the output type.
    pub async fn run<I: Serialize, O: DeserializeOwned>(
        &self,
        op: Op<I, O>,
        input: &I,
    ) -> Result<O, CliError> {
        self.run_keyed(op, input, None).await
    }

    /// [`Client::run`] with a caller-chosen Idempotency-Key (a retry of the same action).
    pub async fn run_keyed<I: Serialize, O: DeserializeOwned>(
        &self,
        op: Op<I, O>,
        input: &I,
        key: Option<String>,
    ) -> Result<O, CliError> {
        let input = serde_json::to_value(input)
            .map_err(|e| CliError::Usage(format!("{}: {e}", op.name)))?;
        let (_, out) = self.call_keyed(op.name, input, key).await?;
        serde_json::from_value(out).map_err(|e| {
            CliError::Api(ApiError::internal(format!(
                "{} answered something this client does not understand ({e}); is the daemon a different version?",
                op.name
            )))
        })
    }

    /// Call an operation by name with a JSON input, as the registry declares it.
    pub async fn call(&self, name: &str, input: Value) -> Result<Value, CliError> {
        self.call_with_status(name, input).await.map(|(_, v)| v)
    }

    pub async fn call_with_status(
        &self,
        name: &str,
        input: Value,
    ) -> Result<(u16, Value), CliError> {
        self.call_keyed(name, input, None).await
    }

    /// Call with a caller-chosen Idempotency-Key (mutations; a fresh one is made otherwise).
    pub async fn call_keyed(
        &self,
        name: &str,
        input: Value,
        key: Option<String>,
    ) -> Result<(u16, Value), CliError> {
        let op = find(name).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown operation {name:?}; `refine call --list` lists them"
            ))
        })?;
        let mut fields: Map<String, Value> = match input {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => return Err(CliError::Usage("the input must be a JSON object".into())),
        };
        let mut path = String::new();
        for seg in op.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    let v = fields
                        .remove(param)
                        .ok_or_else(|| CliError::Usage(format!("{name} needs {param:?}")))?;
                    let s = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    path.push_str(&encode(&s));
                }
                None => path.push_str(seg),
            }
        }
        let method =
            reqwest::Method::from_bytes(op.method.as_str().as_bytes()).expect("valid method");
        let mut req = self.request(method, &path);
        if op.method == Method::Get {
            // Arrays go as repeated parameters (`status=todo&status=plan`), as OpenAPI says.
            let scalar = |v: &Value| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            };
            let mut q: Vec<(String, String)> = Vec::new();
            for (k, v) in fields {
                match v {
                    Value::Null => {}
                    Value::Array(items) => q.extend(items.iter().map(|i| (k.clone(), scalar(i)))),
                    v => q.push((k, scalar(&v))),
                }
            }
            req = req.query(&q);
        } else {
            req = req
                .header(
                    "idempotency-key",
                    key.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                )
                .json(&Value::Object(fields));
        }
        // One retry for a busy daemon, same request (and same key).
        let req2 = req.try_clone();
        let mut resp = req.send().await.map_err(|e| self.unreachable(e))?;
        if resp.status().as_u16() == 503 {
            if let (Some(r2), Some(after)) = (
                req2,
                resp.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok()),
            ) {
                tokio::time::sleep(Duration::from_secs(after.min(5))).await;
                resp = r2.send().await.map_err(|e| self.unreachable(e))?;
            }
        }
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status >= 400 {
            let err: ApiError = serde_json::from_value(body).unwrap_or_else(|_| {
                ApiError::new(
                    ErrorCode::from_http_status(status),
                    format!("the daemon answered HTTP {status}"),
                )
            });
            return Err(CliError::Api(err));
        }
        Ok((status, body))
    }

    /// Follow the event stream, calling `f` for each event until it returns false.
    pub async fn follow(
        &self,
        last_id: Option<String>,
        mut f: impl FnMut(Event) -> bool,
    ) -> Result<(), CliError> {
        let mut last = last_id;
        loop {
            // The resume point goes in `?lastEventId=` (the documented form for clients that
            // cannot set `Last-Event-ID`, and visible in the daemon's request log).
            let mut req = self.request(reqwest::Method::GET, "/api/v1/events");
            if let Some(id) = &last {
                req = req.query(&[("lastEventId", id)]);
            }
            let resp = req.send().await.map_err(|e| self.unreachable(e))?;
            if !resp.status().is_success() {
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                return Err(CliError::Api(serde_json::from_value(body).unwrap_or_else(
                    |_| {
                        ApiError::new(
                            ErrorCode::from_http_status(status),
                            format!("HTTP {status}"),
                        )
                    },
                )));
            }
            let mut stream = resp.bytes_stream();
            let mut buf = String::new();
            let mut data = String::new();
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else { break };
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(nl) = buf.find('\n') {
                    let line = buf[..nl].trim_end_matches('\r').to_string();
                    buf.drain(..=nl);
                    if line.is_empty() {
                        if !data.is_empty() {
                            if let Ok(ev) = serde_json::from_str::<Event>(&data) {
                                last = Some(ev.id.clone());
                                if !f(ev) {
                                    return Ok(());
                                }
                            }
                            data.clear();
                        }
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim_start());
                    }
                }
            }
            // The daemon went away: say so rather than spin.
            if self
                .request(reqwest::Method::GET, "/api/v1/system/health")
                .send()
                .await
                .is_err()
            {
                return Err(CliError::NoDaemon(format!(
                    "the daemon at {} stopped",
                    self.base
                )));
            }
        }
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
