//! `refine quality`, `refine governance` and `refine guidance` as a person types them, against a
//! real daemon: tables for people, `--json` for scripts, exit codes for refusals.

use refine_e2e::{git_repo, text, Daemon};
use serde_json::Value;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(o));
    text(o)
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

#[test]
fn quality_governance_and_guidance_in_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Daemon::start(&tmp.path().join("data"));
    git_repo(tmp.path(), "shop");
    let dir = tmp.path();
    ok(&d.sh("refine apps add shop", dir));

    // Quality: tests from arguments or a file, instructions, history.
    let out = ok(&d.sh(
        "refine quality set-tests 'The cart shows a coupon field' 'Totals are integer cents'",
        dir,
    ));
    assert!(
        out.contains("TEST") && out.contains("The cart shows a coupon field"),
        "{out}"
    );
    assert!(out.contains("revision 1"), "{out}");
    ok(&d.sh(
        "printf 'Checkout works\\n\\n  Coupons apply once \\nRefunds are logged\\n' | refine quality set-tests --file -",
        dir,
    ));
    let q = json(&d.sh("refine quality tests --json", dir));
    assert_eq!(
        q["tests"],
        serde_json::json!(["Checkout works", "Coupons apply once", "Refunds are logged"])
    );
    assert_eq!(q["revision"], 2);
    let out = ok(&d.sh(
        "refine quality instructions 'Run npm test, then open /cart.'",
        dir,
    ));
    assert!(out.contains("revision 3"), "{out}");
    let out = ok(&d.sh("refine quality instructions", dir));
    assert!(out.contains("Run npm test, then open /cart."), "{out}");
    let q = json(&d.sh("refine quality tests --json", dir));
    assert_eq!(q["tests"].as_array().unwrap().len(), 3, "tests were kept");
    let out = ok(&d.sh("refine quality history", dir));
    assert!(out.contains("(none)"), "{out}");
    let o = d.sh(
        "refine quality set-tests \"$(printf 'x%.0s' $(seq 2001))\"",
        dir,
    );
    assert_eq!(o.status.code(), Some(2), "too long → 2: {}", text(&o));
    assert!(text(&o).contains("longer than 2000"), "{}", text(&o));
    let o = d.sh(
        "refine quality show 0190a0a0-0000-7000-8000-000000000000",
        dir,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // Governance: statement, constitution, rules with ids that stay.
    let out = ok(&d.sh(
        "refine governance statement 'A shop for tea lovers.' && \
         printf '# Principles\\n\\nNo dark patterns.\\n' | refine governance constitution --file - && \
         refine governance rule add 'No new dependencies' --body 'Ask the owner first.' && \
         refine governance rule add 'Prices are cents' && \
         refine governance rule add 'Tests for every fix'",
        dir,
    ));
    assert!(out.contains("Saved the statement (revision 1)"), "{out}");
    assert!(out.contains("Added rule R1 (revision 3)"), "{out}");
    assert!(out.contains("Added rule R3 (revision 5)"), "{out}");
    let out = ok(&d.sh(
        "refine governance rule edit 2 --title 'Prices are integer cents' && refine governance rule rm R1 && \
         refine governance rule add 'Accessible forms' && refine governance rule order R4 R2 R3",
        dir,
    ));
    assert!(out.contains("Edited rule R2"), "{out}");
    assert!(out.contains("Removed rule R1"), "{out}");
    assert!(
        out.contains("Added rule R4"),
        "a removed id is not reused: {out}"
    );
    let out = ok(&d.sh("refine governance show", dir));
    assert!(out.contains("A shop for tea lovers."), "{out}");
    assert!(out.contains("No dark patterns."), "{out}");
    let r4 = out.lines().position(|l| l.starts_with("R4")).unwrap();
    let r2 = out.lines().position(|l| l.starts_with("R2")).unwrap();
    assert!(r4 < r2, "in the chosen order: {out}");
    assert!(out.contains("Prices are integer cents"), "{out}");
    let g = json(&d.sh("refine governance show --json", dir));
    assert_eq!(g["revision"], 9);
    assert_eq!(g["rules"].as_array().unwrap().len(), 3);
    let o = d.sh("refine governance rule rm R1", dir);
    assert_eq!(o.status.code(), Some(3), "gone → 3: {}", text(&o));
    let o = d.sh("refine governance rule edit R2", dir);
    assert_eq!(
        o.status.code(),
        Some(2),
        "nothing to change → 2: {}",
        text(&o)
    );
    let out = ok(&d.sh("refine governance constitution", dir));
    assert!(out.starts_with("# Principles"), "{out}");

    // Guidance: add, disable, enable, edit, remove.
    let out = ok(&d.sh(
        "refine guidance add 'Prefer small commits' --body 'One concern per commit.' && \
         refine guidance add 'Use the design tokens' --disabled && refine guidance list",
        dir,
    ));
    assert!(out.contains("Added guidance G1 (revision 1)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("G2") && l.contains("off") && l.contains("design tokens")),
        "{out}"
    );
    let out = ok(&d.sh(
        "refine guidance enable G2 && refine guidance disable 1 && \
         refine guidance edit G2 --body 'Colours come from tokens.css.' && refine guidance rm G1 && \
         refine guidance add 'Again'",
        dir,
    ));
    assert!(out.contains("Enabled guidance G2"), "{out}");
    assert!(out.contains("Disabled guidance G1"), "{out}");
    assert!(out.contains("Added guidance G3"), "{out}");
    let l = json(&d.sh("refine guidance list --json", dir));
    assert_eq!(l["revision"], 7);
    assert_eq!(l["entries"][0]["id"], "G2");
    assert_eq!(l["entries"][0]["enabled"], true);
    assert_eq!(l["entries"][0]["body"], "Colours come from tokens.css.");
    let o = d.sh("refine guidance edit G9 --title x", dir);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // A writer holding an old revision is refused with the conflict exit code; nothing changes.
    let o = d.sh(
        "refine call guidance.add '{\"revision\": 2, \"title\": \"Late\"}'",
        dir,
    );
    assert_eq!(o.status.code(), Some(4), "stale → 4: {}", text(&o));
    assert!(
        text(&o).contains("changed since you read it"),
        "{}",
        text(&o)
    );
    let l = json(&d.sh("refine guidance list --json", dir));
    assert_eq!(l["revision"], 7);

    // Every write is in the audit log, from the CLI.
    let out = ok(&d.sh("refine activity --operation guidance --limit 50", dir));
    assert!(out.contains("guidance.add") && out.contains("cli"), "{out}");
    let out = ok(&d.sh("refine activity --operation governance --limit 50", dir));
    assert!(out.contains("Removed governance rule R1"), "{out}");
}
