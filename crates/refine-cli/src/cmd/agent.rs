//! `refine agent`: agent profiles and detection, interactive agent sessions, and what runs did
//! and cost.

use clap::Subcommand;
use refine_api::ops::{agents, apps, terminal};
use refine_client::CliError;
use refine_core::agents::usage::{TranscriptInput, TranscriptPage, UsageInput, UsageReport};
use refine_core::agents::{
    DetectInput, GoalRunsInput, LaunchInput, ProfileNameInput, SaveProfileInput,
};
use refine_core::events::kind;
use refine_core::system::Empty;
use refine_model::agents::{AgentProfile, AgentRun, Detection, DetectionState};
use refine_model::transcript::{TranscriptEntry, TranscriptItem, Usage};

use super::apps::app_opt;
use super::{event_data, term, Commands, Run};
use crate::render::{opt, state, toned, wire, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Agent profiles with whether each CLI is installed.
    List,
    /// Detect installed agent CLIs (one profile, or all): path, version, diagnosis.
    Detect { profile: Option<String> },
    /// Show profiles in full (command, args, env with secrets redacted, prompt delivery).
    Profiles,
    /// Set a profile's command (and optionally its arguments after `--`).
    Set {
        profile: String,
        /// The program (name on PATH or absolute path).
        #[arg(long)]
        command: Option<String>,
        /// NAME=value environment entries (repeatable).
        #[arg(long = "env")]
        env: Vec<String>,
        /// The model API the CLI talks to (a gateway of your own); `none` clears it.
        #[arg(long)]
        base_url: Option<String>,
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Reset a provider's profile to its default, or delete a custom one.
    Reset { profile: String },
    /// Start an interactive agent session on a terminal and attach to it (Ctrl-] detaches).
    Attach {
        /// Profile (default: the agents.defaultProfile setting).
        #[arg(long)]
        profile: Option<String>,
        /// Attach to an existing session id instead of starting one.
        #[arg(long)]
        session: Option<String>,
    },
    /// Every agent run of a Goal (phase, repairs, status, tokens, cost).
    Runs { goal: String },
    /// One run's transcript (what it said and did); --follow keeps printing while it runs.
    Transcript {
        run: String,
        #[arg(long, short)]
        follow: bool,
    },
    /// Tokens and cost per day and provider (one app with --app).
    Usage {
        #[arg(long)]
        app: Option<String>,
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
}

pub const COMMANDS: Commands = &[
    ("list", &[agents::DETECT.name]),
    ("detect", &[agents::REDETECT.name]),
    ("profiles", &[agents::PROFILES_LIST.name]),
    (
        "set",
        &[agents::PROFILES_SAVE.name, agents::PROFILES_LIST.name],
    ),
    ("reset", &[agents::PROFILES_DELETE.name]),
    ("attach", &[agents::LAUNCH.name, terminal::GET.name]),
    ("runs", &[agents::RUNS_LIST.name, agents::USAGE.name]),
    ("transcript", &[agents::TRANSCRIPT.name]),
    ("usage", &[agents::USAGE.name, apps::LIST.name]),
];

pub async fn run(r: &Run<'_>, cmd: &AgentCmd) -> Result {
    let c = r.c;
    match cmd {
        // `list` shows what the daemon last found; `detect` looks again now.
        AgentCmd::List => {
            let found = c.run(agents::DETECT, &DetectInput { name: None }).await?;
            r.out.show(&Detections(found))
        }
        AgentCmd::Detect { profile } => {
            let input = DetectInput {
                name: profile.clone(),
            };
            r.out
                .show(&Detections(c.run(agents::REDETECT, &input).await?))
        }
        AgentCmd::Profiles => r
            .out
            .show(&Profiles(c.run(agents::PROFILES_LIST, &Empty {}).await?)),
        AgentCmd::Set {
            profile,
            command,
            env,
            base_url,
            args,
        } => {
            let all = c.run(agents::PROFILES_LIST, &Empty {}).await?;
            let mut p = all
                .into_iter()
                .find(|p| &p.name == profile)
                .ok_or_else(|| CliError::Usage(format!("no agent profile named {profile:?}")))?;
            edit(&mut p, command, env, base_url, args)?;
            let saved = c
                .run(agents::PROFILES_SAVE, &SaveProfileInput { profile: p })
                .await?;
            r.out
                .done(&saved, |p| format!("Saved agent profile {}", p.name))
        }
        AgentCmd::Reset { profile } => {
            let input = ProfileNameInput {
                name: profile.clone(),
            };
            let gone = c.run(agents::PROFILES_DELETE, &input).await?;
            r.out.done(&gone, |g| {
                if g.reset {
                    format!("Agent profile {} is back to its default", g.name)
                } else {
                    format!("Deleted agent profile {}", g.name)
                }
            })
        }
        AgentCmd::Attach { profile, session } => {
            let id = match session {
                Some(id) => id.clone(),
                None => {
                    let (cols, rows) = term::size();
                    let input = LaunchInput {
                        app_id: None,
                        profile: profile.clone(),
                        cols: Some(cols),
                        rows: Some(rows),
                    };
                    let t = c.run(agents::LAUNCH, &input).await?;
                    eprintln!("Agent session {} started; Ctrl-] detaches", t.id);
                    t.id
                }
            };
            term::attach(c, &id).await
        }
        AgentCmd::Runs { goal } => {
            let input = GoalRunsInput {
                goal_id: goal.clone(),
            };
            let runs = c.run(agents::RUNS_LIST, &input).await?;
            if r.out.is_json() {
                return r.out.json(&runs);
            }
            let input = UsageInput {
                app_id: None,
                goal_id: Some(goal.clone()),
                days: None,
            };
            let usage = c.run(agents::USAGE, &input).await?;
            let mut p = Printer::new(r.out.color);
            GoalRuns { runs, usage }.render(&mut p);
            p.flush();
            Ok(())
        }
        AgentCmd::Transcript { run, follow } => {
            // Every page first (one page with all entries for --json without --follow).
            let mut all = TranscriptPage {
                run_id: run.clone(),
                entries: Vec::new(),
                next_seq: None,
                running: false,
            };
            let streaming = r.out.is_json() && *follow;
            let mut after = None;
            loop {
                let input = TranscriptInput {
                    run_id: run.clone(),
                    after_seq: after,
                    limit: Some(2000),
                };
                let page = c.run(agents::TRANSCRIPT, &input).await?;
                all.running = page.running;
                if streaming || !r.out.is_json() {
                    page.entries.iter().for_each(|e| print_entry(e, streaming));
                }
                all.entries.extend(page.entries);
                match page.next_seq {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            if r.out.is_json() && !*follow {
                return r.out.json(&all);
            }
            if *follow && all.running {
                let mut seen = all.entries.last().map(|e| e.seq);
                c.follow(None, |ev| {
                    if let Some(batch) = event_data(&ev, kind::AGENTS_TRANSCRIPT) {
                        if &batch.run_id != run {
                            return true;
                        }
                        for e in &batch.entries {
                            if seen.is_some_and(|s| e.seq <= s) {
                                continue;
                            }
                            seen = Some(e.seq);
                            print_entry(e, streaming);
                            if matches!(e.item, TranscriptItem::Finished { .. }) {
                                return false;
                            }
                        }
                    }
                    // The run ended (its record says so) without a finish entry.
                    event_data(&ev, kind::AGENTS_RUN)
                        .is_none_or(|a| &a.id != run || a.status == "running")
                })
                .await?;
            }
            Ok(())
        }
        AgentCmd::Usage { app, days } => {
            let input = UsageInput {
                app_id: app_opt(c, app).await?,
                goal_id: None,
                days: Some(*days),
            };
            r.out.show(&c.run(agents::USAGE, &input).await?)
        }
    }
}

/// `agent set`: the changes asked for, on the profile as it is.
fn edit(
    p: &mut AgentProfile,
    command: &Option<String>,
    env: &[String],
    base_url: &Option<String>,
    args: &[String],
) -> Result {
    if let Some(cmd) = command {
        p.command = cmd.clone();
    }
    if !args.is_empty() {
        p.args = args.to_vec();
    }
    for e in env {
        let (k, v) = e
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--env {e:?}: use NAME=value")))?;
        p.env.insert(k.to_string(), v.to_string());
    }
    if let Some(u) = base_url {
        p.base_url = (u != "none").then(|| u.clone());
    }
    Ok(())
}

/// `1,234` style thousands.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn tokens(u: &Usage) -> String {
    thousands(u.total_tokens())
}

fn breakdown(u: &Usage) -> String {
    format!(
        "{} in, {} out, {} cached",
        thousands(u64::from(u.input_tokens)),
        thousands(u64::from(u.output_tokens)),
        thousands(u64::from(u.cached_tokens))
    )
}

fn cost(u: &Usage) -> String {
    match u.cost_usd {
        Some(c) => format!("${c:.4}"),
        None => "no cost reported".to_string(),
    }
}

/// One transcript entry: a line for people, or one JSON line.
fn print_entry(e: &TranscriptEntry, json: bool) {
    if json {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
    } else {
        println!("{}", entry_line(&e.item));
    }
}

/// What an entry says, after a column naming its kind.
fn entry_line(i: &TranscriptItem) -> String {
    match i {
        TranscriptItem::SessionStarted {
            session_id, model, ..
        } => format!(
            "session  {} ({})",
            opt(session_id),
            model.as_deref().unwrap_or("model not named")
        ),
        TranscriptItem::Text { text } => format!("text     {text}"),
        TranscriptItem::Thinking { text } => format!("thinking {text}"),
        TranscriptItem::ToolCall { name, summary, .. } => format!("tool     {name}: {summary}"),
        TranscriptItem::ToolResult { ok, excerpt, .. } => format!(
            "result   {}{}",
            if *ok { "ok" } else { "error" },
            excerpt
                .lines()
                .next()
                .filter(|x| !x.is_empty())
                .map(|x| format!(": {x}"))
                .unwrap_or_default()
        ),
        TranscriptItem::FileChange { path, change } => format!("file     {change} {path}"),
        TranscriptItem::Command {
            command, exit_code, ..
        } => format!(
            "command  $ {command}  → exit {}",
            exit_code.map_or("?".to_string(), |c| c.to_string())
        ),
        TranscriptItem::PermissionDenied { tool, detail } => format!("DENIED   {tool}: {detail}"),
        TranscriptItem::Notice { message } => format!("notice   {message}"),
        TranscriptItem::Error { message, status } => format!(
            "ERROR    {}{message}",
            status.map(|c| format!("HTTP {c}: ")).unwrap_or_default()
        ),
        TranscriptItem::Usage {
            input_tokens,
            output_tokens,
            cached_tokens,
            cost_usd,
        } => {
            let u = Usage {
                input_tokens: *input_tokens,
                output_tokens: *output_tokens,
                cached_tokens: *cached_tokens,
                cost_usd: *cost_usd,
            };
            format!(
                "usage    {} tokens ({}), {}",
                tokens(&u),
                breakdown(&u),
                cost(&u)
            )
        }
        TranscriptItem::Finished { ok, turns, .. } => format!(
            "finished {}{}",
            if *ok { "ok" } else { "failed" },
            turns
                .map(|t| format!(" after {t} turn(s)"))
                .unwrap_or_default()
        ),
        TranscriptItem::Truncated { dropped } => {
            format!("…        {dropped} more entries not kept (the raw log has them)")
        }
        TranscriptItem::Raw { line } => format!("raw      {line}"),
    }
}

/// `agent list` and `detect`: one row per profile.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Detections(pub Vec<Detection>);

impl Render for Detections {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|d| {
                let mark = match d.state {
                    DetectionState::Installed => toned("✔ installed", Tone::Good),
                    DetectionState::Broken => toned("✘ not working", Tone::Bad),
                    DetectionState::Unchecked => toned("? not checked yet", Tone::Wait),
                    DetectionState::Missing => toned("– not installed", Tone::Dim),
                };
                vec![
                    Cell::from(&d.profile),
                    mark,
                    Cell::from(opt(&d.version)),
                    Cell::from(&d.diagnosis),
                ]
            })
            .collect();
        p.table(&["profile", "state", "version", "diagnosis"], rows);
    }
}

/// `agent profiles`: each profile in full (secrets come redacted).
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Profiles(pub Vec<AgentProfile>);

impl Render for Profiles {
    fn render(&self, p: &mut Printer) {
        for a in &self.0 {
            p.line(format!(
                "{} ({}){}",
                a.name,
                a.provider.as_str(),
                if a.builtin { "" } else { " [edited]" }
            ));
            p.line(format!("  command: {} {}", a.command, a.args.join(" ")));
            p.line(format!("  prompt:  {}", wire(&a.prompt_delivery)));
            for (k, v) in &a.env {
                p.line(format!("  env:     {k}={v}"));
            }
        }
    }
}

/// `agent runs`: every run of a Goal and what they cost in all.
struct GoalRuns {
    runs: Vec<AgentRun>,
    usage: UsageReport,
}

impl Render for GoalRuns {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let prompt = match r.kind.as_str() {
                    "run" => "first".to_string(),
                    "repair" => format!("repair {}", r.attempt),
                    k => k.to_string(),
                };
                vec![
                    Cell::from(&r.id),
                    Cell::from(opt(&r.round)),
                    Cell::from(r.phase.as_str()),
                    Cell::from(prompt),
                    Cell::from(&r.profile),
                    state(&r.status),
                    Cell::from(tokens(&r.usage)),
                    Cell::from(cost(&r.usage)),
                    Cell::from(opt(&r.error)),
                ]
            })
            .collect();
        p.table(
            &[
                "run", "round", "phase", "prompt", "profile", "status", "tokens", "cost", "error",
            ],
            rows,
        );
        let t = &self.usage.total;
        p.line(format!(
            "In all: {} tokens ({}), {}",
            tokens(t),
            breakdown(t),
            cost(t)
        ));
    }
}

/// `agent usage`: per day, per provider, in all.
impl Render for UsageReport {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .days
            .iter()
            .map(|d| {
                vec![
                    Cell::from(&d.day),
                    Cell::from(d.runs),
                    Cell::from(tokens(&d.usage)),
                    Cell::from(cost(&d.usage)),
                ]
            })
            .collect();
        p.table(&["day", "runs", "tokens", "cost"], rows);
        let rows = self
            .providers
            .iter()
            .map(|d| {
                vec![
                    Cell::from(&d.provider),
                    Cell::from(d.runs),
                    Cell::from(tokens(&d.usage)),
                    Cell::from(cost(&d.usage)),
                ]
            })
            .collect();
        p.table(&["provider", "runs", "tokens", "cost"], rows);
        p.line(format!(
            "In all: {} tokens, {}",
            tokens(&self.total),
            cost(&self.total)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    fn usage() -> serde_json::Value {
        json!({"inputTokens": 1200, "outputTokens": 34, "cachedTokens": 1000, "costUsd": 0.0123})
    }

    #[test]
    fn agents_and_profiles_render_from_their_typed_output() {
        let found: Vec<Detection> = serde_json::from_value(json!([
            {"checkedAt": null, "verifiedVersions": [], "verified": true, "profile": "scripted",
             "provider": "scripted", "state": "installed", "path": null, "version": "1.0", "diagnosis": ""},
            {"checkedAt": null, "verifiedVersions": [], "verified": false, "profile": "claude-code",
             "provider": "claude-code", "state": "missing", "path": null, "version": null,
             "diagnosis": "claude is not on PATH"}
        ]))
        .unwrap();
        let out = shown(&Detections(found));
        assert!(out.contains("scripted     ✔ installed"), "{out}");
        assert!(
            out.contains("claude-code  – not installed  -        claude is not on PATH"),
            "{out}"
        );

        let mut p: AgentProfile = serde_json::from_value(json!({
            "name": "codex", "provider": "codex", "command": "codex", "args": ["exec"],
            "env": {"OPENAI_API_KEY": "••••••"}, "promptDelivery": "argument", "builtin": true
        }))
        .unwrap();
        assert_eq!(
            shown(&Profiles(vec![p.clone()])),
            "codex (codex)\n  command: codex exec\n  prompt:  argument\n  env:     OPENAI_API_KEY=••••••\n"
        );
        edit(
            &mut p,
            &Some("/opt/codex".into()),
            &["A=1".into()],
            &Some("none".into()),
            &["exec".into(), "--json".into()],
        )
        .unwrap();
        assert_eq!(p.command, "/opt/codex");
        assert_eq!(p.args, ["exec", "--json"]);
        assert_eq!(p.env["A"], "1");
        assert_eq!(p.base_url, None);
        assert!(edit(&mut p, &None, &["nope".into()], &None, &[]).is_err());
    }

    #[test]
    fn runs_usage_and_transcripts_render_from_their_typed_output() {
        let runs: Vec<AgentRun> = serde_json::from_value(json!([{
            "id": "run1", "appId": "a1", "goalId": "g1", "round": 1, "phase": "implement", "attempt": 2,
            "profile": "scripted", "processId": null, "status": "done", "result": null, "error": null,
            "startedAt": "2026-03-01T10:00:00Z", "endedAt": null, "provider": "scripted",
            "sessionId": null, "model": null, "usage": usage(), "turns": 3, "resumed": false,
            "denials": 0, "kind": "repair"
        }]))
        .unwrap();
        let report: UsageReport = serde_json::from_value(json!({
            "total": usage(), "runs": 1, "rounds": [],
            "days": [{"day": "2026-03-01", "usage": usage(), "runs": 1}],
            "providers": [{"provider": "scripted", "usage": usage(), "runs": 1}]
        }))
        .unwrap();
        let out = shown(&GoalRuns {
            runs,
            usage: report.clone(),
        });
        assert!(
            out.contains("run1  1      implement  repair 2  scripted  done    1,234   $0.0123  -"),
            "{out}"
        );
        assert!(
            out.ends_with("In all: 1,234 tokens (1,200 in, 34 out, 1,000 cached), $0.0123\n"),
            "{out}"
        );
        let out = shown(&report);
        assert!(out.contains("2026-03-01  1     1,234   $0.0123"), "{out}");
        assert!(out.contains("scripted  1     1,234   $0.0123"), "{out}");
        assert!(out.ends_with("In all: 1,234 tokens, $0.0123\n"), "{out}");

        let entries: Vec<TranscriptEntry> = serde_json::from_value(json!([
            {"runId": "run1", "seq": 1, "at": "t", "item": {"kind": "tool_call", "id": null, "name": "Bash", "summary": "ls", "input": {}}},
            {"runId": "run1", "seq": 2, "at": "t", "item": {"kind": "command", "command": "ls", "exitCode": null, "output": ""}},
            {"runId": "run1", "seq": 3, "at": "t", "item": {"kind": "finished", "ok": true, "result": null, "turns": 3, "durationMs": null}}
        ]))
        .unwrap();
        let lines: Vec<String> = entries.iter().map(|e| entry_line(&e.item)).collect();
        assert_eq!(
            lines,
            [
                "tool     Bash: ls",
                "command  $ ls  → exit ?",
                "finished ok after 3 turn(s)"
            ]
        );
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
