//! `refine governance`: the app's product statement, constitution and rules. Every write sends
//! the revision just read, so a concurrent edit makes the command fail (exit 4) instead of
//! overwriting it.

use clap::{Args, Subcommand};
use refine_api::ops::{apps, governance};
use refine_client::CliError;
use refine_core::governance::{
    AddGovernanceRuleInput, GovernanceInput, RemoveGovernanceRuleInput,
    ReorderGovernanceRulesInput, UpdateGovernanceInput, UpdateGovernanceRuleInput,
};
use refine_model::governance::Governance;

use super::apps::app_opt;
use super::quality::block;
use super::{text_or_file, Commands, Run};
use crate::render::{Cell, Printer, Render};
use crate::Result;

#[derive(Args, Debug)]
pub struct GovernanceArgs {
    /// The app (name or id); default: the active app.
    #[arg(long, global = true)]
    app: Option<String>,
    #[command(subcommand)]
    cmd: GovernanceCmd,
}

#[derive(Subcommand, Debug)]
pub enum GovernanceCmd {
    /// Statement, constitution and rules.
    Show,
    /// Show the product statement, or set it (TEXT, or `--file F|-`).
    Statement {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Show the constitution, or set it (TEXT, or `--file F|-`).
    Constitution {
        text: Option<String>,
        #[arg(long, conflicts_with = "text")]
        file: Option<String>,
    },
    /// Governance rules: add, edit, delete, order.
    #[command(subcommand)]
    Rule(RuleCmd),
}

#[derive(Subcommand, Debug)]
pub enum RuleCmd {
    /// Add a rule at the end; prints its id (R1, R2, …).
    Add {
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// Read the body from a file (`-` = standard input).
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Change a rule's title and/or body.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long, conflicts_with = "body")]
        body_file: Option<String>,
    },
    /// Delete a rule (its id is never reused).
    #[command(alias = "rm", alias = "remove")]
    Delete { id: String },
    /// Set the order: every rule id, e.g. `refine governance rule order R3 R1 R2`.
    Order { ids: Vec<String> },
}

pub const COMMANDS: Commands = &[
    ("show", &[governance::GET.name, apps::LIST.name]),
    (
        "statement",
        &[
            governance::GET.name,
            governance::UPDATE.name,
            apps::LIST.name,
        ],
    ),
    (
        "constitution",
        &[
            governance::GET.name,
            governance::UPDATE.name,
            apps::LIST.name,
        ],
    ),
    (
        "rule add",
        &[
            governance::RULES_ADD.name,
            governance::GET.name,
            apps::LIST.name,
        ],
    ),
    (
        "rule edit",
        &[
            governance::RULES_UPDATE.name,
            governance::GET.name,
            apps::LIST.name,
        ],
    ),
    (
        "rule delete",
        &[
            governance::RULES_DELETE.name,
            governance::GET.name,
            apps::LIST.name,
        ],
    ),
    (
        "rule order",
        &[
            governance::RULES_REORDER.name,
            governance::GET.name,
            apps::LIST.name,
        ],
    ),
];

/// Ids are `R3`/`G3`; `3` is taken to mean the same.
pub fn entry_id(prefix: char, id: &str) -> String {
    let id = id.trim();
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        format!("{prefix}{id}")
    } else {
        id.to_ascii_uppercase()
    }
}

/// An edit must change something.
pub fn some_edit(title: &Option<String>, body: &Option<String>) -> Result {
    if title.is_none() && body.is_none() {
        return Err(CliError::Usage("give --title and/or --body".into()));
    }
    Ok(())
}

pub async fn run(r: &Run<'_>, a: &GovernanceArgs) -> Result {
    let c = r.c;
    let app_id = app_opt(c, &a.app).await?;
    let current = c
        .run(
            governance::GET,
            &GovernanceInput {
                app_id: app_id.clone(),
            },
        )
        .await?;
    let revision = current.revision;
    let (saved, done) = match &a.cmd {
        GovernanceCmd::Show => return r.out.show(&current),
        GovernanceCmd::Statement { text, file } | GovernanceCmd::Constitution { text, file } => {
            let statement = matches!(a.cmd, GovernanceCmd::Statement { .. });
            let field = if statement {
                "statement"
            } else {
                "constitution"
            };
            let Some(text) = text_or_file(text, file)? else {
                if r.out.is_json() {
                    return r.out.json(&current);
                }
                let shown = if statement {
                    &current.statement
                } else {
                    &current.constitution
                };
                println!("{shown}");
                return Ok(());
            };
            let input = UpdateGovernanceInput {
                app_id,
                revision,
                statement: statement.then(|| text.clone()),
                constitution: (!statement).then_some(text),
            };
            let saved = c.run(governance::UPDATE, &input).await?;
            (saved, format!("Saved the {field}"))
        }
        GovernanceCmd::Rule(RuleCmd::Add {
            title,
            body,
            body_file,
        }) => {
            let input = AddGovernanceRuleInput {
                app_id,
                revision,
                title: title.clone(),
                body: text_or_file(body, body_file)?.unwrap_or_default(),
            };
            let saved = c.run(governance::RULES_ADD, &input).await?;
            let id = saved.rules.last().map(|r| r.id.clone()).unwrap_or_default();
            (saved, format!("Added rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Edit {
            id,
            title,
            body,
            body_file,
        }) => {
            let id = entry_id('R', id);
            let body = text_or_file(body, body_file)?;
            some_edit(title, &body)?;
            let input = UpdateGovernanceRuleInput {
                app_id,
                revision,
                id: id.clone(),
                title: title.clone(),
                body,
            };
            let saved = c.run(governance::RULES_UPDATE, &input).await?;
            (saved, format!("Edited rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Delete { id }) => {
            let id = entry_id('R', id);
            let input = RemoveGovernanceRuleInput {
                app_id,
                revision,
                id: id.clone(),
            };
            let saved = c.run(governance::RULES_DELETE, &input).await?;
            (saved, format!("Removed rule {id}"))
        }
        GovernanceCmd::Rule(RuleCmd::Order { ids }) => {
            let input = ReorderGovernanceRulesInput {
                app_id,
                revision,
                ids: ids.iter().map(|i| entry_id('R', i)).collect(),
            };
            let saved = c.run(governance::RULES_REORDER, &input).await?;
            (saved, "Reordered the rules".to_string())
        }
    };
    r.out
        .done(&saved, |g| format!("{done} (revision {})", g.revision))
}

/// The first line of a body, for a table.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// `governance show`: statement, constitution, the rules in order, and the revision.
impl Render for Governance {
    fn render(&self, p: &mut Printer) {
        block(p, "Statement", &self.statement);
        block(p, "Constitution", &self.constitution);
        p.line("Rules:");
        let rows = self
            .rules
            .iter()
            .map(|r| {
                vec![
                    Cell::from(&r.id),
                    Cell::from(&r.title),
                    Cell::from(first_line(&r.body)),
                ]
            })
            .collect();
        p.table(&["id", "title", "body"], rows);
        p.line(format!("revision {}", self.revision));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn governance_renders_from_its_typed_output() {
        let g: Governance = serde_json::from_value(serde_json::json!({
            "appId": "a1", "statement": "A shop for tea lovers.", "constitution": "",
            "revision": 9, "updatedAt": "2026-03-01T10:00:00Z",
            "rules": [{"id": "R4", "title": "Accessible forms", "body": "Labels on every field.\nAnd more.",
                "position": 0, "createdAt": "2026-03-01T10:00:00Z", "updatedAt": "2026-03-01T10:00:00Z"}]
        }))
        .unwrap();
        assert_eq!(
            shown(&g),
            "Statement:\n  A shop for tea lovers.\nConstitution: (none)\nRules:\n\
             ID  TITLE             BODY\nR4  Accessible forms  Labels on every field.\nrevision 9\n"
        );
        assert_eq!(entry_id('R', "3"), "R3");
        assert_eq!(entry_id('G', " g2 "), "G2");
        assert!(some_edit(&None, &None).is_err());
    }
}
