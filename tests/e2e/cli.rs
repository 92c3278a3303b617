//! The CLI as a person uses it: typed in bash, against a daemon process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use refine_e2e::{git_repo, refine_bin, sh, text, Daemon};
use serde_json::Value;

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

#[test]
fn without_a_daemon_the_cli_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let o = sh("refine status", tmp.path(), &tmp.path().join("data"));
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert!(
        text(&o).contains("no Refine daemon is running"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_whole_session_in_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = Daemon::start(&data);
    let repo = git_repo(tmp.path(), "shop");
    let dir = tmp.path();

    let o = d.sh("refine status", dir);
    assert!(
        o.status.success() && text(&o).contains("is running"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains(&d.url), "{}", text(&o));

    // Relative paths resolve against the shell's directory.
    let o = d.sh("cd shop/src && refine apps add ..", dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Added app shop"), "{}", text(&o));
    assert!(text(&o).contains("TypeScript (2)"), "{}", text(&o));
    assert!(text(&o).contains("npm run test"), "{}", text(&o));

    let apps = json(&d.sh("refine apps list --json", dir));
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["path"], repo.to_string_lossy().as_ref());
    assert_eq!(apps[0]["active"], true);

    let o = d.sh("refine apps list", dir);
    assert!(
        text(&o).contains("NAME") && text(&o).contains("shop"),
        "{}",
        text(&o)
    );

    let o = d.sh("refine apps show nope", dir);
    assert_eq!(o.status.code(), Some(3), "not found → 3: {}", text(&o));
    let o = d.sh("mkdir -p plain && refine apps add plain", dir);
    assert_eq!(o.status.code(), Some(2), "invalid input → 2: {}", text(&o));
    assert!(
        text(&o).contains("not inside a Git work tree"),
        "{}",
        text(&o)
    );
    let o = d.sh("refine apps add shop", dir);
    assert_eq!(o.status.code(), Some(4), "conflict → 4: {}", text(&o));

    let o = d.sh(
        "refine settings set runner.retryBudget 3 && refine settings set ui.theme dark",
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    let s = json(&d.sh("refine settings get --json", dir));
    assert_eq!(s["effective"]["runner"]["retryBudget"], 3);
    assert_eq!(s["effective"]["ui"]["theme"], "dark");
    assert_eq!(s["global"]["revision"], 2);
    let o = d.sh("refine settings set runner.retryBudget 99", dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("retryBudget"), "{}", text(&o));
    let o = d.sh(
        "refine settings set runner.retryBudget 5 --app shop && refine settings get",
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).lines().any(|l| l.starts_with("runner.retryBudget")
            && l.contains('5')
            && l.trim_end().ends_with("app")),
        "{}",
        text(&o)
    );

    let o = d.sh("refine apps rescan shop", dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Rescan succeeded"), "{}", text(&o));
    let ops = json(&d.sh("refine ops list --json --kind apps.rescan", dir));
    assert_eq!(ops["items"][0]["status"], "succeeded");
    assert_eq!(ops["items"][0]["surface"], "cli");
    let id = ops["items"][0]["id"].as_str().unwrap().to_string();
    let o = d.sh(&format!("refine ops cancel {id}"), dir);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));

    let o = d.sh("refine activity --operation apps", dir);
    assert!(
        text(&o).contains("apps.add") && text(&o).contains("cli"),
        "{}",
        text(&o)
    );

    let o = d.sh("refine call apps.list | head -c 1", dir);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[");
    let o = d.sh("echo '{}' | refine call project.overview -", dir);
    let ov: Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(ov["branch"], "main", "{}", text(&o));
    assert_eq!(ov["changedFiles"], 0);
    let o = d.sh("refine call nope.nothing", dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = d.sh("refine call --list", dir);
    assert!(
        text(&o).contains("apps.add") && text(&o).contains("POST /api/v1/apps"),
        "{}",
        text(&o)
    );

    let o = d.sh("refine completions bash", dir);
    assert!(
        o.status.success() && text(&o).contains("complete"),
        "{}",
        text(&o)
    );
    // A one-time login link for a browser; never the token.
    let o = d.sh("refine open", dir);
    assert!(
        text(&o).contains(&format!("{}/#login=", d.url)) && !text(&o).contains(&d.token),
        "{}",
        text(&o)
    );
    let o = d.sh("refine sessions list", dir);
    assert!(
        o.status.success() && text(&o).contains("(none)"),
        "{}",
        text(&o)
    );
}

#[test]
fn events_and_activity_follow_live() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut d = Daemon::start(&data);
    git_repo(tmp.path(), "web");
    let bin = refine_bin();
    let follow = |args: &[&str]| {
        Command::new(&bin)
            .args(args)
            .env("REFINE_HOME", &data)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut events = follow(&["events", "--json"]);
    let mut activity = follow(&["activity", "--follow"]);
    std::thread::sleep(Duration::from_millis(400));
    let o = d.sh("refine apps add web", tmp.path());
    assert!(o.status.success(), "{}", text(&o));

    let mut lines = BufReader::new(events.stdout.take().unwrap()).lines();
    // Start-up's own events (agent detection, a health probe) may come first on a slow machine.
    let first: Value = (0..20)
        .map(|_| serde_json::from_str::<Value>(&lines.next().unwrap().unwrap()).unwrap())
        .find(|e| {
            e["kind"] != "activity.created"
                && !e["kind"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("agents.") || k.starts_with("target."))
        })
        .unwrap();
    assert_eq!(first["kind"], "apps.added", "{first}");
    assert_eq!(first["data"]["name"], "web");
    let mut alines = BufReader::new(activity.stdout.take().unwrap()).lines();
    let line = alines.next().unwrap().unwrap();
    assert!(
        line.contains("apps.add") && line.contains("Added app web"),
        "{line}"
    );

    // `refine stop` ends the daemon cleanly; followers end with it.
    let o = d.sh("refine stop", tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let st = d.signal(0);
    assert!(st.success(), "clean exit: {st:?}");
    assert!(
        !data.join("daemon.json").exists(),
        "daemon.json is removed on shutdown"
    );
    let ev = events.wait().unwrap();
    assert_eq!(
        ev.code(),
        Some(7),
        "the follower reports the daemon stopped"
    );
    assert_eq!(activity.wait().unwrap().code(), Some(7));
}

#[test]
fn files_from_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = Daemon::start(&data);
    git_repo(tmp.path(), "shop");
    let dir = tmp.path();
    let o = d.sh("refine apps add shop", dir);
    assert!(o.status.success(), "{}", text(&o));

    let o = d.sh("refine files ls src", dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("app.ts") && text(&o).contains("util.ts"),
        "{}",
        text(&o)
    );
    let o = d.sh("refine files cat src/app.ts", dir);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "export const x = 1;\n");
    let o = d.sh("refine files find utl", dir);
    assert!(text(&o).contains("src/util.ts"), "{}", text(&o));
    let o = d.sh("refine files grep 'const [xy]' src", dir);
    assert!(
        text(&o).contains("src/app.ts:1:export const x = 1;"),
        "{}",
        text(&o)
    );

    // Refusals keep their exit codes: 2 invalid input, 5 a stale etag.
    let o = d.sh("refine files cat ../../etc/passwd", dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = d.sh(
        r#"refine call files.write '{"path":"src/app.ts","content":"x","etag":"0"}'"#,
        dir,
    );
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("stale"), "{}", text(&o));
    let o = d.sh("refine files cat src/app.ts", dir);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "export const x = 1;\n");
}

#[test]
fn json_fields_and_jq_as_the_readme_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = Daemon::start(&dir.join("data"));
    git_repo(dir, "shop");
    let o = d.sh(
        "refine apps add shop && refine goal create One --todo && refine goal create Two",
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = d.sh(
        "refine goal list --json number,title,status --jq '.[] | select(.status == \"todo\") | .number'",
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "1");
    let picked = json(&d.sh("refine goal list --json number,status", dir));
    assert_eq!(
        picked,
        serde_json::json!([{"number": 1, "status": "todo"}, {"number": 2, "status": "backlog"}])
    );
    // Errors are JSON on stderr in the JSON modes.
    let o = d.sh("refine goal show 99 --json", dir);
    assert_eq!(o.status.code(), Some(3));
    let err: Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["code"], "not_found");
}
