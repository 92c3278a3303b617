import { useAction, useCache, useQuery, type Action } from '../../api/hooks';
import type { ApiFailure } from '../../api/errors';
import type { AddTodoInput, ReorderTodosInput, Todo, TodoIdInput, UpdateTodoInput } from '../../gen/bindings';

export interface Todos {
  /** The list as the person expects it: the cached one with the changes in flight applied. */
  todos: Todo[] | undefined;
  error: ApiFailure | undefined;
  add: Action<AddTodoInput, Todo>;
  update: Action<UpdateTodoInput, Todo>;
  reorder: Action<ReorderTodosInput, Todo[]>;
  remove: Action<TodoIdInput, Todo>;
}

/** `todos` with the edits, the order and the removals still being saved shown already. */
function withPending(todos: Todo[], updates: readonly UpdateTodoInput[], orders: readonly ReorderTodosInput[], removals: readonly TodoIdInput[]): Todo[] {
  let shown = todos;
  const order = orders.at(-1)?.ids;
  if (order) {
    const byId = new Map(shown.map((t) => [t.id, t]));
    shown = order.map((id) => byId.get(id)).filter((t): t is Todo => t !== undefined);
  }
  if (removals.length) shown = shown.filter((t) => !removals.some((r) => r.id === t.id));
  for (const u of updates) {
    shown = shown.map((t) => (t.id === u.id ? { ...t, done: u.done ?? t.done, text: u.text ?? t.text } : t));
  }
  return shown;
}

/**
 * A reporter's todos and the changes a person makes to them. Ticking, reordering and removing
 * show at once; a refused change disappears from what is shown, so the list is back as the daemon
 * has it, with the reason in `error`.
 */
export function useTodos(reporterId: string): Todos {
  const cache = useCache();
  const input = { reporterId };
  const list = useQuery('todos.list', input);
  const change = (edit: (todos: Todo[]) => Todo[]) => cache.update('todos.list', input, edit);
  const add = useAction('todos.add', { onSuccess: (todo) => change((l) => (l.some((t) => t.id === todo.id) ? l : [...l, todo])) });
  const update = useAction('todos.update', { onSuccess: (todo) => change((l) => l.map((t) => (t.id === todo.id ? todo : t))) });
  const reorder = useAction('todos.reorder', { onSuccess: (todos) => cache.put('todos.list', input, todos) });
  const remove = useAction('todos.delete', { onSuccess: (_, { id }) => change((l) => l.filter((t) => t.id !== id)) });
  const todos = list.data && withPending(list.data, update.pending, reorder.pending, remove.pending);
  const error = add.error ?? update.error ?? reorder.error ?? remove.error ?? list.error;
  return { todos, error, add, update, reorder, remove };
}
