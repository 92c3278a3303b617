//! Detection against the real CLIs: a profile with a flag the CLI does not take (Codex's removed
//! `--full-auto`) is `broken` with a diagnosis that says so, and with it as the default profile
//! no Goal starts and the runner says why. The working profile is `installed` and verified.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::harness::*;

#[test]
fn codex_with_full_auto_is_broken_and_no_goal_starts() {
    let w = World::new("detect-codex");
    let good = w.real_profile(Cli::Codex, "codex-good");
    w.save_profile(&good);
    let mut bad = good.clone();
    bad["name"] = json!("codex-full-auto");
    bad["args"] = json!(["exec", "--json", "--full-auto", "-"]);
    bad["resumeArgs"] = json!([
        "exec",
        "--json",
        "--full-auto",
        "resume",
        "{sessionId}",
        "-"
    ]);
    w.save_profile(&bad);

    // The CLI itself rejects the flag: the diagnosis below is about something real.
    let o = Command::new(&clis().codex)
        .args(["exec", "--full-auto", "-"])
        .env("HOME", w.dir("home-probe"))
        .env("CODEX_HOME", w.dir("codex-home-probe"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("'--full-auto'"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let d =
        w.h.ok("agents.redetect", json!({"name": "codex-full-auto"}));
    let d = &d[0];
    assert_eq!(d["state"], "broken", "{d}");
    let diagnosis = d["diagnosis"].as_str().unwrap_or("");
    assert!(
        diagnosis.contains("does not accept --full-auto"),
        "{diagnosis}"
    );
    assert!(
        !diagnosis.contains("--json"),
        "only the rejected flag is named: {diagnosis}"
    );
    let ok = w.h.ok("agents.redetect", json!({"name": "codex-good"}));
    assert_eq!(ok[0]["state"], "installed", "{}", ok[0]);
    assert_eq!(ok[0]["version"], "codex-cli 0.171.0", "{}", ok[0]);
    assert_eq!(ok[0]["verified"], true, "{}", ok[0]);

    w.use_profile("codex-full-auto");
    w.script(
        "s7",
        json!({"phases": {
            "plan": [{"text": "Plan.", "result": {"plan": "1. Add started.txt"}}],
            "implement": [
                {"write": "started.txt", "content": "it started\n"},
                {"text": "Done.", "result": {"summary": "added started.txt", "appliedGuidance": []}}
            ]
        }}),
    );
    let id = w.create_goal("Add started.txt", "Write started.txt.\nstandin-script: s7");
    let why = w.wait_for(30, "runner.status.waiting names the broken profile", || {
        let st = w.runner_status();
        st["waiting"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|x| x["reason"].as_str().map(str::to_string))
            .filter(|r| r.contains("does not accept --full-auto"))
            .ok_or_else(|| st.to_string())
    });
    assert!(why.contains("codex-full-auto"), "{why}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(w.goal(&id)["status"], "todo", "no Goal starts");
    assert!(w.runs(&id).is_empty(), "no agent ran");
    assert!(
        !w.transitions().iter().any(|(g, s)| g == &id && s != "todo"),
        "{:?}",
        w.transitions()
    );
    assert!(
        w.standin.requests().is_empty(),
        "nothing reached the stand-in"
    );

    // The working profile: the same Goal starts and gets done.
    w.use_profile("codex-good");
    w.wait_status(&id, "review", 90);
    let st = w.runner_status();
    assert!(
        st["waiting"]
            .as_array()
            .map(|a| a.is_empty())
            .unwrap_or(true),
        "{st}"
    );
    w.note("done");
}

#[test]
fn claude_code_with_an_unknown_flag_is_broken() {
    let w = World::new("detect-claude");
    let mut p = w.real_profile(Cli::Claude, "claude-odd");
    let mut args = p["args"].as_array().unwrap().clone();
    args.push(json!("--no-such-flag"));
    p["args"] = json!(args);
    w.save_profile(&p);
    let d = w.h.ok("agents.redetect", json!({"name": "claude-odd"}));
    assert_eq!(d[0]["state"], "broken", "{}", d[0]);
    assert!(
        d[0]["diagnosis"]
            .as_str()
            .unwrap_or("")
            .contains("does not accept --no-such-flag"),
        "{}",
        d[0]
    );
    let good = w.real_profile(Cli::Claude, "claude-good");
    w.save_profile(&good);
    let d = w.h.ok("agents.redetect", json!({"name": "claude-good"}));
    assert_eq!(d[0]["state"], "installed", "{}", d[0]);
    assert_eq!(d[0]["verified"], true, "{}", d[0]);
}
