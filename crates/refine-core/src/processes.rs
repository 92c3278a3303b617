//! processes: supervised processes of an app. Started from argv arrays in the app root, own
//! process group, clean environment; output to a log file, an in-memory ring and live events;
//! stop = SIGTERM to the group, SIGKILL after the grace period; start-up repair settles records
//! of a dead daemon and kills its leftover groups.

use crate::events::kind;
use refine_model::event::ProcessOutput;
use std::collections::{HashMap, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use refine_host::process as host;
use refine_model::process::{LogLine, ProcessInfo, ProcessOwner, ProcessStatus};
use refine_model::{Activity, ApiError, ErrorCode, Surface};
use refine_store::processes as table;
use refine_store::StoreError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;
use tokio::io::{AsyncWriteExt, BufReader};

use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// How much of a log's end the automation reads for an agent's answer (its result block ends it).
const STDOUT_TAIL: u64 = 4 * 1024 * 1024;

/// Whole-tail reads (up to `STDOUT_TAIL` each) at once: runs that end together take turns, so
/// their buffers do not add up.
static TAIL_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The last `max` bytes of a file, starting at a line boundary (a cut first line is dropped).
async fn read_tail_bytes(path: &Path, max: u64) -> Vec<u8> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let Ok(mut f) = std::fs::File::open(&path) else {
            return Vec::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(max);
        if f.seek(std::io::SeekFrom::Start(from)).is_err() {
            return Vec::new();
        }
        let mut buf = Vec::with_capacity((len - from) as usize);
        let _ = f.take(max).read_to_end(&mut buf);
        if from > 0 {
            let start = buf
                .iter()
                .position(|b| *b == b'\n')
                .map_or(buf.len(), |i| i + 1);
            buf.drain(..start);
        }
        buf
    })
    .await
    .unwrap_or_default()
}

/// Bytes as text, without a copy when they are UTF-8.
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The last `max` bytes of a file as text, starting at a line boundary.
async fn read_tail(path: &Path, max: u64) -> String {
    into_text(read_tail_bytes(path, max).await)
}

/// A log's stdout lines without their `O ` tags, in place (stderr lines dropped).
fn stdout_of_log(mut log: Vec<u8>) -> Vec<u8> {
    let (mut r, mut w) = (0, 0);
    while r < log.len() {
        let end = log[r..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(log.len(), |i| r + i);
        if log[r..end].starts_with(b"O ") || &log[r..end] == b"O" {
            let from = (r + 2).min(end);
            log.copy_within(from..end, w);
            w += end - from;
            log[w] = b'\n';
            w += 1;
        }
        r = end + 1;
    }
    log.truncate(w);
    log
}

/// The last `max` bytes of `text` (from a character boundary); a short text as it is.
pub(crate) fn end_of(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut from = text.len() - max;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..]
}

/// The last `max` bytes of `text` from the start of a line, or from a character when the end is
/// one long line.
pub(crate) fn end_lines(text: &str, max: usize) -> &str {
    let end = end_of(text, max);
    if end.len() == text.len() || text[..text.len() - end.len()].ends_with('\n') {
        return end;
    }
    match end.find('\n') {
        Some(at) if at + 1 < end.len() => &end[at + 1..],
        _ => end,
    }
}

/// Lines of output kept in memory per process, and the most text they may hold (the log file
/// keeps everything; a CLI printing long lines must not hold megabytes here).
const RING: usize = 2000;
const RING_BYTES: usize = 256 * 1024;
/// Longest line kept (longer lines are cut).
const MAX_LINE: usize = 16 * 1024;
/// Output goes to the log file and out as `processes.output` events at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Bytes of log waiting before they are written sooner.
const LOG_BUFFER: usize = 64 * 1024;
/// An event goes out sooner once its lines cost this much memory (text plus `LINE_COST` each,
/// about what a line adds as JSON in memory): the event bus keeps its last events whole, so
/// small events keep it small however fast a program prints.
const EVENT_BYTES: usize = 4 * 1024;
const LINE_COST: usize = 256;
/// Lines read at once are handed on together, up to this much text.
const READ_BATCH: usize = 64 * 1024;
/// Longest stdout line handed whole to an agent's transcript parser (the rest of a longer line
/// is skipped, so a CLI printing megabytes without a newline cannot exhaust memory).
const TAP_LINE: usize = 4 * 1024 * 1024;

/// Read one line into `buf`, keeping at most `cap` bytes of it (the rest up to the newline is
/// read and dropped); returns the bytes consumed (0 at the end).
async fn read_line_capped<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize> {
    use tokio::io::AsyncBufReadExt;
    let mut consumed = 0;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(consumed);
        }
        let (line_end, n) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (true, i + 1),
            None => (false, chunk.len()),
        };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..n.min(room)]);
        r.consume(n);
        consumed += n;
        if line_end {
            return Ok(consumed);
        }
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The last lines of a live process's output (stderr or not, text), bounded in count and bytes.
#[derive(Default)]
struct Ring {
    lines: VecDeque<(bool, Box<str>)>,
    bytes: usize,
    /// Older lines were let go (they are in the log file).
    dropped: bool,
}

impl Ring {
    fn push(&mut self, stderr: bool, text: &str) {
        self.lines.push_back((stderr, text.into()));
        self.bytes += text.len();
        while self.lines.len() > RING || (self.bytes > RING_BYTES && self.lines.len() > 1) {
            if let Some((_, t)) = self.lines.pop_front() {
                self.bytes -= t.len();
                self.dropped = true;
            }
        }
    }

    /// The last `n` lines, and whether older ones exist.
    fn tail(&self, n: usize) -> (Vec<LogLine>, bool) {
        let skip = self.lines.len().saturating_sub(n);
        let lines = self
            .lines
            .iter()
            .skip(skip)
            .map(|(err, t)| LogLine {
                stream: stream_name(*err).into(),
                text: t.to_string(),
            })
            .collect();
        (lines, skip > 0 || self.dropped)
    }
}

fn stream_name(stderr: bool) -> &'static str {
    if stderr {
        "stderr"
    } else {
        "stdout"
    }
}

/// A process this daemon runs right now.
pub(crate) struct Live {
    pgid: i32,
    stop_requested: AtomicBool,
    ring: Mutex<Ring>,
    done: tokio::sync::watch::Sender<bool>,
}

/// Start a process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartProcessInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// The program and its arguments; never a shell string (use `["bash", "-lc", "…"]` to choose a shell).
    pub argv: Vec<String>,
    /// Working directory relative to the app root (default: the root).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Extra environment variables on top of a clean base.
    #[serde(default)]
    pub env: Option<HashMap<String, String>>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub owner: Option<ProcessOwner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessIdInput {
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListProcessesInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Only starting or running ones.
    #[serde(default)]
    pub live: Option<bool>,
    /// 1..=500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProcessLogsInput {
    pub id: String,
    /// Last lines to return (default 200, at most 2,000).
    #[serde(default)]
    pub tail: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessLogs {
    pub id: String,
    pub lines: Vec<LogLine>,
    /// Older lines exist in the log file.
    pub truncated: bool,
}

fn log_path(data: &Path, id: &str) -> PathBuf {
    data.join("logs")
        .join("processes")
        .join(format!("{id}.log"))
}

fn validate(input: &StartProcessInput) -> Result<(), ApiError> {
    if input.argv.is_empty() || input.argv[0].is_empty() {
        return Err(ApiError::invalid("argv needs at least the program to run"));
    }
    if input.argv.len() > 512 {
        return Err(ApiError::invalid("argv has more than 512 entries"));
    }
    for a in &input.argv {
        if a.contains('\0') || a.len() > 64 * 1024 {
            return Err(ApiError::invalid(
                "argv entries must be text without NUL, at most 64 KiB",
            ));
        }
    }
    for (k, v) in input.env.iter().flatten() {
        let ok = !k.is_empty()
            && k.len() <= 200
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !k.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !ok || v.contains('\0') || v.len() > 64 * 1024 {
            return Err(ApiError::invalid(format!(
                "environment variable {k:?} is not a valid NAME=value"
            )));
        }
    }
    if let Some(l) = &input.label {
        crate::wire::text("label", l, 100, false)?;
    }
    Ok(())
}

/// Stop = SIGTERM to the group, SIGKILL after `grace` seconds; returns once it ended (or 5 s
/// after the SIGKILL).
async fn terminate(live: &Live, grace: u32) {
    if !terminate_within(live, Duration::from_secs(grace as u64)).await {
        let mut done = live.done.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d)).await;
    }
}

/// SIGTERM to the group, SIGKILL to it after `grace`; true when its end was recorded by then.
async fn terminate_within(live: &Live, grace: Duration) -> bool {
    live.stop_requested.store(true, Ordering::SeqCst);
    let mut done = live.done.subscribe();
    host::signal_group(live.pgid, libc::SIGTERM);
    if tokio::time::timeout(grace, done.wait_for(|d| *d))
        .await
        .is_ok()
    {
        return true;
    }
    host::signal_group(live.pgid, libc::SIGKILL);
    false
}

/// Resolve `cwd` inside the app root: relative, no `..`, existing directory, no symlink escape.
pub(crate) fn resolve_cwd(root: &Path, cwd: Option<&str>) -> Result<(PathBuf, String), ApiError> {
    let rel = cwd.unwrap_or("").trim_matches('/');
    let p = Path::new(rel);
    if rel.contains('\0') || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(ApiError::invalid(format!(
            "cwd {rel:?} must be a path inside the app (no `..`, not absolute)"
        )));
    }
    let full = root
        .join(p)
        .canonicalize()
        .map_err(|_| ApiError::invalid(format!("cwd {rel:?} does not exist in the app")))?;
    let root = root
        .canonicalize()
        .map_err(|_| ApiError::precondition("the app's folder is gone"))?;
    if !full.starts_with(&root) || !full.is_dir() {
        return Err(ApiError::invalid(format!(
            "cwd {rel:?} is not a directory inside the app"
        )));
    }
    Ok((full, rel.to_string()))
}

impl Core {
    /// Running supervised processes: record id and process group.
    pub(crate) fn live_processes(&self) -> Vec<(String, u32)> {
        self.0
            .procs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, l)| (id.clone(), l.pgid.max(0) as u32))
            .collect()
    }

    fn live(&self, id: &str) -> Option<Arc<Live>> {
        self.0
            .procs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Start-up repair of processes of a dead daemon: kill leftover groups, settle the records.
    pub(crate) fn repair_processes(&self, at: &str) -> Result<Vec<String>, ApiError> {
        let instance = self.0.instance.clone();
        let stale = self.0.store.read(|c| table::stale(c, &instance))?;
        let mut settled = Vec::new();
        for refine_store::processes::StaleProcess {
            id,
            pid,
            pgid,
            start_ticks: ticks,
        } in stale
        {
            let leader_same =
                matches!((pid, ticks), (Some(p), Some(t)) if host::start_time(p) == Some(t));
            let leader_gone = pid.is_none_or(|p| host::start_time(p).is_none());
            let mut killed = false;
            if let Some(g) = pgid {
                // Kill only our own group: its leader is the same process, or gone with members
                // left (Linux never reuses a pid that still names a live group).
                if (leader_same || leader_gone) && host::group_alive(g) {
                    killed = host::signal_group(g, libc::SIGKILL);
                }
            }
            let msg = if killed {
                "the daemon stopped while it ran; its leftover processes were killed at start-up"
            } else {
                "the daemon stopped while it ran"
            };
            self.0.store.write(|tx| {
                table::finish(tx, &id, ProcessStatus::Lost, None, None, Some(msg), at)
            })?;
            settled.push(id);
        }
        Ok(settled)
    }

    /// `processes.start`
    pub async fn processes_start(
        &self,
        ctx: &Ctx,
        input: StartProcessInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        validate(&input)?;
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let running = self.0.procs.lock().unwrap_or_else(|p| p.into_inner()).len() as u32;
        if running >= settings.processes.max_concurrent {
            return Err(ApiError::new(
                ErrorCode::TooManyRequests,
                format!("{running} processes are running (the limit is processes.maxConcurrent = {}); stop one first", settings.processes.max_concurrent),
            )
            .with_details(json!({ "retryAfter": 5 })));
        }
        let (cwd_abs, cwd_rel) = resolve_cwd(Path::new(&app.path), input.cwd.as_deref())?;
        let core = self.clone();
        let i = input.clone();
        let app_id = app.id.clone();
        let prepare = async move { core.spawn(app_id, i, cwd_abs, cwd_rel, None, None).await };
        self.mutate(ctx, &input, prepare, |_, info: ProcessInfo| {
            let change = Change::new(format!(
                "Started {} (pid {})",
                info.argv.join(" "),
                info.pid.unwrap_or(0)
            ))
            .app(Some(info.app_id.clone()))
            .target(info.id.clone())
            .event(kind::PROCESSES_STARTED, &info);
            Ok((info, change))
        })
        .await
    }

    /// Journal, spawn, record the pid, and hand the output and exit to daemon-owned tasks.
    /// Must run on a runtime worker thread: PR_SET_PDEATHSIG is tied to the spawning thread.
    async fn spawn(
        &self,
        app_id: String,
        input: StartProcessInput,
        cwd: PathBuf,
        cwd_rel: String,
        stdin: Option<Vec<u8>>,
        tap: Option<tokio::sync::mpsc::Sender<Arc<Vec<String>>>>,
    ) -> Result<ProcessInfo, ApiError> {
        let env = input.env.clone().unwrap_or_default();
        let mut env_keys: Vec<String> = env.keys().cloned().collect();
        env_keys.sort();
        let mut info = ProcessInfo {
            id: new_id(),
            app_id,
            argv: input.argv.clone(),
            cwd: cwd_rel,
            env_keys,
            label: input.label.clone(),
            owner: input.owner.clone().unwrap_or_default(),
            status: ProcessStatus::Starting,
            pid: None,
            started_at: clock::now(),
            ended_at: None,
            exit_code: None,
            signal: None,
            error: None,
        };
        let instance = self.0.instance.clone();
        let i2 = info.clone();
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| table::insert(tx, &i2, &instance))
                .map_err(ApiError::from)
        })
        .await?;
        let log = log_path(&self.0.data_dir, &info.id);
        let _ = tokio::fs::create_dir_all(log.parent().expect("has a parent")).await;
        let mut cmd = host::command(&input.argv, &cwd, &self.child_env(&env));
        if stdin.is_some() {
            cmd.stdin(std::process::Stdio::piped());
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let msg = if e.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "{} was not found (is it installed and on PATH?)",
                        input.argv[0]
                    )
                } else {
                    format!("could not start {}: {e}", input.argv[0])
                };
                let id = info.id.clone();
                let m2 = msg.clone();
                let _ = self
                    .blocking(move |core| {
                        core.0
                            .store
                            .write(|tx| {
                                table::finish(
                                    tx,
                                    &id,
                                    ProcessStatus::Failed,
                                    None,
                                    None,
                                    Some(&m2),
                                    &clock::now(),
                                )
                            })
                            .map_err(ApiError::from)
                    })
                    .await;
                return Err(ApiError::invalid(msg));
            }
        };
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // Written off the caller's path; a program that never reads its input ends the
            // write with a broken pipe, which is fine.
            tokio::spawn(async move {
                let _ = pipe.write_all(&data).await;
                let _ = pipe.shutdown().await;
            });
        }
        let pid = child.id().unwrap_or(0);
        let pgid = pid as i32;
        let ticks = host::start_time(pid);
        let id = info.id.clone();
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| table::set_running(tx, &id, pid, pgid, ticks))
                .map_err(ApiError::from)
        })
        .await?;
        info.status = ProcessStatus::Running;
        info.pid = Some(pid);

        let (done_tx, _) = tokio::sync::watch::channel(false);
        let live = Arc::new(Live {
            pgid,
            stop_requested: AtomicBool::new(false),
            ring: Mutex::new(Ring::default()),
            done: done_tx,
        });
        self.0
            .procs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(info.id.clone(), live.clone());

        // Output: both streams into one channel, in batches of the lines read at once → log
        // file (written in batches), ring, events (small batches, see EVENT_BYTES).
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(bool, Arc<Vec<String>>)>(16);
        for (stream, stderr) in [
            (
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
                false,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
                true,
            ),
        ] {
            let Some(stream) = stream else { continue };
            let tx = tx.clone();
            // An agent's stdout also goes, whole (up to TAP_LINE bytes a line), to its parser.
            let tap = if stderr { None } else { tap.clone() };
            let keep = if tap.is_some() { TAP_LINE } else { MAX_LINE };
            tokio::spawn(async move {
                let mut reader = BufReader::with_capacity(32 * 1024, stream);
                let mut buf = Vec::new();
                let mut lines: Vec<String> = Vec::new();
                let mut bytes = 0usize;
                loop {
                    buf.clear();
                    let n = read_line_capped(&mut reader, &mut buf, keep)
                        .await
                        .unwrap_or(0);
                    if n > 0 {
                        let text = String::from_utf8_lossy(&buf);
                        let text = text.trim_end_matches(['\n', '\r']);
                        bytes += text.len();
                        lines.push(text.to_string());
                    }
                    // Hand on what was read once no further whole line is waiting.
                    let more = n > 0 && bytes < READ_BATCH && reader.buffer().contains(&b'\n');
                    if !more && !lines.is_empty() {
                        let batch = Arc::new(std::mem::take(&mut lines));
                        bytes = 0;
                        if let Some(t) = &tap {
                            let _ = t.send(batch.clone()).await;
                        }
                        if tx.send((stderr, batch)).await.is_err() {
                            break;
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let core = self.clone();
        let pid_id = info.id.clone();
        let app_for_events = info.app_id.clone();
        let live2 = live.clone();
        let pump = tokio::spawn(async move {
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .await
                .ok();
            let publish = |lines: Vec<LogLine>| {
                core.bus().publish(
                    kind::PROCESSES_OUTPUT,
                    Some(app_for_events.clone()),
                    &ProcessOutput {
                        id: pid_id.clone(),
                        lines,
                    },
                );
            };
            // Log bytes not written yet; the event batch being filled; batches ready to go.
            let mut pending: Vec<u8> = Vec::new();
            let mut batch: Vec<LogLine> = Vec::new();
            let mut batch_bytes = 0usize;
            let mut ready: Vec<Vec<LogLine>> = Vec::new();
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let ended = tokio::select! {
                    got = rx.recv() => match got {
                        Some((stderr, lines)) => {
                            let mut ring = live2.ring.lock().unwrap_or_else(|p| p.into_inner());
                            for full in lines.iter() {
                                let text = cut(full, MAX_LINE);
                                pending.extend_from_slice(if stderr { b"E " } else { b"O " });
                                pending.extend_from_slice(text.as_bytes());
                                pending.push(b'\n');
                                ring.push(stderr, text);
                                batch.push(LogLine {
                                    stream: stream_name(stderr).into(),
                                    text: text.to_string(),
                                });
                                batch_bytes += text.len() + LINE_COST;
                                if batch_bytes >= EVENT_BYTES {
                                    ready.push(std::mem::take(&mut batch));
                                    batch_bytes = 0;
                                }
                            }
                            false
                        }
                        None => true,
                    },
                    _ = tick.tick() => {
                        if !batch.is_empty() {
                            ready.push(std::mem::take(&mut batch));
                            batch_bytes = 0;
                        }
                        if let (Some(f), false) = (file.as_mut(), pending.is_empty()) {
                            let _ = f.write_all(&pending).await;
                        }
                        pending.clear();
                        false
                    }
                };
                for lines in ready.drain(..) {
                    publish(lines);
                }
                if ended {
                    break;
                }
                if pending.len() >= LOG_BUFFER {
                    if let Some(f) = file.as_mut() {
                        let _ = f.write_all(&pending).await;
                    }
                    pending.clear();
                }
            }
            if !batch.is_empty() {
                publish(batch);
            }
            if let Some(f) = file.as_mut() {
                let _ = f.write_all(&pending).await;
                let _ = f.flush().await;
            }
        });
        let core = self.clone();
        let id = info.id.clone();
        // The audit summary names the process briefly (an agent's argv may hold its prompt).
        let argv = match &info.label {
            Some(l) => l.clone(),
            None => {
                let all = info.argv.join(" ");
                if all.chars().count() > 200 {
                    all.chars().take(199).collect::<String>() + "…"
                } else {
                    all
                }
            }
        };
        let app_id = info.app_id.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let _ = pump.await;
            let stopped = live.stop_requested.load(Ordering::SeqCst);
            // Whatever the leader did, leave nothing of its group behind.
            host::signal_group(live.pgid, libc::SIGKILL);
            let (st, code, sig) = match status {
                Ok(s) => {
                    use std::os::unix::process::ExitStatusExt;
                    let (code, sig) = (s.code(), s.signal());
                    let st = if stopped {
                        ProcessStatus::Stopped
                    } else if code == Some(0) {
                        ProcessStatus::Exited
                    } else {
                        ProcessStatus::Failed
                    };
                    (st, code, sig)
                }
                Err(_) => (ProcessStatus::Failed, None, None),
            };
            let at = clock::now();
            let id2 = id.clone();
            let summary = match (st, code, sig) {
                (ProcessStatus::Stopped, _, _) => format!("Stopped {argv}"),
                (_, Some(c), _) => format!("{argv} exited with code {c}"),
                (_, _, Some(s)) => format!("{argv} was killed by signal {s}"),
                _ => format!("{argv} ended"),
            };
            let app2 = app_id.clone();
            let saved = core
                .blocking(move |core| {
                    core.0
                        .store
                        .write(|tx| {
                            table::finish(tx, &id2, st, code, sig, None, &at)?;
                            let entry = Activity {
                                id: new_id(),
                                at: at.clone(),
                                actor: "refine".into(),
                                surface: Surface::System,
                                operation: "processes.exited".into(),
                                app_id: Some(app2.clone()),
                                target: Some(id2.clone()),
                                summary,
                                operation_id: None,
                            };
                            refine_store::activity::insert(tx, &entry, None)?;
                            Ok::<_, StoreError>((table::get(tx, &id2)?, entry))
                        })
                        .map_err(ApiError::from)
                })
                .await;
            core.0
                .procs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            let _ = live.done.send(true);
            if let Ok((Some(info), entry)) = saved {
                core.bus()
                    .publish(kind::PROCESSES_EXITED, Some(app_id.clone()), &info);
                core.bus()
                    .publish(kind::ACTIVITY_CREATED, Some(app_id), &entry);
            }
        });
        Ok(info)
    }

    /// Start a process for the automation (an agent, a quality check): `cwd` is an absolute
    /// directory Refine chose (a Goal's worktree), `stdin` optional input. Not journaled as an
    /// operation of its own: the step that starts it is. Returns the process and a receiver
    /// that turns true when it has ended and its record is final.
    pub(crate) async fn start_owned_process(
        &self,
        app_id: &str,
        input: StartProcessInput,
        cwd: PathBuf,
        stdin: Option<Vec<u8>>,
    ) -> Result<(ProcessInfo, tokio::sync::watch::Receiver<bool>), ApiError> {
        self.start_tapped_process(app_id, input, cwd, stdin, None)
            .await
    }

    /// Like [`Core::start_owned_process`]; every stdout line also goes to `tap` (in batches of
    /// the lines read at once).
    pub(crate) async fn start_tapped_process(
        &self,
        app_id: &str,
        input: StartProcessInput,
        cwd: PathBuf,
        stdin: Option<Vec<u8>>,
        tap: Option<tokio::sync::mpsc::Sender<Arc<Vec<String>>>>,
    ) -> Result<(ProcessInfo, tokio::sync::watch::Receiver<bool>), ApiError> {
        validate(&input)?;
        let shown = cwd.to_string_lossy().to_string();
        let info = self
            .spawn(app_id.to_string(), input, cwd, shown, stdin, tap)
            .await?;
        let rx = match self.live(&info.id) {
            Some(l) => l.done.subscribe(),
            None => tokio::sync::watch::channel(true).1,
        };
        self.bus()
            .publish(kind::PROCESSES_STARTED, Some(info.app_id.clone()), &info);
        Ok((info, rx))
    }

    /// Stop a process for the automation (cancel, stop, timeout): SIGTERM to its group, SIGKILL
    /// after the grace period; returns once it ended. No-op when it is not running.
    pub(crate) async fn stop_process_quiet(&self, id: &str) -> Result<(), ApiError> {
        let Some(live) = self.live(id) else {
            return Ok(());
        };
        let grace = self
            .effective_settings(None)
            .await?
            .processes
            .stop_grace_seconds;
        terminate(&live, grace).await;
        Ok(())
    }

    /// The stdout text of a process (from its log file; its last `STDOUT_TAIL` bytes).
    pub(crate) async fn process_stdout(&self, id: &str) -> String {
        self.process_stdout_tail(id, STDOUT_TAIL, STDOUT_TAIL as usize)
            .await
            .0
    }

    /// The last `max` bytes of a process's stdout text (from a line start; read from the last
    /// `window` bytes of its log, stderr left out), and whether there was more before it.
    pub(crate) async fn process_stdout_tail(
        &self,
        id: &str,
        window: u64,
        max: usize,
    ) -> (String, bool) {
        let _turn = TAIL_READS.acquire().await;
        let path = log_path(&self.0.data_dir, id);
        let whole = std::fs::metadata(&path).is_ok_and(|m| m.len() <= window);
        let out = into_text(stdout_of_log(read_tail_bytes(&path, window).await));
        if out.len() <= max {
            return (out, !whole);
        }
        (end_lines(&out, max).to_string(), true)
    }

    /// The last `n` lines of a process's output, both streams, as text.
    pub(crate) async fn process_tail(&self, id: &str, n: usize) -> String {
        let raw = read_tail(
            &log_path(&self.0.data_dir, id),
            (n as u64 + 1) * MAX_LINE as u64,
        )
        .await;
        let lines: Vec<&str> = raw.lines().collect();
        let from = lines.len().saturating_sub(n);
        lines[from..]
            .iter()
            .map(|l| l.get(2..).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `processes.list`
    pub async fn processes_list(
        &self,
        ctx: &Ctx,
        i: ListProcessesInput,
    ) -> Result<Vec<ProcessInfo>, ApiError> {
        let limit = crate::operations::page_limit(i.limit)?;
        let app = match &i.app_id {
            Some(a) => Some(self.resolve_app(ctx, Some(a)).await?.id),
            None => self.resolve_app(ctx, None).await.ok().map(|a| a.id),
        };
        let live = i.live.unwrap_or(false);
        self.read(move |c| table::list(c, app.as_deref(), live, limit))
            .await
    }

    /// `processes.get`
    pub async fn processes_get(&self, i: ProcessIdInput) -> Result<ProcessInfo, ApiError> {
        crate::apps::validate_id("process", &i.id)?;
        let id = i.id.clone();
        self.read(move |c| table::get(c, &id))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no process {}", i.id)))
    }

    /// Daemon shutdown: stop every supervised process (SIGTERM to its group, SIGKILL after
    /// `grace`), all at once.
    pub async fn stop_all_processes(&self, grace: Duration) {
        let lives: Vec<Arc<Live>> = self
            .0
            .procs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        futures::future::join_all(lives.iter().map(|l| terminate_within(l, grace))).await;
    }

    /// Wait (at most `limit`) until every supervised process's exit is recorded.
    pub async fn wait_processes_recorded(&self, limit: Duration) {
        let lives: Vec<Arc<Live>> = self
            .0
            .procs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        let all = futures::future::join_all(lives.iter().map(|l| {
            let mut done = l.done.subscribe();
            async move {
                let _ = done.wait_for(|d| *d).await;
            }
        }));
        let _ = tokio::time::timeout(limit, all).await;
    }

    /// `processes.stop`: SIGTERM to the group, SIGKILL after the grace period; answers once it ended.
    pub async fn processes_stop(
        &self,
        ctx: &Ctx,
        i: ProcessIdInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        let before = self.processes_get(i.clone()).await?;
        let Some(live) = self.live(&i.id) else {
            return Err(ApiError::conflict(format!(
                "process {} is not running ({})",
                i.id,
                before.status.as_str()
            )));
        };
        let grace = self
            .effective_settings(Some(before.app_id.clone()))
            .await?
            .processes
            .stop_grace_seconds;
        let core = self.clone();
        let id = i.id.clone();
        let prepare = async move {
            terminate(&live, grace).await;
            core.processes_get(ProcessIdInput { id }).await
        };
        self.mutate(ctx, &i, prepare, |_, info: ProcessInfo| {
            let change = Change::new(format!("Stopped {}", info.argv.join(" ")))
                .app(Some(info.app_id.clone()))
                .target(info.id.clone());
            Ok((info, change))
        })
        .await
    }

    /// `processes.restart`: stop it (if running) and start the same command again.
    pub async fn processes_restart(
        &self,
        ctx: &Ctx,
        i: ProcessIdInput,
    ) -> Result<Mutated<ProcessInfo>, ApiError> {
        let p = self.processes_get(i.clone()).await?;
        if self.live(&i.id).is_some() {
            let mut stop_ctx = ctx.for_op("processes.stop");
            stop_ctx.idempotency_key = ctx.idempotency_key.as_ref().map(|k| format!("{k}:stop"));
            self.processes_stop(&stop_ctx, i.clone()).await?;
        }
        let input = StartProcessInput {
            app_id: Some(p.app_id.clone()),
            argv: p.argv.clone(),
            cwd: Some(p.cwd.clone()),
            env: None,
            label: p.label.clone(),
            owner: Some(p.owner.clone()),
        };
        if !p.env_keys.is_empty() {
            return Err(ApiError::precondition("this process had extra environment variables, which Refine does not keep; start it again with them"));
        }
        self.processes_start(&ctx.for_op("processes.start"), input)
            .await
    }

    /// `processes.logs`
    pub async fn processes_logs(&self, i: ProcessLogsInput) -> Result<ProcessLogs, ApiError> {
        let p = self
            .processes_get(ProcessIdInput { id: i.id.clone() })
            .await?;
        let tail = i.tail.unwrap_or(200).clamp(1, 2000) as usize;
        if let Some(live) = self.live(&p.id) {
            let (lines, truncated) = live
                .ring
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .tail(tail);
            return Ok(ProcessLogs {
                id: p.id,
                truncated,
                lines,
            });
        }
        let path = log_path(&self.0.data_dir, &p.id);
        let text = tokio::fs::read_to_string(&path).await.unwrap_or_default();
        let all: Vec<LogLine> = text
            .lines()
            .map(|l| {
                let (stream, rest) = match l.get(..2) {
                    Some("E ") => ("stderr", &l[2..]),
                    Some("O ") => ("stdout", &l[2..]),
                    _ => ("stdout", l),
                };
                LogLine {
                    stream: stream.into(),
                    text: rest.into(),
                }
            })
            .collect();
        let skip = all.len().saturating_sub(tail);
        Ok(ProcessLogs {
            id: p.id,
            truncated: skip > 0,
            lines: all.into_iter().skip(skip).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_of_a_log_keeps_stdout_lines_untagged() {
        let log = b"O first\nE oops\nO \nO\nO last".to_vec();
        assert_eq!(stdout_of_log(log), b"first\n\n\nlast\n");
        assert_eq!(stdout_of_log(Vec::new()), b"");
        assert_eq!(stdout_of_log(b"E only\n".to_vec()), b"");
        assert_eq!(end_lines("one\ntwo\nthree\n", 64), "one\ntwo\nthree\n");
        assert_eq!(
            end_lines("one\ntwo\nthree\n", 9),
            "three\n",
            "from a line start"
        );
        assert_eq!(
            end_lines("one\ntwo\nthree\n", 10),
            "two\nthree\n",
            "a cut at a line start"
        );
        assert_eq!(
            end_lines("ééé\n", 4),
            "é\n",
            "one long line: from a character in it"
        );
        assert_eq!(end_of("aéb", 2), "b");
    }

    #[test]
    fn the_ring_is_bounded_in_lines_and_bytes() {
        let mut r = Ring::default();
        for i in 0..RING + 10 {
            r.push(i % 2 == 0, &format!("line {i}"));
        }
        assert_eq!(r.lines.len(), RING);
        let (tail, older) = r.tail(3);
        assert!(older);
        assert_eq!(tail[2].text, format!("line {}", RING + 9));
        assert_eq!(
            (tail[1].stream.as_str(), tail[2].stream.as_str()),
            ("stderr", "stdout")
        );
        let big = "x".repeat(RING_BYTES / 4);
        let mut r = Ring::default();
        for _ in 0..10 {
            r.push(false, &big);
        }
        assert!(
            r.bytes <= RING_BYTES && r.lines.len() == 4,
            "{}",
            r.lines.len()
        );
        // One line longer than the budget is still kept.
        r.push(false, &"y".repeat(RING_BYTES * 2));
        assert_eq!(r.lines.len(), 1);
        let (_, older) = Ring::default().tail(10);
        assert!(!older);
    }

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }
}
