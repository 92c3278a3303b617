//! agents: providers and their profiles (defaults plus what people saved), detection, headless
//! runs as supervised processes with the completion contract (one `refine-result` JSON block;
//! at most two repair prompts), and interactive sessions on a terminal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use refine_model::agents::{
    self as model, AgentProfile, AgentRun, Detection, DetectionState, Phase, PromptDelivery,
    Provider, REDACTED,
};
use refine_model::process::{ProcessOwner, ProcessStatus};
use refine_model::terminal::TerminalInfo;
use refine_model::ApiError;
use refine_store::agents as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::processes::StartProcessInput;
use crate::terminal::CreateTerminalInput;
use crate::{clock, new_id, store_error, Change, Core, Ctx, Mutated};

/// Longest prompt passed as an argument (the process argv limit is 64 KiB per entry).
const ARG_PROMPT_LIMIT: usize = 60 * 1024;

/// Repair prompts after an answer without a readable block.
pub const MAX_REPAIRS: u32 = 2;

/// The program the scripted agent runs: `REFINE_SCRIPTED_AGENT` when set (tests that embed the
/// daemon), else this executable.
pub fn self_exe() -> String {
    std::env::var("REFINE_SCRIPTED_AGENT").unwrap_or_else(|_| {
        std::env::current_exe()
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_else(|_| "refine".to_string())
    })
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileNameInput {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectInput {
    /// One profile (default: every profile).
    #[serde(default)]
    pub name: Option<String>,
}

/// Create or replace a profile. An env value of `••••••` keeps the stored secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveProfileInput {
    pub profile: AgentProfile,
}

/// Start an interactive agent session on a terminal in the app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LaunchInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Profile name (default: the `agents.defaultProfile` setting).
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub cols: Option<u16>,
    #[serde(default)]
    pub rows: Option<u16>,
}

/// What `agents.profiles.delete` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDeleted {
    pub name: String,
    /// A provider's own profile returned to its default (rather than going away).
    pub reset: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalRunsInput {
    pub goal_id: String,
}

/// One agent answer: the run record, its stdout, and the parsed block when there is one.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub output: String,
    pub block: Result<serde_json::Value, String>,
}

/// Why a phase produced no usable answer.
#[derive(Debug)]
pub(crate) enum AgentFailure {
    /// The process was stopped (cancel, stop, shutdown).
    Stopped,
    /// The agent could not run or never gave a readable block: a provider/output fault.
    Fault(String),
    /// Refine itself failed (database, spawn limits…).
    Error(ApiError),
}

impl From<ApiError> for AgentFailure {
    fn from(e: ApiError) -> Self {
        AgentFailure::Error(e)
    }
}

/// What a headless run needs.
#[derive(Debug, Clone)]
pub(crate) struct RunSpec {
    pub app_id: String,
    pub goal_id: Option<String>,
    pub round: Option<u32>,
    pub phase: Phase,
    pub profile: AgentProfile,
    pub cwd: PathBuf,
    pub prompt: String,
    pub label: String,
    pub timeout: Duration,
}

fn find_program(command: &str) -> Option<PathBuf> {
    let p = Path::new(command);
    if command.contains('/') {
        return p.is_file().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(command))
        .find(|c| {
            use std::os::unix::fs::PermissionsExt;
            c.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Arguments with `{prompt}`, `{promptFile}` replaced; the prompt is appended for argument
/// delivery when no placeholder names it.
fn build_argv(p: &AgentProfile, args: &[String], prompt: &str, prompt_file: &Path) -> Vec<String> {
    let file = prompt_file.to_string_lossy();
    // Arguments are bounded (64 KiB each); a longer prompt is handed over as its file.
    let pointer;
    let prompt = if prompt.len() > ARG_PROMPT_LIMIT {
        pointer = format!(
            "The task is too long for an argument. Read it from the file {file} and do what it says."
        );
        pointer.as_str()
    } else {
        prompt
    };
    let mut argv = vec![p.command.clone()];
    let mut placed = false;
    for a in args {
        if a.contains("{prompt}") {
            placed = true;
        }
        argv.push(a.replace("{promptFile}", &file).replace("{prompt}", prompt));
    }
    if p.prompt_delivery == PromptDelivery::Argument && !placed {
        argv.push(prompt.to_string());
    }
    argv
}

impl Core {
    /// Every profile: the defaults of each provider, replaced by saved ones of the same name,
    /// plus saved custom ones. Secrets included (internal use).
    pub(crate) async fn all_profiles(&self) -> Result<Vec<AgentProfile>, ApiError> {
        let saved = self.read(table::profiles).await?;
        let exe = self_exe();
        let mut out: Vec<AgentProfile> = Provider::ALL
            .iter()
            .map(|p| model::default_profile(*p, &exe))
            .collect();
        for s in saved {
            match out.iter_mut().find(|p| p.name == s.name) {
                Some(slot) => *slot = s,
                None => out.push(s),
            }
        }
        Ok(out)
    }

    pub(crate) async fn profile(&self, name: &str) -> Result<AgentProfile, ApiError> {
        self.all_profiles()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ApiError::not_found(format!("no agent profile named {name:?}")))
    }

    /// `agents.profiles`
    pub async fn list_profiles(&self) -> Result<Vec<AgentProfile>, ApiError> {
        Ok(self
            .all_profiles()
            .await?
            .iter()
            .map(AgentProfile::redacted)
            .collect())
    }

    /// `agents.profiles.save`
    pub async fn save_profile(
        &self,
        ctx: &Ctx,
        input: SaveProfileInput,
    ) -> Result<Mutated<AgentProfile>, ApiError> {
        let mut p = input.profile.clone();
        p.validate().map_err(ApiError::invalid)?;
        p.builtin = false;
        let existing = self.all_profiles().await?;
        if let Some(old) = existing.iter().find(|e| e.name == p.name) {
            for (k, v) in p.env.iter_mut() {
                if v == REDACTED {
                    match old.env.get(k) {
                        Some(stored) => *v = stored.clone(),
                        None => {
                            return Err(ApiError::invalid(format!(
                                "{k} has no stored value to keep; enter it"
                            )))
                        }
                    }
                }
            }
        } else if p.env.values().any(|v| v == REDACTED) {
            return Err(ApiError::invalid(
                "a new profile has no stored secrets to keep; enter the values",
            ));
        }
        let request = json!({ "profile": p.redacted() });
        let name = p.name.clone();
        let out = self
            .mutate(
                ctx,
                "agents.profiles.save",
                &request,
                async { Ok(()) },
                move |tx, ()| {
                    table::put_profile(tx, &p, &clock::now()).map_err(store_error)?;
                    let shown = p.redacted();
                    let change = Change::new(format!("Saved agent profile {}", p.name))
                        .target(p.name.clone())
                        .event("agents.profile_saved", json!({ "profile": shown }));
                    Ok((shown, change))
                },
            )
            .await?;
        self.refresh_detection(name);
        Ok(out)
    }

    /// Look at one profile again in the background (it was saved or reset).
    fn refresh_detection(&self, name: String) {
        let core = self.clone();
        tokio::spawn(async move {
            if let Ok(p) = core.profile(&name).await {
                core.detect_now(vec![p]).await;
            }
        });
    }

    /// `agents.profiles.delete`: a saved profile goes; a built-in one returns to its default.
    pub async fn delete_profile(
        &self,
        ctx: &Ctx,
        input: ProfileNameInput,
    ) -> Result<Mutated<ProfileDeleted>, ApiError> {
        let name = input.name.clone();
        let out = self
            .mutate(
                ctx,
                "agents.profiles.delete",
                &input,
                async { Ok(()) },
                move |tx, ()| {
                    if !table::delete_profile(tx, &name).map_err(store_error)? {
                        return Err(ApiError::not_found(format!(
                            "no saved agent profile named {name:?}"
                        )));
                    }
                    let builtin = Provider::ALL.iter().any(|p| p.as_str() == name);
                    let change = Change::new(if builtin {
                        format!("Reset agent profile {name} to its default")
                    } else {
                        format!("Deleted agent profile {name}")
                    })
                    .target(name.clone())
                    .event(
                        "agents.profile_deleted",
                        json!({ "name": name, "reset": builtin }),
                    );
                    Ok((
                        ProfileDeleted {
                            name: name.clone(),
                            reset: builtin,
                        },
                        change,
                    ))
                },
            )
            .await?;
        if out.value.reset {
            self.refresh_detection(out.value.name.clone());
        }
        Ok(out)
    }

    fn chosen_profiles(
        profiles: Vec<AgentProfile>,
        name: &Option<String>,
    ) -> Result<Vec<AgentProfile>, ApiError> {
        match name {
            Some(n) => Ok(vec![profiles
                .into_iter()
                .find(|p| &p.name == n)
                .ok_or_else(|| {
                    ApiError::not_found(format!("no agent profile named {n:?}"))
                })?]),
            None => Ok(profiles),
        }
    }

    /// `agents.detect`: what the daemon last found for each profile. Runs nothing (a GET has no
    /// effects); the daemon looks at start-up and whenever a profile changes, and
    /// `agents.redetect` looks now. Waits for a detection pass that is under way.
    pub async fn detect_agents(&self, input: DetectInput) -> Result<Vec<Detection>, ApiError> {
        let chosen = Self::chosen_profiles(self.all_profiles().await?, &input.name)?;
        let cache = self.0.detections.0.lock().await;
        Ok(chosen
            .iter()
            .map(|p| match cache.get(&p.name) {
                Some(d) if d.fingerprint == fingerprint(p) => d.detection.clone(),
                _ => Detection {
                    checked_at: None,
                    profile: p.name.clone(),
                    provider: p.provider,
                    state: DetectionState::Unchecked,
                    path: None,
                    version: None,
                    diagnosis: "not checked yet: run detection (`refine agent detect`)".into(),
                },
            })
            .collect())
    }

    /// `agents.redetect`: look for each profile's program now (runs `--version`).
    pub async fn redetect_agents(
        &self,
        ctx: &Ctx,
        input: DetectInput,
    ) -> Result<Mutated<Vec<Detection>>, ApiError> {
        let chosen = Self::chosen_profiles(self.all_profiles().await?, &input.name)?;
        let found = self.detect_now(chosen).await;
        let n = found.len();
        let out = found.clone();
        self.mutate(
            ctx,
            "agents.redetect",
            &input,
            async { Ok(()) },
            move |_, ()| {
                Ok((
                    out,
                    Change::new(format!("Detected agent CLIs ({n} profile(s))")),
                ))
            },
        )
        .await
    }

    /// Detect `profiles` now and keep the results (one pass at a time).
    pub(crate) async fn detect_now(&self, profiles: Vec<AgentProfile>) -> Vec<Detection> {
        let mut cache = self.0.detections.0.lock().await;
        let mut out = Vec::new();
        for p in profiles {
            let d = detect_one(&p, self.child_env(&HashMap::new())).await;
            cache.insert(
                p.name.clone(),
                Detected {
                    fingerprint: fingerprint(&p),
                    at: Instant::now(),
                    detection: d.clone(),
                },
            );
            out.push(d);
        }
        drop(cache);
        self.0.bus.publish(
            "agents.detected",
            None,
            serde_json::json!({ "profiles": out.len() }),
        );
        out
    }

    /// The daemon's own check before it uses a profile (runner, sessions): the kept result when
    /// it is fresh and the profile is unchanged, else a new look.
    pub(crate) async fn detection_of(&self, p: &AgentProfile, max_age: Duration) -> Detection {
        {
            let cache = self.0.detections.0.lock().await;
            if let Some(d) = cache.get(&p.name) {
                if d.fingerprint == fingerprint(p) && d.at.elapsed() < max_age {
                    return d.detection.clone();
                }
            }
        }
        self.detect_now(vec![p.clone()])
            .await
            .pop()
            .expect("one profile in, one detection out")
    }

    /// Look at every profile in the background (daemon start-up).
    pub fn start_detection(&self) {
        let core = self.clone();
        tokio::spawn(async move {
            if let Ok(all) = core.all_profiles().await {
                core.detect_now(all).await;
            }
        });
    }

    /// `agents.runs`: every agent run of a Goal.
    pub async fn goal_agent_runs(&self, input: GoalRunsInput) -> Result<Vec<AgentRun>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        self.read(move |c| table::runs_of_goal(c, &goal.id)).await
    }

    /// `agents.launch`: an interactive agent session on a terminal in the app root.
    pub async fn launch_agent(
        &self,
        ctx: &Ctx,
        input: LaunchInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let name = input
            .profile
            .clone()
            .unwrap_or(settings.agents.default_profile.clone());
        let p = self.profile(&name).await?;
        let d = self.detection_of(&p, Duration::ZERO).await;
        if d.state != DetectionState::Installed {
            return Err(ApiError::precondition(d.diagnosis));
        }
        let mut argv = vec![p.command.clone()];
        argv.extend(p.interactive_args.iter().cloned());
        self.create_terminal(
            ctx,
            CreateTerminalInput {
                app_id: Some(app.id.clone()),
                argv: Some(argv),
                cwd: None,
                cols: input.cols,
                rows: input.rows,
                title: Some(format!("agent: {}", p.name)),
            },
        )
        .await
    }

    /// Run an agent once, headless, and wait for it to end (or `timeout`, or a stop).
    pub(crate) async fn run_agent_once(
        &self,
        spec: &RunSpec,
        attempt: u32,
        on_process: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Answer, AgentFailure> {
        if spec
            .goal_id
            .as_deref()
            .is_some_and(|g| self.stop_requested(g))
        {
            return Err(AgentFailure::Stopped);
        }
        let run_id = new_id();
        let dir = self.0.data_dir.join("runs").join(&run_id);
        // The private prompt file goes with the run, however it ends.
        struct RemoveDir(PathBuf);
        impl Drop for RemoveDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        let _cleanup = RemoveDir(dir.clone());
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
        let prompt_file = dir.join("prompt.md");
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&prompt_file)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            f.write_all(spec.prompt.as_bytes())
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        let p = &spec.profile;
        let argv = build_argv(p, &p.args, &spec.prompt, &prompt_file);
        let mut env: HashMap<String, String> =
            p.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        env.insert("REFINE_PHASE".into(), spec.phase.as_str().into());
        env.insert(
            "REFINE_PROMPT_FILE".into(),
            prompt_file.to_string_lossy().to_string(),
        );
        let mut run = AgentRun {
            id: run_id.clone(),
            app_id: spec.app_id.clone(),
            goal_id: spec.goal_id.clone(),
            round: spec.round,
            phase: spec.phase,
            attempt,
            profile: p.name.clone(),
            process_id: None,
            status: "running".into(),
            result: None,
            error: None,
            started_at: clock::now(),
            ended_at: None,
        };
        let r2 = run.clone();
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| table::insert_run(tx, &r2))
                .map_err(store_error)
        })
        .await?;
        let stdin =
            (p.prompt_delivery == PromptDelivery::Stdin).then(|| spec.prompt.clone().into_bytes());
        let started = self
            .start_owned_process(
                &spec.app_id,
                StartProcessInput {
                    app_id: Some(spec.app_id.clone()),
                    argv,
                    cwd: None,
                    env: Some(env),
                    label: Some(spec.label.clone()),
                    owner: Some(ProcessOwner {
                        goal_id: spec.goal_id.clone(),
                        round: spec.round,
                        operation_id: None,
                    }),
                },
                spec.cwd.clone(),
                stdin,
            )
            .await;
        let (info, mut done) = match started {
            Ok(x) => x,
            Err(e) => {
                run.status = "failed".into();
                run.error = Some(e.message.clone());
                run.ended_at = Some(clock::now());
                self.save_run(&run).await;
                return Err(AgentFailure::Fault(format!(
                    "the agent {} could not start: {}",
                    p.name, e.message
                )));
            }
        };
        run.process_id = Some(info.id.clone());
        self.save_run(&run).await;
        on_process(&info.id);
        let ended = tokio::time::timeout(spec.timeout, async {
            while !*done.borrow() {
                if done.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        if ended.is_err() {
            let _ = self.stop_process_quiet(&info.id).await;
            while !*done.borrow() {
                if done.changed().await.is_err() {
                    break;
                }
            }
        }
        let final_info = self
            .get_process(crate::processes::ProcessIdInput {
                id: info.id.clone(),
            })
            .await?;
        let output = self.process_stdout(&info.id).await;
        run.ended_at = Some(clock::now());
        if final_info.status == ProcessStatus::Stopped && ended.is_ok() {
            run.status = "stopped".into();
            self.save_run(&run).await;
            return Err(AgentFailure::Stopped);
        }
        let block = model::parse_result_block(&output);
        match (&block, final_info.exit_code) {
            (_, _) if ended.is_err() => {
                run.status = "failed".into();
                run.error = Some(format!(
                    "no answer within {} s; stopped",
                    spec.timeout.as_secs()
                ));
            }
            (Ok(v), Some(0)) => {
                run.status = "done".into();
                run.result = Some(v.clone());
            }
            // A chat reply is the text itself; the block is optional there.
            (Err(_), Some(0)) if spec.phase == Phase::Chat => {
                run.status = "done".into();
            }
            (_, code) if code != Some(0) => {
                let tail = self.process_tail(&info.id, 5).await;
                run.status = "failed".into();
                run.error = Some(format!(
                    "exited with {}{}",
                    code.map(|c| format!("code {c}"))
                        .unwrap_or_else(|| "a signal".into()),
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(": {tail}")
                    }
                ));
            }
            (Err(e), _) => {
                run.status = "invalid".into();
                run.error = Some(e.clone());
            }
            _ => {}
        }
        self.save_run(&run).await;
        let block = if run.status == "done" {
            block
        } else {
            Err(run.error.clone().unwrap_or_default())
        };
        Ok(Answer { output, block })
    }

    async fn save_run(&self, run: &AgentRun) {
        let r = run.clone();
        let saved = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| table::update_run(tx, &r))
                    .map_err(store_error)
            })
            .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e.message, "could not save an agent run");
        }
        self.bus().publish(
            "agents.run",
            Some(run.app_id.clone()),
            serde_json::to_value(run).unwrap_or_default(),
        );
    }

    /// Run a phase under the completion contract: the first prompt, then at most
    /// [`MAX_REPAIRS`] repair prompts while the answer has no readable block.
    pub(crate) async fn run_phase(
        &self,
        spec: &RunSpec,
        on_process: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<(serde_json::Value, Answer), AgentFailure> {
        let mut last_error = String::new();
        for attempt in 0..=MAX_REPAIRS {
            let mut s = spec.clone();
            if attempt > 0 {
                s.prompt = format!(
                    "{}\n\n## Repair {attempt} of {MAX_REPAIRS}\nYour previous answer could not be used: {last_error}.\nDo the task again and end your answer with exactly one block:\n{}\n{{ … }}\n```\n",
                    spec.prompt,
                    model::RESULT_FENCE
                );
            }
            let answer = self.run_agent_once(&s, attempt, on_process).await?;
            match &answer.block {
                Ok(v) => return Ok((v.clone(), answer)),
                Err(e) => {
                    let tail: String = answer
                        .output
                        .trim_end()
                        .chars()
                        .rev()
                        .take(160)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    last_error = if tail.is_empty() {
                        e.clone()
                    } else {
                        format!("{e} (it ended with: “{tail}”)")
                    };
                }
            }
        }
        Err(AgentFailure::Fault(format!(
            "the agent {} gave no usable answer after {MAX_REPAIRS} repair prompts: {last_error}",
            spec.profile.name
        )))
    }
}

/// Detection results by profile name.
#[derive(Default)]
pub(crate) struct DetectCache(tokio::sync::Mutex<HashMap<String, Detected>>);

pub(crate) struct Detected {
    /// The profile as it was detected (a changed profile is looked at again).
    fingerprint: String,
    at: Instant,
    detection: Detection,
}

fn fingerprint(p: &AgentProfile) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

async fn detect_one(p: &AgentProfile, env: HashMap<String, String>) -> Detection {
    let mut d = Detection {
        checked_at: Some(crate::clock::now()),
        profile: p.name.clone(),
        provider: p.provider,
        state: DetectionState::Missing,
        path: None,
        version: None,
        diagnosis: String::new(),
    };
    let Some(path) = find_program(&p.command) else {
        d.diagnosis = format!(
            "not installed: {} was not found on PATH; install {} or set the profile's command to its full path",
            p.command,
            p.provider.display_name()
        );
        return d;
    };
    d.path = Some(path.to_string_lossy().to_string());
    if p.provider == Provider::Generic {
        // Any program will do; there is no common way to ask it for a version.
        d.state = DetectionState::Installed;
        d.diagnosis = format!("found at {}", path.display());
        return d;
    }
    let mut cmd = tokio::process::Command::new(&path);
    if p.provider == Provider::Scripted {
        cmd.arg("agent-script");
    }
    cmd.arg("--version")
        .env_clear()
        .envs(env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    match tokio::time::timeout(Duration::from_secs(10), cmd.output()).await {
        Err(_) => {
            d.state = DetectionState::Broken;
            d.diagnosis = format!(
                "not working: `{} --version` did not answer within 10 s",
                p.command
            );
        }
        Ok(Err(e)) => {
            d.state = DetectionState::Broken;
            d.diagnosis = format!("not working: {} could not run: {e}", p.command);
        }
        Ok(Ok(o)) if !o.status.success() => {
            d.state = DetectionState::Broken;
            let err = String::from_utf8_lossy(&o.stderr);
            d.diagnosis = format!(
                "not working: `{} --version` failed{}",
                p.command,
                err.lines()
                    .next()
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default()
            );
        }
        Ok(Ok(o)) => {
            d.state = DetectionState::Installed;
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            d.version = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(|l| l.chars().take(120).collect());
            d.diagnosis = format!("installed at {}", path.display());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_reach_the_program_as_each_profile_says() {
        let file = Path::new("/data/runs/x/prompt.md");
        let mut p = model::default_profile(Provider::Gemini, "/bin/refine");
        assert_eq!(
            build_argv(&p, &p.args.clone(), "do it", file),
            ["gemini", "--yolo", "-p", "do it"]
        );
        p.args = vec!["run".into()];
        assert_eq!(
            build_argv(&p, &p.args.clone(), "do it", file),
            ["gemini", "run", "do it"],
            "appended when no placeholder names it"
        );
        let big = "x".repeat(ARG_PROMPT_LIMIT + 1);
        let argv = build_argv(&p, &p.args.clone(), &big, file);
        assert!(argv[2].contains("/data/runs/x/prompt.md"), "{}", argv[2]);
        let a = model::default_profile(Provider::Aider, "/bin/refine");
        let argv = build_argv(&a, &a.args.clone(), "do it", file);
        assert!(argv.contains(&"/data/runs/x/prompt.md".to_string()));
        assert!(
            !argv.contains(&"do it".to_string()),
            "file delivery keeps it out of argv"
        );
        let s = model::default_profile(Provider::Scripted, "/bin/refine");
        assert_eq!(
            build_argv(&s, &s.args.clone(), "do it", file),
            ["/bin/refine", "agent-script"]
        );
    }
}
