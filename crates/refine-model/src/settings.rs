//! Typed, validated, layered settings: defaults < global (user) < app.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specta::Type;

/// All settings, fully resolved. Every field has a default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    pub ui: UiSettings,
    pub runner: RunnerSettings,
    pub processes: ProcessSettings,
    pub terminal: TerminalSettings,
    pub git: GitSettings,
    pub agents: AgentSettings,
    pub upgrade: UpgradeSettings,
    pub worktree: WorktreeSettings,
}

/// What each new Goal worktree gets before its agent starts, and what runs before Refine
/// removes it (usually set per app).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WorktreeSettings {
    /// `worktree` (default): each Goal's Round works in a worktree of its own. `checkout`: for
    /// apps that cannot use worktrees — Goals run in the app's main checkout, one at a time
    /// (the next starts when the one before is decided), on their own branch.
    pub mode: WorktreeMode,
    /// Shell commands run in order in each new worktree before the agent starts (`npm ci`);
    /// a failing one fails the Round with its log as evidence.
    #[schemars(length(max = 20))]
    pub setup: Vec<String>,
    /// Shell commands run in a worktree before Refine removes it (after the Goal is done).
    #[schemars(length(max = 20))]
    pub teardown: Vec<String>,
    /// Git-ignored files and folders of the app root copied into each new worktree (`.env`,
    /// `config/local.yml`): relative paths inside the app root.
    #[schemars(length(max = 50))]
    pub copy: Vec<String>,
    /// The same, symlinked instead of copied (large folders such as `node_modules`).
    #[schemars(length(max = 50))]
    pub link: Vec<String>,
}

/// Where a Goal's Round works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorktreeMode {
    #[default]
    Worktree,
    /// The app's main checkout, one Goal at a time ("no worktree" mode).
    Checkout,
}

impl WorktreeSettings {
    fn validate(&self) -> Result<(), String> {
        for (name, list, max) in [("setup", &self.setup, 20), ("teardown", &self.teardown, 20)] {
            if list.len() > max {
                return Err(format!("worktree.{name} takes at most {max} commands"));
            }
            for c in list {
                if c.trim().is_empty() || c.len() > 4000 || c.contains('\0') {
                    return Err(format!(
                        "worktree.{name}: each command is 1-4000 characters of shell (got {:?})",
                        c.chars().take(60).collect::<String>()
                    ));
                }
            }
        }
        for (name, list) in [("copy", &self.copy), ("link", &self.link)] {
            if list.len() > 50 {
                return Err(format!("worktree.{name} takes at most 50 paths"));
            }
            for p in list {
                if !app_relative(p) {
                    return Err(format!(
                        "worktree.{name}: {p:?} is not a path inside the app root (relative, no '..', '.' or empty parts, not .git)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A relative path that stays inside the directory it is relative to.
pub fn app_relative(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 1024
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.trim_end_matches('/')
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
        && p.split('/').next() != Some(".git")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Appearance of the desktop window and browser UI.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct UiSettings {
    /// Colour theme.
    pub theme: Theme,
}

/// How runner workers advance Goals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RunnerSettings {
    /// Goals worked on at the same time on this node.
    #[schemars(range(min = 1, max = 32))]
    pub max_concurrent_goals: u32,
    /// New Rounds a Goal may open after failed quality or governance checks.
    #[schemars(range(min = 0, max = 10))]
    pub retry_budget: u32,
    /// Goals of one app worked on at the same time.
    #[schemars(range(min = 1, max = 32))]
    pub max_per_app: u32,
    /// Goals one agent provider works on at the same time.
    #[schemars(range(min = 1, max = 32))]
    pub max_per_provider: u32,
    /// Seconds between scheduler passes when nothing wakes it sooner.
    #[schemars(range(min = 1, max = 600))]
    pub poll_seconds: u32,
    /// Candidates a Goal's Round implements side by side (best-of-N; 1 = one candidate) unless
    /// the Goal asks for its own number.
    #[schemars(range(min = 1, max = 5))]
    pub candidates: u32,
    /// Agent profiles for the candidates, in order and repeated as needed (empty: the default
    /// profile for each).
    pub candidate_profiles: Vec<String>,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        RunnerSettings {
            max_concurrent_goals: 2,
            retry_budget: 5,
            max_per_app: 4,
            max_per_provider: 4,
            poll_seconds: 5,
            candidates: 1,
            candidate_profiles: Vec::new(),
        }
    }
}

/// Supervised processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ProcessSettings {
    /// Processes running at once before new starts are refused.
    #[schemars(range(min = 1, max = 256))]
    pub max_concurrent: u32,
    /// Seconds between SIGTERM and SIGKILL when stopping.
    #[schemars(range(min = 1, max = 120))]
    pub stop_grace_seconds: u32,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        ProcessSettings {
            max_concurrent: 32,
            stop_grace_seconds: 5,
        }
    }
}

/// Terminal sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TerminalSettings {
    /// Scrollback kept per session, in KiB.
    #[schemars(range(min = 16, max = 16384))]
    pub scrollback_kb: u32,
    /// Minutes a detached session may idle before it is closed (0 = never).
    #[schemars(range(min = 0, max = 10080))]
    pub idle_close_minutes: u32,
}

impl Default for TerminalSettings {
    fn default() -> Self {
        TerminalSettings {
            scrollback_kb: 512,
            idle_close_minutes: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationStrategy {
    #[default]
    Merge,
    Squash,
    Rebase,
}

/// Git behaviour for Goal branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GitSettings {
    /// How an approved Goal's branch is integrated.
    pub integration: IntegrationStrategy,
    /// Prefix of the branches Refine creates for Goals.
    #[schemars(length(min = 1, max = 40), regex(pattern = r"^[A-Za-z0-9._/-]+$"))]
    pub branch_prefix: String,
}

impl Default for GitSettings {
    fn default() -> Self {
        GitSettings {
            integration: IntegrationStrategy::Merge,
            branch_prefix: "refine/".to_string(),
        }
    }
}

/// Coding-agent defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgentSettings {
    /// The agent profile used when a Goal names none.
    #[schemars(length(min = 1, max = 64))]
    pub default_profile: String,
    /// Minutes an agent run may take before it is stopped.
    #[schemars(range(min = 1, max = 1440))]
    pub run_timeout_minutes: u32,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            default_profile: "claude-code".to_string(),
            run_timeout_minutes: 60,
        }
    }
}

/// New versions and the database's safety copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct UpgradeSettings {
    /// Where to learn of new releases: an `http(s)://` URL or an absolute file path of a JSON
    /// release feed; empty = never look. Looked at once a day and on demand.
    #[schemars(length(max = 2048))]
    pub feed: String,
    /// Database backups kept in the data dir's `backups/` (the oldest go first).
    #[schemars(range(min = 1, max = 100))]
    pub backups_kept: u32,
}

impl Default for UpgradeSettings {
    fn default() -> Self {
        UpgradeSettings {
            feed: String::new(),
            backups_kept: 5,
        }
    }
}

/// Which layer a settings write targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SettingsScope {
    Global,
    App,
}

/// One stored layer: a partial settings object and its revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsLayer {
    #[specta(type = specta_typescript::Unknown)]
    pub values: Value,
    pub revision: u32,
}

/// RFC 7396 JSON merge patch: objects merge, `null` removes, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Resolve layers (each a partial object) over the defaults and validate the result.
pub fn resolve(layers: &[&Value]) -> Result<Settings, String> {
    let mut merged = serde_json::to_value(Settings::default()).expect("defaults serialize");
    for layer in layers {
        merge_patch(&mut merged, layer);
    }
    let settings: Settings = serde_json::from_value(merged).map_err(|e| e.to_string())?;
    settings.validate()?;
    Ok(settings)
}

impl Settings {
    /// Range and format checks that types alone do not express (mirrors the JSON Schema).
    pub fn validate(&self) -> Result<(), String> {
        fn range(path: &str, v: u32, min: u32, max: u32) -> Result<(), String> {
            if v < min || v > max {
                return Err(format!("{path} must be between {min} and {max}, got {v}"));
            }
            Ok(())
        }
        range(
            "runner.maxConcurrentGoals",
            self.runner.max_concurrent_goals,
            1,
            32,
        )?;
        range("runner.retryBudget", self.runner.retry_budget, 0, 10)?;
        range("runner.maxPerApp", self.runner.max_per_app, 1, 32)?;
        range("runner.maxPerProvider", self.runner.max_per_provider, 1, 32)?;
        range("runner.pollSeconds", self.runner.poll_seconds, 1, 600)?;
        range("runner.candidates", self.runner.candidates, 1, 5)?;
        if self.runner.candidate_profiles.len() > 5
            || self
                .runner
                .candidate_profiles
                .iter()
                .any(|p| p.trim().is_empty() || p.len() > 64)
        {
            return Err(
                "runner.candidateProfiles takes at most 5 profile names (1-64 characters each)"
                    .into(),
            );
        }
        range(
            "processes.maxConcurrent",
            self.processes.max_concurrent,
            1,
            256,
        )?;
        range(
            "processes.stopGraceSeconds",
            self.processes.stop_grace_seconds,
            1,
            120,
        )?;
        range(
            "terminal.scrollbackKb",
            self.terminal.scrollback_kb,
            16,
            16384,
        )?;
        range(
            "terminal.idleCloseMinutes",
            self.terminal.idle_close_minutes,
            0,
            10080,
        )?;
        range(
            "agents.runTimeoutMinutes",
            self.agents.run_timeout_minutes,
            1,
            1440,
        )?;
        let prefix = &self.git.branch_prefix;
        if prefix.is_empty()
            || prefix.len() > 40
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
            || prefix.starts_with('-')
            || prefix.contains("..")
        {
            return Err(format!(
                "git.branchPrefix must be 1-40 characters of letters, digits, '.', '_', '/', '-' (got {prefix:?})"
            ));
        }
        let profile = &self.agents.default_profile;
        if profile.is_empty() || profile.len() > 64 {
            return Err("agents.defaultProfile must be 1-64 characters".to_string());
        }
        range("upgrade.backupsKept", self.upgrade.backups_kept, 1, 100)?;
        self.worktree.validate()?;
        let feed = self.upgrade.feed.trim();
        if feed.len() > 2048
            || !(feed.is_empty()
                || feed.starts_with("http://")
                || feed.starts_with("https://")
                || feed.starts_with("file:///")
                || feed.starts_with('/'))
        {
            return Err(format!(
                "upgrade.feed must be empty, an http(s):// URL or an absolute file path (got {feed:?})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layers_override_in_order() {
        let global = json!({"runner": {"maxConcurrentGoals": 4}, "ui": {"theme": "dark"}});
        let app = json!({"runner": {"maxConcurrentGoals": 1}});
        let s = resolve(&[&global, &app]).unwrap();
        assert_eq!(s.runner.max_concurrent_goals, 1);
        assert_eq!(s.ui.theme, Theme::Dark);
        assert_eq!(s.runner.retry_budget, 5, "the default (issue 5)");
    }

    #[test]
    fn unknown_fields_and_ranges_are_refused() {
        assert!(resolve(&[&json!({"runner": {"bogus": 1}})]).is_err());
        assert!(resolve(&[&json!({"nope": {}})]).is_err());
        let e = resolve(&[&json!({"runner": {"maxConcurrentGoals": 0}})]).unwrap_err();
        assert!(e.contains("maxConcurrentGoals"), "{e}");
        assert!(resolve(&[&json!({"ui": {"theme": "pink"}})]).is_err());
        assert!(resolve(&[&json!({"git": {"branchPrefix": "-x"}})]).is_err());
    }

    #[test]
    fn merge_patch_removes_with_null() {
        let mut v = json!({"a": {"b": 1, "c": 2}});
        merge_patch(&mut v, &json!({"a": {"b": null, "d": 3}}));
        assert_eq!(v, json!({"a": {"c": 2, "d": 3}}));
    }
}
