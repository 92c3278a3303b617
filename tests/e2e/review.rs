//! The review loop with the scripted agent: a reviewer comments on lines of the candidate (and
//! on the whole of it), bad comments are refused and store nothing, request changes opens Round 2
//! in the same worktree and branch with every comment in its request, the new candidate
//! addresses the commented lines, the reviewer resolves the comments and approves. Plus the CLI.

use refine_e2e::{git, text};
use serde_json::{json, Value};

use super::agents::{create, goal, setup, wait_status};

fn comments(h: &refine_e2e::Http, id: &str) -> Vec<Value> {
    h.ok("review.comments.list", json!({"goalId": id}))
        .as_array()
        .cloned()
        .unwrap()
}

#[test]
fn comments_go_back_to_the_agent_and_round_2_addresses_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, repo, h) = setup(tmp.path(), json!({}));
    let id = create(
        &h,
        "Greet properly",
        "round 1 implement: write app.py x = 1\\ny = 2\\nz = 3\\n\n\
         round 2 implement: write app.py x = 1\\ny = 20\\nz = 3\\n\n\
         quality: test 1 test -f app.py",
    );
    // Not in review yet: a comment has no candidate to go on.
    let early = h.call(
        "review.comments.add",
        json!({"goalId": id, "body": "too early"}),
    );
    assert_eq!(early.status, 409, "{}", early.body);
    wait_status(&h, &id, "review", 90);

    // Refused, each a 4xx that stores nothing.
    for (input, status, says) in [
        (
            json!({"goalId": id, "path": "README.md", "startLine": 1, "body": "x"}),
            400,
            "does not change README.md",
        ),
        (
            json!({"goalId": id, "path": "app.py", "startLine": 2, "endLine": 9, "body": "x"}),
            400,
            "past the end of app.py",
        ),
        (
            json!({"goalId": id, "path": "app.py", "startLine": 3, "endLine": 2, "body": "x"}),
            400,
            "not a range",
        ),
        (
            json!({"goalId": id, "path": "../etc/passwd", "body": "x"}),
            400,
            "not a path inside the app",
        ),
        (
            json!({"goalId": id, "path": "app.py", "startLine": 1, "body": "  "}),
            400,
            "empty",
        ),
        (
            json!({"goalId": id, "startLine": 1, "body": "lines without a file"}),
            400,
            "go with a path",
        ),
        (json!({"goalId": "#99", "body": "x"}), 404, "99"),
    ] {
        let r = h.call("review.comments.add", input.clone());
        assert_eq!(r.status, status, "{input}: {}", r.body);
        assert!(
            r.body["message"].as_str().unwrap_or("").contains(says),
            "{input}: {}",
            r.body
        );
    }
    assert!(comments(&h, &id).is_empty(), "nothing stored");

    // A comment on line 2 of the candidate, quoted with its hunk; one on the whole candidate
    // through the CLI, as a person types it.
    let c1 = h.ok(
        "review.comments.add",
        json!({"goalId": id, "path": "app.py", "startLine": 2, "body": "y should be 20"}),
    );
    assert_eq!(c1["status"], "draft");
    assert_eq!(c1["side"], "new");
    assert_eq!(c1["quote"], "+y = 2");
    assert!(
        c1["hunk"].as_str().unwrap().starts_with("@@ -0,0 +1,3 @@"),
        "{c1}"
    );
    let n = goal(&h, &id)["number"].as_u64().unwrap();
    let o = d.sh(
        &format!("refine review comment {n} 'keep x as it is' && refine review comments {n}"),
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("the whole candidate"), "{out}");
    assert!(
        out.contains("app.py:2") && out.contains("> +y = 2"),
        "{out}"
    );
    assert!(out.contains("[draft]"), "{out}");
    let o = d.sh(
        &format!("refine review comment {n} app.py:40 'no such line'"),
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("past the end of app.py"), "{}", text(&o));

    // A draft can be edited and deleted; the list keeps what is left.
    let extra = h.ok(
        "review.comments.add",
        json!({"goalId": id, "path": "app.py", "body": "a file comment"}),
    );
    let e = h.ok(
        "review.comments.update",
        json!({"id": extra["id"], "body": "edited"}),
    );
    assert_eq!(e["body"], "edited");
    h.ok("review.comments.delete", json!({"id": extra["id"]}));
    let listed = comments(&h, &id);
    assert_eq!(listed.len(), 2, "{listed:?}");

    // Request changes: Round 2 on the same worktree and branch, with every comment in its
    // request; the drafts are now sent and can no longer be edited.
    // In the shell: the transition and what Round 2 asks the agent, comments included.
    let o = d.sh(
        &format!("refine review request-changes {n} -m 'thanks!'"),
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("review → implement: Round 2 asks the agent"),
        "{out}"
    );
    assert!(
        out.contains("app.py:2") && out.contains("y should be 20"),
        "{out}"
    );
    let g = goal(&h, &id);
    let r2 = &g["rounds"][1];
    assert_eq!(r2["number"], 2, "{g}");
    let request = r2["request"].as_str().unwrap();
    assert!(request.contains("(2 comments)"), "{request}");
    assert!(
        request.contains("app.py:2\n   > +y = 2\n   y should be 20"),
        "{request}"
    );
    assert!(
        request.contains("the whole candidate\n   keep x as it is"),
        "{request}"
    );
    assert!(
        request.ends_with("thanks!\n") || request.contains("thanks!"),
        "{request}"
    );
    let sent = h.call(
        "review.comments.update",
        json!({"id": c1["id"], "body": "changed my mind"}),
    );
    assert_eq!(sent.status, 409, "{}", sent.body);
    // Nothing left to send: a second request is refused.
    wait_status(&h, &id, "review", 90);
    let again = h.call("review.request_changes", json!({"goalId": id}));
    assert_eq!(again.status, 400, "{}", again.body);

    let rounds = h.ok("runner.rounds", json!({"goalId": id}));
    let (w1, w2) = (&rounds[0]["work"], &rounds[1]["work"]);
    assert_eq!(w1["worktree"], w2["worktree"], "same worktree: {rounds}");
    assert_eq!(w1["branch"], w2["branch"], "same branch: {rounds}");
    let cand2 = w2["candidateCommit"].as_str().unwrap();
    assert_ne!(w1["candidateCommit"].as_str().unwrap(), cand2);
    assert_eq!(
        git(&repo, &["show", &format!("{cand2}:app.py")]),
        "x = 1\ny = 20\nz = 3"
    );
    // The new candidate builds on the old one.
    git(
        &repo,
        &[
            "merge-base",
            "--is-ancestor",
            w1["candidateCommit"].as_str().unwrap(),
            cand2,
        ],
    );

    // What the new candidate did to each comment's lines.
    let listed = comments(&h, &id);
    let line = listed.iter().find(|c| c["id"] == c1["id"]).unwrap();
    assert_eq!(line["status"], "sent");
    assert_eq!(line["sentRound"], 2);
    assert_eq!(line["state"], "addressed", "{line}");
    let whole = listed.iter().find(|c| c["path"].is_null()).unwrap();
    assert!(whole["state"].is_null(), "{whole}");

    // The reviewer resolves them (a draft cannot be resolved; resolving twice is refused), and
    // approves: the addressed candidate lands.
    let r = h.ok("review.comments.resolve", json!({"id": c1["id"]}));
    assert_eq!(r["status"], "resolved");
    assert!(r["resolvedBy"].is_string());
    let twice = h.call("review.comments.resolve", json!({"id": c1["id"]}));
    assert_eq!(twice.status, 409, "{}", twice.body);
    let o = d.sh(
        &format!(
            "refine review resolve {} && refine review comments {n}",
            whole["id"]
        ),
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert_eq!(out.matches("[resolved]").count(), 2, "{out}");
    let a = h.call("workflow.approve", json!({"goalId": id}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        std::fs::read_to_string(repo.join("app.py")).unwrap(),
        "x = 1\ny = 20\nz = 3\n"
    );
}
