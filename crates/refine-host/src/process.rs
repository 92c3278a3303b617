//! Spawning supervised processes: argv arrays only, their own process group, killed with the
//! daemon (PR_SET_PDEATHSIG), a clean environment; signalling groups; process start times to tell
//! a live pid from a reused one.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;

/// Environment variables passed through from the daemon to children (everything else is dropped,
/// so no secret of the daemon's environment leaks into a child).
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TERM",
    "SHELL",
    "TMPDIR",
    "TZ",
    "DISPLAY",
    "XDG_RUNTIME_DIR",
];

/// The variable that marks every process a daemon starts (and, by inheritance, everything those
/// start): its value names the daemon's data dir, so a later daemon of the same data dir finds
/// leftovers through `/proc` — also children that called `setsid` or ignore SIGHUP.
pub const OWNER_VAR: &str = "REFINE_OWNER";

/// Build the child environment: a clean base, explicit variables, and the owner mark.
pub fn child_env(owner: &str, extra: &HashMap<String, String>) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = PASS_THROUGH
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    for (k, v) in extra {
        env.insert(k.clone(), v.clone());
    }
    env.retain(|k, _| !k.starts_with("REFINE_TOKEN"));
    env.insert(OWNER_VAR.to_string(), owner.to_string());
    env
}

/// Live processes (not zombies, not this one) whose environment carries `OWNER_VAR=owner`.
pub fn owned_processes(owner: &str) -> Vec<u32> {
    let needle = format!("{OWNER_VAR}={owner}");
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && !is_zombie(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .collect()
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            rest.split_whitespace().next().map(|st| st == "Z")
        })
        .unwrap_or(true)
}

/// End every process marked with `owner`: SIGTERM, then SIGKILL to what is left after `grace`
/// (at once when `grace` is zero). Blocking; returns how many there were.
pub fn end_owned(owner: &str, grace: std::time::Duration) -> usize {
    let first = owned_processes(owner);
    if first.is_empty() {
        return 0;
    }
    if !grace.is_zero() {
        for &pid in &first {
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        }
        let until = std::time::Instant::now() + grace;
        while std::time::Instant::now() < until && !owned_processes(owner).is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    }
    // Repeat: a process may fork while we look.
    for _ in 0..5 {
        let left = owned_processes(owner);
        if left.is_empty() {
            break;
        }
        for pid in left {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    first.len()
}

/// A `tokio` command for `argv` in `cwd`: own process group, dies with the daemon, piped output.
pub fn command(
    argv: &[String],
    cwd: &Path,
    env: &HashMap<String, String>,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd
}

/// Send `sig` to the process group `pgid`; false when the group is gone.
pub fn signal_group(pgid: i32, sig: i32) -> bool {
    pgid > 1 && unsafe { libc::killpg(pgid, sig) } == 0
}

/// Whether any live (not zombie) process of the group still exists.
pub fn group_alive(pgid: i32) -> bool {
    pgid > 1 && !group_members(pgid).is_empty()
}

/// Pids of the group's processes that are not zombies (a zombie is dead, only not yet reaped).
pub fn group_members(pgid: i32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let mut f = stat[close + 2..].split_whitespace();
            let state = f.next().unwrap_or("Z");
            let _ppid = f.next();
            let pgrp = f.next().and_then(|x| x.parse::<i32>().ok());
            state != "Z" && pgrp == Some(pgid)
        })
        .collect()
}

/// The start time of `pid` in clock ticks since boot (field 22 of /proc/pid/stat), or `None`
/// when there is no such process.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_is_clean_and_start_times_identify_processes() {
        std::env::set_var("REFINE_SECRET_THING", "x");
        let env = child_env(
            "o1",
            &HashMap::from([("FOO".to_string(), "bar".to_string())]),
        );
        assert_eq!(env.get("FOO").map(String::as_str), Some("bar"));
        assert_eq!(env.get(OWNER_VAR).map(String::as_str), Some("o1"));
        assert!(!env.contains_key("REFINE_SECRET_THING"));
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert!(start_time(u32::MAX - 1).is_none());
    }

    #[test]
    fn marked_processes_are_found_and_ended_even_in_their_own_session() {
        let owner = format!("test-{}", std::process::id());
        // A child that leaves its group and session and ignores SIGTERM and SIGHUP.
        let mut child = std::process::Command::new("setsid")
            .args(["sh", "-c", "trap '' TERM HUP; sleep 30 & sleep 31"])
            .env(OWNER_VAR, &owner)
            .spawn()
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while owned_processes(&owner).len() < 2 && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let seen = owned_processes(&owner).len();
        assert!(seen >= 2, "both sleeps are found ({seen})");
        assert!(owned_processes(&format!("{owner}-other")).is_empty());
        assert_eq!(
            end_owned(&owner, std::time::Duration::from_millis(200)),
            seen
        );
        let _ = child.wait();
        assert!(owned_processes(&owner).is_empty());
    }
}
