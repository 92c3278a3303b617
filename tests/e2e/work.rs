//! The work commands as a person types them: goal, feature, import, dashboard, reporter, todo,
//! automation — against a real daemon.

use refine_e2e::{git_repo, text, Daemon};
use serde_json::Value;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(o));
    text(o)
}

#[test]
fn planning_work_in_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    git_repo(tmp.path(), "shop");
    let dir = tmp.path();
    ok(&d.sh(
        "refine apps add shop && refine reporter add Ada && refine feature create Checkout",
        dir,
    ));

    let out = ok(&d.sh(
        "refine goal create 'Coupon field' --feature Checkout --todo --label ui --priority 2 --actor Ada && \
         refine goal create 'Coupon API' --feature Checkout --todo && \
         echo 'Search must tolerate typos' | refine goal create 'Fuzzy search' --prompt-file - --priority -1",
        dir,
    ));
    assert!(
        out.contains("Created Goal #1 “Coupon field” (todo)"),
        "{out}"
    );
    let list = ok(&d.sh("refine goal list", dir));
    assert!(
        list.lines().nth(1).unwrap().starts_with("#1 "),
        "priority order: {list}"
    );
    let json: Value =
        serde_json::from_str(&ok(&d.sh("refine goal list --json --status todo", dir))).unwrap();
    assert_eq!(json["total"], 2);
    let show = ok(&d.sh("refine goal show 3", dir));
    assert!(
        show.contains("Search must tolerate typos") && show.contains("round 1: First attempt"),
        "{show}"
    );
    let found = ok(&d.sh("refine goal list -q typo", dir));
    assert!(
        found.contains("Fuzzy search") && !found.contains("Coupon"),
        "{found}"
    );
    let g1: Value = serde_json::from_str(&ok(&d.sh("refine goal show 1 --json", dir))).unwrap();
    assert_eq!(
        g1["reporterName"], "Ada",
        "the actor is the default reporter"
    );

    // The start rules, with their reasons, in the shell.
    let refused = d.sh("refine goal move 2 plan", dir);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(
        text(&refused).contains("cannot start: waiting for #1 “Coupon field”"),
        "{}",
        text(&refused)
    );
    let elig = ok(&d.sh("refine goal eligible", dir));
    assert!(
        elig.contains("may start") && elig.contains("waiting for #1"),
        "{elig}"
    );
    ok(&d.sh("refine feature reorder Checkout 2 1", dir));
    let feat = ok(&d.sh("refine feature show Checkout", dir));
    let pos1 = feat
        .lines()
        .find(|l| l.starts_with("1."))
        .unwrap()
        .to_string();
    assert!(pos1.contains("Coupon API"), "{feat}");
    ok(&d.sh("refine goal move 2 plan && refine goal move 2 implement && refine goal move 2 failed --reason 'tests red'", dir));
    let retry = ok(&d.sh("refine goal move 2 todo", dir));
    assert!(retry.contains("failed → todo (new round)"), "{retry}");
    for s in ["plan", "implement", "quality", "governance", "review"] {
        ok(&d.sh(&format!("refine goal move 2 {s}"), dir));
    }
    let decline = ok(&d.sh("refine goal decline 2 --reason 'needs docs'", dir));
    assert!(decline.contains("review → todo (new round)"), "{decline}");
    let bad = d.sh("refine goal approve 2", dir);
    assert_eq!(bad.status.code(), Some(4));
    ok(&d.sh(
        "refine goal cancel 3 && refine goal delete 3 && refine goal restore 3",
        dir,
    ));
    ok(&d.sh(
        "refine goal edit 1 --title 'Coupon code field' --label ui --label checkout --no-feature",
        dir,
    ));
    let g1: Value = serde_json::from_str(&ok(&d.sh("refine goal show 1 --json", dir))).unwrap();
    assert_eq!(g1["labels"], serde_json::json!(["ui", "checkout"]));
    assert_eq!(g1["featureId"], Value::Null);

    // Import with preview, then re-import without duplicates.
    std::fs::write(
        dir.join("plan.md"),
        "# Docs\n- [ ] Write guide\n  Cover setup.\n- [ ]\n- [x] Old page\n",
    )
    .unwrap();
    let dry = ok(&d.sh("refine import plan.md --dry-run", dir));
    assert!(
        dry.contains("2 to create") && dry.contains("row 4: a task item without a title"),
        "{dry}"
    );
    let n: Value = serde_json::from_str(&ok(&d.sh("refine goal list --json --all", dir))).unwrap();
    assert_eq!(n["total"], 3, "a dry run stores nothing");
    let imported = ok(&d.sh("refine import plan.md", dir));
    assert!(imported.contains("Imported: 2 created"), "{imported}");
    let again = ok(&d.sh("refine import plan.md", dir));
    assert!(
        again.contains("0 created, 0 updated, 2 unchanged"),
        "{again}"
    );
    std::fs::write(
        dir.join("issues.csv"),
        "Name,Tags\nPay by card,billing\n,empty\n",
    )
    .unwrap();
    let csv = ok(&d.sh(
        "refine import issues.csv --map title=Name --map labels=Tags",
        dir,
    ));
    assert!(
        csv.contains("1 to create") && csv.contains("row 3"),
        "{csv}"
    );
    let exported = ok(&d.sh(
        "refine goal export --format csv -o out.csv && head -1 out.csv",
        dir,
    ));
    assert!(exported.contains("Issue key,Summary"), "{exported}");

    let dash = ok(&d.sh("refine dashboard", dir));
    assert!(
        dash.contains("Goals") && dash.contains("Features") && dash.contains("Done per day"),
        "{dash}"
    );
    let dj: Value = serde_json::from_str(&ok(&d.sh("refine dashboard --json", dir))).unwrap();
    assert_eq!(dj["total"], 6);

    ok(&d.sh("refine reporter add Bob --kind agent && refine todo add 'Review PRs' --reporter Bob && refine reporter merge Bob Ada", dir));
    let todos = ok(&d.sh("refine todo done 1 --actor Ada", dir));
    assert!(todos.contains("1. [x] Review PRs"), "{todos}");
    let reporters = ok(&d.sh("refine reporter list --all", dir));
    assert!(
        reporters.contains("Bob") && reporters.contains("Ada"),
        "{reporters}"
    );

    let paused = ok(&d.sh(
        "refine automation pause --reason lunch && refine automation status",
        dir,
    ));
    assert!(paused.contains("paused: lunch"), "{paused}");
    ok(&d.sh("refine automation resume", dir));
}
