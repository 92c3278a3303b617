//! A permission denial: Claude Code in `--permission-mode default` (no allowed tools) may not
//! Write; the transcript shows the denial, the run counts it, and nothing was written.

use serde_json::json;

use crate::harness::*;

#[test]
fn claude_code_permission_denials_reach_the_transcript_and_the_run() {
    let w = World::new("denial-claude");
    let mut p = w.real_profile(Cli::Claude, "claude-ask");
    // The default arguments without --allowedTools and with --permission-mode default.
    for key in ["args", "resumeArgs"] {
        let args: Vec<String> = p[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--allowedTools" => i += 2,
                "--permission-mode" => {
                    out.push("--permission-mode".to_string());
                    out.push("default".to_string());
                    i += 2;
                }
                a => {
                    out.push(a.to_string());
                    i += 1;
                }
            }
        }
        assert!(out.contains(&"default".to_string()), "{out:?}");
        p[key] = json!(out);
    }
    w.save_profile(&p);
    w.use_profile("claude-ask");
    w.script(
        "s6",
        json!({"phases": {
            "plan": [{"text": "Plan.", "result": {"plan": "1. Write denied.txt"}}],
            "implement": [
                {"write": "denied.txt", "content": "should not be written\n"},
                {"text": "I could not write denied.txt.", "result": {"summary": "nothing written", "appliedGuidance": []}}
            ]
        }}),
    );
    let id = w.create_goal("Write denied.txt", "Write denied.txt.\nstandin-script: s6");
    let g = w.wait_status(&id, "failed", 90);
    let outcome = g["rounds"][0]["outcome"].as_str().unwrap_or("");
    assert!(outcome.contains("the agent made no changes"), "{g}");

    let runs = w.runs(&id);
    let imp = run_of(&runs, "implement", "run");
    assert_eq!(imp["status"], "done", "{imp}");
    assert!(
        imp["denials"].as_u64().unwrap_or(0) > 0,
        "denials counted: {imp}"
    );
    let tr = w.transcript(imp["id"].as_str().unwrap());
    let denied = items(&tr, "permission_denied");
    assert!(
        denied.iter().any(|d| d["tool"] == "Write"),
        "a permission_denied item for Write: {:?}",
        kinds(&tr)
    );
    assert_eq!(
        imp["denials"].as_u64().unwrap() as usize,
        denied.len(),
        "one denial counted per item"
    );
    assert!(
        items(&tr, "file_change").is_empty(),
        "no file change was reported"
    );
    let work = w.rounds(&id)[0]["work"].clone();
    let wt = std::path::PathBuf::from(work["worktree"].as_str().unwrap());
    assert!(wt.is_dir(), "{work}");
    assert!(
        !wt.join("denied.txt").exists(),
        "the denied Write did not happen"
    );
    // The CLI really refused: the model got an error result for the Write.
    let after = w
        .standin
        .scripted()
        .into_iter()
        .find(|r| r["phase"] == "implement" && r["tool_results"] == 1)
        .expect("the request after the Write");
    assert!(
        body_text(&after).contains("\"is_error\":true"),
        "the Write's tool_result is an error"
    );
    w.note("done");
}
