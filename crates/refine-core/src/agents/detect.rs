//! Detection: is each profile's program installed, which version, and does it accept the
//! profile's flags. The daemon looks at start-up and when a profile changes; reads are served
//! from what it found.

use crate::events::kind;
use crate::{Change, Core, Ctx, Mutated};
use refine_model::agents::{AgentProfile, Detection, DetectionState, Provider};
use refine_model::event::AgentsDetected;
use refine_model::ApiError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

impl Core {
    pub(crate) fn chosen_profiles(
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
    pub async fn agents_detect(&self, input: DetectInput) -> Result<Vec<Detection>, ApiError> {
        let chosen = Self::chosen_profiles(self.all_profiles().await?, &input.name)?;
        let cache = self.0.detections.0.lock().await;
        Ok(chosen
            .iter()
            .map(|p| match cache.get(&p.name) {
                Some(d) if d.fingerprint == fingerprint(p) => d.detection.clone(),
                _ => Detection {
                    verified: false,
                    verified_versions: Vec::new(),
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
    pub async fn agents_redetect(
        &self,
        ctx: &Ctx,
        input: DetectInput,
    ) -> Result<Mutated<Vec<Detection>>, ApiError> {
        let chosen = Self::chosen_profiles(self.all_profiles().await?, &input.name)?;
        let found = self.detect_now(chosen).await;
        let n = found.len();
        let out = found.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |_, ()| {
            Ok((
                out,
                Change::new(format!("Detected agent CLIs ({n} profile(s))")),
            ))
        })
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
            kind::AGENTS_DETECTED,
            None,
            &AgentsDetected {
                profiles: out.len() as u32,
            },
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

async fn detect_one(p: &AgentProfile, mut env: HashMap<String, String>) -> Detection {
    // The profile's own environment applies (a HOME or CODEX_HOME of its own, say).
    for (k, v) in &p.env {
        env.insert(k.clone(), v.clone());
    }
    let mut d = Detection {
        verified: false,
        verified_versions: p
            .provider
            .verified_versions()
            .iter()
            .map(|v| v.to_string())
            .collect(),
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
        .envs(&env)
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
            let verified = p.provider.verified_versions();
            d.verified = d
                .version
                .as_deref()
                .is_some_and(|v| verified.iter().any(|x| v.contains(x)));
            d.diagnosis = format!("installed at {}", path.display());
            if !verified.is_empty() && !d.verified {
                d.diagnosis.push_str(&format!(
                    " (Refine's profile was verified with version {})",
                    verified.join(", ")
                ));
            }
            // Does this CLI take the profile's flags? Better to say so now than as a failed Round.
            if p.provider != Provider::Scripted {
                if let Some(missing) = rejected_flags(&path, p, &env).await {
                    d.state = DetectionState::Broken;
                    d.diagnosis = format!(
                        "{} {} does not accept {}; update the profile (Settings → Agents, or `refine agent set {}`)",
                        p.command,
                        d.version.clone().unwrap_or_default(),
                        missing.join(", "),
                        p.name
                    );
                }
            }
        }
    }
    d
}

/// The flags of `p.args` this CLI does not list in its `--help` (asked of the subcommand the
/// arguments start with, e.g. `codex exec --help`); `None` when all are there or it has no help.
async fn rejected_flags(
    path: &Path,
    p: &AgentProfile,
    env: &HashMap<String, String>,
) -> Option<Vec<String>> {
    let sub: Vec<&String> = p
        .args
        .iter()
        .take_while(|a| !a.starts_with('-') && !a.contains('{'))
        .collect();
    let flags: Vec<String> = p
        .args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1 && !a.starts_with("---"))
        .map(|a| a.split('=').next().unwrap_or(a).to_string())
        .collect();
    if flags.is_empty() {
        return None;
    }
    let mut cmd = tokio::process::Command::new(path);
    cmd.args(&sub)
        .arg("--help")
        .env_clear()
        .envs(env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(10), cmd.output())
        .await
        .ok()?
        .ok()?;
    let help =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if help.trim().is_empty() {
        return None;
    }
    let missing: Vec<String> = flags
        .into_iter()
        .filter(|f| !help_lists(&help, f))
        .collect();
    (!missing.is_empty()).then_some(missing)
}

/// Whether help text names `flag` as a flag (not as part of a longer one).
fn help_lists(help: &str, flag: &str) -> bool {
    let bytes = help.as_bytes();
    let mut from = 0;
    while let Some(i) = help[from..].find(flag) {
        let at = from + i;
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(at + flag.len()).copied();
        let starts = before.is_none_or(|b| {
            b.is_ascii_whitespace() || b == b',' || b == b'[' || b == b'(' || b == b'|'
        });
        let ends = after.is_none_or(|a| !(a.is_ascii_alphanumeric() || a == b'-' || a == b'_'));
        if starts && ends {
            return true;
        }
        from = at + flag.len();
    }
    false
}

pub(crate) fn find_program(command: &str) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::help_lists;

    #[test]
    fn flags_are_found_in_help_text_as_whole_flags() {
        let help = "Options:\n  -s, --sandbox <SANDBOX_MODE>\n      --json\n  -m, --model <MODEL>\n      --full-auto-ish\n";
        assert!(help_lists(help, "--json"));
        assert!(help_lists(help, "-s"));
        assert!(help_lists(help, "--sandbox"));
        assert!(
            !help_lists(help, "--full-auto"),
            "only a longer flag has that prefix"
        );
        assert!(!help_lists(help, "--verbose"));
    }
}
