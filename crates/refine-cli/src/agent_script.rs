//! `refine agent-script`: the deterministic scripted agent. It reads the prompt Refine gives it
//! (standard input, `--prompt-file`, or `$REFINE_PROMPT_FILE`), finds the instructions a Goal
//! embeds in a ```refine-script block, carries out those for the prompt's phase and Round, and
//! ends with the ```refine-result block the completion contract asks for.
//!
//! Instruction lines: `[round N] [candidate K] PHASE: ACTION`, PHASE one of plan, implement,
//! quality, governance, chat, or `*`; `candidate K` applies to best-of-N candidate K's prompts
//! (`Candidate: K of N`). Actions:
//! - `plan TEXT` — the plan (plan phase)
//! - `write PATH TEXT`, `append PATH TEXT`, `delete PATH` — edit files (`\n` = newline)
//! - `run COMMAND` — run a shell command in the working directory
//! - `test N|* COMMAND` — the command proposed for test N (quality phase)
//! - `verdict pass|fail [R1,R2] FINDINGS` — the governance verdict
//! - `reply TEXT` — a chat reply
//! - `say TEXT` — print a line
//! - `sleep SECONDS` — wait
//! - `stream LINES BYTES EVERY_MS SECONDS` — print LINES lines of BYTES bytes (newline
//!   included) every EVERY_MS ms for SECONDS s, on a fixed schedule (a steady output rate)
//! - `fail MESSAGE` — exit with code 1
//! - `garble [N]` — answer without a readable block (for the first N prompts; default all)
//!
//! Without instructions for a phase it does something sensible: a one-line plan, a note file
//! `refine-scripted/goal-N.md`, `true` for every test, a passing verdict.

use std::io::{BufRead, Read, Write};
use std::path::{Component, Path};
use std::time::Duration;

use serde_json::{json, Value};

const VERSION: &str = concat!("refine-scripted-agent ", env!("CARGO_PKG_VERSION"));

struct Prompt {
    phase: String,
    round: u32,
    repair: u32,
    goal_number: Option<u32>,
    goal_title: String,
    guidance: Vec<String>,
    tests: usize,
    /// Best-of-N: which candidate this prompt is for (`Candidate: K of N`).
    candidate: Option<u32>,
    script: Vec<Step>,
}

/// A script line: `[round N] [candidate K] PHASE: ACTION`.
struct Step {
    round: Option<u32>,
    candidate: Option<u32>,
    phase: String,
    action: String,
}

fn parse(prompt: &str) -> Prompt {
    let mut p = Prompt {
        phase: "chat".into(),
        round: 1,
        repair: 0,
        goal_number: None,
        goal_title: String::new(),
        guidance: Vec::new(),
        tests: 0,
        candidate: None,
        script: Vec::new(),
    };
    let mut in_script = false;
    let mut section = String::new();
    for line in prompt.lines() {
        let t = line.trim();
        if in_script {
            if t.starts_with("```") {
                in_script = false;
                continue;
            }
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (mut round, mut candidate, mut rest) = (None, None, t);
            loop {
                let (word, after) = split_first(rest);
                let (n, after) = split_first(after.trim_start());
                match word {
                    "round" => round = n.parse::<u32>().ok(),
                    "candidate" => candidate = n.parse::<u32>().ok(),
                    _ => break,
                }
                rest = after.trim_start();
            }
            if let Some((phase, action)) = rest.split_once(':') {
                p.script.push(Step {
                    round,
                    candidate,
                    phase: phase.trim().to_lowercase(),
                    action: action.trim().to_string(),
                });
            }
            continue;
        }
        if t.starts_with("```refine-script") {
            in_script = true;
            continue;
        }
        if let Some(h) = t.strip_prefix("## ") {
            section = h.to_string();
            if let Some(r) = h.strip_prefix("Repair ") {
                p.repair = r
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
            }
            continue;
        }
        if let Some(v) = t.strip_prefix("Phase: ") {
            p.phase = v.trim().to_lowercase();
        } else if let Some(v) = t.strip_prefix("Candidate: ") {
            p.candidate = v.split_whitespace().next().and_then(|n| n.parse().ok());
        } else if let Some(v) = t.strip_prefix("Round: ") {
            p.round = v.trim().parse().unwrap_or(1);
        } else if let Some(v) = t.strip_prefix("Goal: #") {
            let (n, title) = v.split_once(' ').unwrap_or((v, ""));
            p.goal_number = n.parse().ok();
            p.goal_title = title.to_string();
        } else if section.starts_with("Guidance") && t.starts_with('[') {
            if let Some(end) = t.find(']') {
                p.guidance.push(t[1..end].to_string());
            }
        } else if section.starts_with("Tests") {
            if let Some((n, _)) = t.split_once(". ") {
                if n.parse::<usize>().is_ok() {
                    p.tests += 1;
                }
            }
        }
    }
    p
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n").replace("\\t", "\t")
}

/// A path the script may touch: relative, inside the working directory.
fn safe_path(p: &str) -> Result<&Path, String> {
    let path = Path::new(p);
    if p.is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!(
            "refusing path {p:?}: must be relative, without `..`"
        ));
    }
    Ok(path)
}

fn split_first(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    }
}

fn block(v: &Value) -> String {
    format!("```refine-result\n{v}\n```")
}

/// Run the scripted agent; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    if args.iter().any(|a| a == "--version" || a == "-V") {
        std::println!("{VERSION}");
        return 0;
    }
    if args.iter().any(|a| a == "--interactive") {
        return interactive();
    }
    let file = args
        .iter()
        .position(|a| a == "--prompt-file")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| args.iter().find(|a| !a.starts_with("--")).cloned());
    let mut prompt = String::new();
    let read = match file {
        Some(f) => std::fs::read_to_string(&f).map(|s| prompt = s),
        None => std::io::stdin().read_to_string(&mut prompt).map(|_| ()),
    };
    if let Err(e) = read {
        std::eprintln!("scripted agent: cannot read the prompt: {e}");
        return 2;
    }
    let log = RunLog::open(&parse(&prompt));
    let code = match act(&prompt) {
        Ok(out) => {
            std::println!("{out}");
            0
        }
        Err(e) => {
            std::eprintln!("scripted agent: {e}");
            1
        }
    };
    if let Some(log) = log {
        log.write("end", code);
    }
    code
}

/// The shared run log (opt-in): with `REFINE_SCRIPTED_RUN_LOG` set (a profile's environment,
/// say), each run appends a `start` line when it begins and an `end` line when it ends, JSON,
/// naming the run, the node (`REFINE_SCRIPTED_NODE`), the Goal's number, Round, phase,
/// candidate and repair, and the time in microseconds since the epoch. Several agents (of
/// several nodes) may share one file: each line is one append. A run killed midway leaves its
/// `start` line only.
struct RunLog {
    path: String,
    line: Value,
}

impl RunLog {
    fn open(p: &Prompt) -> Option<RunLog> {
        let path = std::env::var("REFINE_SCRIPTED_RUN_LOG")
            .ok()
            .filter(|p| !p.is_empty())?;
        let node = std::env::var("REFINE_SCRIPTED_NODE").unwrap_or_default();
        let run = format!("{node}-{}-{}", std::process::id(), now_micros());
        let log = RunLog {
            path,
            line: json!({
                "run": run, "node": node, "goal": p.goal_number, "round": p.round,
                "phase": p.phase, "candidate": p.candidate, "repair": p.repair,
            }),
        };
        log.write("start", 0);
        Some(log)
    }

    fn write(&self, event: &str, code: i32) {
        let mut line = self.line.clone();
        line["event"] = json!(event);
        line["at"] = json!(now_micros());
        if event == "end" {
            line["exit"] = json!(code);
        }
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = appended {
            std::eprintln!(
                "scripted agent: cannot append to the run log {}: {e}",
                self.path
            );
        }
    }
}

fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn act(prompt: &str) -> Result<String, String> {
    let p = parse(prompt);
    std::println!(
        "scripted agent: {} phase, round {}{}",
        p.phase,
        p.round,
        if p.repair > 0 {
            format!(", repair {}", p.repair)
        } else {
            String::new()
        }
    );
    let mine: Vec<&Step> = p
        .script
        .iter()
        .filter(|s| {
            (s.phase == p.phase || s.phase == "*")
                && s.round.is_none_or(|r| r == p.round)
                && s.candidate.is_none_or(|c| Some(c) == p.candidate)
        })
        .collect();
    let mut plan: Option<String> = None;
    let mut tests: Vec<(String, String)> = Vec::new();
    let mut verdict: Option<Value> = None;
    let mut reply: Option<String> = None;
    let mut garble = false;
    let mut changed = false;
    for step in &mine {
        let (verb, rest) = split_first(&step.action);
        match verb {
            "plan" => plan = Some(unescape(rest)),
            "write" | "append" => {
                let (path, text) = split_first(rest);
                let path = safe_path(path)?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(verb == "append")
                    .truncate(verb == "write")
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                f.write_all(unescape(text).as_bytes())
                    .map_err(|e| e.to_string())?;
                std::println!("{verb} {}", path.display());
                changed = true;
            }
            "delete" => {
                let path = safe_path(rest.trim())?;
                std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
                std::println!("deleted {}", path.display());
                changed = true;
            }
            "run" => {
                let st = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(rest)
                    .status()
                    .map_err(|e| e.to_string())?;
                if !st.success() {
                    return Err(format!("`{rest}` failed: {st}"));
                }
                changed = true;
            }
            "test" => {
                let (n, cmd) = split_first(rest);
                tests.push((n.to_string(), cmd.to_string()));
            }
            "verdict" => {
                let (word, more) = split_first(rest);
                let (rules, findings) = if more.starts_with('[') && more.contains(']') {
                    let end = more.find(']').unwrap_or(1);
                    (
                        more[1..end]
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect::<Vec<_>>(),
                        more[end + 1..].trim().to_string(),
                    )
                } else {
                    (Vec::new(), more.to_string())
                };
                verdict = Some(json!({ "verdict": word, "rules": rules, "findings": findings }));
            }
            "reply" => reply = Some(unescape(rest)),
            "say" => std::println!("{}", unescape(rest)),
            "sleep" => {
                let secs: f64 = rest.trim().parse().unwrap_or(1.0);
                let secs = if secs.is_finite() {
                    secs.clamp(0.0, 86_400.0)
                } else {
                    1.0
                };
                std::thread::sleep(Duration::from_secs_f64(secs));
            }
            "stream" => {
                let spec = StreamSpec::parse(rest)?;
                let out = std::io::stdout();
                spec.run(&mut out.lock(), std::thread::sleep)
                    .map_err(|e| format!("stream: {e}"))?;
            }
            "fail" => {
                return Err(if rest.is_empty() {
                    "told to fail".into()
                } else {
                    rest.to_string()
                })
            }
            "garble" => {
                let n: u32 = rest.trim().parse().unwrap_or(u32::MAX);
                if p.repair < n {
                    garble = true;
                }
            }
            other => return Err(format!("unknown instruction {other:?}")),
        }
    }
    if garble {
        return Ok("I did my best, but here is no result block.".to_string());
    }
    let result = match p.phase.as_str() {
        "plan" => json!({
            "plan": plan.unwrap_or_else(|| format!("1. Make the change asked for in “{}”.\n2. Keep the tests passing.", p.goal_title))
        }),
        "implement" => {
            if !changed {
                let n = p.goal_number.unwrap_or(0);
                let path = format!("refine-scripted/goal-{n}.md");
                std::fs::create_dir_all("refine-scripted").map_err(|e| e.to_string())?;
                std::fs::write(&path, format!("# {}\n\nRound {}\n", p.goal_title, p.round))
                    .map_err(|e| e.to_string())?;
                std::println!("write {path}");
            }
            json!({ "summary": format!("scripted change for round {}", p.round), "appliedGuidance": p.guidance })
        }
        "quality" => {
            let list: Vec<Value> = (1..=p.tests.max(tests.len()))
                .map(|i| {
                    let cmd = tests
                        .iter()
                        .find(|(n, _)| n == &i.to_string())
                        .or_else(|| tests.iter().find(|(n, _)| n == "*"))
                        .map(|(_, c)| c.clone())
                        .unwrap_or_else(|| "true".to_string());
                    json!({ "test": i, "command": cmd })
                })
                .collect();
            json!({ "tests": list })
        }
        "governance" => verdict.unwrap_or_else(
            || json!({ "verdict": "pass", "rules": [], "findings": "no objections" }),
        ),
        _ => {
            json!({ "reply": reply.clone().unwrap_or_else(|| "Scripted agent here. Tell me what to change.".into()) })
        }
    };
    let mut out = String::new();
    if let Some(r) = reply {
        out.push_str(&r);
        out.push('\n');
    }
    out.push_str(&block(&result));
    Ok(out)
}

/// `stream LINES BYTES EVERY_MS SECONDS`: steady output at a fixed rate.
#[derive(Debug, PartialEq)]
struct StreamSpec {
    lines: u32,
    bytes: usize,
    every: Duration,
    ticks: u64,
}

impl StreamSpec {
    fn parse(rest: &str) -> Result<StreamSpec, String> {
        let n: Vec<f64> = rest
            .split_whitespace()
            .map(|w| w.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("stream takes LINES BYTES EVERY_MS SECONDS, got {rest:?}"))?;
        let [lines, bytes, every_ms, secs] = n[..] else {
            return Err(format!(
                "stream takes LINES BYTES EVERY_MS SECONDS, got {rest:?}"
            ));
        };
        if !n.iter().all(|v| v.is_finite() && *v >= 0.0) {
            return Err(format!("stream takes non-negative numbers, got {rest:?}"));
        }
        // Bounded: at most 10,000 lines of 1 MB a tick, ticks of 1 ms to 1 min, one day.
        let every = Duration::from_secs_f64(every_ms.clamp(1.0, 60_000.0) / 1000.0);
        let secs = secs.min(86_400.0);
        Ok(StreamSpec {
            lines: lines.min(10_000.0) as u32,
            bytes: (bytes as usize).clamp(1, 1 << 20),
            every,
            ticks: (secs / every.as_secs_f64()).round() as u64,
        })
    }

    /// Print on schedule: tick `i` is due `i × every` after the start (a slow write does not
    /// lower the rate; it catches up). `sleep` waits.
    fn run(&self, out: &mut impl Write, sleep: impl Fn(Duration)) -> std::io::Result<()> {
        let start = std::time::Instant::now();
        let mut buf = Vec::with_capacity(self.lines as usize * self.bytes);
        let mut n = 0u64;
        for tick in 0..self.ticks {
            let due = self.every.saturating_mul(tick as u32);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                sleep(wait);
            }
            buf.clear();
            for _ in 0..self.lines {
                let head = format!("stream {n:010} ");
                let body = self.bytes - 1;
                buf.extend(head.bytes().chain(std::iter::repeat(b'x')).take(body));
                buf.push(b'\n');
                n += 1;
            }
            out.write_all(&buf)?;
            out.flush()?;
        }
        Ok(())
    }
}

/// A tiny interactive session for terminals: echoes what it is told.
fn interactive() -> i32 {
    std::println!("scripted agent ready (type a request; `exit` quits)");
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "exit" {
            break;
        }
        std::println!("scripted agent heard: {}", line.trim());
        let _ = std::io::stdout().flush();
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_lines_apply_to_that_candidate_only() {
        let script = "```refine-script\nround 1 candidate 2 implement: write b.txt two\nimplement: write a.txt any\n```\n";
        let two = parse(&format!(
            "Phase: implement\nRound: 1\n## Candidate\nCandidate: 2 of 3\n{script}"
        ));
        let mine: Vec<_> = two
            .script
            .iter()
            .filter(|s| s.candidate.is_none_or(|c| Some(c) == two.candidate))
            .map(|s| s.action.as_str())
            .collect();
        assert_eq!(two.candidate, Some(2));
        assert_eq!(mine, ["write b.txt two", "write a.txt any"]);
        let one = parse(&format!(
            "Phase: implement\nRound: 1\nCandidate: 1 of 3\n{script}"
        ));
        assert_eq!(
            one.script
                .iter()
                .filter(|s| s.candidate.is_none_or(|c| Some(c) == one.candidate))
                .count(),
            1
        );
        assert_eq!(two.script[0].round, Some(1));
    }

    #[test]
    fn the_prompt_header_and_script_are_read() {
        let prompt = "# Refine: quality phase\nPhase: quality\nRound: 2\nGoal: #7 Add hello\n\n## What should change\nSay hi.\n```refine-script\nplan: plan text\nround 1 quality: test 1 false\nround 2 quality: test 1 test -f hello.txt\n```\n\n## Guidance (follow it)\n[G1] Small: keep it small\n## Tests of this project\n1. hello exists\n2. builds\n";
        let p = parse(prompt);
        assert_eq!(
            (p.phase.as_str(), p.round, p.goal_number),
            ("quality", 2, Some(7))
        );
        assert_eq!(p.guidance, ["G1"]);
        assert_eq!(p.tests, 2);
        assert_eq!(p.script.len(), 3);
        let out = act(prompt).unwrap();
        let v = refine_model::agents::parse_result_block(&out).unwrap();
        assert_eq!(
            v["tests"][0]["command"], "test -f hello.txt",
            "round 2's line"
        );
        assert_eq!(v["tests"][1]["command"], "true", "default for the rest");
    }

    #[test]
    fn garble_fails_only_the_first_prompts() {
        let base = "Phase: governance\n```refine-script\ngovernance: garble 1\ngovernance: verdict fail [R2] too big\n```\n";
        let out = act(base).unwrap();
        assert!(refine_model::agents::parse_result_block(&out).is_err());
        let repaired = format!("{base}\n## Repair 1 of 2\n");
        let v = refine_model::agents::parse_result_block(&act(&repaired).unwrap()).unwrap();
        assert_eq!(v["verdict"], "fail");
        assert_eq!(v["rules"][0], "R2");
        assert_eq!(v["findings"], "too big");
    }

    #[test]
    fn odd_instructions_do_not_panic() {
        for line in [
            "governance: verdict fail [",
            "governance: verdict fail [é",
            "governance: sleep -1",
            "governance: sleep inf",
        ] {
            let out = act(&format!(
                "Phase: governance\n```refine-script\n{line}\n```\n"
            ))
            .unwrap();
            assert!(
                refine_model::agents::parse_result_block(&out).is_ok(),
                "{line}: {out}"
            );
        }
    }

    #[test]
    fn stream_prints_its_lines_on_a_schedule() {
        let spec = StreamSpec::parse("3 40 10 0.05").unwrap();
        assert_eq!(spec.ticks, 5);
        let mut out = Vec::new();
        let waits = std::cell::RefCell::new(Vec::new());
        spec.run(&mut out, |d| waits.borrow_mut().push(d)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 15);
        assert!(lines.iter().all(|l| l.len() == 39), "{lines:?}");
        assert!(lines[14].starts_with("stream 0000000014 x"));
        // A wait before each tick but the first (which is due at once).
        assert!(waits.borrow().len() <= 4);
        for bad in ["", "1 2 3", "a 1 1 1", "1 1 1 -1", "1 1 1 inf"] {
            assert!(StreamSpec::parse(bad).is_err(), "{bad:?}");
        }
        let huge = StreamSpec::parse("1e9 1e12 0 1e9").unwrap();
        assert_eq!((huge.lines, huge.bytes), (10_000, 1 << 20));
        assert_eq!(huge.every, Duration::from_millis(1));
        // Short lines still end in a newline.
        let mut out = Vec::new();
        StreamSpec::parse("2 1 1 0.001")
            .unwrap()
            .run(&mut out, |_| {})
            .unwrap();
        assert_eq!(out, b"\n\n");
    }

    #[test]
    fn each_run_appends_a_start_and_an_end_line_to_the_shared_log() {
        let file = std::env::temp_dir().join(format!(
            "refine-run-log-{}-{}",
            std::process::id(),
            now_micros()
        ));
        let p = parse("Phase: plan\nRound: 2\nGoal: #5 Add a thing\n");
        let log = RunLog {
            path: file.to_string_lossy().to_string(),
            line: json!({"run": "n-1", "node": "n", "goal": p.goal_number, "round": p.round, "phase": p.phase}),
        };
        log.write("start", 0);
        log.write("end", 0);
        let lines: Vec<Value> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "start");
        assert_eq!(
            (lines[0]["goal"].as_u64(), lines[0]["round"].as_u64()),
            (Some(5), Some(2))
        );
        assert_eq!(lines[1]["event"], "end");
        assert_eq!(lines[1]["exit"], 0);
        assert!(lines[1]["at"].as_u64() >= lines[0]["at"].as_u64());
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn paths_outside_the_worktree_are_refused() {
        assert!(
            act("Phase: implement\n```refine-script\nimplement: write ../x hi\n```\n").is_err()
        );
        assert!(
            act("Phase: implement\n```refine-script\nimplement: write /etc/x hi\n```\n").is_err()
        );
    }
}
