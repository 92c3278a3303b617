//! `refine automation`: pause or resume automation for the active app.

use clap::Subcommand;
use refine_api::ops::workflow;
use refine_core::workflow::{AppScopeInput, AutomationState, PauseInput};

use super::{Commands, Run};
use crate::render::{opt, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum AutomationCmd {
    /// Whether automation is paused, since when and by whom.
    Status,
    /// Pause: nothing starts by itself until resumed.
    Pause {
        #[arg(long)]
        reason: Option<String>,
    },
    /// Resume automation.
    Resume,
}

pub const COMMANDS: Commands = &[
    ("status", &[workflow::AUTOMATION.name]),
    ("pause", &[workflow::PAUSE.name]),
    ("resume", &[workflow::RESUME.name]),
];

pub async fn run(r: &Run<'_>, cmd: &AutomationCmd) -> Result {
    let c = r.c;
    let state = match cmd {
        AutomationCmd::Status => {
            c.run(workflow::AUTOMATION, &AppScopeInput::default())
                .await?
        }
        AutomationCmd::Pause { reason } => {
            let input = PauseInput {
                app_id: None,
                reason: reason.clone(),
            };
            c.run(workflow::PAUSE, &input).await?
        }
        AutomationCmd::Resume => c.run(workflow::RESUME, &PauseInput::default()).await?,
    };
    r.out.show(&state)
}

impl Render for AutomationState {
    fn render(&self, p: &mut Printer) {
        if !self.paused {
            p.line("Automation is running");
            return;
        }
        p.line(format!(
            "Automation is paused{} (since {}, by {})",
            self.reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
            opt(&self.since),
            opt(&self.by)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn automation_renders_from_its_typed_output() {
        let mut s = AutomationState {
            app_id: "a1".into(),
            paused: true,
            reason: Some("lunch".into()),
            since: Some("2026-01-01T12:00:00Z".into()),
            by: Some("Ada".into()),
        };
        assert_eq!(
            shown(&s),
            "Automation is paused: lunch (since 2026-01-01T12:00:00Z, by Ada)\n"
        );
        s.paused = false;
        assert_eq!(shown(&s), "Automation is running\n");
    }
}
