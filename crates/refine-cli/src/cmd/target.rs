//! `refine target`: the app's own lifecycle: status, check, start, stop, build, test, and the
//! commands behind them (`set`).

use clap::{Subcommand, ValueEnum};
use refine_api::ops::target;
use refine_client::CliError;
use refine_core::target::{ConfigureTargetInput, TargetInput, TargetState};
use refine_model::process::ProcessInfo;

use super::{Commands, Run};
use crate::render::{opt, wire, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum TargetCmd {
    /// Commands, status and health of the app.
    Status,
    /// Probe the running app's health now.
    Check,
    /// Start the app's dev server.
    Start,
    /// Stop the app.
    Stop,
    /// Run the app's build command.
    Build,
    /// Run the app's test command.
    Test,
    /// Set a lifecycle command: `refine target set start -- npm run dev`; `--clear` removes it.
    Set {
        what: Setting,
        #[arg(long)]
        clear: bool,
        #[arg(last = true)]
        value: Vec<String>,
    },
}

/// What `target set` sets.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Start,
    Stop,
    Build,
    Test,
    HealthCommand,
    HealthUrl,
}

pub const COMMANDS: Commands = &[
    ("status", &[target::GET.name]),
    ("check", &[target::CHECK.name]),
    ("start", &[target::START.name]),
    ("stop", &[target::STOP.name]),
    ("build", &[target::BUILD.name]),
    ("test", &[target::TEST.name]),
    ("set", &[target::CONFIGURE.name, target::GET.name]),
];

const ACTIVE: TargetInput = TargetInput { app_id: None };

pub async fn run(r: &Run<'_>, cmd: &TargetCmd) -> Result {
    let c = r.c;
    let op = match cmd {
        TargetCmd::Status => return r.out.show(&c.run(target::GET, &ACTIVE).await?),
        TargetCmd::Check => return r.out.show(&c.run(target::CHECK, &ACTIVE).await?),
        TargetCmd::Set { what, clear, value } => {
            if !*clear && value.is_empty() {
                return Err(CliError::Usage(
                    "give the value after `--` (e.g. `refine target set start -- npm run dev`), or --clear".into(),
                ));
            }
            let t = c.run(target::GET, &ACTIVE).await?;
            let input = configure(&t, *what, (!*clear).then_some(value));
            let saved = c.run(target::CONFIGURE, &input).await?;
            return r.out.done(&saved, |_| "Saved.".to_string());
        }
        TargetCmd::Start => target::START,
        TargetCmd::Stop => target::STOP,
        TargetCmd::Build => target::BUILD,
        TargetCmd::Test => target::TEST,
    };
    let p = c.run(op, &ACTIVE).await?;
    r.out.done(&p, ran)
}

/// The whole lifecycle as it is, with `what` set to `value` (None clears it).
fn configure(t: &TargetState, what: Setting, value: Option<&Vec<String>>) -> ConfigureTargetInput {
    let l = &t.lifecycle;
    // Every field is sent (the input cannot tell "unchanged" from "clear" once encoded).
    let mut input = ConfigureTargetInput {
        app_id: None,
        revision: t.revision,
        start: Some(l.start.clone()),
        stop: Some(l.stop.clone()),
        build: Some(l.build.clone()),
        test: Some(l.test.clone()),
        health_url: Some(l.health_url.clone()),
        health_command: Some(l.health_command.clone()),
    };
    let argv = value.cloned();
    match what {
        Setting::Start => input.start = Some(argv),
        Setting::Stop => input.stop = Some(argv),
        Setting::Build => input.build = Some(argv),
        Setting::Test => input.test = Some(argv),
        Setting::HealthCommand => input.health_command = Some(argv),
        Setting::HealthUrl => input.health_url = Some(argv.map(|v| v.join(""))),
    }
    input
}

/// `running sleep 300 (process …, pid 42)`: what a lifecycle command started or stopped.
fn ran(p: &ProcessInfo) -> String {
    format!(
        "{} {} (process {}, pid {})",
        wire(&p.status),
        p.argv.join(" "),
        p.id,
        opt(&p.pid)
    )
}

/// `target status`: the state and health, then each command.
impl Render for TargetState {
    fn render(&self, p: &mut Printer) {
        let detail = self
            .health
            .as_ref()
            .map(|h| format!(" — {}", h.detail))
            .unwrap_or_default();
        let status = wire(&self.status);
        p.toned(format!("{status}{detail}"), Tone::of_state(&status));
        let l = &self.lifecycle;
        let cmd = |c: &Option<Vec<String>>| c.as_ref().map_or("-".to_string(), |c| c.join(" "));
        for (k, v) in [
            ("start", &l.start),
            ("stop", &l.stop),
            ("build", &l.build),
            ("test", &l.test),
            ("healthCommand", &l.health_command),
        ] {
            p.line(format!("  {:<14} {}", format!("{k}:"), cmd(v)));
        }
        p.line(format!("  {:<14} {}", "healthUrl:", opt(&l.health_url)));
        if self.suggested {
            p.line("  (suggested from the app's files; `refine target set` edits them)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    fn state() -> TargetState {
        serde_json::from_value(json!({
            "appId": "a1", "suggested": true, "revision": 2, "status": "failing",
            "lifecycle": {"start": ["npm", "run", "dev"], "stop": null, "build": ["npm", "run", "build"],
                "test": null, "healthUrl": "http://localhost:3000/health", "healthCommand": null},
            "health": {"ok": false, "detail": "HTTP 500", "checkedAt": "2026-03-01T10:00:00Z"},
            "process": null, "lastBuild": null, "lastTest": null
        }))
        .expect("a TargetState")
    }

    #[test]
    fn the_target_renders_from_its_typed_output() {
        let out = shown(&state());
        assert!(out.starts_with("failing — HTTP 500\n"), "{out}");
        assert!(
            out.contains("  start:         npm run dev\n  stop:          -\n"),
            "{out}"
        );
        assert!(
            out.contains("  healthUrl:     http://localhost:3000/health\n"),
            "{out}"
        );
        assert!(out.ends_with("`refine target set` edits them)\n"), "{out}");
        let p = crate::cmd::proc::tests::process("running", None);
        assert_eq!(
            ran(&p),
            "running sleep 300 (process 0190a1b2-0000-7000-8000-0000000000aa, pid 4242)"
        );
    }

    #[test]
    fn set_changes_one_command_and_keeps_the_others() {
        let t = state();
        let i = configure(&t, Setting::Test, Some(&vec!["npm".into(), "test".into()]));
        assert_eq!(i.revision, 2);
        assert_eq!(
            i.test,
            Some(Some(vec!["npm".to_string(), "test".to_string()]))
        );
        assert_eq!(i.start, Some(t.lifecycle.start.clone()));
        let i = configure(&t, Setting::HealthUrl, None);
        assert_eq!(i.health_url, Some(None), "cleared");
        assert_eq!(i.build, Some(t.lifecycle.build.clone()));
    }
}
