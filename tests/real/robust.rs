//! Robustness with a fake CLI: a bash script that says it is Claude Code (`--output-format
//! stream-json`, so the stream-json parser reads it) and then prints malformed lines, an unknown
//! event, bytes that are not UTF-8 (and a NUL), 50 MB of output, and is killed mid-stream. The
//! daemon stays up and bounded, the transcript keeps what arrived, the run ends with a clear error.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use serde_json::json;

use crate::harness::*;

const FAKE: &str = r#"#!/bin/bash
# A fake `claude` (tests/real/robust.rs). Its state lives next to it.
dir="$(cd "$(dirname "$0")" && pwd)"
case "$1" in
  --version) echo "2.1.332 (Claude Code)"; exit 0 ;;
  --help) printf 'Usage: claude [options]\n  -p, --print\n  --output-format <format>\n  --verbose\n'; exit 0 ;;
esac
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
init='{"type":"system","subtype":"init","session_id":"fake-session","cwd":"'"$PWD"'","model":"fake-model"}'
if [ "$n" -gt 1 ]; then
  # Later runs (the repairs) fail plainly.
  echo "$init"
  echo '{"type":"result","subtype":"success","is_error":true,"result":"fake: no more floods","num_turns":1}'
  exit 1
fi
echo $$ > "$dir/pid"
echo "$init"
echo '{"type":"assistant","message":{"content":[{"type":"text","text"'
echo 'this is not JSON at all'
echo '{"type":"mystery_event","payload":{"answer":42}}'
echo '{"type":"assistant","message":{"content":[{"type":"text","text":"still talking after the junk"}]}}'
sleep 0.5
printf 'binary \xff\xfe junk with a NUL \x00 inside\n'
sleep 0.5
# 50 MB in lines of 1 KiB.
head -c 52428800 /dev/zero | tr '\0' 'x' | fold -w 1023
echo
echo '{"type":"assistant","message":{"content":[{"type":"text","text":"after the flood"}]}}'
touch "$dir/flooded"
exec sleep 600
"#;

fn vm_kib(pid: i32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_misbehaving_cli_leaves_the_daemon_up_and_the_transcript_bounded() {
    let w = World::new("robust-fake");
    let bin = w.dir("fake");
    let fake = bin.join("claude");
    std::fs::write(&fake, FAKE).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut p = w.default_profile("claude-code");
    p["name"] = json!("fake-claude");
    p["command"] = json!(fake);
    p["args"] = json!(["-p", "--output-format", "stream-json", "--verbose"]);
    p["resumeArgs"] = json!(["-p", "--output-format", "stream-json", "--verbose"]);
    p["env"] = json!({});
    w.save_profile(&p);
    let d = w.h.ok("agents.redetect", json!({"name": "fake-claude"}));
    assert_eq!(d[0]["state"], "installed", "{}", d[0]);
    w.use_profile("fake-claude");
    let rss_before = vm_kib(w.d.pid(), "VmRSS");

    let id = w.create_goal("Survive a flood", "Whatever.");
    w.wait_for(120, "the fake printed its 50 MB", || {
        bin.join("flooded")
            .exists()
            .then_some(())
            .ok_or_else(|| "not yet".to_string())
    });
    assert_eq!(
        w.health()["status"],
        "ok",
        "the daemon answers during the flood"
    );
    let runs = w.runs(&id);
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let run = runs[0].clone();
    let run_id = run["id"].as_str().unwrap().to_string();
    assert_eq!(run["status"], "running", "{run}");
    // The daemon's pid of the run is the fake's own.
    let proc_id = run["processId"].as_str().expect("a process");
    let pr = w.h.ok("processes.get", json!({"id": proc_id}));
    let pid: i32 = std::fs::read_to_string(bin.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pr["pid"], json!(pid), "{pr}");
    // Everything up to the flood's end is in (then it sleeps, mid-stream: no result line).
    w.wait_for(60, "the text after the flood is in the transcript", || {
        let tr = w.transcript(&run_id);
        items(&tr, "text")
            .iter()
            .any(|t| t["text"] == "after the flood")
            .then_some(())
            .ok_or_else(|| format!("{} entries", tr.len()))
    });
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    w.note("killed the fake mid-stream");

    let run = w.wait_for(30, "the killed run ended", || {
        let r = w
            .runs(&id)
            .into_iter()
            .find(|r| r["id"] == run_id.as_str())
            .unwrap();
        (r["status"] != "running")
            .then_some(r.clone())
            .ok_or_else(|| r.to_string())
    });
    assert_eq!(run["status"], "failed", "{run}");
    let error = run["error"].as_str().unwrap_or("");
    assert!(
        error.starts_with("exited with a signal"),
        "a clear error: {error}"
    );
    assert_eq!(run["sessionId"], "fake-session", "{run}");
    let pr = w.h.ok("processes.get", json!({"id": proc_id}));
    assert_eq!(pr["signal"], json!(libc::SIGKILL), "{pr}");

    let tr = w.transcript(&run_id);
    let k = kinds(&tr);
    assert_eq!(k[0], "session_started", "{:?}", &k[..k.len().min(10)]);
    let raws: Vec<String> = items(&tr, "raw")
        .iter()
        .map(|r| r["line"].as_str().unwrap_or("").to_string())
        .collect();
    let has_raw = |needle: &str| raws.iter().any(|l| l.contains(needle));
    assert!(
        has_raw(r#"{"type":"assistant","message":{"content":[{"type":"text","text""#),
        "the cut-off object is kept raw"
    );
    assert!(has_raw("this is not JSON at all"), "plain junk is kept raw");
    assert!(has_raw("mystery_event"), "an unknown event is kept raw");
    assert!(has_raw("binary "), "the non-UTF-8 line is kept raw");
    assert!(has_raw("xxxxxxxx"), "the flood's first lines are kept");
    assert!(
        items(&tr, "text")
            .iter()
            .any(|t| t["text"] == "still talking after the junk"),
        "a good line after the junk is understood"
    );
    let trunc = items(&tr, "truncated");
    assert_eq!(
        trunc.len(),
        1,
        "one truncated marker: {:?}",
        &k[k.len().saturating_sub(5)..]
    );
    let dropped = trunc[0]["dropped"].as_u64().unwrap_or(0);
    // 51,200 flood lines went in; the run keeps at most 4,000 items / 2 MB.
    assert!(dropped > 40_000, "dropped {dropped}");
    assert!(tr.len() <= 4_100, "{} entries kept", tr.len());
    let stored: i64 = w
        .db()
        .query_row(
            "SELECT SUM(LENGTH(item)) FROM agent_transcript WHERE run_id = ?1",
            [&run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        stored < 3 * 1024 * 1024,
        "{stored} bytes stored for one run"
    );

    // Then the repairs fail plainly and the Goal fails as a provider fault; the daemon is fine.
    let g = w.wait_status(&id, "failed", 60);
    let work = w.rounds(&id)[0]["work"].clone();
    assert!(work["fault"].is_string(), "{work}");
    assert_eq!(g["rounds"].as_array().unwrap().len(), 1, "{g}");
    let runs = w.runs(&id);
    assert_eq!(runs.len(), 3, "{runs:#?}");
    assert_eq!(runs[1]["kind"], "repair");
    assert_eq!(
        runs[2]["error"].as_str().unwrap_or(""),
        "exited with code 1: fake: no more floods",
        "{}",
        runs[2]
    );
    assert_eq!(w.health()["status"], "ok");
    let hwm = vm_kib(w.d.pid(), "VmHWM");
    w.note(&format!(
        "daemon memory: {rss_before} KiB before, peak {hwm} KiB"
    ));
    assert!(
        hwm < 1024 * 1024,
        "the daemon's peak memory stays bounded: {hwm} KiB"
    );
    std::thread::sleep(Duration::from_millis(100));
}
