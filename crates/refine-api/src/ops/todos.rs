//! A reporter's todo list.

use refine_core::reporters::{
    AddTodoInput, ReorderTodosInput, TodoIdInput, TodoListInput, UpdateTodoInput,
};
use refine_model::work::Todo;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<TodoListInput, Vec<Todo>> = Op::query(
    "todos.list",
    Get,
    "/api/v1/reporters/{reporterId}/todos",
    "A reporter's todo list, in order.",
    true,
);

pub const ADD: Op<AddTodoInput, Todo> = Op::mutation(
    "todos.add",
    Post,
    "/api/v1/reporters/{reporterId}/todos",
    "Add an item to a reporter's todo list.",
    true,
);

pub const UPDATE: Op<UpdateTodoInput, Todo> = Op::mutation(
    "todos.update",
    Patch,
    "/api/v1/todos/{id}",
    "Edit a todo's text or check it off.",
    true,
);

pub const DELETE: Op<TodoIdInput, Todo> = Op::mutation(
    "todos.delete",
    Delete,
    "/api/v1/todos/{id}",
    "Remove a todo.",
    false,
);

pub const REORDER: Op<ReorderTodosInput, Vec<Todo>> = Op::mutation(
    "todos.reorder",
    Post,
    "/api/v1/reporters/{reporterId}/todos/order",
    "Set the order of a reporter's todos.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, _, i| async move { core.todos_list(i).await }),
        ADD.handle(|core, ctx, i| async move { core.todos_add(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.todos_update(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.todos_delete(&ctx, i).await }),
        REORDER.handle(|core, ctx, i| async move { core.todos_reorder(&ctx, i).await }),
    ]
}
