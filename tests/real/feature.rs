//! A Feature of two Goals run by a real CLI from todo to review (plan, implement with a file
//! write and commands, quality with the agent's command run by Refine, governance against a
//! rule), in Feature order, with transcripts, usage and the merge on approval; then a follow-up
//! (`refine goal tell`) that resumes the same provider session.

use serde_json::{json, Value};

use crate::harness::*;

/// The script of one Goal that adds `file`: a plan, a Write/apply_patch, a command that works
/// and one that fails (exit 2), the quality command, a verdict citing `rule`.
fn goal_script(file: &str, content: &str, rule: &str) -> Value {
    json!({
        "phases": {
            "plan": [{"text": "Here is the plan.", "result": {"plan": format!("1. Add {file}\n2. Check it")}}],
            "implement": [
                {"write": file, "content": content},
                {"bash": format!("wc -c {file}"), "description": "Count the bytes"},
                {"bash": "ls no-such-file", "description": "A failing command"},
                {"text": "Implemented.", "result": {"summary": format!("added {file}"), "appliedGuidance": []}}
            ],
            "quality": [{"text": "Commands:", "result": {"tests": [{"test": 1, "command": format!("grep -q 'from the agent' {file}")}]}}],
            "governance": [{"text": "Verdict:", "result": {"verdict": "pass", "rules": [rule], "findings": format!("{file} is plain text, as {rule} asks.")}}]
        }
    })
}

fn feature(cli: Cli) {
    let w = World::new(&format!("feature-{cli:?}").to_lowercase());
    w.real(cli, "real");
    w.quality_tests(&["the new file says it comes from the agent"]);
    let rule = w.rule(
        "Plain text only",
        "Every file the agent adds is plain text.",
    );
    w.script(
        "s1-alpha",
        goal_script("alpha.txt", "alpha from the agent\n", &rule),
    );
    w.script(
        "s1-beta",
        goal_script("beta.txt", "beta from the agent\n", &rule),
    );
    let md = "# Greetings\n\
- [ ] Add alpha\n  Write alpha.txt.\n  standin-script: s1-alpha\n\
- [ ] Add beta\n  Write beta.txt.\n  standin-script: s1-beta\n";
    let goals = w.import_md(md, 2);
    let ids: Vec<String> = goals
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    assert!(goals[0]["featureId"].is_string(), "{goals:?}");
    assert_eq!(goals[0]["featureId"], goals[1]["featureId"], "one Feature");
    for id in &ids {
        w.wait_status(id, "review", 180);
    }

    // Feature order: the second started only after the first reached review.
    let t = w.transitions();
    let pos = |id: &str, to: &str| {
        t.iter()
            .position(|(g, s)| g == id && s == to)
            .unwrap_or_else(|| panic!("no transition of {id} to {to}: {t:?}"))
    };
    assert!(pos(&ids[0], "review") < pos(&ids[1], "plan"), "{t:?}");
    for id in &ids {
        for s in ["plan", "implement", "quality", "governance", "review"] {
            pos(id, s);
        }
    }

    for (id, file) in ids.iter().zip(["alpha.txt", "beta.txt"]) {
        let stem = file.trim_end_matches(".txt");
        let rounds = w.rounds(id);
        assert_eq!(rounds.as_array().unwrap().len(), 1, "{rounds}");
        let work = &rounds[0]["work"];
        let candidate = work["candidateCommit"].as_str().expect("a candidate");
        assert_eq!(
            w.git(&["show", &format!("{candidate}:{file}")]),
            format!("{stem} from the agent"),
            "the candidate commit has the agent's file"
        );
        // The agent's file write really happened in the Round's worktree.
        let wt = std::path::PathBuf::from(work["worktree"].as_str().unwrap());
        assert_eq!(
            std::fs::read_to_string(wt.join(file)).unwrap(),
            format!("{stem} from the agent\n")
        );
        // Quality: the command the agent proposed, run by Refine in the worktree.
        let q = &work["quality"][0];
        assert_eq!(
            q["command"],
            format!("grep -q 'from the agent' {file}"),
            "{work}"
        );
        assert_eq!(q["exitCode"], 0, "{q}");
        assert_eq!(q["passed"], true, "{q}");
        let proc_id = q["processId"].as_str().expect("the check ran as a process");
        let p = w.h.ok("processes.get", json!({"id": proc_id}));
        assert_eq!(p["argv"][2], q["command"], "{p}");
        let evals: i64 = w
            .db()
            .query_row(
                "SELECT COUNT(*) FROM quality_evaluations WHERE goal_id = ?1 AND passed = 1 AND commit_sha = ?2",
                [id.as_str(), candidate],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(evals, 1, "one passed evaluation of the candidate");
        // Governance: the agent's verdict, citing the rule.
        assert_eq!(work["governance"]["passed"], true, "{work}");
        assert_eq!(work["governance"]["rules"], json!([rule]), "{work}");
        assert!(work["integration"]["mergeCommit"].is_string(), "{work}");

        // The runs: one per phase, all done, the implement one with a session.
        let runs = w.runs(id);
        for phase in ["plan", "implement", "quality", "governance"] {
            let r = run_of(&runs, phase, "run");
            assert_eq!(r["status"], "done", "{r}");
            assert_eq!(r["provider"], cli.provider(), "{r}");
            assert!(r["sessionId"].is_string(), "{r}");
        }
        assert_eq!(runs.len(), 4, "no repairs needed: {runs:#?}");
        let imp = run_of(&runs, "implement", "run");
        let tr = w.transcript(imp["id"].as_str().unwrap());
        let k = kinds(&tr);
        assert_eq!(
            k.first().map(String::as_str),
            Some("session_started"),
            "{k:?}"
        );
        let calls = items(&tr, "tool_call");
        let write_tool = cli.write_tool();
        assert!(
            calls.iter().any(|c| c["name"] == write_tool),
            "a {write_tool} tool call: {calls:#?}"
        );
        let changes = items(&tr, "file_change");
        assert!(
            changes
                .iter()
                .any(|c| c["path"] == file && c["change"] == "add"),
            "file_change add {file}: {changes:#?}"
        );
        let cmds = items(&tr, "command");
        let wc = cmds
            .iter()
            .find(|c| c["command"].as_str().unwrap_or("").contains("wc -c"))
            .unwrap_or_else(|| panic!("the wc command: {cmds:#?}"));
        assert_eq!(wc["exitCode"], 0, "{wc}");
        assert!(
            wc["output"].as_str().unwrap_or("").contains(&format!(
                "{} {file}",
                stem.len() + " from the agent\n".len()
            )),
            "the command's real output: {wc}"
        );
        let ls = cmds
            .iter()
            .find(|c| {
                c["command"]
                    .as_str()
                    .unwrap_or("")
                    .contains("ls no-such-file")
            })
            .unwrap_or_else(|| panic!("the failing command: {cmds:#?}"));
        assert_eq!(ls["exitCode"], 2, "{ls}");
        let usage = items(&tr, "usage");
        assert!(
            usage.iter().any(|u| u["inputTokens"].as_u64() > Some(0)),
            "usage: {usage:#?}"
        );
        assert_eq!(k.last().map(String::as_str), Some("finished"), "{k:?}");
        let finished = items(&tr, "finished");
        assert_eq!(finished[0]["ok"], true, "{finished:?}");

        // Usage of the Goal: tokens from every run, cost where the CLI reports it.
        let u = w.h.ok("agents.usage", json!({"goalId": id}));
        assert_eq!(u["runs"], 4, "{u}");
        let tokens = u["total"]["inputTokens"].as_u64().unwrap_or(0)
            + u["total"]["outputTokens"].as_u64().unwrap_or(0);
        assert!(tokens > 0, "{u}");
        let run_tokens: u64 = runs
            .iter()
            .map(|r| {
                r["usage"]["inputTokens"].as_u64().unwrap_or(0)
                    + r["usage"]["outputTokens"].as_u64().unwrap_or(0)
            })
            .sum();
        assert_eq!(tokens, run_tokens, "usage adds up the runs: {u}");
        if cli == Cli::Claude {
            assert!(u["total"]["costUsd"].as_f64().unwrap_or(0.0) > 0.0, "{u}");
        }
    }

    // The stand-in saw each phase of each script, and the governance prompt had the rule and
    // the candidate's diff.
    let reqs = w.standin.scripted();
    for script in ["s1-alpha", "s1-beta"] {
        for phase in ["plan", "implement", "quality", "governance"] {
            assert!(
                reqs.iter()
                    .any(|r| r["script"] == script && r["phase"] == phase),
                "no {phase} request of {script}"
            );
        }
    }
    assert!(
        !reqs.iter().any(|r| r["problem"].is_string()),
        "every request matched a step: {:#?}",
        reqs.iter()
            .filter(|r| r["problem"].is_string())
            .map(|r| &r["problem"])
            .collect::<Vec<_>>()
    );
    let gov = reqs
        .iter()
        .find(|r| r["script"] == "s1-alpha" && r["phase"] == "governance")
        .unwrap();
    let body = body_text(gov);
    assert!(
        body.contains("Plain text only") && body.contains("+alpha from the agent"),
        "the governance prompt has the rule and the diff"
    );

    // The same, as a person reads it in the shell.
    let runs = w.runs(&ids[0]);
    let imp = run_of(&runs, "implement", "run")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = w.d.sh("refine agent runs 1", &w.root);
    let text = refine_e2e::text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&imp) && text.contains("implement"), "{text}");
    assert!(text.contains("In all: "), "{text}");
    if cli == Cli::Claude {
        assert!(!text.contains("no cost reported"), "{text}");
    }
    let out = w.d.sh(&format!("refine agent transcript {imp}"), &w.root);
    let text = refine_e2e::text(&out);
    assert!(out.status.success(), "{text}");
    for line in [
        "file     add alpha.txt",
        "$ wc -c alpha.txt  → exit 0",
        "$ ls no-such-file  → exit 2",
        "finished ok",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }

    // Approving the first merges it into main.
    let a = w.h.call("workflow.approve", json!({"goalId": ids[0]}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["to"], "done");
    assert_eq!(w.git(&["show", "main:alpha.txt"]), "alpha from the agent");
    let log = w.git(&["log", "--oneline", "main"]);
    assert!(log.contains("Merge Goal #"), "{log}");
    w.note("done");
}

#[test]
fn claude_code_runs_a_feature_to_review_and_merges_on_approval() {
    feature(Cli::Claude);
}

#[test]
fn codex_runs_a_feature_to_review_and_merges_on_approval() {
    feature(Cli::Codex);
}

fn follow_up(cli: Cli) {
    let w = World::new(&format!("follow-up-{cli:?}").to_lowercase());
    w.real(cli, "real");
    w.quality_tests(&["gamma.txt exists"]);
    let rule = w.rule("Small changes", "Keep every change small.");
    w.script(
        "s2",
        json!({
            "phases": {
                // Before "implement": the follow-up prompt also starts "# Refine: implement phase".
                "followup": {"match": ["# Refine: implement phase (follow-up)", "Also add delta.txt"], "steps": [
                    {"write": "delta.txt", "content": "delta from the follow-up\n"},
                    {"text": "Follow-up done.", "result": {"summary": "added delta.txt", "appliedGuidance": []}}
                ]},
                "plan": [{"text": "Plan.", "result": {"plan": "1. Add gamma.txt"}}],
                "implement": [
                    {"write": "gamma.txt", "content": "gamma from the agent\n"},
                    {"bash": "cat gamma.txt"},
                    {"text": "Implemented gamma.", "result": {"summary": "added gamma.txt", "appliedGuidance": []}}
                ],
                "quality": [{"text": "", "result": {"tests": [{"test": 1, "command": "test -f gamma.txt"}]}}],
                "governance": [{"text": "", "result": {"verdict": "pass", "rules": [rule], "findings": "small"}}]
            }
        }),
    );
    let id = w.create_goal("Add gamma", "Write gamma.txt.\nstandin-script: s2");
    // opencode takes 7-11 s a run on an idle machine (its own start-up and a title request).
    let patience = if cli == Cli::Opencode { 4 } else { 1 };
    let g = w.wait_status(&id, "review", 120 * patience);
    let number = g["number"].as_u64().unwrap();
    let before = w.rounds(&id)[0]["work"].clone();
    let old = before["candidateCommit"].as_str().unwrap().to_string();
    assert_eq!(
        w.git(&["show", &format!("{old}:gamma.txt")]),
        "gamma from the agent"
    );
    let runs = w.runs(&id);
    assert_eq!(runs.len(), 4, "{runs:#?}");
    for r in &runs {
        assert_eq!(r["status"], "done", "{r}");
    }
    let imp = run_of(&runs, "implement", "run").clone();
    let session = imp["sessionId"].as_str().expect("a session").to_string();
    let tr = w.transcript(imp["id"].as_str().unwrap());
    assert!(
        items(&tr, "tool_call")
            .iter()
            .any(|c| c["name"] == cli.write_tool()),
        "{:?}",
        kinds(&tr)
    );
    assert!(
        items(&tr, "file_change")
            .iter()
            .any(|c| c["path"] == "gamma.txt" && c["change"] == "add"),
        "{:?}",
        kinds(&tr)
    );
    assert!(
        items(&tr, "command")
            .iter()
            .any(|c| c["command"] == "cat gamma.txt"
                && c["exitCode"] == 0
                && c["output"]
                    .as_str()
                    .unwrap_or("")
                    .contains("gamma from the agent")),
        "{:#?}",
        items(&tr, "command")
    );
    let u = w.h.ok("agents.usage", json!({"goalId": id}));
    assert!(u["total"]["inputTokens"].as_u64().unwrap_or(0) > 0, "{u}");
    let evals_before: i64 = w
        .db()
        .query_row(
            "SELECT COUNT(*) FROM quality_evaluations WHERE goal_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(evals_before, 1);
    let requests_before = w.standin.requests().len();

    // The follow-up, typed in a shell.
    let message = "Also add delta.txt that says it comes from the follow-up.";
    let out =
        w.d.sh(&format!("refine goal tell {number} '{message}'"), &w.root);
    assert!(out.status.success(), "{}", refine_e2e::text(&out));
    w.note(&format!("told: {}", refine_e2e::text(&out).trim()));

    let g = w.wait_goal(&id, 120 * patience, "review with a new candidate", |g| {
        g["status"] == "review"
            && w.rounds(&id)[0]["work"]["candidateCommit"].as_str() != Some(old.as_str())
    });
    assert_eq!(g["rounds"].as_array().unwrap().len(), 1, "same Round: {g}");
    let work = w.rounds(&id)[0]["work"].clone();
    let new = work["candidateCommit"].as_str().unwrap().to_string();
    assert_eq!(
        w.git(&["show", &format!("{new}:delta.txt")]),
        "delta from the follow-up"
    );
    assert_eq!(
        w.git(&["show", &format!("{new}:gamma.txt")]),
        "gamma from the agent"
    );
    assert_eq!(
        w.git(&["rev-parse", &format!("{new}^")]),
        old,
        "the new candidate builds on the old one"
    );

    // The follow-up run resumed the implement session.
    let runs = w.runs(&id);
    let fu: Vec<&Value> = runs.iter().filter(|r| r["kind"] == "follow-up").collect();
    assert_eq!(fu.len(), 1, "{runs:#?}");
    let fu = fu[0];
    assert_eq!(fu["phase"], "implement", "{fu}");
    assert_eq!(fu["status"], "done", "{fu}");
    assert_eq!(fu["resumed"], true, "{fu}");
    assert_eq!(
        fu["sessionId"],
        json!(session),
        "the same provider session: {fu}"
    );
    assert_eq!(work["followUps"][0]["runId"], fu["id"], "{work}");
    assert_eq!(work["followUps"][0]["resumed"], true, "{work}");
    assert_eq!(
        work["followUps"][0]["previousCandidate"],
        json!(old),
        "{work}"
    );
    assert_eq!(work["followUps"][0]["message"], message, "{work}");
    let tr = w.transcript(fu["id"].as_str().unwrap());
    assert!(
        items(&tr, "file_change")
            .iter()
            .any(|c| c["path"] == "delta.txt"),
        "{:?}",
        kinds(&tr)
    );

    // The stand-in got the earlier conversation and the follow-up in one request.
    let reqs = w.standin.requests();
    let later: Vec<&Value> = reqs[requests_before..]
        .iter()
        .filter(|r| r["phase"] == "followup")
        .collect();
    assert!(
        !later.is_empty(),
        "no follow-up request reached the stand-in"
    );
    let first = later[0];
    let body = body_text(first);
    assert!(body.contains("Also add delta.txt"), "the follow-up text");
    assert!(
        body.contains("# Refine: implement phase\\nPhase: implement"),
        "the earlier implement prompt is in the same conversation"
    );
    assert!(
        body.contains("gamma from the agent"),
        "the earlier write is in the same conversation"
    );
    assert!(
        body.contains("Implemented gamma."),
        "the earlier answer is in the same conversation"
    );
    match cli {
        Cli::Claude => assert!(
            first["body"]["metadata"]["user_id"]
                .as_str()
                .unwrap_or("")
                .contains(&session),
            "the request belongs to session {session}: {}",
            first["body"]["metadata"]
        ),
        Cli::Codex => assert_eq!(
            first["headers"]["session-id"],
            json!(session),
            "the request belongs to thread {session}"
        ),
        // opencode names its session nowhere in the request; the conversation above shows it.
        Cli::Opencode => {}
    }

    // Checked again: a new quality evaluation of the new candidate, governance again.
    let (evals, latest): (i64, String) = w
        .db()
        .query_row(
            "SELECT COUNT(*), (SELECT commit_sha FROM quality_evaluations WHERE goal_id = ?1 ORDER BY started_at DESC LIMIT 1) FROM quality_evaluations WHERE goal_id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(evals, 2, "a new quality evaluation");
    assert_eq!(latest, new, "of the new candidate");
    assert_eq!(work["quality"][0]["passed"], true, "{work}");
    assert_eq!(work["governance"]["passed"], true, "{work}");
    let gov = runs.iter().filter(|r| r["phase"] == "governance").count();
    assert_eq!(gov, 2, "governance looked again: {runs:#?}");
    w.note("done");
}

#[test]
fn claude_code_follow_up_resumes_the_session_and_refreshes_the_candidate() {
    follow_up(Cli::Claude);
}

#[test]
fn codex_follow_up_resumes_the_session_and_refreshes_the_candidate() {
    follow_up(Cli::Codex);
}

#[test]
fn opencode_follow_up_resumes_the_session_and_refreshes_the_candidate() {
    follow_up(Cli::Opencode);
}
