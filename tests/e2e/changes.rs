//! `refine changes` in the shell against a real daemon.

use refine_e2e::{git_repo, text, Daemon};

#[test]
fn changes_in_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    let repo = git_repo(tmp.path(), "site");
    let dir = tmp.path();
    let ok = |script: &str| {
        let o = d.sh(script, dir);
        assert!(o.status.success(), "{script}: {}", text(&o));
        text(&o)
    };
    ok("refine apps add site && cd site && git config user.email t@example.com && git config user.name T");
    std::fs::write(repo.join("src/app.ts"), "export const x = 2;\n").unwrap();
    std::fs::write(repo.join("README.md"), "# Site\n").unwrap();
    let st = ok("refine changes status");
    assert!(
        st.contains("src/app.ts") && st.contains("untracked"),
        "{st}"
    );
    let diff = ok("refine changes diff");
    assert!(
        diff.contains("-export const x = 1;")
            && diff.contains("+export const x = 2;")
            && diff.contains("+# Site"),
        "{diff}"
    );
    let stat = ok("refine changes diff --stat");
    assert!(
        stat.contains("modified") && stat.contains("+1 -1"),
        "{stat}"
    );
    ok("refine changes stage src/app.ts README.md");
    let c = ok("refine changes commit -m 'Bump x'");
    assert!(c.contains("Bump x"), "{c}");
    let log = ok("refine changes log -n 5");
    assert!(log.lines().nth(1).unwrap().contains("Bump x"), "{log}");
    let sha = log
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let r = ok(&format!("refine changes revert {sha}"));
    assert!(r.contains("Revert"), "{r}");
    assert_eq!(
        std::fs::read_to_string(repo.join("src/app.ts")).unwrap(),
        "export const x = 1;\n"
    );
    let churn = ok("refine changes churn --days 7");
    assert!(
        churn.contains("Most-changed files") && churn.contains("src/app.ts"),
        "{churn}"
    );
    let bad = d.sh("refine changes log --ref=--upload-pack=touch", dir);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    let none = d.sh("refine changes commit -m empty", dir);
    assert_eq!(none.status.code(), Some(5), "{}", text(&none));
}

#[test]
fn processes_and_the_target_app_in_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    git_repo(tmp.path(), "web");
    let dir = tmp.path();
    let ok = |script: &str| {
        let o = d.sh(script, dir);
        assert!(o.status.success(), "{script}: {}", text(&o));
        text(&o)
    };
    ok("refine apps add web");
    let started = ok("refine proc start --label hello --env WHO=shell -- bash -c 'echo hello $WHO; echo oops >&2'");
    let id = started.split_whitespace().last().unwrap().to_string();
    let logs = ok(&format!("sleep 0.5 && refine proc logs {id} --follow"));
    assert!(
        logs.contains("hello shell") && logs.contains("oops"),
        "{logs}"
    );
    let list = ok("refine proc list");
    assert!(list.contains("exited") && list.contains("hello"), "{list}");
    let status = ok("refine target status");
    assert!(
        status.starts_with("stopped")
            && status.contains("npm run build")
            && status.contains("suggested"),
        "{status}"
    );
    ok("refine target set start -- sleep 300 && refine target set test -- bash -c 'exit 1'");
    let s = ok("refine target start");
    assert!(s.contains("running sleep 300"), "{s}");
    let again = d.sh("refine target start", dir);
    assert_eq!(again.status.code(), Some(4), "{}", text(&again));
    assert!(ok("refine target status").starts_with("running"));
    let stopped = ok("refine target stop");
    assert!(stopped.contains("stopped"), "{stopped}");
    let none = d.sh(
        "refine target set build --clear && refine target build",
        dir,
    );
    assert_eq!(none.status.code(), Some(5), "{}", text(&none));
}
