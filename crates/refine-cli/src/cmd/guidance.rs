//! `refine guidance`: the guidance entries given to agents. Every write sends the revision just
//! read, so a concurrent edit makes the command fail (exit 4) instead of overwriting it.

use clap::{Args, Subcommand};
use refine_api::ops::{apps, guidance};
use refine_core::guidance::{
    AddGuidanceInput, GuidanceInput, RemoveGuidanceInput, ReorderGuidanceInput, UpdateGuidanceInput,
};
use refine_model::governance::GuidanceList;

use super::apps::app_opt;
use super::governance::{entry_id, first_line, some_edit};
use super::{text_or_file, Commands, Run};
use crate::render::{Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct GuidanceArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: GuidanceCmd,
}

#[derive(Subcommand, Debug)]
pub enum GuidanceCmd {
    /// The entries in order (enabled ones go to agents).
    List,
    /// Add an entry at the end; prints its id (G1, G2, …).
    Add {
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// Read the body from a file (`-` = standard input).
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
        /// Add it switched off.
        #[arg(long)]
        disabled: bool,
    },
    /// Change an entry's title and/or body.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Give the entry to agents again.
    Enable { id: String },
    /// Keep the entry but stop giving it to agents.
    Disable { id: String },
    /// Delete an entry (its id is never reused).
    #[command(alias = "rm", alias = "remove")]
    Delete { id: String },
    /// Set the order: every entry id.
    Order { ids: Vec<String> },
}

pub const COMMANDS: Commands = &[
    ("list", &[guidance::LIST.name, apps::LIST.name]),
    (
        "add",
        &[guidance::ADD.name, guidance::LIST.name, apps::LIST.name],
    ),
    (
        "edit",
        &[guidance::UPDATE.name, guidance::LIST.name, apps::LIST.name],
    ),
    (
        "enable",
        &[guidance::UPDATE.name, guidance::LIST.name, apps::LIST.name],
    ),
    (
        "disable",
        &[guidance::UPDATE.name, guidance::LIST.name, apps::LIST.name],
    ),
    (
        "delete",
        &[guidance::DELETE.name, guidance::LIST.name, apps::LIST.name],
    ),
    (
        "order",
        &[guidance::REORDER.name, guidance::LIST.name, apps::LIST.name],
    ),
];

pub async fn run(r: &Run<'_>, a: &GuidanceArgs) -> Result {
    let c = r.c;
    let app_id = app_opt(c, &a.app).await?;
    let current = c
        .run(
            guidance::LIST,
            &GuidanceInput {
                app_id: app_id.clone(),
            },
        )
        .await?;
    let revision = current.revision;
    let update = |id: String| UpdateGuidanceInput {
        app_id: app_id.clone(),
        revision,
        id,
        title: None,
        body: None,
        enabled: None,
    };
    let (saved, done) = match &a.cmd {
        GuidanceCmd::List => return r.out.show(&current),
        GuidanceCmd::Add {
            title,
            body,
            body_file,
            disabled,
        } => {
            let input = AddGuidanceInput {
                app_id: app_id.clone(),
                revision,
                title: title.clone(),
                body: text_or_file(body, body_file)?.unwrap_or_default(),
                enabled: Some(!disabled),
            };
            let saved = c.run(guidance::ADD, &input).await?;
            let id = saved
                .entries
                .last()
                .map(|e| e.id.clone())
                .unwrap_or_default();
            (saved, format!("Added guidance {id}"))
        }
        GuidanceCmd::Edit {
            id,
            title,
            body,
            body_file,
        } => {
            let id = entry_id('G', id);
            let body = text_or_file(body, body_file)?;
            some_edit(title, &body)?;
            let input = UpdateGuidanceInput {
                title: title.clone(),
                body,
                ..update(id.clone())
            };
            let saved = c.run(guidance::UPDATE, &input).await?;
            (saved, format!("Edited guidance {id}"))
        }
        GuidanceCmd::Enable { id } | GuidanceCmd::Disable { id } => {
            let id = entry_id('G', id);
            let on = matches!(a.cmd, GuidanceCmd::Enable { .. });
            let input = UpdateGuidanceInput {
                enabled: Some(on),
                ..update(id.clone())
            };
            let saved = c.run(guidance::UPDATE, &input).await?;
            let verb = if on { "Enabled" } else { "Disabled" };
            (saved, format!("{verb} guidance {id}"))
        }
        GuidanceCmd::Delete { id } => {
            let id = entry_id('G', id);
            let input = RemoveGuidanceInput {
                app_id: app_id.clone(),
                revision,
                id: id.clone(),
            };
            let saved = c.run(guidance::DELETE, &input).await?;
            (saved, format!("Removed guidance {id}"))
        }
        GuidanceCmd::Order { ids } => {
            let input = ReorderGuidanceInput {
                app_id: app_id.clone(),
                revision,
                ids: ids.iter().map(|i| entry_id('G', i)).collect(),
            };
            let saved = c.run(guidance::REORDER, &input).await?;
            (saved, "Reordered the guidance".to_string())
        }
    };
    r.out
        .done(&saved, |l| format!("{done} (revision {})", l.revision))
}

/// `guidance list`: the entries in order, and the revision.
impl Render for GuidanceList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .entries
            .iter()
            .map(|e| {
                vec![
                    Cell::from(&e.id),
                    if e.enabled {
                        crate::render::toned("on", Tone::Good)
                    } else {
                        crate::render::toned("off", Tone::Dim)
                    },
                    Cell::from(&e.title),
                    Cell::from(first_line(&e.body)),
                ]
            })
            .collect();
        p.table(&["id", "enabled", "title", "body"], rows);
        p.line(format!("revision {}", self.revision));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn guidance_renders_from_its_typed_output() {
        let l: GuidanceList = serde_json::from_value(serde_json::json!({
            "appId": "a1", "revision": 7,
            "entries": [
                {"id": "G2", "title": "Use the design tokens", "body": "Colours come from tokens.css.", "enabled": true,
                 "position": 0, "createdAt": "2026-03-01T10:00:00Z", "updatedAt": "2026-03-01T10:00:00Z"},
                {"id": "G3", "title": "Again", "body": "", "enabled": false,
                 "position": 1, "createdAt": "2026-03-01T10:00:00Z", "updatedAt": "2026-03-01T10:00:00Z"}
            ]
        }))
        .unwrap();
        assert_eq!(
            shown(&l),
            "ID  ENABLED  TITLE                  BODY\n\
             G2  on       Use the design tokens  Colours come from tokens.css.\n\
             G3  off      Again\nrevision 7\n"
        );
    }
}
