//! Provider trouble with the real CLIs: a rate/usage limit with a reset time (the Goal waits in
//! its state, the profile is held until the reset, then it goes on by itself), refused
//! credentials (held until the profile is saved or released), and a server error (repair
//! prompts, then a provider fault without a new Round).

use std::time::Duration;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::harness::*;

fn holds(w: &World) -> Vec<Value> {
    w.runner_status()["holds"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_hold(w: &World, secs: u64, kind: &str) -> Value {
    w.wait_for(secs, &format!("a {kind} hold"), || {
        let hs = holds(w);
        hs.iter()
            .find(|h| h["kind"] == kind)
            .cloned()
            .ok_or_else(|| format!("holds {hs:?}"))
    })
}

fn requests_of(w: &World, phase: &str) -> usize {
    w.standin
        .scripted()
        .iter()
        .filter(|r| r["phase"] == phase)
        .count()
}

/// The plan and implement of a Goal that adds `file` (no quality tests and no governance rules
/// are set, so those steps run no agent).
fn plan_and_implement(
    file: &str,
    first_plan: Option<Value>,
    first_implement: Option<Value>,
) -> Value {
    let mut plan = vec![json!({"text": "Plan.", "result": {"plan": format!("1. Add {file}")}})];
    let mut implement = vec![
        json!({"write": file, "content": "written after the trouble\n"}),
        json!({"text": "Done.", "result": {"summary": format!("added {file}"), "appliedGuidance": []}}),
    ];
    if let Some(s) = first_plan {
        plan.insert(0, s);
    }
    if let Some(s) = first_implement {
        implement.insert(0, s);
    }
    json!({"phases": {"plan": plan, "implement": implement}})
}

/// Codex prints a usage limit's reset only as a local clock time to the minute ("try again at
/// 2:19 PM", from `resets_at`). To make the test mean the same thing every time, the reset lies a
/// few seconds ahead *within the current minute* (wait for the minute to turn when it is late in
/// one).
fn reset_within_this_minute(w: &World, ahead: i64) -> OffsetDateTime {
    loop {
        let now = OffsetDateTime::now_utc();
        if (now.second() as i64) + ahead + 4 < 60 {
            return now + time::Duration::seconds(ahead);
        }
        w.note("waiting for the minute to turn (the reset must stay within one minute)");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn rate_limit(cli: Cli) {
    let w = World::new(&format!("limit-{cli:?}").to_lowercase());
    w.real(cli, "real");
    let ahead = 6;
    let error = match cli {
        // Claude Code prints the body's message: "API Error: Request rejected (429) · …".
        Cli::Claude => json!({"error": {"status": 429, "reset_seconds": ahead,
                     "message": format!("Rate limit hit. Please try again in {ahead}s.")}, "times": 1}),
        // Codex drops the body's message of a plain 429; a usage limit's reset reaches the
        // output as "try again at H:MM AM/PM".
        Cli::Codex => {
            let reset = reset_within_this_minute(&w, ahead);
            json!({"error": {"status": 429, "body": {"error": {
                "type": "usage_limit_reached", "message": "The usage limit has been reached",
                "plan_type": "plus", "resets_at": reset.unix_timestamp(), "resets_in_seconds": ahead}}},
                "times": 1})
        }
        Cli::Opencode => unreachable!("opencode retries a 429 by itself (5 times); not tested"),
    };
    w.script("s3", plan_and_implement("limited.txt", Some(error), None));
    let id = w.create_goal("Add limited.txt", "Write limited.txt.\nstandin-script: s3");

    let hold = wait_hold(&w, 60, "limit");
    let seen_at = OffsetDateTime::now_utc();
    assert_eq!(hold["profile"], "real", "{hold}");
    let until = OffsetDateTime::parse(hold["until"].as_str().expect("an until"), &Rfc3339)
        .unwrap_or_else(|e| panic!("until is RFC 3339 ({e}): {hold}"));
    assert!(
        until - seen_at <= time::Duration::seconds(90),
        "the hold lasts until the provider's reset ({ahead} s ahead, to the minute at worst), not {}: {hold}",
        until - seen_at
    );
    assert!(
        hold["reason"]
            .as_str()
            .unwrap_or("")
            .contains("rate-limited"),
        "{hold}"
    );
    let g = w.goal(&id);
    assert_eq!(g["status"], "plan", "the Goal waits where it was: {g}");
    assert_eq!(
        g["rounds"].as_array().unwrap().len(),
        1,
        "no new Round: {g}"
    );
    let work = w.rounds(&id)[0]["work"].clone();
    let waiting = work["waiting"]
        .as_str()
        .unwrap_or_else(|| panic!("RoundWork.waiting: {work}"));
    assert!(waiting.contains("rate-limited"), "{waiting}");
    assert!(work["fault"].is_null(), "not a fault: {work}");
    let runs = w.runs(&id);
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["status"], "limited", "{}", runs[0]);
    let st = w.runner_status();
    assert!(
        st["waiting"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["reason"].as_str().unwrap_or("").contains("rate-limited")),
        "runner.status.waiting says why: {st}"
    );
    // Held: nothing is sent while the hold lasts (sampled).
    assert_eq!(requests_of(&w, "plan"), 1);
    std::thread::sleep(Duration::from_millis(1500));
    if !holds(&w).is_empty() {
        assert_eq!(requests_of(&w, "plan"), 1, "a request during the hold");
    }

    // After the reset it goes on by itself.
    let secs = if cli == Cli::Codex { 150 } else { 90 };
    let g = w.wait_status(&id, "review", secs);
    assert_eq!(
        g["rounds"].as_array().unwrap().len(),
        1,
        "budget untouched: {g}"
    );
    let work = w.rounds(&id)[0]["work"].clone();
    assert!(work["waiting"].is_null(), "no longer waiting: {work}");
    let c = work["candidateCommit"].as_str().unwrap();
    assert_eq!(
        w.git(&["show", &format!("{c}:limited.txt")]),
        "written after the trouble"
    );
    assert!(holds(&w).is_empty(), "the hold is gone");
    let runs = w.runs(&id);
    assert_eq!(
        runs.iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["limited", "done", "done"],
        "{runs:#?}"
    );
    w.note("done");
}

#[test]
fn claude_code_rate_limit_holds_the_profile_until_the_reset() {
    rate_limit(Cli::Claude);
}

#[test]
fn codex_usage_limit_holds_the_profile_until_the_reset() {
    rate_limit(Cli::Codex);
}

fn refused(cli: Cli) {
    let w = World::new(&format!("auth-{cli:?}").to_lowercase());
    let mut profile = w.real_profile(cli, "real");
    profile["env"][cli.key_var()] = json!("sk-standin-bad");
    w.save_profile(&profile);
    w.use_profile("real");
    // Plan: refused for every key but the fixed one. Implement: refused once (then released).
    w.script(
        "s4",
        plan_and_implement(
            "authorized.txt",
            Some(json!({"error": {"status": 401}, "unless_key": "sk-standin-fixed"})),
            Some(json!({"error": {"status": 401}, "times": 1})),
        ),
    );
    let id = w.create_goal(
        "Add authorized.txt",
        "Write authorized.txt.\nstandin-script: s4",
    );

    let hold = wait_hold(&w, 60, "auth");
    assert_eq!(hold["profile"], "real", "{hold}");
    assert!(hold["until"].is_null(), "held until a person acts: {hold}");
    let reason = hold["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains(cli.key_var()),
        "the reason names the variable to set ({}): {reason}",
        cli.key_var()
    );
    let runs = w.runs(&id);
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["status"], "unauthorized", "{}", runs[0]);
    // It stays held (several scheduler passes) and the Goal is not failed.
    std::thread::sleep(Duration::from_secs(3));
    let g = w.goal(&id);
    assert_eq!(g["status"], "plan", "{g}");
    assert_eq!(g["rounds"].as_array().unwrap().len(), 1, "{g}");
    let work = w.rounds(&id)[0]["work"].clone();
    assert!(
        work["waiting"]
            .as_str()
            .unwrap_or("")
            .contains(cli.key_var()),
        "RoundWork.waiting: {work}"
    );
    assert!(work["fault"].is_null(), "{work}");
    assert_eq!(holds(&w).len(), 1, "still held");
    assert_eq!(requests_of(&w, "plan"), 1, "nothing sent while held");
    assert_eq!(w.runs(&id).len(), 1);

    // Saving the profile with another key lets it go on …
    profile["env"][cli.key_var()] = json!("sk-standin-fixed");
    w.save_profile(&profile);
    // … until implement is refused too: then runner.release lets it go on.
    w.wait_goal(&id, 60, "implement, held again", |g| {
        g["status"] == "implement" && holds(&w).iter().any(|h| h["kind"] == "auth")
    });
    let g = w.goal(&id);
    assert!(
        g["rounds"][0]["plan"].is_string(),
        "planned after the save: {g}"
    );
    // The refused request carried the old key, the one after the save the new key.
    let plans: Vec<Value> = w
        .standin
        .scripted()
        .into_iter()
        .filter(|r| r["phase"] == "plan")
        .collect();
    assert_eq!(plans.len(), 2, "{plans:#?}");
    assert_eq!(plans[0]["answer"], 401);
    assert_eq!(plans[0]["key_sha"], json!(key_sha("sk-standin-bad")));
    assert_eq!(plans[1]["answer"], "stream");
    assert_eq!(plans[1]["key_sha"], json!(key_sha("sk-standin-fixed")));
    let released = w.h.ok("runner.release", json!({"profile": "real"}));
    assert_eq!(released, json!([]), "no holds left");
    let again = w.h.call("runner.release", json!({"profile": "real"}));
    assert_eq!(again.status, 409, "nothing to release: {}", again.body);
    let g = w.wait_status(&id, "review", 90);
    assert_eq!(g["rounds"].as_array().unwrap().len(), 1, "{g}");
    let statuses: Vec<String> = w
        .runs(&id)
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["phase"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "plan unauthorized",
            "plan done",
            "implement unauthorized",
            "implement done"
        ]
    );
    w.note("done");
}

#[test]
fn claude_code_refused_credentials_hold_the_profile_until_saved_or_released() {
    refused(Cli::Claude);
}

#[test]
fn codex_refused_credentials_hold_the_profile_until_saved_or_released() {
    refused(Cli::Codex);
}

fn server_error(cli: Cli) {
    let w = World::new(&format!("fault-{cli:?}").to_lowercase());
    w.real(cli, "real");
    // Every request of this script fails (the repairs too, whatever they look like).
    w.script(
        "s5",
        json!({"phases": {"default": [{"error": {"status": 500}}]}}),
    );
    let id = w.create_goal("Add nothing", "Write nothing.\nstandin-script: s5");
    let g = w.wait_status(&id, "failed", 90);
    assert_eq!(
        g["rounds"].as_array().unwrap().len(),
        1,
        "no new Round: {g}"
    );
    let work = w.rounds(&id)[0]["work"].clone();
    let fault = work["fault"]
        .as_str()
        .unwrap_or_else(|| panic!("RoundWork.fault: {work}"));
    assert!(
        fault.contains("no usable answer after 2 repair prompts"),
        "{fault}"
    );
    assert!(work["waiting"].is_null(), "{work}");
    assert!(holds(&w).is_empty(), "a 500 holds no profile");
    let runs = w.runs(&id);
    let shape: Vec<(String, u64, String)> = runs
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["attempt"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("run".to_string(), 0, "failed".to_string()),
            ("repair".to_string(), 1, "failed".to_string()),
            ("repair".to_string(), 2, "failed".to_string())
        ],
        "{runs:#?}"
    );
    for r in &runs {
        assert_eq!(r["phase"], "plan", "{r}");
        assert!(
            r["error"]
                .as_str()
                .unwrap_or("")
                .starts_with("exited with code 1"),
            "{r}"
        );
    }
    // Each run reached the stand-in; the repairs sent the repair prompt.
    let reqs = w.standin.scripted();
    assert!(reqs.len() >= 3, "{} requests", reqs.len());
    for n in [1, 2] {
        assert!(
            reqs.iter()
                .any(|r| body_text(r).contains(&format!("## Repair {n} of 2"))),
            "repair prompt {n} reached the CLI's model"
        );
    }
    let outcome = g["rounds"][0]["outcome"].as_str().unwrap_or("");
    assert!(outcome.contains("provider fault"), "{g}");
    w.note("done");
}

#[test]
fn claude_code_server_errors_get_repairs_then_fail_as_a_provider_fault() {
    server_error(Cli::Claude);
}

#[test]
fn codex_server_errors_get_repairs_then_fail_as_a_provider_fault() {
    server_error(Cli::Codex);
}
