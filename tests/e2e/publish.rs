//! Publishing with the scripted agent and a local bare repository as the remote: the candidate
//! of a Goal in review is pushed as its branch; with a remote that looks like GitHub and a `gh`
//! on PATH that is signed in (a stand-in script: GitHub cannot be reached here), a pull request
//! is opened with the Goal's title and a body holding the prompt and the evidence, and its URL is
//! stored with the Round. No remote, or a bad remote name, is a clear 4xx.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use refine_e2e::{git, git_repo, text, Daemon};
use serde_json::json;

use super::agents::{create, wait_status};

/// A `gh` that is signed in and "opens" a pull request: it records its arguments.
fn fake_gh(bin: &Path, log: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1 $2\" = \"auth status\" ]; then exit 0; fi\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}\necho 'Creating pull request'\necho https://github.com/acme/shop/pull/7\n",
        log.display()
    );
    let p = bin.join("gh");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_candidate_is_pushed_and_a_pull_request_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let (bin, log) = (tmp.path().join("bin"), tmp.path().join("gh-args"));
    fake_gh(&bin, &log);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let repo = git_repo(tmp.path(), "shop");
    let d = Daemon::start_with(
        &tmp.path().join("data"),
        &[("REFINE_LOG", "warn"), ("PATH", &path)],
    );
    let h = d.client();
    h.ok("apps.add", json!({"path": repo}));
    h.ok(
        "settings.update",
        json!({"scope": "global", "revision": 0, "patch": {"agents": {"defaultProfile": "scripted"}, "runner": {"pollSeconds": 1}}}),
    );
    h.ok(
        "quality.settings.update",
        json!({"revision": 0, "tests": ["coupon exists"], "instructions": ""}),
    );
    let id = create(
        &h,
        "Coupon field",
        "implement: write coupon.txt 10%\\n\nquality: test 1 test -f coupon.txt",
    );
    wait_status(&h, &id, "review", 90);

    // No remote yet; a name that is no remote name.
    let r = h.call("goals.publish", json!({"goalId": id}));
    assert!((400..500).contains(&r.status), "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("git remote add origin"),
        "{}",
        r.body
    );
    let r = h.call(
        "goals.publish",
        json!({"goalId": id, "remote": "--upload-pack=x"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);

    // A bare repository whose path looks like GitHub's, so `gh` is the tool.
    let remote = tmp.path().join("github.com/acme/shop.git");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare"]);
    git(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );

    let n = h.ok("goals.get", json!({"id": id}))["number"]
        .as_u64()
        .unwrap();
    let o = d.sh(&format!("refine goal publish {n}"), tmp.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Opened https://github.com/acme/shop/pull/7"),
        "{out}"
    );

    let w = h.ok("runner.rounds", json!({"goalId": id}))[0]["work"].clone();
    let p = &w["publication"];
    assert_eq!(p["remote"], "origin");
    assert_eq!(p["tool"], "gh");
    assert_eq!(p["requestUrl"], "https://github.com/acme/shop/pull/7");
    // The request's URL is stored on the Goal, as evidence of its Round.
    let g = h.ok("goals.get", json!({"id": id}));
    let evidence = g["rounds"][0]["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["kind"] == "pull-request"
                && e["href"] == "https://github.com/acme/shop/pull/7"),
        "{evidence:?}"
    );
    let branch = w["branch"].as_str().unwrap();
    assert_eq!(
        git(&remote, &["rev-parse", &format!("refs/heads/{branch}")]),
        w["candidateCommit"].as_str().unwrap(),
        "the remote has the candidate as its branch"
    );
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(&args[..3], ["pr", "create", "--head"]);
    assert_eq!(args[3], branch);
    assert!(args.windows(2).any(|a| a == ["--base", "main"]), "{args:?}");
    assert!(
        args.windows(2).any(|a| a == ["--title", "Coupon field"]),
        "{args:?}"
    );
    let body = args.join("\n");
    assert!(body.contains("Refine Goal #1 · Round 1"), "{body}");
    assert!(body.contains("Quality: 1/1 checks passed"), "{body}");

    // Push only: no request, said so; approving still merges locally.
    let p = h.ok("goals.publish", json!({"goalId": id, "request": false}));
    assert!(p["requestUrl"].is_null());
    assert!(p["note"].as_str().unwrap().contains("pushed only"));
    let a = h.call("workflow.approve", json!({"goalId": id}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(repo.join("coupon.txt").exists());
}
