//! `refine proc`: supervised processes of the app: list, start, show, stop, restart, logs.

use std::collections::HashMap;

use clap::Subcommand;
use refine_api::ops::processes;
use refine_client::CliError;
use refine_core::events::kind;
use refine_core::processes::{
    ListProcessesInput, ProcessIdInput, ProcessLogsInput, StartProcessInput,
};
use refine_model::process::{LogLine, ProcessInfo, ProcessStatus};

use super::{event_data, Commands, Run};
use crate::render::{opt, state, wire, Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum ProcCmd {
    /// Processes of the active app, newest first (--live: running ones only).
    List {
        #[arg(long)]
        live: bool,
        /// At most this many (1–500, default 50).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Start a process: `refine proc start -- npm run dev` (argv, no shell).
    Start {
        #[arg(long)]
        label: Option<String>,
        /// Working directory relative to the app root.
        #[arg(long)]
        cwd: Option<String>,
        /// Extra environment, NAME=value (repeat).
        #[arg(long = "env")]
        env: Vec<String>,
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    /// One process: status, pid, exit code or signal, times.
    Show { id: String },
    /// Stop a process (SIGTERM to its group, SIGKILL after a grace period).
    Stop { id: String },
    /// Stop a process (if running) and start the same command again.
    Restart { id: String },
    /// Output of a process (--follow keeps printing until it ends).
    Logs {
        id: String,
        #[arg(long, default_value_t = 200)]
        tail: u32,
        #[arg(long, short)]
        follow: bool,
    },
}

pub const COMMANDS: Commands = &[
    ("list", &[processes::LIST.name]),
    ("start", &[processes::START.name]),
    ("show", &[processes::GET.name]),
    ("stop", &[processes::STOP.name]),
    ("restart", &[processes::RESTART.name]),
    ("logs", &[processes::LOGS.name, processes::GET.name]),
];

/// `--env NAME=value` entries as a map (None when there are none).
pub fn env_map(entries: &[String]) -> Result<Option<HashMap<String, String>>> {
    let mut env = HashMap::new();
    for kv in entries {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--env takes NAME=value, got {kv:?}")))?;
        env.insert(k.to_string(), v.to_string());
    }
    Ok((!env.is_empty()).then_some(env))
}

pub async fn run(r: &Run<'_>, cmd: &ProcCmd) -> Result {
    let c = r.c;
    match cmd {
        ProcCmd::List { live, limit } => {
            let input = ListProcessesInput {
                app_id: None,
                live: Some(*live),
                limit: *limit,
            };
            r.out
                .show(&ProcessList(c.run(processes::LIST, &input).await?))
        }
        ProcCmd::Start {
            label,
            cwd,
            env,
            argv,
        } => {
            let input = StartProcessInput {
                app_id: None,
                argv: argv.clone(),
                cwd: cwd.clone(),
                env: env_map(env)?,
                label: label.clone(),
                owner: None,
            };
            let p = c.run(processes::START, &input).await?;
            r.out.done(&p, |p| {
                format!(
                    "Started {} (pid {}) as {}",
                    p.argv.join(" "),
                    opt(&p.pid),
                    p.id
                )
            })
        }
        ProcCmd::Show { id } => {
            let p = c
                .run(processes::GET, &ProcessIdInput { id: id.clone() })
                .await?;
            r.out.show(&p)
        }
        ProcCmd::Stop { id } | ProcCmd::Restart { id } => {
            let op = if matches!(cmd, ProcCmd::Stop { .. }) {
                processes::STOP
            } else {
                processes::RESTART
            };
            let p = c.run(op, &ProcessIdInput { id: id.clone() }).await?;
            r.out.show(&ProcessList(vec![p]))
        }
        ProcCmd::Logs { id, tail, follow } => {
            let input = ProcessLogsInput {
                id: id.clone(),
                tail: Some(*tail),
            };
            let logs = c.run(processes::LOGS, &input).await?;
            if !*follow {
                if r.out.is_json() {
                    return r.out.json(&logs);
                }
                logs.lines.iter().for_each(|l| print_line(l, false));
                return Ok(());
            }
            // Following: one line at a time (JSON lines with --json) until the process ends.
            let json = r.out.is_json();
            logs.lines.iter().for_each(|l| print_line(l, json));
            let now = c
                .run(processes::GET, &ProcessIdInput { id: id.clone() })
                .await?;
            if matches!(now.status, ProcessStatus::Running | ProcessStatus::Starting) {
                c.follow(None, |ev| {
                    if let Some(out) = event_data(&ev, kind::PROCESSES_OUTPUT) {
                        if &out.id == id {
                            out.lines.iter().for_each(|l| print_line(l, json));
                        }
                    }
                    event_data(&ev, kind::PROCESSES_EXITED).is_none_or(|p| &p.id != id)
                })
                .await?;
            }
            Ok(())
        }
    }
}

/// One output line: stderr's on stderr (or a JSON line).
fn print_line(l: &LogLine, json: bool) {
    if json {
        println!("{}", serde_json::to_string(l).unwrap_or_default());
    } else if l.stream == "stderr" {
        eprintln!("{}", l.text);
    } else {
        println!("{}", l.text);
    }
}

/// How a process ended: `exit 1`, `signal 9`, or nothing while it runs.
fn ended(p: &ProcessInfo) -> String {
    match (p.exit_code, p.signal) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => String::new(),
    }
}

/// `proc list` (and what stop and restart leave): one row per process.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct ProcessList(pub Vec<ProcessInfo>);

impl Render for ProcessList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|x| {
                vec![
                    Cell::from(&x.id),
                    state(wire(&x.status)),
                    Cell::from(opt(&x.pid)),
                    Cell::from(ended(x)),
                    Cell::from(opt(&x.label)),
                    Cell::from(x.argv.join(" ")),
                ]
            })
            .collect();
        p.table(&["id", "status", "pid", "ended", "label", "command"], rows);
    }
}

/// `proc show`: one process in full.
impl Render for ProcessInfo {
    fn render(&self, p: &mut Printer) {
        p.line(self.argv.join(" "));
        p.fields(&[
            ("id", Cell::from(&self.id)),
            ("status", state(wire(&self.status))),
            ("pid", Cell::from(opt(&self.pid))),
            ("ended", Cell::from(opt(&self.ended_at))),
            ("result", Cell::from(ended(self))),
            ("label", Cell::from(opt(&self.label))),
            (
                "cwd",
                Cell::from(if self.cwd.is_empty() {
                    "."
                } else {
                    self.cwd.as_str()
                }),
            ),
            (
                "env",
                Cell::from(if self.env_keys.is_empty() {
                    "-".to_string()
                } else {
                    self.env_keys.join(", ")
                }),
            ),
            ("started", Cell::from(&self.started_at)),
            ("error", Cell::from(opt(&self.error))),
        ]);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    pub(crate) fn process(status: &str, exit: Option<i32>) -> ProcessInfo {
        serde_json::from_value(json!({
            "id": "0190a1b2-0000-7000-8000-0000000000aa", "appId": "a1", "argv": ["sleep", "300"],
            "cwd": "", "envKeys": ["WHO"], "label": "dev", "owner": {}, "status": status,
            "pid": 4242, "startedAt": "2026-03-01T10:00:00Z", "endedAt": null,
            "exitCode": exit, "signal": null, "error": null
        }))
        .expect("a ProcessInfo")
    }

    #[test]
    fn processes_render_from_their_typed_output() {
        let list = shown(&ProcessList(vec![process("exited", Some(0))]));
        assert!(list.starts_with("ID"), "{list}");
        assert!(
            list.contains(
                "0190a1b2-0000-7000-8000-0000000000aa  exited  4242  exit 0  dev    sleep 300"
            ),
            "{list}"
        );
        let one = shown(&process("running", None));
        assert!(
            one.starts_with("sleep 300\n")
                && one.contains("status:   running")
                && one.contains("env:      WHO"),
            "{one}"
        );
        assert_eq!(
            env_map(&["A=1".into(), "B=x=y".into()]).unwrap().unwrap()["B"],
            "x=y"
        );
        assert!(env_map(&["nope".into()]).is_err());
        assert_eq!(env_map(&[]).unwrap(), None);
    }
}
