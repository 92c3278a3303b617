use refine_core::reporters::{
    AddTodoInput, CreateReporterInput, ListReportersInput, MergeReportersInput,
    RenameReporterInput, ReorderTodosInput, ReporterIdInput, TodoIdInput, TodoListInput,
    UpdateTodoInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d(
            "reporters.list",
            Get,
            "/api/v1/reporters",
            "Reporters (people, agents, systems) with their open todo counts.",
            true,
        )
        .query(|core, _, i: ListReportersInput| async move { core.list_reporters(i).await }),
        d(
            "reporters.create",
            Post,
            "/api/v1/reporters",
            "Add a reporter (names are unique).",
            true,
        )
        .mutation(m, |core, ctx, i: CreateReporterInput| async move {
            core.create_reporter(&ctx, i).await
        }),
        d(
            "reporters.rename",
            Post,
            "/api/v1/reporters/{id}/rename",
            "Rename a reporter.",
            false,
        )
        .mutation(m, |core, ctx, i: RenameReporterInput| async move {
            core.rename_reporter(&ctx, i).await
        }),
        d(
            "reporters.merge",
            Post,
            "/api/v1/reporters/merge",
            "Merge one reporter into another: Goals and todos move in one transaction.",
            false,
        )
        .mutation(m, |core, ctx, i: MergeReportersInput| async move {
            core.merge_reporters(&ctx, i).await
        }),
        d(
            "reporters.remove",
            Delete,
            "/api/v1/reporters/{id}",
            "Remove a reporter (history keeps the name).",
            false,
        )
        .mutation(m, |core, ctx, i: ReporterIdInput| async move {
            core.remove_reporter(&ctx, i).await
        }),
        d(
            "todos.list",
            Get,
            "/api/v1/reporters/{reporterId}/todos",
            "A reporter's todo list, in order.",
            true,
        )
        .query(|core, _, i: TodoListInput| async move { core.list_todos(i).await }),
        d(
            "todos.add",
            Post,
            "/api/v1/reporters/{reporterId}/todos",
            "Add an item to a reporter's todo list.",
            true,
        )
        .mutation(m, |core, ctx, i: AddTodoInput| async move {
            core.add_todo(&ctx, i).await
        }),
        d(
            "todos.update",
            Patch,
            "/api/v1/todos/{id}",
            "Edit a todo's text or check it off.",
            true,
        )
        .mutation(m, |core, ctx, i: UpdateTodoInput| async move {
            core.update_todo(&ctx, i).await
        }),
        d(
            "todos.remove",
            Delete,
            "/api/v1/todos/{id}",
            "Remove a todo.",
            false,
        )
        .mutation(m, |core, ctx, i: TodoIdInput| async move {
            core.remove_todo(&ctx, i).await
        }),
        d(
            "todos.reorder",
            Post,
            "/api/v1/reporters/{reporterId}/todos/order",
            "Set the order of a reporter's todos.",
            false,
        )
        .mutation(m, |core, ctx, i: ReorderTodosInput| async move {
            core.reorder_todos(&ctx, i).await
        }),
    ]
}
