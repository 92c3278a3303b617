//! The parsers against real output of the real CLIs (captured offline against the model-API
//! stand-in, `tests/agents/samples`).

use refine_model::agents::{default_profile, Provider};
use refine_model::transcript::TranscriptItem;

use super::{parser_for, status_in, Collector, MAX_ITEMS};

macro_rules! sample {
    ($name:literal) => {
        include_str!(concat!("../../../../../tests/agents/samples/", $name))
    };
}

fn run(provider: Provider, cwd: &str, out: &str) -> (Vec<TranscriptItem>, super::Summary) {
    let p = default_profile(provider, "/bin/refine");
    let mut c = Collector::new(parser_for(&p, cwd));
    let mut items = Vec::new();
    for line in out.lines() {
        items.extend(c.line(line));
    }
    items.extend(c.finish());
    (items, c.summary)
}

fn kinds(items: &[TranscriptItem]) -> Vec<&'static str> {
    items.iter().map(|i| i.kind()).collect()
}

fn files(items: &[TranscriptItem]) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|i| match i {
            TranscriptItem::FileChange { path, change } => Some((path.clone(), change.clone())),
            _ => None,
        })
        .collect()
}

fn commands(items: &[TranscriptItem]) -> Vec<(String, Option<i32>)> {
    items
        .iter()
        .filter_map(|i| match i {
            TranscriptItem::Command {
                command, exit_code, ..
            } => Some((command.clone(), *exit_code)),
            _ => None,
        })
        .collect()
}

#[test]
fn claude_code_stream_json_edits_commands_usage_and_the_answer() {
    let (items, s) = run(
        Provider::ClaudeCode,
        "/var/tmp/refine-agent-samples/claude-edit-bash/work",
        sample!("claude-edit-bash.jsonl"),
    );
    assert_eq!(kinds(&items)[0], "session_started");
    assert_eq!(
        s.session_id.as_deref(),
        Some("5bfe25ec-e63a-4cea-b3dc-38799f76e577")
    );
    assert_eq!(s.model.as_deref(), Some("claude-opus-5-5"));
    let tools: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            TranscriptItem::ToolCall { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(tools, ["Write", "Bash", "Read", "Edit", "Bash"]);
    // The sample's Write replaced a file that was there already: Claude says "update".
    assert_eq!(
        files(&items),
        [
            ("hello.txt".to_string(), "update".to_string()),
            ("hello.txt".to_string(), "update".to_string())
        ]
    );
    let cmds = commands(&items);
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0].1, Some(0));
    assert_eq!(cmds[1], ("ls missing-file".to_string(), Some(2)));
    let usage = s.usage.unwrap();
    assert_eq!(usage.cost_usd, Some(0.0901898));
    assert_eq!(usage.output_tokens, 156);
    assert_eq!(usage.cached_tokens, 57889);
    assert_eq!(s.turns, Some(6));
    assert_eq!(s.finished_ok, Some(true));
    assert!(s.final_text.unwrap().contains("```refine-result"));
    assert!(s.errors.is_empty());
}

#[test]
fn claude_code_denials_errors_and_limits_are_told_apart() {
    let (items, s) = run(
        Provider::ClaudeCode,
        "/var/tmp/refine-agent-samples/claude-denied/work",
        sample!("claude-denied.jsonl"),
    );
    assert_eq!(s.denials, 1, "one denial, reported three ways: {items:?}");
    assert!(items
        .iter()
        .any(|i| matches!(i, TranscriptItem::PermissionDenied { tool, .. } if tool == "Write")));
    for (sample, status) in [
        (sample!("claude-failed-429.jsonl"), 429),
        (sample!("claude-failed-401.jsonl"), 401),
        (sample!("claude-failed-500.jsonl"), 500),
    ] {
        let (_, s) = run(Provider::ClaudeCode, "/w", sample);
        assert_eq!(s.finished_ok, Some(false));
        assert!(
            s.errors.iter().any(|(st, _)| *st == Some(status)),
            "{status}: {:?}",
            s.errors
        );
    }
    let (items, _) = run(
        Provider::ClaudeCode,
        "/w",
        sample!("claude-429-then-ok.jsonl"),
    );
    assert!(items
        .iter()
        .any(|i| matches!(i, TranscriptItem::Notice { message } if message.contains("HTTP 429"))));
}

#[test]
fn codex_exec_json_edits_commands_usage_and_the_answer() {
    let (items, s) = run(
        Provider::Codex,
        "/var/tmp/refine-agent-samples/codex-edit-bash/work",
        sample!("codex-edit-bash.jsonl"),
    );
    assert_eq!(
        s.session_id.as_deref(),
        Some("01a236e2-6d64-7de2-a0fa-a542d3e08d2e")
    );
    assert_eq!(
        files(&items),
        [
            ("hello.txt".to_string(), "add".to_string()),
            ("hello.txt".to_string(), "update".to_string())
        ]
    );
    let cmds = commands(&items);
    assert_eq!(cmds[0].1, Some(0));
    assert!(cmds[0].0.starts_with("cat hello.txt"), "{cmds:?}");
    assert_eq!(cmds[1], ("ls missing-file".to_string(), Some(2)));
    let usage = s.usage.unwrap();
    assert_eq!(usage.input_tokens, 50086);
    assert_eq!(usage.cached_tokens, 36286);
    assert_eq!(usage.cost_usd, None, "Codex reports no cost");
    assert_eq!(s.finished_ok, Some(true));
    assert!(s.final_text.unwrap().contains("```refine-result"));
    for (sample, status) in [
        (sample!("codex-failed-429.jsonl"), 429),
        (sample!("codex-failed-401.jsonl"), 401),
    ] {
        let (_, s) = run(Provider::Codex, "/w", sample);
        assert_eq!(s.finished_ok, Some(false));
        assert_eq!(
            s.errors.len(),
            1,
            "error and turn.failed say it once: {:?}",
            s.errors
        );
        assert_eq!(s.errors[0].0, Some(status));
    }
}

#[test]
fn opencode_json_edits_commands_usage_and_errors() {
    let (items, s) = run(
        Provider::Opencode,
        "/var/tmp/refine-agent-samples/opencode-edit-bash/work",
        sample!("opencode-edit-bash.jsonl"),
    );
    assert!(s.session_id.as_deref().unwrap().starts_with("ses_"));
    assert_eq!(
        files(&items)[0],
        ("hello.txt".to_string(), "add".to_string())
    );
    assert!(commands(&items)
        .iter()
        .any(|(c, code)| c == "ls missing-file" && code.is_some_and(|c| c != 0)));
    assert!(s.usage.unwrap().cost_usd.is_some());
    assert!(s.final_text.unwrap().contains("```refine-result"));
    let (_, s) = run(
        Provider::Opencode,
        "/w",
        sample!("opencode-failed-429.jsonl"),
    );
    assert!(
        s.errors.iter().any(|(st, _)| *st == Some(429)),
        "{:?}",
        s.errors
    );
}

#[test]
fn malformed_and_unknown_lines_are_kept_raw_and_a_flood_is_bounded() {
    let (items, s) = run(
        Provider::ClaudeCode,
        "/w",
        "not json at all\n{\"type\":\"something_new\",\"x\":1}\n{\"type\":\"assistant\",\"message\":{\"content\":\"oops\"}}\n{truncated",
    );
    assert_eq!(kinds(&items), ["raw", "raw", "raw"], "{items:?}");
    assert_eq!(s.finished_ok, None);
    let flood: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
    let (items, _) = run(Provider::Aider, "/w", &flood);
    assert!(items.len() as u32 <= MAX_ITEMS + 1);
    assert!(
        matches!(items.last(), Some(TranscriptItem::Truncated { dropped }) if *dropped == 10_000 - MAX_ITEMS)
    );
}

#[test]
fn statuses_are_found_in_messages() {
    assert_eq!(
        status_in("exceeded retry limit, last status: 429 Too Many Requests"),
        Some(429)
    );
    assert_eq!(
        status_in("unexpected status 401 Unauthorized: Incorrect API key"),
        Some(401)
    );
    assert_eq!(
        status_in("API Error: Request rejected (429) · slow down"),
        Some(429)
    );
    assert_eq!(
        status_in("API Error: 500 Internal server error."),
        Some(500)
    );
    assert_eq!(status_in("it took 200 ms"), None);
}
