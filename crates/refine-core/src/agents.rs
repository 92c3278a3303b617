//! agents: providers and their profiles (defaults plus what people saved), detection, headless
//! runs as supervised processes with the completion contract (one `refine-result` JSON block;
//! at most two repair prompts), and interactive sessions on a terminal.

mod contract;
mod detect;
mod limits;
mod profiles;
pub(crate) mod prompt;
pub(crate) mod providers;
mod run;
pub(crate) mod transcript;
pub mod usage;

pub(crate) use detect::DetectCache;

/// Parse a whole CLI output as a run's transcript would (what the transcript benchmark
/// measures): the items kept and the number of lines read.
pub fn parse_output(
    profile: &AgentProfile,
    cwd: &str,
    output: &str,
) -> Vec<refine_model::transcript::TranscriptItem> {
    let mut c = transcript::Collector::new(transcript::parser_for(profile, cwd));
    let mut items = Vec::new();
    for line in output.lines() {
        items.extend(c.line(line));
    }
    items.extend(c.finish());
    items
}

use std::path::{Path, PathBuf};
use std::time::Duration;

use refine_model::agents::{AgentProfile, Phase, PromptDelivery};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::Core;

/// Longest prompt passed as an argument (the process argv limit is 64 KiB per entry).
const ARG_PROMPT_LIMIT: usize = 60 * 1024;

/// Repair prompts after an answer without a readable block.
pub const MAX_REPAIRS: u32 = 2;

/// The program the scripted agent runs: `REFINE_SCRIPTED_AGENT` when set (tests that embed the
/// daemon), else this executable when it is the `refine` CLI, else the `refine` next to it (the
/// desktop app is installed beside the CLI).
pub fn self_exe() -> String {
    if let Ok(p) = std::env::var("REFINE_SCRIPTED_AGENT") {
        return p;
    }
    let Ok(me) = std::env::current_exe() else {
        return "refine".to_string();
    };
    let sibling = me.with_file_name("refine");
    let chosen = if me.file_name().is_some_and(|n| n == "refine") || !sibling.is_file() {
        me
    } else {
        sibling
    };
    chosen.to_string_lossy().to_string()
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
    /// The final answer: the structured stream's last assistant text, or all of stdout.
    pub output: String,
    pub block: Result<serde_json::Value, String>,
    /// The provider session the run had (a repair or a follow-up resumes it).
    pub session_id: Option<String>,
    /// The run's record id.
    pub run_id: String,
}

/// Why a phase produced no usable answer.
#[derive(Debug)]
pub(crate) enum AgentFailure {
    /// The process was stopped (cancel, stop, shutdown).
    Stopped,
    /// The agent could not run or never gave a readable block: a provider/output fault.
    Fault(String),
    /// The worktree's setup failed (a setup command exited non-zero): the Round fails with
    /// the reason, the command's output kept as its evidence.
    Setup(String),
    /// Refine itself failed (database, spawn limits…).
    Error(ApiError),
    /// The provider is rate- or usage-limited: the Goal waits (its budget untouched) until
    /// `reset`, and so does every Goal on that profile.
    Limited {
        profile: String,
        reset: Option<time::OffsetDateTime>,
        message: String,
    },
    /// The provider refused the credentials: the profile is held until a person fixes it.
    Unauthorized { profile: String, message: String },
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
    /// Continue this provider session instead of starting fresh (with the profile's resume
    /// arguments; ignored when it has none).
    pub resume: Option<String>,
    /// `run`, `repair` or `follow-up` (recorded with the run).
    pub kind: &'static str,
    /// The best-of-N candidate the run works on.
    pub candidate: Option<u32>,
}

impl RunSpec {
    /// Mark the run as best-of-N candidate `index`'s (recorded with it, named in its label).
    pub(crate) fn for_candidate(&mut self, index: Option<u32>) {
        if let Some(k) = index {
            self.candidate = Some(k);
            self.label.push_str(&format!(" c{k}"));
        }
    }
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

impl Core {}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::agents::{self as model, Provider};

    #[test]
    fn prompts_reach_the_program_as_each_profile_says() {
        let file = Path::new("/data/runs/x/prompt.md");
        let mut p = model::default_profile(Provider::Gemini, "/bin/refine");
        assert_eq!(
            build_argv(&p, &p.args.clone(), "do it", file),
            [
                "gemini",
                "-p",
                "do it",
                "--output-format",
                "stream-json",
                "--yolo"
            ]
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
