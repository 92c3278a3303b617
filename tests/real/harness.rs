//! The world one real-CLI test runs in: a fresh root outside `$TMPDIR` (Codex refuses to set up
//! its sandbox helper under the temp dir), a Git repository added as an app, a `refine --serve`
//! daemon, the model-API stand-in (`tests/agents/standin.py`) with the test's own scripts and
//! request log, and profiles that run the installed, pinned CLIs against it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use refine_e2e::{git_repo, Daemon, Http};
use serde_json::{json, Value};

/// `tests/agents`, where the stand-in and the install script live.
pub fn agents_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("agents")
}

/// The installed CLIs (from `tests/agents/install.sh --paths-only`).
pub struct Clis {
    pub claude: PathBuf,
    pub codex: PathBuf,
    pub opencode: Option<PathBuf>,
}

pub fn clis() -> &'static Clis {
    static CLIS: OnceLock<Clis> = OnceLock::new();
    CLIS.get_or_init(|| {
        let out = Command::new(agents_dir().join("install.sh"))
            .arg("--paths-only")
            .output()
            .expect("run tests/agents/install.sh --paths-only");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let find = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .map(PathBuf::from)
        };
        let need = |name: &str| {
            find(name).unwrap_or_else(|| {
                panic!(
                    "{name} is not installed: run tests/agents/install.sh first (it printed {text:?})"
                )
            })
        };
        Clis {
            claude: need("claude"),
            codex: need("codex"),
            opencode: find("opencode"),
        }
    })
}

/// These tests run real CLIs: they must not be able to reach another host. Panics (rather than
/// skipping) outside a loopback-only network namespace (`tests/agents/offline.sh`), unless
/// `REFINE_REAL_ALLOW_NETWORK=1`.
pub fn require_offline() {
    if std::env::var("REFINE_REAL_ALLOW_NETWORK").as_deref() == Ok("1") {
        return;
    }
    let dev = std::fs::read_to_string("/proc/net/dev").expect("read /proc/net/dev");
    let ifaces: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert!(
        ifaces.iter().all(|i| *i == "lo"),
        "the real-CLI tests run only in a loopback-only network namespace \
         (tests/agents/offline.sh, as `make test-real` does); this one has {ifaces:?}"
    );
}

/// Where test roots go: `$REFINE_REAL_DIR`, else `/var/tmp/refine-real` (never under `$TMPDIR`).
fn base_dir() -> PathBuf {
    let base = std::env::var_os("REFINE_REAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/refine-real"));
    std::fs::create_dir_all(&base).unwrap();
    let base = base.canonicalize().unwrap();
    let tmp = std::env::temp_dir()
        .canonicalize()
        .unwrap_or_else(|_| std::env::temp_dir());
    assert!(
        !base.starts_with(&tmp),
        "{} lies under the temp dir {} (Codex then refuses its sandbox helper); set REFINE_REAL_DIR",
        base.display(),
        tmp.display()
    );
    base
}

/// The model-API stand-in, one per test.
pub struct StandIn {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl StandIn {
    pub fn start(scripts: &Path, log: &Path) -> StandIn {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new("python3")
            .arg(agents_dir().join("standin.py"))
            .args(["--port", "0", "--scripts"])
            .arg(scripts)
            .arg("--log")
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 standin.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("standin listening on ")
            .unwrap_or_else(|| panic!("unexpected stand-in line {line:?}"))
            .to_string();
        StandIn {
            child,
            url,
            log: log.to_path_buf(),
        }
    }

    /// Every request logged so far (one JSON object each).
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Requests that ran a script step (not side requests, not 404s).
    pub fn scripted(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["script"].is_string())
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    Claude,
    Codex,
    /// opencode's built-in OpenAI provider (Responses API), pointed at the stand-in by the
    /// profile's `baseUrl` alone.
    Opencode,
}

impl Cli {
    pub fn provider(self) -> &'static str {
        match self {
            Cli::Claude => "claude-code",
            Cli::Codex => "codex",
            Cli::Opencode => "opencode",
        }
    }
    /// The environment variable holding the API key in the profile.
    pub fn key_var(self) -> &'static str {
        match self {
            Cli::Claude => "ANTHROPIC_API_KEY",
            Cli::Codex | Cli::Opencode => "OPENAI_API_KEY",
        }
    }
    /// The tool a `write` step becomes.
    pub fn write_tool(self) -> &'static str {
        match self {
            Cli::Claude => "Write",
            Cli::Codex | Cli::Opencode => "apply_patch",
        }
    }
}

/// Flags every Codex run of these tests needs: no plugin or analytics traffic, a model slug
/// Codex knows (else it offers no `apply_patch`), and no retries of its own (Refine must see
/// the first failure). The retry keys go into the `refine` provider that Refine defines from
/// the profile's `baseUrl` (crates/refine-core/src/agents/providers.rs).
pub const CODEX_FLAGS: &[&str] = &[
    "-c",
    "features.plugins=false",
    "-c",
    "analytics.enabled=false",
    "-m",
    "gpt-5.5",
    "-c",
    "model_providers.refine.request_max_retries=0",
    "-c",
    "model_providers.refine.stream_max_retries=0",
];

pub struct World {
    /// Kept until the world drops (deleted then, unless REFINE_REAL_KEEP=1).
    _root_guard: Option<tempfile::TempDir>,
    pub root: PathBuf,
    pub repo: PathBuf,
    pub scripts: PathBuf,
    pub standin: StandIn,
    pub h: Http,
    pub d: Daemon,
    pub started: Instant,
    pub name: String,
}

impl World {
    /// A daemon with one app (a Git repository), a fast scheduler, and a stand-in.
    pub fn new(name: &str) -> World {
        require_offline();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(base_dir())
            .unwrap();
        let root = dir.path().to_path_buf();
        let guard = if std::env::var("REFINE_REAL_KEEP").as_deref() == Ok("1") {
            eprintln!("[{name}] keeping {}", root.display());
            let _ = dir.keep();
            None
        } else {
            Some(dir)
        };
        let scripts = root.join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        let standin = StandIn::start(&scripts, &root.join("standin.jsonl"));
        let repo = git_repo(&root, "shop");
        let d = Daemon::start(&root.join("data"));
        let h = d.client();
        h.ok("apps.add", json!({"path": repo}));
        let w = World {
            _root_guard: guard,
            root,
            repo,
            scripts,
            standin,
            h,
            d,
            started: Instant::now(),
            name: name.to_string(),
        };
        w.settings(json!({"runner": {"pollSeconds": 1, "maxConcurrentGoals": 4}}));
        w
    }

    pub fn note(&self, what: &str) {
        eprintln!(
            "[{} +{:.1}s] {what}",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Merge-patch the global settings.
    pub fn settings(&self, patch: Value) {
        let cur = self.h.ok("settings.get", json!({}));
        let rev = cur["global"]["revision"].as_u64().unwrap_or(0);
        self.h.ok(
            "settings.update",
            json!({"scope": "global", "revision": rev, "patch": patch}),
        );
    }

    pub fn use_profile(&self, name: &str) {
        self.settings(json!({"agents": {"defaultProfile": name}}));
    }

    /// A stand-in script `NAME.json`.
    pub fn script(&self, name: &str, script: Value) {
        std::fs::write(
            self.scripts.join(format!("{name}.json")),
            serde_json::to_string_pretty(&script).unwrap(),
        )
        .unwrap();
    }

    /// A fresh directory under the root.
    pub fn dir(&self, name: &str) -> PathBuf {
        let p = self.root.join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// The built-in default profile of a provider, as the daemon serves it.
    pub fn default_profile(&self, provider: &str) -> Value {
        let all = self.h.ok("agents.profiles.list", json!({}));
        all.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == provider)
            .unwrap_or_else(|| panic!("no default profile {provider}: {all}"))
            .clone()
    }

    /// A profile that runs the installed CLI against the stand-in: the provider's default
    /// arguments (plus, for Codex, [`CODEX_FLAGS`]), its own HOME (and CODEX_HOME), a key, no
    /// retries, and `baseUrl` = the stand-in.
    pub fn real_profile(&self, cli: Cli, name: &str) -> Value {
        let mut p = self.default_profile(cli.provider());
        let home = self.dir(&format!("home-{name}"));
        p["name"] = json!(name);
        p["baseUrl"] = json!(match cli {
            Cli::Claude => self.standin.url.clone(),
            Cli::Codex | Cli::Opencode => format!("{}/v1", self.standin.url),
        });
        let mut env = json!({
            "HOME": home,
            cli.key_var(): "sk-standin-good",
        });
        match cli {
            Cli::Claude => {
                p["command"] = json!(clis().claude);
                env["CLAUDE_CODE_MAX_RETRIES"] = json!("0");
            }
            Cli::Codex => {
                p["command"] = json!(clis().codex);
                env["CODEX_HOME"] = json!(self.dir(&format!("codex-home-{name}")));
                for key in ["args", "resumeArgs"] {
                    let mut args: Vec<Value> = p[key].as_array().unwrap().clone();
                    assert_eq!(args[0], "exec", "{p}");
                    for (i, f) in CODEX_FLAGS.iter().enumerate() {
                        args.insert(1 + i, json!(f));
                    }
                    p[key] = json!(args);
                }
            }
            Cli::Opencode => {
                p["command"] = json!(clis()
                    .opencode
                    .as_ref()
                    .expect("opencode is not installed: run tests/agents/install.sh"));
                // Else it fetches https://models.opencode.ai/api.json at start.
                env["OPENCODE_DISABLE_MODELS_FETCH"] = json!("1");
            }
        }
        p["env"] = env;
        p
    }

    pub fn save_profile(&self, p: &Value) -> Value {
        self.h.ok("agents.profiles.save", json!({"profile": p}))
    }

    /// Save a real-CLI profile and make it the default one.
    pub fn real(&self, cli: Cli, name: &str) -> Value {
        let p = self.real_profile(cli, name);
        self.save_profile(&p);
        self.use_profile(name);
        p
    }

    pub fn quality_tests(&self, tests: &[&str]) {
        let cur = self.h.ok("quality.settings.get", json!({}));
        let rev = cur["revision"].as_u64().unwrap_or(0);
        self.h.ok(
            "quality.settings.update",
            json!({"revision": rev, "tests": tests, "instructions": ""}),
        );
    }

    /// Add a governance rule; returns its id.
    pub fn rule(&self, title: &str, body: &str) -> String {
        let cur = self.h.ok("governance.get", json!({}));
        let rev = cur["revision"].as_u64().unwrap_or(0);
        let out = self.h.ok(
            "governance.rules.add",
            json!({"revision": rev, "title": title, "body": body}),
        );
        let rules = out["rules"].as_array().cloned().unwrap_or_default();
        rules
            .iter()
            .find(|r| r["title"] == title)
            .and_then(|r| r["id"].as_str())
            .unwrap_or_else(|| panic!("no rule {title:?} in {out}"))
            .to_string()
    }

    /// Import Markdown and wait for its `n` Goals; returns them by number.
    pub fn import_md(&self, md: &str, n: usize) -> Vec<Value> {
        let r = self.h.call(
            "import.commit",
            json!({"format": "markdown", "content": md}),
        );
        assert!(r.status == 200 || r.status == 202, "import: {}", r.body);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut goals = self.h.ok("goals.list", json!({"sort": "number"}))["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if goals.len() >= n {
                goals.sort_by_key(|g| g["number"].as_u64());
                return goals;
            }
            assert!(Instant::now() < deadline, "the import did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A todo Goal; returns its id.
    pub fn create_goal(&self, title: &str, prompt: &str) -> String {
        let g = self.h.ok(
            "goals.create",
            json!({"title": title, "prompt": prompt, "status": "todo"}),
        );
        g["id"].as_str().unwrap().to_string()
    }

    pub fn goal(&self, id: &str) -> Value {
        self.h.ok("goals.get", json!({"id": id}))
    }

    pub fn rounds(&self, id: &str) -> Value {
        self.h.ok("runner.rounds", json!({"goalId": id}))
    }

    pub fn runs(&self, id: &str) -> Vec<Value> {
        self.h
            .ok("agents.runs.list", json!({"goalId": id}))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn runner_status(&self) -> Value {
        self.h.ok("runner.status", json!({}))
    }

    /// Every entry of a run's transcript (all pages).
    pub fn transcript(&self, run_id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<u64> = None;
        loop {
            let page = self.h.ok(
                "agents.transcript",
                json!({"runId": run_id, "afterSeq": after, "limit": 2000}),
            );
            out.extend(page["entries"].as_array().cloned().unwrap_or_default());
            match page["nextSeq"].as_u64() {
                Some(n) => after = Some(n),
                None => return out,
            }
        }
    }

    /// What went on, for a failure message.
    pub fn story(&self, id: &str) -> String {
        let runs: Vec<String> = self
            .runs(id)
            .iter()
            .map(|r| {
                format!(
                    "  {} {} attempt {} kind {} status {} error {}",
                    r["id"], r["phase"], r["attempt"], r["kind"], r["status"], r["error"]
                )
            })
            .collect();
        let reqs: Vec<String> = self
            .standin
            .requests()
            .iter()
            .map(|r| {
                format!(
                    "  #{} {} phase {} step {} k {} answer {} {}",
                    r["seq"],
                    r["script"],
                    r["phase"],
                    r["step"],
                    r["tool_results"],
                    r["answer"],
                    r["problem"].as_str().unwrap_or("")
                )
            })
            .collect();
        format!(
            "goal: {}\nrounds: {}\nruns:\n{}\nstand-in requests:\n{}\nrunner: {}",
            {
                let g = self.goal(id);
                json!({"number": g["number"], "status": g["status"], "rounds": g["rounds"]})
            },
            self.rounds(id),
            runs.join("\n"),
            reqs.join("\n"),
            self.runner_status()
        )
    }

    /// Wait until `ok(goal)`, or panic after `secs` with the story so far.
    pub fn wait_goal(&self, id: &str, secs: u64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let g = self.goal(id);
            if ok(&g) {
                self.note(&format!("Goal #{} {what}", g["number"]));
                return g;
            }
            if Instant::now() > deadline {
                panic!(
                    "[{}] Goal #{} did not get to “{what}” within {secs} s\n{}",
                    self.name,
                    g["number"],
                    self.story(id)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn wait_status(&self, id: &str, status: &str, secs: u64) -> Value {
        self.wait_goal(id, secs, status, |g| g["status"] == status)
    }

    /// Wait for any condition (panics with `what` and the last value after `secs`).
    pub fn wait_for<T>(
        &self,
        secs: u64,
        what: &str,
        mut f: impl FnMut() -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            match f() {
                Ok(v) => {
                    self.note(what);
                    return v;
                }
                Err(last) if Instant::now() > deadline => {
                    panic!("[{}] {what}: not within {secs} s; last: {last}", self.name)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    pub fn db(&self) -> refine_store::rusqlite::Connection {
        refine_store::rusqlite::Connection::open(self.d.data.join("refine.db")).unwrap()
    }

    /// (goal id, to status) in the order they happened.
    pub fn transitions(&self) -> Vec<(String, String)> {
        let c = self.db();
        let mut st = c
            .prepare("SELECT goal_id, to_status FROM goal_transitions ORDER BY seq")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// `git -C repo ARGS` (must succeed).
    pub fn git(&self, args: &[&str]) -> String {
        refine_e2e::git(&self.repo, args)
    }

    pub fn health(&self) -> Value {
        self.h.get("/api/v1/system/health")
    }
}

/// The kinds of a transcript's items, in order.
pub fn kinds(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["item"]["kind"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The items of one kind.
pub fn items<'a>(entries: &'a [Value], kind: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .map(|e| &e["item"])
        .filter(|i| i["kind"] == kind)
        .collect()
}

/// A run of `phase` and `kind` (the first, or panics).
pub fn run_of<'a>(runs: &'a [Value], phase: &str, kind: &str) -> &'a Value {
    runs.iter()
        .find(|r| r["phase"] == phase && r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {phase} run of kind {kind}: {runs:#?}"))
}

/// What the stand-in logs of an API key (`key_sha`): the first 12 hex digits of its SHA-1.
pub fn key_sha(key: &str) -> String {
    use std::io::Write;
    let mut c = Command::new("sha1sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(key.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..12].to_string()
}

/// A request body as one string (to search it).
pub fn body_text(r: &Value) -> String {
    r["body"].to_string()
}
