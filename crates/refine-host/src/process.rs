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

/// Build the child environment: a clean base plus explicit variables.
pub fn child_env(extra: &HashMap<String, String>) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = PASS_THROUGH
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    for (k, v) in extra {
        env.insert(k.clone(), v.clone());
    }
    env.retain(|k, _| !k.starts_with("REFINE_TOKEN"));
    env
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
        let env = child_env(&HashMap::from([("FOO".to_string(), "bar".to_string())]));
        assert_eq!(env.get("FOO").map(String::as_str), Some("bar"));
        assert!(!env.contains_key("REFINE_SECRET_THING"));
        let me = std::process::id();
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert!(start_time(u32::MAX - 1).is_none());
    }
}
