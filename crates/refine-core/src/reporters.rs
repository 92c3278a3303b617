//! reporters: who reports work (people, agents, systems) and their todo lists.

use crate::events::kind;
use refine_model::event::TodosChanged;
use refine_model::work::{Reporter, ReporterKind, Todo};
use refine_model::ApiError;
use refine_store::reporters as table;
use refine_store::rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::apps::validate_id;
use crate::{clock, new_id, wire, Change, Core, Ctx, Mutated};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListReportersInput {
    /// Also list removed and merged reporters.
    #[serde(default)]
    pub include_removed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateReporterInput {
    pub name: String,
    /// Default `person`.
    #[serde(default)]
    pub kind: Option<ReporterKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameReporterInput {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReporterIdInput {
    pub id: String,
}

/// Fold one reporter into another: its Goals and todos move, it is retired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeReportersInput {
    pub from_id: String,
    pub into_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MergeResult {
    pub into: Reporter,
    pub goals_moved: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TodoListInput {
    pub reporter_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddTodoInput {
    pub reporter_id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTodoInput {
    pub id: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub done: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TodoIdInput {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReorderTodosInput {
    pub reporter_id: String,
    /// Every todo id of the reporter, in the new order.
    pub ids: Vec<String>,
}

fn live(conn: &Connection, id: &str) -> Result<Reporter, ApiError> {
    validate_id("reporter", id)?;
    let r =
        table::get(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no reporter {id}")))?;
    if r.removed_at.is_some() {
        return Err(ApiError::conflict(format!(
            "reporter “{}” was removed",
            r.name
        )));
    }
    Ok(r)
}

fn unique_name(conn: &Connection, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if let Some(other) = table::find_live_by_name(conn, name)? {
        if Some(other.id.as_str()) != except {
            return Err(
                ApiError::conflict(format!("a reporter named “{name}” already exists"))
                    .with_details(json!({ "reporterId": other.id })),
            );
        }
    }
    Ok(())
}

fn get_todo(conn: &Connection, id: &str) -> Result<Todo, ApiError> {
    validate_id("todo", id)?;
    table::get_todo(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no todo {id}")))
}

fn reporter_change(summary: String, r: &Reporter) -> Change {
    Change::new(summary)
        .target(r.id.clone())
        .event(kind::REPORTERS_UPDATED, r)
}

fn todo_change(summary: String, t: &Todo) -> Change {
    Change::new(summary).target(t.id.clone()).event(
        kind::TODOS_UPDATED,
        &TodosChanged {
            reporter_id: t.reporter_id.clone(),
            todo: Some(t.clone()),
        },
    )
}

impl Core {
    /// `reporters.list`
    pub async fn reporters_list(&self, i: ListReportersInput) -> Result<Vec<Reporter>, ApiError> {
        self.read(move |c| table::list(c, i.include_removed.unwrap_or(false)))
            .await
    }

    /// `reporters.create`
    pub async fn reporters_create(
        &self,
        ctx: &Ctx,
        i: CreateReporterInput,
    ) -> Result<Mutated<Reporter>, ApiError> {
        let name = wire::name("name", &i.name, 100)?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            unique_name(tx, &name, None)?;
            let id = new_id();
            table::insert(
                tx,
                &id,
                &name,
                i.kind.unwrap_or(ReporterKind::Person),
                &clock::now(),
            )?;
            let r = live(tx, &id)?;
            Ok((
                r.clone(),
                reporter_change(format!("Added reporter “{}”", r.name), &r),
            ))
        })
        .await
    }

    /// `reporters.rename`
    pub async fn reporters_rename(
        &self,
        ctx: &Ctx,
        i: RenameReporterInput,
    ) -> Result<Mutated<Reporter>, ApiError> {
        let name = wire::name("name", &i.name, 100)?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let before = live(tx, &i.id)?;
            unique_name(tx, &name, Some(&i.id))?;
            table::rename(tx, &i.id, &name)?;
            let r = live(tx, &i.id)?;
            Ok((
                r.clone(),
                reporter_change(
                    format!("Renamed reporter “{}” to “{}”", before.name, r.name),
                    &r,
                ),
            ))
        })
        .await
    }

    /// `reporters.merge`: one transaction moves Goals and todos, then retires `from`.
    pub async fn reporters_merge(
        &self,
        ctx: &Ctx,
        i: MergeReportersInput,
    ) -> Result<Mutated<MergeResult>, ApiError> {
        if i.from_id == i.into_id {
            return Err(ApiError::invalid("a reporter cannot be merged into itself"));
        }
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let from = live(tx, &i.from_id)?;
            live(tx, &i.into_id)?;
            let moved = table::merge(tx, &from.id, &i.into_id, &clock::now())?;
            let into = live(tx, &i.into_id)?;
            let change = reporter_change(
                format!(
                    "Merged reporter “{}” into “{}” ({moved} Goal(s) moved)",
                    from.name, into.name
                ),
                &into,
            );
            Ok((
                MergeResult {
                    into,
                    goals_moved: moved,
                },
                change,
            ))
        })
        .await
    }

    /// `reporters.delete`: retired, history keeps the name.
    pub async fn reporters_delete(
        &self,
        ctx: &Ctx,
        i: ReporterIdInput,
    ) -> Result<Mutated<Reporter>, ApiError> {
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let r = live(tx, &i.id)?;
            table::remove(tx, &r.id, &clock::now())?;
            let r =
                table::get(tx, &r.id)?.ok_or_else(|| ApiError::internal("reporter vanished"))?;
            Ok((
                r.clone(),
                reporter_change(
                    format!("Removed reporter “{}” (their Goals keep the name)", r.name),
                    &r,
                ),
            ))
        })
        .await
    }

    /// `todos.list`
    pub async fn todos_list(&self, i: TodoListInput) -> Result<Vec<Todo>, ApiError> {
        validate_id("reporter", &i.reporter_id)?;
        let id = i.reporter_id.clone();
        self.read(move |c| Ok(table::get(c, &id)?.map(|_| table::todos(c, &id))))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no reporter {}", i.reporter_id)))?
            .map_err(ApiError::from)
    }

    /// `todos.add`
    pub async fn todos_add(&self, ctx: &Ctx, i: AddTodoInput) -> Result<Mutated<Todo>, ApiError> {
        let text = wire::name("text", &i.text, 1000)?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let r = live(tx, &i.reporter_id)?;
            let at = clock::now();
            let t = Todo {
                id: new_id(),
                reporter_id: r.id.clone(),
                text,
                done: false,
                position: table::next_todo_position(tx, &r.id)?,
                created_at: at.clone(),
                updated_at: at,
            };
            table::insert_todo(tx, &t)?;
            Ok((
                t.clone(),
                todo_change(format!("Added a todo for {}: {}", r.name, t.text), &t),
            ))
        })
        .await
    }

    /// `todos.update`
    pub async fn todos_update(
        &self,
        ctx: &Ctx,
        i: UpdateTodoInput,
    ) -> Result<Mutated<Todo>, ApiError> {
        if i.text.is_none() && i.done.is_none() {
            return Err(ApiError::invalid("nothing to change: give text or done"));
        }
        let text = i
            .text
            .as_deref()
            .map(|t| wire::name("text", t, 1000))
            .transpose()?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let mut t = get_todo(tx, &i.id)?;
            if let Some(text) = text {
                t.text = text;
            }
            if let Some(d) = i.done {
                t.done = d;
            }
            t.updated_at = clock::now();
            table::update_todo(tx, &t)?;
            let verb = if i.done == Some(true) {
                "Checked off"
            } else {
                "Edited"
            };
            Ok((
                t.clone(),
                todo_change(format!("{verb} todo: {}", t.text), &t),
            ))
        })
        .await
    }

    /// `todos.delete`
    pub async fn todos_delete(&self, ctx: &Ctx, i: TodoIdInput) -> Result<Mutated<Todo>, ApiError> {
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let t = get_todo(tx, &i.id)?;
            table::delete_todo(tx, &t.id)?;
            Ok((
                t.clone(),
                todo_change(format!("Removed todo: {}", t.text), &t),
            ))
        })
        .await
    }

    /// `todos.reorder`
    pub async fn todos_reorder(
        &self,
        ctx: &Ctx,
        i: ReorderTodosInput,
    ) -> Result<Mutated<Vec<Todo>>, ApiError> {
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            let r = live(tx, &i.reporter_id)?;
            let current = table::todos(tx, &r.id)?;
            let mut want = i.ids.clone();
            want.sort();
            let mut have: Vec<String> = current.iter().map(|t| t.id.clone()).collect();
            have.sort();
            if want != have {
                return Err(ApiError::invalid(format!(
                    "ids must list exactly the {} todos of {}, each once",
                    current.len(),
                    r.name
                )));
            }
            let at = clock::now();
            for (pos, id) in i.ids.iter().enumerate() {
                let mut t = current
                    .iter()
                    .find(|t| &t.id == id)
                    .cloned()
                    .expect("checked above");
                t.position = pos as u32;
                t.updated_at = at.clone();
                table::update_todo(tx, &t)?;
            }
            let todos = table::todos(tx, &r.id)?;
            let change = Change::new(format!("Reordered the todos of {}", r.name))
                .target(r.id.clone())
                .event(
                    kind::TODOS_UPDATED,
                    &TodosChanged {
                        reporter_id: r.id.clone(),
                        todo: None,
                    },
                );
            Ok((todos, change))
        })
        .await
    }
}
