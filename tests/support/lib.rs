//! Helpers for end-to-end tests: a real `refine --serve` process in a temp data dir, the real CLI
//! run through bash, and a blocking HTTP client.

pub mod nats;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `refine` binary under test: `$REFINE_BIN`, else next to the test executable's folder.
pub fn refine_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("REFINE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("refine");
    assert!(
        bin.exists(),
        "build the CLI first (cargo build -p refine-cli): {} missing",
        bin.display()
    );
    bin
}

/// A `refine --serve` child process.
pub struct Daemon {
    pub child: Child,
    pub data: PathBuf,
    pub url: String,
    pub token: String,
}

impl Daemon {
    /// Start a daemon on a free port; returns once it printed its URL.
    pub fn start(data: &Path) -> Daemon {
        Daemon::start_with(data, &[("REFINE_LOG", "warn")])
    }

    /// Start a daemon with extra environment (`PATH` without git, `REFINE_LOG=info`, …).
    pub fn start_with(data: &Path, env: &[(&str, &str)]) -> Daemon {
        Daemon::start_args(data, &[], env)
    }

    /// Start a daemon with extra arguments (`--cluster URL`, …) and environment.
    pub fn start_args(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        Daemon::start_bin(&refine_bin(), data, args, env)
    }

    /// `start_args` with a given `refine` binary (the benchmark's release build).
    pub fn start_bin(bin: &Path, data: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut child = Command::new(bin)
            .args(["--serve", "--port", "0", "--data-dir"])
            .arg(data)
            .args(args)
            .env(
                "REFINE_LOG",
                std::env::var("REFINE_E2E_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start refine --serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let login = line
            .trim()
            .strip_prefix("Refine is listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        // The printed link is for a browser (a one-time login code); programs use the token file.
        let url = login
            .split_once("/#login=")
            .map(|(u, _)| u)
            .unwrap_or_else(|| panic!("no login link in {line:?}"));
        let token = std::fs::read_to_string(data.join("token"))
            .expect("the data dir has its token")
            .trim()
            .to_string();
        Daemon {
            child,
            data: data.to_path_buf(),
            url: url.to_string(),
            token,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Send a signal and wait for the exit status.
    pub fn signal(&mut self, sig: i32) -> std::process::ExitStatus {
        unsafe {
            libc::kill(self.pid(), sig);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "the daemon did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self) -> Http {
        Http {
            base: self.url.clone(),
            token: self.token.clone(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// Run the CLI through bash, as a person would type it, against this daemon's data dir.
    pub fn sh(&self, script: &str, cwd: &Path) -> Output {
        sh(script, cwd, &self.data)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `script` in bash with `refine` on PATH and `REFINE_HOME` set to `data`.
pub fn sh(script: &str, cwd: &Path, data: &Path) -> Output {
    let bin = refine_bin();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .args(["-c", script])
        .current_dir(cwd)
        .env("PATH", path)
        .env("REFINE_HOME", data)
        .env_remove("REFINE_URL")
        .env_remove("REFINE_TOKEN")
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A blocking HTTP client with the daemon's token.
pub struct Http {
    pub base: String,
    pub token: String,
    pub http: reqwest::blocking::Client,
}

/// Operation name → (method, path).
type Routes = HashMap<String, (String, String)>;

pub struct Resp {
    pub status: u16,
    pub replayed: bool,
    pub body: Value,
}

impl Http {
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Resp, reqwest::Error> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self
            .http
            .request(m, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(b);
        }
        if let Some(k) = key {
            r = r.header("idempotency-key", k);
        }
        let resp = r.send()?;
        let status = resp.status().as_u16();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let body = resp.json().unwrap_or(Value::Null);
        Ok(Resp {
            status,
            replayed,
            body,
        })
    }

    /// Call an operation by name, routed as the registry declares it (`system.operations`):
    /// `{param}` path segments come from the input, GET inputs go in the query.
    pub fn call(&self, op: &str, input: Value) -> Resp {
        let routes = self.routes();
        let (method, route) = routes
            .get(op)
            .unwrap_or_else(|| panic!("no operation {op}"));
        let mut fields = input.as_object().cloned().unwrap_or_default();
        let mut path = String::new();
        for seg in route.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    let v = fields
                        .remove(param)
                        .unwrap_or_else(|| panic!("{op} needs {param}"));
                    path.push_str(
                        &v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    );
                }
                None => path.push_str(seg),
            }
        }
        if method == "GET" {
            let q: Vec<String> = fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    format!(
                        "{k}={}",
                        v.replace('%', "%25")
                            .replace('&', "%26")
                            .replace('#', "%23")
                            .replace(' ', "%20")
                            .replace('+', "%2B")
                    )
                })
                .collect();
            if !q.is_empty() {
                path = format!("{path}?{}", q.join("&"));
            }
            return self.send("GET", &path, None, None).unwrap();
        }
        self.send(method, &path, Some(&Value::Object(fields)), None)
            .unwrap()
    }

    /// Operation name → (method, path) of this daemon. `system.operations` answers the whole
    /// registry with its schemas (megabytes): it is asked once per daemon address, not per call.
    fn routes(&self) -> std::sync::Arc<Routes> {
        static ROUTES: std::sync::LazyLock<
            std::sync::Mutex<HashMap<String, std::sync::Arc<Routes>>>,
        > = std::sync::LazyLock::new(Default::default);
        if let Some(r) = ROUTES.lock().unwrap().get(&self.base) {
            return r.clone();
        }
        let ops = self.get("/api/v1/system/operations");
        let routes: Routes = ops
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["name"].as_str()?.to_string(),
                    (
                        o["method"].as_str()?.to_uppercase(),
                        o["path"].as_str()?.to_string(),
                    ),
                ))
            })
            .collect();
        let routes = std::sync::Arc::new(routes);
        ROUTES
            .lock()
            .unwrap()
            .insert(self.base.clone(), routes.clone());
        routes
    }

    /// [`Http::call`] that must answer 200.
    pub fn ok(&self, op: &str, input: Value) -> Value {
        let r = self.call(op, input.clone());
        assert_eq!(r.status, 200, "{op} {input}: {}", r.body);
        r.body
    }

    pub fn get(&self, path: &str) -> Value {
        let r = self.send("GET", path, None, None).unwrap();
        assert_eq!(r.status, 200, "GET {path}: {:?}", r.body);
        r.body
    }
}

/// `git -C dir ARGS`, which must succeed; its output with surrounding whitespace trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Makes `dir` a repository on `main` whose one commit holds everything in it: the e2e, real
/// and bench tiers' one way to get a test repository (tests/support/git-repo.sh is the shell
/// and browser tiers' twin).
pub fn commit_all(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=T",
            "commit",
            "-qm",
            "init",
        ],
    );
}

/// A Git repository with a couple of committed files.
pub fn git_repo(parent: &Path, name: &str) -> PathBuf {
    let p = parent.join(name);
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(p.join("src/app.ts"), "export const x = 1;\n").unwrap();
    std::fs::write(p.join("src/util.ts"), "export const y = 2;\n").unwrap();
    std::fs::write(
        p.join("package.json"),
        r#"{"scripts":{"test":"vitest","build":"vite build"}}"#,
    )
    .unwrap();
    std::fs::write(p.join("package-lock.json"), "{}").unwrap();
    commit_all(&p);
    p.canonicalize().unwrap()
}

/// A bare remote (`remote.git` in `parent`, one commit on `main`) and a clone of it per name
/// (`clone-NAME`): one app as several machines would have it.
pub fn remote_with_clones(parent: &Path, names: &[&str]) -> (PathBuf, Vec<PathBuf>) {
    let remote = parent.join("remote.git");
    git(
        parent,
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let seed = git_repo(parent, "seed");
    git(
        &seed,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    git(&seed, &["push", "-q", "origin", "main"]);
    let clones = names
        .iter()
        .map(|n| {
            let c = parent.join(format!("clone-{n}"));
            git(
                parent,
                &["clone", "-q", remote.to_str().unwrap(), c.to_str().unwrap()],
            );
            c
        })
        .collect();
    (remote, clones)
}

/// Add `repo` as the daemon's app, worked by the scripted agent (`slots` Goals at once, a
/// one-second poll), with one quality test the scripts check.
pub fn scripted_app(h: &Http, repo: &Path, slots: u32) -> Value {
    let app = h.ok("apps.add", serde_json::json!({"path": repo}));
    h.ok(
        "settings.update",
        serde_json::json!({"scope": "global", "revision": 0, "patch": {"agents": {"defaultProfile": "scripted"}, "runner": {"pollSeconds": 1, "maxConcurrentGoals": slots}}}),
    );
    h.ok(
        "quality.settings.update",
        serde_json::json!({"revision": 0, "tests": ["the Goal's file exists"], "instructions": ""}),
    );
    app
}
