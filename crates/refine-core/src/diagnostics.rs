//! diagnostics: the doctor (checks with a verdict and a fix each), the daemon's log file read
//! back with filters, and a redacted support bundle.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use refine_model::agents::DetectionState;
use refine_model::diagnostics::{
    BundleInfo, CheckStatus, DaemonLog, DoctorCheck, DoctorReport, LogLevel, LogRecord,
};
use refine_model::redact::{is_secret_name, redact_json, REDACTED};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use specta::Type;

use crate::{clock, Change, Core, Ctx, Mutated};

/// The daemon's log files live here, in the data dir (`refine.YYYY-MM-DD.log`, one per day).
pub const LOG_DIR: &str = "logs";
/// Log files kept (days).
pub const LOG_FILES_KEPT: usize = 7;
/// At most this much of the newest log is read for a tail.
const TAIL_BYTES: u64 = 16 * 1024 * 1024;

/// Filters of `diagnostics.logs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogsInput {
    /// Only records at least this severe.
    #[serde(default)]
    pub level: Option<LogLevel>,
    /// Only records of modules starting with this (`refine_core::runner`).
    #[serde(default)]
    pub target: Option<String>,
    /// Only records whose message contains this (case-insensitive).
    #[serde(default)]
    pub contains: Option<String>,
    /// How many records (the newest; with `after`, the first after it). Default 200.
    #[serde(default)]
    #[schemars(range(min = 1, max = 5000))]
    pub limit: Option<u32>,
    /// A `cursor` of an earlier answer: only what was logged after it.
    #[serde(default)]
    pub after: Option<String>,
}

/// Where to write a support bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleInput {
    /// An absolute path ending in `.tar.gz` inside the data dir, the home directory or the
    /// temporary directory; it must not exist yet. Default: `bundles/` in the data dir.
    #[serde(default)]
    pub path: Option<String>,
}

fn check(
    id: &str,
    title: &str,
    status: CheckStatus,
    detail: String,
    fix: Option<&str>,
) -> DoctorCheck {
    DoctorCheck {
        id: id.to_string(),
        title: title.to_string(),
        status,
        detail,
        fix: fix.map(str::to_string),
    }
}

/// `git --version` → (major, minor) and the text.
fn git_version(env: &HashMap<String, String>) -> Result<((u32, u32), String), String> {
    let out = std::process::Command::new("git")
        .arg("--version")
        .env_clear()
        .envs(env)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let v = text
        .split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0))
        .collect::<Vec<_>>();
    Ok((
        (
            v.first().copied().unwrap_or(0),
            v.get(1).copied().unwrap_or(0),
        ),
        text,
    ))
}

/// Free bytes for an unprivileged user on the file system holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed out-parameter.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / 1048576.0)
}

/// Whether the WebKitGTK library the desktop window needs is installed.
fn webkit_present() -> bool {
    let name = "libwebkit2gtk-4.1.so.0";
    let dirs = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
    ];
    dirs.iter().any(|d| Path::new(d).join(name).exists())
        || std::process::Command::new("ldconfig")
            .arg("-p")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(name))
}

fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

impl Core {
    /// Every doctor check, in the order a person would look.
    pub async fn doctor_checks(&self) -> Vec<DoctorCheck> {
        let mut checks = Vec::new();
        let env = self.child_env(&HashMap::new());
        checks.push(match git_version(&env) {
            Ok(((major, minor), text)) if (major, minor) >= (2, 30) => {
                check("git", "Git", CheckStatus::Ok, text, None)
            }
            Ok((_, text)) => check(
                "git",
                "Git",
                CheckStatus::Warn,
                format!("{text}: older than 2.30, worktrees may misbehave"),
                Some("install a newer git (apt install git)"),
            ),
            Err(e) => check(
                "git",
                "Git",
                CheckStatus::Fail,
                format!("git cannot be run: {e}"),
                Some("install git (apt install git) and make sure it is on the daemon's PATH"),
            ),
        });
        let default = self
            .effective_settings(None)
            .await
            .map(|s| s.agents.default_profile)
            .unwrap_or_default();
        match self.all_profiles().await {
            Ok(profiles) => {
                for d in self.detect_now(profiles).await {
                    let title = format!("Agent CLI {}", d.profile);
                    let id = format!("agent:{}", d.profile);
                    let is_default = d.profile == default;
                    checks.push(match d.state {
                        DetectionState::Installed => check(
                            &id,
                            &title,
                            CheckStatus::Ok,
                            format!(
                                "{} at {}{}",
                                d.version.as_deref().unwrap_or("installed"),
                                d.path.as_deref().unwrap_or("?"),
                                if d.verified || d.verified_versions.is_empty() {
                                    String::new()
                                } else {
                                    format!(
                                        " (verified with {})",
                                        d.verified_versions.join(", ")
                                    )
                                }
                            ),
                            None,
                        ),
                        _ => DoctorCheck {
                            id,
                            title,
                            // Only the default profile's agent is needed for automation.
                            status: if is_default {
                                CheckStatus::Warn
                            } else {
                                CheckStatus::Skip
                            },
                            detail: format!(
                                "{}{}",
                                d.diagnosis,
                                if is_default { " (the default profile)" } else { "" }
                            ),
                            fix: Some(format!(
                                "install it, or point the profile at it: refine agent set {} --command PATH",
                                d.profile
                            )),
                        },
                    });
                }
            }
            Err(e) => checks.push(check(
                "agents",
                "Agent CLIs",
                CheckStatus::Fail,
                e.message,
                Some("see the daemon's log: refine logs --level warn"),
            )),
        }
        // The forges' CLIs, used only by goals.publish to open pull/merge requests.
        let forges = tokio::task::spawn_blocking(|| {
            ["gh", "glab"].map(|t| (t, crate::publish::forge_status(t)))
        })
        .await
        .unwrap_or([("gh", (None, false)), ("glab", (None, false))]);
        for (tool, (version, signed_in)) in forges {
            let (id, title) = (
                format!("forge:{tool}"),
                format!("{tool} (pull/merge requests)"),
            );
            checks.push(match (version, signed_in) {
                (None, _) => DoctorCheck {
                    id,
                    title,
                    status: CheckStatus::Skip,
                    detail: format!("{tool} is not installed: publishing pushes the branch only"),
                    fix: Some(format!(
                        "install {tool} and run `{tool} auth login` to open requests from Refine"
                    )),
                },
                (Some(v), true) => check(
                    &id,
                    &title,
                    CheckStatus::Ok,
                    format!("{v}, signed in"),
                    None,
                ),
                (Some(v), false) => DoctorCheck {
                    id,
                    title,
                    status: CheckStatus::Skip,
                    detail: format!("{v}, not signed in: publishing pushes the branch only"),
                    fix: Some(format!("{tool} auth login")),
                },
            });
        }
        let core = self.clone();
        let local = tokio::task::spawn_blocking(move || core.local_checks())
            .await
            .unwrap_or_default();
        checks.extend(local);
        checks.push(check(
            "cluster",
            "NATS",
            CheckStatus::Skip,
            "not clustered: this daemon works alone".into(),
            None,
        ));
        checks
    }

    /// The checks of this machine and data dir (blocking: file system and database).
    fn local_checks(&self) -> Vec<DoctorCheck> {
        let mut checks = Vec::new();
        let dir = self.0.data_dir.clone();
        checks.push(match free_bytes(&dir) {
            Some(free) if free < 100 * 1048576 => check(
                "disk",
                "Free disk space",
                CheckStatus::Fail,
                format!("{} free on the data dir's disk", mib(free)),
                Some("free space on that disk; writes are refused when it is full"),
            ),
            Some(free) if free < 1024 * 1048576 => check(
                "disk",
                "Free disk space",
                CheckStatus::Warn,
                format!("{} free on the data dir's disk", mib(free)),
                Some("free space on that disk soon (worktrees and logs grow)"),
            ),
            Some(free) => check(
                "disk",
                "Free disk space",
                CheckStatus::Ok,
                format!("{} free on the data dir's disk", mib(free)),
                None,
            ),
            None => check(
                "disk",
                "Free disk space",
                CheckStatus::Warn,
                "cannot read the file system's free space".into(),
                Some("check the data dir exists and is readable"),
            ),
        });
        checks.push(match self.0.store.quick_check() {
            Ok(Ok(())) => check(
                "database",
                "Database integrity",
                CheckStatus::Ok,
                "PRAGMA quick_check: ok".into(),
                None,
            ),
            Ok(Err(problems)) => check(
                "database",
                "Database integrity",
                CheckStatus::Fail,
                format!("PRAGMA quick_check: {problems}"),
                Some("stop Refine and restore the newest backup: refine restore FILE (refine backup lists them)"),
            ),
            Err(e) => check(
                "database",
                "Database integrity",
                CheckStatus::Fail,
                format!("cannot check: {e}"),
                Some("stop Refine and restore the newest backup: refine restore FILE"),
            ),
        });
        let wal = self.0.store.wal_size();
        checks.push(if wal > 64 * 1048576 {
            check(
                "wal",
                "Write-ahead log",
                CheckStatus::Warn,
                format!(
                    "{}: a long read is keeping it from being checkpointed",
                    mib(wal)
                ),
                Some("close long-running clients (event streams are fine) or restart the daemon"),
            )
        } else {
            check("wal", "Write-ahead log", CheckStatus::Ok, mib(wal), None)
        });
        let token = dir.join("token");
        let (dm, tm) = (mode(&dir), mode(&token));
        let loose = |m: Option<u32>| m.is_some_and(|m| m & 0o077 != 0);
        checks.push(if loose(dm) || loose(tm) {
            check(
                "permissions",
                "Data dir and token permissions",
                CheckStatus::Fail,
                format!(
                    "data dir {:o}, token {}: other users can read them",
                    dm.unwrap_or(0),
                    tm.map(|m| format!("{m:o}"))
                        .unwrap_or_else(|| "not created".into())
                ),
                Some("chmod 700 the data dir and chmod 600 its token file"),
            )
        } else {
            check(
                "permissions",
                "Data dir and token permissions",
                CheckStatus::Ok,
                format!(
                    "data dir {:o}, token {}",
                    dm.unwrap_or(0),
                    tm.map(|m| format!("{m:o}"))
                        .unwrap_or_else(|| "not created".into())
                ),
                None,
            )
        });
        checks.push(match self.url() {
            Some(url) => match crate::daemon::read_daemon_info(&dir) {
                Some(info) if info.pid == std::process::id() => check(
                    "port",
                    "Listening",
                    CheckStatus::Ok,
                    format!("{url} (pid {})", info.pid),
                    None,
                ),
                _ => check(
                    "port",
                    "Listening",
                    CheckStatus::Warn,
                    format!("{url}, but the data dir's daemon.json names another daemon"),
                    Some("restart Refine so clients find this daemon"),
                ),
            },
            None => check(
                "port",
                "Listening",
                CheckStatus::Skip,
                "this daemon serves no port (embedded)".into(),
                None,
            ),
        });
        let newest: Option<String> = self
            .0
            .store
            .read(|c| {
                Ok::<_, refine_store::StoreError>(c.query_row(
                    "SELECT max(at) FROM activity",
                    [],
                    |r| r.get::<_, Option<String>>(0),
                )?)
            })
            .unwrap_or(None);
        let now = clock::now();
        checks.push(match newest {
            Some(last) if last > clock::minutes_from_now(5) => check(
                "clock",
                "Clock",
                CheckStatus::Fail,
                format!("now is {now}, yet something was recorded at {last}"),
                Some("set the system clock right (timedatectl set-ntp true)"),
            ),
            _ if now.as_str() < "2025" => check(
                "clock",
                "Clock",
                CheckStatus::Fail,
                format!("now is {now}"),
                Some("set the system clock right (timedatectl set-ntp true)"),
            ),
            _ => check("clock", "Clock", CheckStatus::Ok, now, None),
        });
        checks.push(if webkit_present() {
            check(
                "webkit",
                "WebKitGTK (desktop window)",
                CheckStatus::Ok,
                "libwebkit2gtk-4.1 is installed".into(),
                None,
            )
        } else {
            check(
                "webkit",
                "WebKitGTK (desktop window)",
                CheckStatus::Warn,
                "libwebkit2gtk-4.1 is missing: only the browser and the CLI work".into(),
                Some("apt install libwebkit2gtk-4.1-0 for the desktop window"),
            )
        });
        checks
    }

    /// `diagnostics.doctor`
    pub async fn diagnostics_doctor(&self, ctx: &Ctx) -> Result<Mutated<DoctorReport>, ApiError> {
        let checks = self.doctor_checks().await;
        let status = checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(CheckStatus::Ok)
            .max(CheckStatus::Ok);
        let report = DoctorReport {
            at: clock::now(),
            status,
            checks,
        };
        let (warn, fail) = (
            report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Warn)
                .count(),
            report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .count(),
        );
        self.mutate(
            ctx,
            &crate::system::Empty {},
            async { Ok(()) },
            move |_, ()| {
                Ok((
                    report,
                    Change::new(format!("Ran the doctor: {fail} failed, {warn} warnings")),
                ))
            },
        )
        .await
    }

    /// The log files, oldest first.
    pub fn log_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.0.data_dir.join(LOG_DIR))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("refine.") && n.ends_with(".log"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// `diagnostics.logs`
    pub async fn diagnostics_logs(&self, input: LogsInput) -> Result<DaemonLog, ApiError> {
        let limit = input.limit.unwrap_or(200);
        if !(1..=5000).contains(&limit) {
            return Err(ApiError::invalid("limit must be between 1 and 5000"));
        }
        let after = match &input.after {
            None => None,
            Some(c) if c.is_empty() => Some((String::new(), 0)),
            Some(c) => {
                let (file, offset) = c
                    .rsplit_once(':')
                    .and_then(|(f, o)| Some((f.to_string(), o.parse::<u64>().ok()?)))
                    .filter(|(f, _)| f.starts_with("refine.") && !f.contains('/'))
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "after {c:?} is not a log cursor (use the `cursor` of an earlier answer)"
                        ))
                    })?;
                Some((file, offset))
            }
        };
        let core = self.clone();
        self.blocking(move |_| Ok(core.read_logs(&input, limit as usize, after)))
            .await
    }

    fn read_logs(
        &self,
        input: &LogsInput,
        limit: usize,
        after: Option<(String, u64)>,
    ) -> DaemonLog {
        let files = self.log_files();
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect();
        let keep = |r: &LogRecord| {
            input.level.is_none_or(|l| r.level >= l)
                && input
                    .target
                    .as_ref()
                    .is_none_or(|t| r.target.starts_with(t.as_str()))
                && input
                    .contains
                    .as_ref()
                    .is_none_or(|c| r.message.to_lowercase().contains(&c.to_lowercase()))
        };
        let mut records: Vec<LogRecord> = Vec::new();
        let mut cursor = String::new();
        // (file, where to start in it)
        let plan: Vec<(usize, u64)> = match &after {
            Some((file, offset)) => names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_str() >= file.as_str())
                .map(|(i, n)| (i, if n == file { *offset } else { 0 }))
                .collect(),
            None => {
                // The newest files, back to TAIL_BYTES.
                let mut budget = TAIL_BYTES;
                let mut v = Vec::new();
                for (i, p) in files.iter().enumerate().rev() {
                    let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                    let start = len.saturating_sub(budget);
                    v.push((i, start));
                    budget = budget.saturating_sub(len);
                    if budget == 0 {
                        break;
                    }
                }
                v.reverse();
                v
            }
        };
        for (i, start) in plan {
            let (lines, end) = read_complete_lines(&files[i], start);
            cursor = format!("{}:{end}", names[i]);
            for (n, line) in lines.iter().enumerate() {
                // A tail that starts mid-file skips the (likely cut) first line.
                if n == 0 && start > 0 && after.is_none() {
                    continue;
                }
                if let Some(r) = parse_record(line).filter(|r| keep(r)) {
                    records.push(r);
                    if after.is_some() && records.len() >= limit {
                        break;
                    }
                }
            }
            if after.is_some() && records.len() >= limit {
                break;
            }
        }
        if after.is_none() && records.len() > limit {
            records.drain(..records.len() - limit);
        }
        if cursor.is_empty() {
            cursor = after
                .map(|(f, o)| {
                    if f.is_empty() {
                        String::new()
                    } else {
                        format!("{f}:{o}")
                    }
                })
                .unwrap_or_default();
        }
        DaemonLog {
            records,
            cursor,
            files: names,
        }
    }

    /// `diagnostics.bundle`
    pub async fn diagnostics_bundle(
        &self,
        ctx: &Ctx,
        input: BundleInput,
    ) -> Result<Mutated<BundleInfo>, ApiError> {
        let target = self.bundle_path(input.path.as_deref())?;
        let doctor = self.doctor_checks().await;
        let settings = self.effective_settings(None).await?;
        let profiles = self.all_profiles().await.unwrap_or_default();
        let perf = self.performance_summary().await?;
        let core = self.clone();
        let t = target.clone();
        let info = self
            .blocking(move |_| {
                let (files, redacted) = core.write_bundle(&t, doctor, settings, profiles, perf)?;
                let bytes = std::fs::metadata(&t).map(|m| m.len()).unwrap_or(0);
                Ok(BundleInfo {
                    path: t.to_string_lossy().to_string(),
                    bytes: bytes as f64,
                    files,
                    redacted,
                })
            })
            .await?;
        let summary = format!("Wrote a support bundle to {}", info.path);
        self.mutate(
            ctx,
            &json!({"path": input.path}),
            async { Ok(()) },
            move |_, ()| Ok((info, Change::new(summary))),
        )
        .await
    }

    /// Where a bundle may go (see [`crate::upgrade::writable_path`]); default: `bundles/`.
    fn bundle_path(&self, given: Option<&str>) -> Result<PathBuf, ApiError> {
        let Some(given) = given else {
            let dir = self.0.data_dir.join("bundles");
            crate::daemon::ensure_private_dir(&dir)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let stamp = clock::now().replace([':', '.'], "-");
            return Ok(dir.join(format!("refine-support-{stamp}.tar.gz")));
        };
        crate::upgrade::writable_path(&self.0.data_dir, given, ".tar.gz", "bundle")
    }

    /// Every secret value the daemon knows of: the token, session secrets kept in memory, env
    /// values under secret-looking names of agent profiles and settings.
    fn known_secrets(&self, profiles: &[refine_model::agents::AgentProfile]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        // The token file as it is (even malformed, it may be in use somewhere).
        if let Ok(t) = std::fs::read_to_string(self.0.data_dir.join("token")) {
            let t = t.trim();
            if t.len() >= 16 {
                out.insert(t.to_string());
            }
        }
        for p in profiles {
            for (k, v) in &p.env {
                if is_secret_name(k) && v.len() >= 4 {
                    out.insert(v.clone());
                }
            }
        }
        for (k, v) in std::env::vars() {
            if is_secret_name(&k) && v.len() >= 8 {
                out.insert(v);
            }
        }
        out
    }

    fn write_bundle(
        &self,
        target: &Path,
        doctor: Vec<DoctorCheck>,
        settings: refine_model::Settings,
        profiles: Vec<refine_model::agents::AgentProfile>,
        perf: refine_model::performance::PerformanceSummary,
    ) -> Result<(Vec<String>, u32), ApiError> {
        let secrets = self.known_secrets(&profiles);
        let mut redacted = 0u32;
        let mut scrub = |text: String| -> String {
            let mut t = text;
            for s in &secrets {
                let n = t.matches(s.as_str()).count();
                if n > 0 {
                    redacted += n as u32;
                    t = t.replace(s.as_str(), REDACTED);
                }
            }
            match refine_model::redact::redact_text(&t) {
                Some(clean) => {
                    redacted += 1;
                    clean
                }
                None => t,
            }
        };
        let store = &self.0.store;
        let (schema, counts, ops, failed, activity, layers) = store.read(|c| {
            let schema: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let mut counts = serde_json::Map::new();
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for t in tables {
                let n: i64 = c.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))?;
                counts.insert(t, json!(n));
            }
            let rows = |sql: &str| -> refine_store::Result<Vec<Value>> {
                let mut st = c.prepare(sql)?;
                let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
                let v = st
                    .query_map([], |r| {
                        let mut m = serde_json::Map::new();
                        for (i, n) in names.iter().enumerate() {
                            let v: rusqlite_value::Value = r.get(i)?;
                            m.insert(n.clone(), rusqlite_value::json(v));
                        }
                        Ok(Value::Object(m))
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(v)
            };
            let ops = rows("SELECT id, kind, status, progress, message, error, actor, surface, created_at, finished_at FROM operations ORDER BY rowid DESC LIMIT 200")?;
            let failed = rows("SELECT id, kind, status, message, input, error, actor, surface, created_at FROM operations WHERE status IN ('failed', 'interrupted') ORDER BY rowid DESC LIMIT 100")?;
            let activity = rows("SELECT at, actor, surface, operation, target, summary FROM activity ORDER BY seq DESC LIMIT 200")?;
            let layers = rows("SELECT scope, doc, revision FROM settings_layers ORDER BY scope")?;
            Ok::<_, refine_store::StoreError>((schema, counts, ops, failed, activity, layers))
        })?;
        let info = self.info();
        let mut docs: Vec<(String, Value)> = vec![
            (
                "system.json".into(),
                json!({
                    "refine": info,
                    "os": std::fs::read_to_string("/etc/os-release").unwrap_or_default(),
                    "kernel": std::fs::read_to_string("/proc/version").unwrap_or_default().trim(),
                }),
            ),
            ("doctor.json".into(), json!(doctor)),
            (
                "database.json".into(),
                json!({
                    "schemaVersion": schema,
                    "latestKnown": refine_store::migrations::LATEST,
                    "rows": counts,
                    "bytes": std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0),
                    "walBytes": store.wal_size(),
                }),
            ),
            (
                "settings.json".into(),
                json!({"effective": settings, "layers": layers, "agentProfiles": profiles}),
            ),
            ("operations.json".into(), json!(ops)),
            ("errors.json".into(), json!(failed)),
            ("activity.json".into(), json!(activity)),
            ("performance.json".into(), json!(perf)),
        ];
        let file = std::os::unix::fs::OpenOptionsExt::mode(
            std::fs::OpenOptions::new().write(true).create_new(true),
            0o600,
        )
        .open(target)
        .map_err(|e| ApiError::invalid(format!("cannot create {}: {e}", target.display())))?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mut names = Vec::new();
        let mut add =
            |tar: &mut tar::Builder<_>, name: &str, body: String| -> Result<(), ApiError> {
                let mut h = tar::Header::new_gnu();
                h.set_size(body.len() as u64);
                h.set_mode(0o600);
                h.set_mtime(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0),
                );
                h.set_cksum();
                tar.append_data(&mut h, name, body.as_bytes())
                    .map_err(|e| ApiError::internal(format!("cannot write the bundle: {e}")))?;
                names.push(name.to_string());
                Ok(())
            };
        for (name, mut v) in docs.drain(..) {
            redact_json(&mut v);
            let text = scrub(serde_json::to_string_pretty(&v).unwrap_or_default());
            add(&mut tar, &name, text)?;
        }
        for f in self.log_files() {
            let mut text = String::new();
            let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            if let Ok(mut h) = std::fs::File::open(&f) {
                let _ = h.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)));
                let mut raw = Vec::new();
                let _ = h.read_to_end(&mut raw);
                text = String::from_utf8_lossy(&raw).to_string();
            }
            let name = format!(
                "logs/{}",
                f.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("refine.log")
            );
            add(&mut tar, &name, scrub(text))?;
        }
        let gz = tar
            .into_inner()
            .map_err(|e| ApiError::internal(format!("cannot write the bundle: {e}")))?;
        gz.finish()
            .map_err(|e| ApiError::internal(format!("cannot write the bundle: {e}")))?;
        Ok((names, redacted))
    }
}

/// The complete lines of `path` from byte `start`, and the offset after the last of them.
fn read_complete_lines(path: &Path, start: u64) -> (Vec<String>, u64) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return (Vec::new(), start);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    // A file shorter than the cursor was replaced: read it from the start.
    let start = if start > len { 0 } else { start };
    if f.seek(SeekFrom::Start(start)).is_err() {
        return (Vec::new(), start);
    }
    let mut raw = Vec::new();
    let _ = f.read_to_end(&mut raw);
    let complete = raw.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&raw[..complete]);
    (
        text.lines().map(str::to_string).collect(),
        start + complete as u64,
    )
}

/// One JSON line of tracing-subscriber's JSON format as a record.
fn parse_record(line: &str) -> Option<LogRecord> {
    let v: Value = serde_json::from_str(line).ok()?;
    let level = match v["level"].as_str()?.to_ascii_lowercase().as_str() {
        "trace" => LogLevel::Trace,
        "debug" => LogLevel::Debug,
        "info" => LogLevel::Info,
        "warn" => LogLevel::Warn,
        "error" => LogLevel::Error,
        _ => return None,
    };
    let mut fields = v.get("fields").cloned().unwrap_or_else(|| json!({}));
    let message = fields
        .as_object_mut()
        .and_then(|m| m.remove("message"))
        .and_then(|m| m.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut message = message;
    if let Some(clean) = refine_model::redact::redact_text(&message) {
        message = clean;
    }
    redact_json(&mut fields);
    Some(LogRecord {
        at: v["timestamp"].as_str().unwrap_or_default().to_string(),
        level,
        target: v["target"].as_str().unwrap_or_default().to_string(),
        message,
        fields,
    })
}

/// SQLite values as JSON, for the bundle's tables.
mod rusqlite_value {
    pub use refine_store::rusqlite::types::Value;

    pub fn json(v: Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => i.into(),
            Value::Real(f) => f.into(),
            Value::Text(t) => serde_json::from_str::<serde_json::Value>(&t)
                .ok()
                .filter(|j| j.is_object() || j.is_array())
                .unwrap_or(serde_json::Value::String(t)),
            Value::Blob(b) => format!("<{} bytes>", b.len()).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_and_redact() {
        let r = parse_record(r#"{"timestamp":"2026-12-02T10:00:00.000001Z","level":"WARN","fields":{"message":"login=abc123 failed","goal":"12"},"target":"refine_core::runner"}"#).unwrap();
        assert_eq!(r.level, LogLevel::Warn);
        assert_eq!(r.target, "refine_core::runner");
        assert!(!r.message.contains("abc123"), "{}", r.message);
        assert_eq!(r.fields, json!({"goal": "12"}));
        assert!(parse_record("not json").is_none());
        assert!(LogLevel::Error > LogLevel::Warn && LogLevel::Warn > LogLevel::Info);
        assert!(CheckStatus::Fail > CheckStatus::Warn && CheckStatus::Ok > CheckStatus::Skip);
    }

    #[test]
    fn only_complete_lines_are_read_and_the_cursor_follows_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("refine.2026-12-02.log");
        std::fs::write(&p, "one\ntwo\nthr").unwrap();
        let (lines, end) = read_complete_lines(&p, 0);
        assert_eq!(lines, vec!["one", "two"]);
        assert_eq!(end, 8);
        let (lines, end) = read_complete_lines(&p, end);
        assert!(lines.is_empty());
        assert_eq!(end, 8);
    }
}
