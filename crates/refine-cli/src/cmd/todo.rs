//! `refine todo`: a reporter's todo list.

use clap::Subcommand;
use refine_api::ops::{reporters, todos};
use refine_client::{CliError, Client};
use refine_core::reporters::{
    AddTodoInput, ReorderTodosInput, TodoIdInput, TodoListInput, UpdateTodoInput,
};
use refine_model::work::Todo;

use super::reporter::reporter_id;
use super::{Commands, Run};
use crate::render::{Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum TodoCmd {
    /// The todo list (of --reporter, else the reporter named like --actor).
    List {
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Add an item at the end.
    Add {
        text: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Check an item off (its id or 1-based position).
    Done {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Uncheck an item.
    Undo {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Remove an item.
    #[command(alias = "rm", alias = "remove")]
    Delete {
        item: String,
        #[arg(long)]
        reporter: Option<String>,
    },
    /// Set the order of the list: every item (id or position), in the new order.
    Reorder {
        #[arg(required = true)]
        items: Vec<String>,
        #[arg(long)]
        reporter: Option<String>,
    },
}

pub const COMMANDS: Commands = &[
    ("list", &[todos::LIST.name, reporters::LIST.name]),
    (
        "add",
        &[todos::ADD.name, todos::LIST.name, reporters::LIST.name],
    ),
    (
        "done",
        &[todos::UPDATE.name, todos::LIST.name, reporters::LIST.name],
    ),
    (
        "undo",
        &[todos::UPDATE.name, todos::LIST.name, reporters::LIST.name],
    ),
    (
        "delete",
        &[todos::DELETE.name, todos::LIST.name, reporters::LIST.name],
    ),
    (
        "reorder",
        &[todos::REORDER.name, todos::LIST.name, reporters::LIST.name],
    ),
];

/// Whose list: `--reporter`, else the reporter named like the actor.
async fn whose(r: &Run<'_>, given: &Option<String>) -> Result<String> {
    match given.as_deref().or(r.actor) {
        Some(name) => reporter_id(r.c, name).await,
        None => Err(CliError::Usage(
            "name the reporter with --reporter (or --actor / REFINE_ACTOR)".into(),
        )),
    }
}

async fn list(c: &Client, reporter_id: &str) -> Result<Vec<Todo>> {
    let input = TodoListInput {
        reporter_id: reporter_id.to_string(),
    };
    c.run(todos::LIST, &input).await
}

/// An item by 1-based position, id or unique id prefix.
fn item_id(items: &[Todo], item: &str) -> Result<String> {
    if let Some(t) = item
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| items.get(i))
    {
        return Ok(t.id.clone());
    }
    super::pick_one(
        "todo",
        item,
        items,
        |t| &t.id,
        |t| &t.id,
        "`refine todo list` numbers them",
    )
    .map(|t| t.id.clone())
}

pub async fn run(r: &Run<'_>, cmd: &TodoCmd) -> Result {
    let c = r.c;
    let (reporter, changed) = match cmd {
        TodoCmd::List { reporter } => (whose(r, reporter).await?, None),
        TodoCmd::Add { text, reporter } => {
            let rep = whose(r, reporter).await?;
            let input = AddTodoInput {
                reporter_id: rep.clone(),
                text: text.clone(),
            };
            (rep, Some(c.run(todos::ADD, &input).await?))
        }
        TodoCmd::Done { item, reporter } | TodoCmd::Undo { item, reporter } => {
            let rep = whose(r, reporter).await?;
            let input = UpdateTodoInput {
                id: item_id(&list(c, &rep).await?, item)?,
                text: None,
                done: Some(matches!(cmd, TodoCmd::Done { .. })),
            };
            (rep, Some(c.run(todos::UPDATE, &input).await?))
        }
        TodoCmd::Delete { item, reporter } => {
            let rep = whose(r, reporter).await?;
            let id = item_id(&list(c, &rep).await?, item)?;
            (rep, Some(c.run(todos::DELETE, &TodoIdInput { id }).await?))
        }
        TodoCmd::Reorder { items, reporter } => {
            let rep = whose(r, reporter).await?;
            let now = list(c, &rep).await?;
            let ids = items
                .iter()
                .map(|i| item_id(&now, i))
                .collect::<Result<Vec<_>>>()?;
            let input = ReorderTodosInput {
                reporter_id: rep,
                ids,
            };
            return r.out.show(&TodoList(c.run(todos::REORDER, &input).await?));
        }
    };
    // A change answers with the item; a person sees the whole list after it.
    match changed {
        Some(t) if r.out.is_json() => r.out.json(&t),
        _ => r.out.show(&TodoList(list(c, &reporter).await?)),
    }
}

/// A todo list, numbered as `done 2` counts.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct TodoList(pub Vec<Todo>);

impl Render for TodoList {
    fn render(&self, p: &mut Printer) {
        if self.0.is_empty() {
            p.toned("(none)", Tone::Dim);
        }
        for (i, t) in self.0.iter().enumerate() {
            p.line(format!(
                "{:>3}. [{}] {}",
                i + 1,
                if t.done { "x" } else { " " },
                t.text
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn todo(id: &str, text: &str, done: bool) -> Todo {
        serde_json::from_value(serde_json::json!({
            "id": id, "reporterId": "r1", "text": text, "done": done, "position": 0,
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
        }))
        .expect("a Todo")
    }

    #[test]
    fn todos_render_numbered_and_resolve_by_position_or_id() {
        let items = vec![
            todo("0190aaaa", "Review PRs", true),
            todo("0190bbbb", "Ship", false),
        ];
        assert_eq!(
            shown(&TodoList(items.clone())),
            "  1. [x] Review PRs\n  2. [ ] Ship\n"
        );
        assert_eq!(shown(&TodoList(vec![])), "(none)\n");
        assert_eq!(item_id(&items, "2").unwrap(), "0190bbbb");
        assert_eq!(item_id(&items, "0190a").unwrap(), "0190aaaa");
        assert!(item_id(&items, "0190").is_err(), "ambiguous");
        assert!(item_id(&items, "9").is_err());
    }
}
