//! Coding-agent providers, their profiles and detection; agent runs and the completion contract;
//! runner workers. Pure types and rules; the daemon does the I/O.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The coding-agent CLIs Refine knows, plus a generic command and the built-in scripted agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    ClaudeCode,
    Codex,
    Gemini,
    Copilot,
    Aider,
    Opencode,
    Generic,
    Scripted,
}

impl Provider {
    pub const ALL: [Provider; 8] = [
        Provider::ClaudeCode,
        Provider::Codex,
        Provider::Gemini,
        Provider::Copilot,
        Provider::Aider,
        Provider::Opencode,
        Provider::Generic,
        Provider::Scripted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::ClaudeCode => "claude-code",
            Provider::Codex => "codex",
            Provider::Gemini => "gemini",
            Provider::Copilot => "copilot",
            Provider::Aider => "aider",
            Provider::Opencode => "opencode",
            Provider::Generic => "generic",
            Provider::Scripted => "scripted",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::ClaudeCode => "Claude Code",
            Provider::Codex => "Codex CLI",
            Provider::Gemini => "Gemini CLI",
            Provider::Copilot => "GitHub Copilot CLI",
            Provider::Aider => "Aider",
            Provider::Opencode => "opencode",
            Provider::Generic => "Generic command",
            Provider::Scripted => "Scripted agent (built in)",
        }
    }

    /// The program looked up on PATH (none for the generic command; the scripted agent is
    /// this very executable).
    pub fn program(self) -> Option<&'static str> {
        match self {
            Provider::ClaudeCode => Some("claude"),
            Provider::Codex => Some("codex"),
            Provider::Gemini => Some("gemini"),
            Provider::Copilot => Some("copilot"),
            Provider::Aider => Some("aider"),
            Provider::Opencode => Some("opencode"),
            Provider::Generic | Provider::Scripted => None,
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How the prompt reaches the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PromptDelivery {
    /// As the last argument (or wherever `{prompt}` appears in the arguments).
    Argument,
    /// Written to the program's standard input.
    Stdin,
    /// A private file (mode 0600) whose path replaces `{promptFile}` in the arguments.
    File,
}

/// How to run one provider. `{prompt}`, `{promptFile}` and `{sessionId}` in `args` /
/// `resumeArgs` are replaced at launch. `resumeArgs` (empty: the provider cannot resume) are the
/// whole argument list of a run that continues an earlier session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentProfile {
    /// Unique name, e.g. `claude-code` or `scripted`.
    pub name: String,
    pub provider: Provider,
    /// The program (a name on PATH or an absolute path).
    pub command: String,
    /// Arguments for a non-interactive (headless) run.
    pub args: Vec<String>,
    /// Arguments for an interactive session (a terminal); empty = just the command.
    #[serde(default)]
    pub interactive_args: Vec<String>,
    /// Arguments that continue an earlier conversation (added to `args`), if the CLI can.
    #[serde(default)]
    pub resume_args: Vec<String>,
    /// Extra environment. Values of secret-looking names are stored but shown redacted.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub prompt_delivery: PromptDelivery,
    /// The model API the CLI talks to, for a gateway or proxy of your own (each provider's
    /// variable or flag is set from it: `ANTHROPIC_BASE_URL`, a Codex model provider,
    /// `GOOGLE_GEMINI_BASE_URL`, `OPENAI_API_BASE`, …). None: the CLI's own default.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Whether Refine made it (a default) or a person edited/created it.
    #[serde(default)]
    pub builtin: bool,
}

pub use crate::redact::{is_secret_name, REDACTED};

impl AgentProfile {
    /// A copy safe to show: secret-looking env values replaced by [`REDACTED`].
    pub fn redacted(&self) -> AgentProfile {
        let mut p = self.clone();
        for (k, v) in p.env.iter_mut() {
            if is_secret_name(k) && !v.is_empty() {
                *v = REDACTED.to_string();
            }
        }
        p
    }

    /// Validate a profile a person wrote.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !name_ok {
            return Err(
                "name must be 1–64 characters of letters, digits, '-', '_' or '.'".to_string(),
            );
        }
        if self.command.trim().is_empty() || self.command.contains('\0') {
            return Err("command must name a program".to_string());
        }
        if self.args.len() + self.resume_args.len() + self.interactive_args.len() > 200 {
            return Err("at most 200 arguments".to_string());
        }
        for a in self
            .args
            .iter()
            .chain(&self.resume_args)
            .chain(&self.interactive_args)
        {
            if a.contains('\0') || a.len() > 4096 {
                return Err("arguments must be text without NUL, at most 4 KiB".to_string());
            }
        }
        for (k, v) in &self.env {
            let ok = !k.is_empty()
                && k.len() <= 200
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit());
            if !ok || v.contains('\0') || v.len() > 16 * 1024 {
                return Err(format!(
                    "environment variable {k:?} is not a valid NAME=value"
                ));
            }
        }
        if let Some(u) = &self.base_url {
            let ok = (u.starts_with("http://") || u.starts_with("https://"))
                && u.len() <= 500
                && !u.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(format!(
                    "the base URL {u:?} must be an http:// or https:// URL without spaces"
                ));
            }
        }
        if self.prompt_delivery == PromptDelivery::File
            && !self.args.iter().any(|a| a.contains("{promptFile}"))
        {
            return Err("prompt delivery `file` needs {promptFile} in the arguments".to_string());
        }
        Ok(())
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The tools a headless Claude Code run may use without asking: edit files and run commands.
/// Claude Code confines edits to its working directory (the Round's worktree) and refuses
/// writes outside it; `acceptEdits` alone still asks before most commands, which a headless run
/// cannot answer.
pub const CLAUDE_TOOLS: &str = "Bash,Edit,MultiEdit,Write,Read,Glob,Grep,LS";

/// The default profile of a provider. `self_exe` is Refine's own executable (the scripted
/// agent is `refine agent-script`).
pub fn default_profile(p: Provider, self_exe: &str) -> AgentProfile {
    let claude = |extra: &[&str]| {
        let mut a = strings(&[
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--allowedTools",
            CLAUDE_TOOLS,
            "--permission-mode",
            "acceptEdits",
        ]);
        a.extend(strings(extra));
        a
    };
    let (command, args, interactive, resume, delivery) = match p {
        // Structured runs: Claude Code's stream-json, edits and commands allowed in the worktree.
        Provider::ClaudeCode => (
            "claude",
            claude(&[]),
            vec![],
            claude(&["--resume", "{sessionId}"]),
            PromptDelivery::Stdin,
        ),
        // Codex: JSONL events, a sandbox that may write the worktree (`--full-auto` is gone).
        Provider::Codex => (
            "codex",
            strings(&["exec", "--json", "-s", "workspace-write", "-"]),
            vec![],
            strings(&[
                "exec",
                "--json",
                "-s",
                "workspace-write",
                "resume",
                "{sessionId}",
                "-",
            ]),
            PromptDelivery::Stdin,
        ),
        Provider::Gemini => (
            "gemini",
            strings(&["-p", "{prompt}", "--output-format", "stream-json", "--yolo"]),
            vec![],
            strings(&[
                "--resume",
                "{sessionId}",
                "-p",
                "{prompt}",
                "--output-format",
                "stream-json",
                "--yolo",
            ]),
            PromptDelivery::Argument,
        ),
        Provider::Copilot => (
            "copilot",
            strings(&["-p", "{prompt}", "--allow-all-tools"]),
            vec![],
            vec![],
            PromptDelivery::Argument,
        ),
        Provider::Aider => (
            "aider",
            strings(&[
                "--yes-always",
                "--no-auto-commits",
                "--no-pretty",
                "--message-file",
                "{promptFile}",
            ]),
            vec![],
            vec![],
            PromptDelivery::File,
        ),
        Provider::Opencode => (
            "opencode",
            strings(&["run", "--format", "json", "{prompt}"]),
            vec![],
            strings(&["run", "--format", "json", "-s", "{sessionId}", "{prompt}"]),
            PromptDelivery::Argument,
        ),
        Provider::Generic => (
            "sh",
            strings(&["-c", "cat \"$0\"", "{promptFile}"]),
            vec![],
            vec![],
            PromptDelivery::File,
        ),
        Provider::Scripted => (
            self_exe,
            strings(&["agent-script"]),
            strings(&["agent-script", "--interactive"]),
            vec![],
            PromptDelivery::Stdin,
        ),
    };
    AgentProfile {
        name: p.as_str().to_string(),
        provider: p,
        command: command.to_string(),
        args,
        interactive_args: interactive,
        resume_args: resume,
        env: BTreeMap::new(),
        prompt_delivery: delivery,
        base_url: None,
        builtin: true,
    }
}

impl Provider {
    /// The CLI versions this provider's default profile was run with (its flags, its output).
    pub fn verified_versions(self) -> &'static [&'static str] {
        match self {
            Provider::ClaudeCode => &["2.1.332"],
            Provider::Codex => &["0.171.0"],
            Provider::Opencode => &["1.18.33"],
            _ => &[],
        }
    }
}

/// What detection found for one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Detection {
    /// When the daemon looked (RFC 3339); `None` while unchecked.
    pub checked_at: Option<String>,
    /// The CLI versions Refine's default profile of this provider was run with.
    pub verified_versions: Vec<String>,
    /// The installed version is one of them.
    pub verified: bool,
    pub profile: String,
    pub provider: Provider,
    /// installed (works), missing (not found), broken (found but `--version` fails),
    /// unchecked (the daemon has not looked yet: `agents.redetect` looks now).
    pub state: DetectionState,
    /// Where the program was found.
    pub path: Option<String>,
    pub version: Option<String>,
    /// What to do about it, for a person.
    pub diagnosis: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DetectionState {
    Installed,
    Missing,
    Broken,
    Unchecked,
}

/// The phases an agent is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Plan,
    Implement,
    Quality,
    Governance,
    Chat,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Implement => "implement",
            Phase::Quality => "quality",
            Phase::Governance => "governance",
            Phase::Chat => "chat",
        }
    }
}

/// The fence that opens the machine-readable block an agent ends its answer with.
pub const RESULT_FENCE: &str = "```refine-result";

/// Find the last `refine-result` block (or, failing that, the last ```json block) in an agent's
/// output and parse it as a JSON object.
pub fn parse_result_block(output: &str) -> Result<serde_json::Value, String> {
    fn last_block<'a>(out: &'a str, fence: &str) -> Option<&'a str> {
        let start = out.rfind(fence)?;
        let body = &out[start + fence.len()..];
        let body = body.strip_prefix('\r').unwrap_or(body);
        let body = body.strip_prefix('\n')?;
        let end = body.find("\n```").or_else(|| {
            body.trim_end()
                .ends_with("```")
                .then(|| body.trim_end().len() - 3)
        })?;
        Some(&body[..end])
    }
    let Some(block) = last_block(output, RESULT_FENCE).or_else(|| last_block(output, "```json"))
    else {
        return Err("the output has no ```refine-result block".to_string());
    };
    let v: serde_json::Value = serde_json::from_str(block.trim())
        .map_err(|e| format!("the ```refine-result block is not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("the ```refine-result block must hold a JSON object".to_string());
    }
    Ok(v)
}

/// One run of an agent for a phase of a Goal's Round (or a chat reply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentRun {
    pub id: String,
    pub app_id: String,
    pub goal_id: Option<String>,
    pub round: Option<u32>,
    pub phase: Phase,
    /// 0 = the first prompt; 1, 2 = repair prompts.
    pub attempt: u32,
    pub profile: String,
    pub process_id: Option<String>,
    /// running, done, invalid (no readable block), failed (exit code), stopped, lost.
    pub status: String,
    #[specta(type = Option<specta_typescript::Unknown>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The provider of the profile it ran.
    pub provider: Option<Provider>,
    /// The provider's own session (Claude `session_id`, Codex `thread_id`, …); a follow-up or a
    /// repair resumes it.
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub usage: crate::transcript::Usage,
    pub turns: Option<u32>,
    /// It continued an earlier session of the provider (a repair or a follow-up).
    pub resumed: bool,
    /// Actions the agent was not allowed to take.
    pub denials: u32,
    /// `run` (a phase's prompt), `repair` (a repair prompt) or `follow-up` (a person's message).
    pub kind: String,
    /// The best-of-N candidate it worked on (1-based).
    pub candidate: Option<u32>,
}

/// One plain-text test of the project and the command that checked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QualityCheck {
    pub test: String,
    pub command: String,
    pub exit_code: Option<i32>,
    pub passed: bool,
    /// Milliseconds (a plain `number` in TypeScript).
    #[specta(type = u32)]
    pub duration_ms: u64,
    pub log_excerpt: String,
    pub process_id: Option<String>,
}

/// A governance verdict on a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GovernanceVerdict {
    pub passed: bool,
    /// Ids of the rules the verdict cites.
    pub rules: Vec<String>,
    pub findings: String,
}

/// What integrating a candidate produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub target_branch: String,
    /// The target's commit the merge was computed on.
    pub target_commit: String,
    /// The prepared merge commit (None when it conflicts).
    pub merge_commit: Option<String>,
    pub conflicts: Vec<String>,
    /// Set when the target branch was moved to the merge (on approval).
    pub merged_at: Option<String>,
}

/// A guidance entry as snapshotted into a Round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuidanceRef {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// Everything the automation recorded for one Round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RoundWork {
    pub base_commit: Option<String>,
    pub branch: Option<String>,
    pub worktree: Option<String>,
    pub candidate_commit: Option<String>,
    pub guidance: Vec<GuidanceRef>,
    pub applied_guidance: Vec<String>,
    pub quality: Vec<QualityCheck>,
    pub governance: Option<GovernanceVerdict>,
    pub integration: Option<Integration>,
    /// A provider/output fault (does not count against the retry budget).
    pub fault: Option<String>,
    pub profile: Option<String>,
    /// Why the Goal is waiting now (its provider is rate-limited until a time, or refused the
    /// credentials); cleared when work goes on.
    pub waiting: Option<String>,
    /// Messages people sent the Goal's agent in review (`runner.tell`), in order.
    pub follow_ups: Vec<FollowUp>,
    /// The Round whose worktree, branch and agent session this one continues ("request
    /// changes" opens a Round on top of the reviewed candidate).
    pub continues_round: Option<u32>,
    /// How the worktree was prepared (files copied or linked, setup commands) and torn down.
    pub environment: Vec<EnvStep>,
    /// The candidate pushed to a remote, and the pull/merge request opened for it.
    pub publication: Option<Publication>,
    /// Best-of-N: the candidates this Round ran side by side (empty for a single candidate).
    pub candidates: Vec<Candidate>,
    /// The candidate a person picked (1-based); its branch, commit, checks and verdict are then
    /// the Round's own.
    pub picked: Option<u32>,
    /// "No worktree" mode: the Round worked in the app's main checkout (`worktree` is the app's
    /// root), one Goal at a time.
    pub in_checkout: bool,
}

/// Where a best-of-N candidate stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    #[default]
    Running,
    /// Committed, checks and governance passed, the merge prepared without conflicts.
    Passed,
    /// No change, a failed setup, check, verdict or merge, or a provider fault: evidence.
    Failed,
}

/// One of a best-of-N Round's candidates: its own worktree and branch from the Round's base,
/// implemented by its profile and put through quality, governance and a prepared merge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// 1-based.
    pub index: u32,
    pub profile: String,
    pub branch: String,
    pub worktree: String,
    pub status: CandidateStatus,
    pub commit: Option<String>,
    pub environment: Vec<EnvStep>,
    pub quality: Vec<QualityCheck>,
    pub governance: Option<GovernanceVerdict>,
    pub integration: Option<Integration>,
    /// Why it failed, in a line.
    pub failure: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
    /// Its agent runs (implement, quality, governance).
    pub run_ids: Vec<String>,
    /// What its runs used, summed.
    pub usage: crate::transcript::Usage,
    /// Milliseconds from its start to its verdict.
    #[specta(type = u32)]
    pub duration_ms: u64,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// Its worktree and branch were removed by a cleanup (the record stays).
    pub removed_at: Option<String>,
}

/// A candidate branch pushed to the app's remote (and its pull or merge request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Publication {
    pub remote: String,
    pub branch: String,
    /// The candidate commit pushed.
    pub commit: String,
    pub pushed_at: String,
    /// `gh` or `glab`, when one was installed and signed in.
    pub tool: Option<String>,
    /// The pull/merge request it opened.
    pub request_url: Option<String>,
    /// Why no request was opened (no CLI, not signed in, it failed: its output).
    pub note: Option<String>,
}

/// What an environment step did: `copy`/`link` a git-ignored file of the app root into the
/// worktree, or run a `setup`/`teardown` command in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvStep {
    /// `copy`, `link`, `setup` or `teardown`.
    pub kind: String,
    /// The path (copy, link) or the command (setup, teardown).
    pub what: String,
    pub exit_code: Option<i32>,
    pub passed: bool,
    /// Milliseconds (a plain `number` in TypeScript).
    #[specta(type = u32)]
    pub duration_ms: u64,
    /// The last lines of the command's output, or what happened to the path.
    pub log_excerpt: String,
    pub process_id: Option<String>,
}

/// A person's message to a Goal's agent: it resumes the Round's implement session, the
/// candidate is refreshed and checked again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    pub at: String,
    pub actor: String,
    pub message: String,
    /// The implement run that handled it (none yet: pending).
    pub run_id: Option<String>,
    /// It continued the provider's session (`false`: the provider cannot resume, so the
    /// earlier transcript was summarised into a fresh prompt).
    pub resumed: bool,
    /// The candidate commit before it.
    pub previous_candidate: Option<String>,
}

/// A provider the runner holds back for every Goal: rate- or usage-limited until a time, or
/// its credentials were refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderHold {
    pub profile: String,
    /// `limit` (resumes by itself at `until`) or `auth` (until a person fixes the profile).
    pub kind: String,
    pub reason: String,
    pub since: String,
    /// When work resumes by itself (RFC 3339).
    pub until: Option<String>,
}

/// What one runner worker is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerInfo {
    pub id: String,
    pub app_id: String,
    pub goal_id: String,
    pub goal_number: u32,
    pub goal_title: String,
    pub round: u32,
    pub phase: String,
    pub profile: String,
    pub process_id: Option<String>,
    pub started_at: String,
}

/// The runner: workers, limits, and whether it admits new work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunnerStatus {
    pub paused: bool,
    pub workers: Vec<WorkerInfo>,
    pub max_concurrent_goals: u32,
    pub max_per_app: u32,
    pub max_per_provider: u32,
    /// How many more Goals free CPU and memory admit right now (at least one while idle).
    pub resource_slots: u32,
    pub load_average: f64,
    /// Mebibytes (a plain `number` in TypeScript).
    #[specta(type = u32)]
    pub available_memory_mb: u64,
    /// Apps whose Goals wait for something a person must fix (e.g. the agent is not installed).
    pub waiting: Vec<RunnerWait>,
    /// Providers held back for every Goal (limits, refused credentials).
    pub holds: Vec<ProviderHold>,
}

/// Why an app's Goals are not being started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunnerWait {
    pub app_id: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_blocks_are_found_and_checked() {
        let out = "thinking…\n```refine-result\n{\"plan\": \"a\"}\n```\nbye\n";
        assert_eq!(parse_result_block(out).unwrap()["plan"], "a");
        let two = "```refine-result\n{\"a\":1}\n```\n```refine-result\n{\"a\":2}\n```";
        assert_eq!(
            parse_result_block(two).unwrap()["a"],
            2,
            "the last block wins"
        );
        let json = "x\n```json\n{\"verdict\":\"pass\"}\n```";
        assert_eq!(parse_result_block(json).unwrap()["verdict"], "pass");
        assert!(parse_result_block("no block").is_err());
        assert!(parse_result_block("```refine-result\n{oops}\n```")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(parse_result_block("```refine-result\n[1]\n```").is_err());
    }

    #[test]
    fn secrets_are_redacted_and_profiles_validated() {
        let mut p = default_profile(Provider::ClaudeCode, "/x/refine");
        p.env.insert("ANTHROPIC_API_KEY".into(), "sk-123".into());
        p.env.insert("LANG".into(), "C".into());
        let r = p.redacted();
        assert_eq!(r.env["ANTHROPIC_API_KEY"], REDACTED);
        assert_eq!(r.env["LANG"], "C");
        assert!(p.validate().is_ok());
        for prov in Provider::ALL {
            assert!(
                default_profile(prov, "/x/refine").validate().is_ok(),
                "{prov:?}"
            );
        }
        let mut bad = p.clone();
        bad.name = "no spaces".into();
        assert!(bad.validate().is_err());
        let mut bad = p.clone();
        bad.prompt_delivery = PromptDelivery::File;
        assert!(bad.validate().unwrap_err().contains("{promptFile}"));
    }
}
