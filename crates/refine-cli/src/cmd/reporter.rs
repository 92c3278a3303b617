//! `refine reporter`: people, agents and systems that report work.

use clap::Subcommand;
use refine_api::ops::reporters;
use refine_client::Client;
use refine_core::reporters::{
    CreateReporterInput, ListReportersInput, MergeReportersInput, MergeResult, RenameReporterInput,
    ReporterIdInput,
};
use refine_model::work::{Reporter, ReporterKind};

use super::{pick_one, wire_enum, Commands, Run};
use crate::render::{opt, wire, Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum ReporterCmd {
    /// List reporters with their open todos (`--all`: removed and merged ones too).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Add a reporter.
    Add {
        name: String,
        #[arg(long, default_value = "person", value_parser = wire_enum::<ReporterKind>())]
        kind: ReporterKind,
    },
    /// Rename a reporter.
    Rename { reporter: String, name: String },
    /// Move everything of FROM to INTO and retire FROM.
    Merge { from: String, into: String },
    /// Remove a reporter (history keeps the name).
    #[command(alias = "rm", alias = "remove")]
    Delete { reporter: String },
}

pub const COMMANDS: Commands = &[
    ("list", &[reporters::LIST.name]),
    ("add", &[reporters::CREATE.name]),
    ("rename", &[reporters::RENAME.name, reporters::LIST.name]),
    ("merge", &[reporters::MERGE.name, reporters::LIST.name]),
    ("delete", &[reporters::DELETE.name, reporters::LIST.name]),
];

/// A reporter given by name, id or unique id prefix.
pub async fn reporter_id(c: &Client, given: &str) -> Result<String> {
    let list = c
        .run(reporters::LIST, &ListReportersInput::default())
        .await?;
    let found = pick_one(
        "reporter",
        given,
        &list,
        |r| &r.id,
        |r| &r.name,
        "`refine reporter list` shows them",
    )?;
    Ok(found.id.clone())
}

pub async fn run(r: &Run<'_>, cmd: &ReporterCmd) -> Result {
    let c = r.c;
    let one = match cmd {
        ReporterCmd::List { all } => {
            let input = ListReportersInput {
                include_removed: Some(*all),
            };
            return r
                .out
                .show(&ReporterList(c.run(reporters::LIST, &input).await?));
        }
        ReporterCmd::Add { name, kind } => {
            let input = CreateReporterInput {
                name: name.clone(),
                kind: Some(*kind),
            };
            c.run(reporters::CREATE, &input).await?
        }
        ReporterCmd::Rename { reporter, name } => {
            let input = RenameReporterInput {
                id: reporter_id(c, reporter).await?,
                name: name.clone(),
            };
            c.run(reporters::RENAME, &input).await?
        }
        ReporterCmd::Merge { from, into } => {
            let input = MergeReportersInput {
                from_id: reporter_id(c, from).await?,
                into_id: reporter_id(c, into).await?,
            };
            return r.out.show(&c.run(reporters::MERGE, &input).await?);
        }
        ReporterCmd::Delete { reporter } => {
            let id = reporter_id(c, reporter).await?;
            c.run(reporters::DELETE, &ReporterIdInput { id }).await?
        }
    };
    r.out.show(&one)
}

/// `reporter list`: one row per reporter.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct ReporterList(pub Vec<Reporter>);

impl Render for ReporterList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|r| {
                vec![
                    Cell::from(&r.name),
                    Cell::from(wire(&r.kind)),
                    Cell::from(r.open_todos),
                    Cell::from(opt(&r.removed_at)),
                    Cell::from(&r.id),
                ]
            })
            .collect();
        p.table(&["name", "kind", "open todos", "removed", "id"], rows);
    }
}

/// A reporter added, renamed or removed.
impl Render for Reporter {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "{} ({}){}",
            self.name,
            wire(&self.kind),
            if self.removed_at.is_some() {
                " — removed"
            } else {
                ""
            }
        ));
    }
}

impl Render for MergeResult {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Merged into {} ({} Goal(s) moved)",
            self.into.name, self.goals_moved
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn reporter(removed: Option<&str>) -> Reporter {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-0000000000r1", "name": "Bob", "kind": "agent",
            "createdAt": "2026-01-01T00:00:00Z", "removedAt": removed, "openTodos": 1
        }))
        .expect("a Reporter")
    }

    #[test]
    fn reporters_render_from_their_typed_output() {
        let list = shown(&ReporterList(vec![reporter(None)]));
        assert!(
            list.starts_with("NAME  KIND   OPEN TODOS  REMOVED  ID\n")
                && list.contains("Bob   agent  1           -        0190a1b2"),
            "{list}"
        );
        assert_eq!(shown(&reporter(None)), "Bob (agent)\n");
        assert_eq!(
            shown(&reporter(Some("2026-02-01T00:00:00Z"))),
            "Bob (agent) — removed\n"
        );
        let merged = MergeResult {
            into: reporter(None),
            goals_moved: 2,
        };
        assert_eq!(shown(&merged), "Merged into Bob (2 Goal(s) moved)\n");
    }
}
