//! `refine project`: the app's repository state and Refine's objects for it.

use clap::Args;
use refine_api::ops::{apps, project};
use refine_core::project::{ProjectInput, ProjectOverview};

use super::{Commands, Run};
use crate::render::{opt, Cell, Printer, Render};
use crate::Result;

#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// The app (name or id); default: the active app.
    #[arg(long)]
    app: Option<String>,
}

pub const COMMANDS: Commands = &[("", &[project::OVERVIEW.name, apps::LIST.name])];

pub async fn run(r: &Run<'_>, a: &ProjectArgs) -> Result {
    let app_id = match &a.app {
        Some(x) => Some(super::apps::app_id(r.c, x).await?),
        None => None,
    };
    let o = r.c.run(project::OVERVIEW, &ProjectInput { app_id }).await?;
    r.out.show(&o)
}

impl Render for ProjectOverview {
    fn render(&self, p: &mut Printer) {
        p.line(format!("{}  {}", self.app.name, self.app.path));
        let head = self.head.as_ref().map(|h| {
            format!(
                "{} {} ({}, {})",
                &h.sha[..h.sha.len().min(10)],
                h.subject,
                h.author,
                h.at
            )
        });
        p.fields(&[
            ("branch", Cell::from(opt(&self.branch))),
            ("head", Cell::from(opt(&head))),
            ("changed files", Cell::from(self.changed_files)),
            ("operations", Cell::from(self.counts.operations)),
            ("activity", Cell::from(self.counts.activity)),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn an_overview_shows_branch_head_and_counts() {
        use refine_core::project::{CommitInfo, ObjectCounts};
        let o = ProjectOverview {
            app: refine_model::App {
                id: "0190a3c4-0000-7000-8000-000000000001".into(),
                name: "shop".into(),
                path: "/src/shop".into(),
                default_branch: Some("main".into()),
                shape: Default::default(),
                created_at: "2026-12-01T10:00:00.000Z".into(),
                updated_at: "2026-12-01T10:00:00.000Z".into(),
                active: true,
            },
            branch: Some("main".into()),
            head: Some(CommitInfo {
                sha: "4f7f2a5d0c1e2b3a".into(),
                subject: "Add checkout".into(),
                author: "Ann".into(),
                at: "2026-12-01T09:00:00Z".into(),
            }),
            changed_files: 3,
            counts: ObjectCounts {
                activity: 12,
                operations: 4,
            },
        };
        let text = shown(&o);
        assert!(text.starts_with("shop  /src/shop\n"), "{text}");
        assert!(text.contains("branch:         main"), "{text}");
        assert!(
            text.contains("head:           4f7f2a5d0c Add checkout (Ann"),
            "{text}"
        );
        assert!(text.contains("changed files:  3"), "{text}");
    }
}
