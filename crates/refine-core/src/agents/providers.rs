//! What each provider's CLI needs beyond the profile's own arguments and environment: its model
//! API base URL (the profile's `baseUrl`, for a gateway or proxy), and quiet defaults for a
//! headless run (no telemetry side requests).

use std::collections::HashMap;

use refine_model::agents::{AgentProfile, Provider};

/// The variables and extra arguments a run of `p` gets, applied to `argv` and `env` (values the
/// profile sets itself win over Refine's defaults).
pub(crate) fn apply(p: &AgentProfile, argv: &mut Vec<String>, env: &mut HashMap<String, String>) {
    let mut default = |k: &str, v: &str| {
        env.entry(k.to_string()).or_insert_with(|| v.to_string());
    };
    match p.provider {
        Provider::ClaudeCode => {
            // Without it Claude Code makes side requests (a session title, update checks).
            default("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
            if let Some(u) = &p.base_url {
                default("ANTHROPIC_BASE_URL", u);
            }
        }
        Provider::Codex => {
            if let Some(u) = &p.base_url {
                // Codex ignores OPENAI_BASE_URL; a model provider of its own is the way.
                let key = env
                    .keys()
                    .find(|k| k.as_str() == "OPENAI_API_KEY")
                    .or_else(|| env.keys().find(|k| k.ends_with("_API_KEY")))
                    .cloned()
                    .unwrap_or_else(|| "OPENAI_API_KEY".to_string());
                let at = usize::from(argv.get(1).map(String::as_str) == Some("exec")) + 1;
                let flags = [
                    "-c".to_string(),
                    "model_provider=\"refine\"".to_string(),
                    "-c".to_string(),
                    format!(
                        "model_providers.refine={{name=\"refine\",base_url=\"{}\",env_key=\"{key}\",wire_api=\"responses\"}}",
                        u.replace('"', "")
                    ),
                ];
                let at = at.min(argv.len());
                argv.splice(at..at, flags);
            }
        }
        Provider::Gemini => {
            if let Some(u) = &p.base_url {
                default("GOOGLE_GEMINI_BASE_URL", u);
            }
        }
        Provider::Copilot => {
            if let Some(u) = &p.base_url {
                default("COPILOT_PROVIDER_BASE_URL", u);
            }
        }
        Provider::Aider => {
            if let Some(u) = &p.base_url {
                default("OPENAI_API_BASE", u);
            }
        }
        Provider::Opencode => {
            if let Some(u) = &p.base_url {
                default("OPENAI_BASE_URL", u);
            }
            default("OPENCODE_DISABLE_AUTOUPDATE", "1");
        }
        Provider::Generic | Provider::Scripted => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::agents::default_profile;

    #[test]
    fn a_base_url_reaches_each_cli_its_own_way() {
        let mut claude = default_profile(Provider::ClaudeCode, "/r");
        claude.base_url = Some("http://127.0.0.1:9/".into());
        let (mut argv, mut env) = (vec!["claude".to_string()], HashMap::new());
        apply(&claude, &mut argv, &mut env);
        assert_eq!(env["ANTHROPIC_BASE_URL"], "http://127.0.0.1:9/");
        assert_eq!(env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"], "1");

        let mut codex = default_profile(Provider::Codex, "/r");
        codex.base_url = Some("http://127.0.0.1:9/v1".into());
        let mut argv: Vec<String> = std::iter::once("codex".to_string())
            .chain(codex.args.iter().cloned())
            .collect();
        let mut env = HashMap::from([("MY_API_KEY".to_string(), "k".to_string())]);
        apply(&codex, &mut argv, &mut env);
        assert_eq!(&argv[..2], ["codex", "exec"]);
        assert_eq!(argv[2], "-c");
        assert_eq!(argv[3], "model_provider=\"refine\"");
        assert!(
            argv[5].contains("base_url=\"http://127.0.0.1:9/v1\""),
            "{argv:?}"
        );
        assert!(argv[5].contains("env_key=\"MY_API_KEY\""), "{argv:?}");
        assert_eq!(argv.last().unwrap(), "-", "the prompt still comes on stdin");

        // The profile's own value wins.
        let (mut argv, mut env) = (
            vec!["claude".to_string()],
            HashMap::from([("ANTHROPIC_BASE_URL".to_string(), "http://mine".to_string())]),
        );
        apply(&claude, &mut argv, &mut env);
        assert_eq!(env["ANTHROPIC_BASE_URL"], "http://mine");
    }
}
