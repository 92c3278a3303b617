import { useState, type DragEvent } from 'react';
import { Icon } from '../../components/Icon';
import type { Todo } from '../../gen/bindings';
import { reorder, shift } from '../work/order';
import type { Todos } from './useTodos';

const DRAG_TYPE = 'application/x-refine-todo';

/** A reporter's todos in order: check off, edit, drag (or arrows) to reorder, remove. */
export function TodoList({ todos, reporterId, actions }: { todos: Todo[]; reporterId: string; actions: Pick<Todos, 'update' | 'reorder' | 'remove'> }) {
  const [dragging, setDragging] = useState<string | null>(null);
  const [drop, setDrop] = useState<{ id: string; place: 'before' | 'after' } | null>(null);
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const ids = todos.map((t) => t.id);

  const reorderTo = (next: string[]) => void actions.reorder.run({ reporterId, ids: next });

  const placeOf = (e: DragEvent<HTMLElement>): 'before' | 'after' => {
    const rect = e.currentTarget.getBoundingClientRect();
    return e.clientY < rect.top + rect.height / 2 ? 'before' : 'after';
  };

  const saveEdit = () => {
    if (!editing) return;
    const { id, text } = editing;
    setEditing(null);
    const todo = todos.find((t) => t.id === id);
    if (!todo || !text.trim() || text.trim() === todo.text) return;
    void actions.update.run({ id, text: text.trim() });
  };

  return (
    <ul className="todo-list" data-testid="todo-list">
      {todos.map((t, index) => {
        const classes = ['todo'];
        if (t.done) classes.push('done');
        if (dragging === t.id) classes.push('dragging');
        if (drop?.id === t.id) classes.push(`drop-${drop.place}`);
        return (
          <li
            key={t.id}
            className={classes.join(' ')}
            draggable={editing?.id !== t.id}
            onDragStart={(e) => {
              e.dataTransfer.setData(DRAG_TYPE, t.id);
              e.dataTransfer.setData('text/plain', t.text);
              e.dataTransfer.effectAllowed = 'move';
              setDragging(t.id);
            }}
            onDragEnd={() => {
              setDragging(null);
              setDrop(null);
            }}
            onDragOver={(e) => {
              if (!dragging) return;
              e.preventDefault();
              const place = placeOf(e);
              if (drop?.id !== t.id || drop.place !== place) setDrop({ id: t.id, place });
            }}
            onDrop={(e) => {
              e.preventDefault();
              const moved = e.dataTransfer.getData(DRAG_TYPE) || dragging;
              const place = placeOf(e);
              setDragging(null);
              setDrop(null);
              if (moved && moved !== t.id) {
                const next = reorder(ids, moved, t.id, place);
                if (next.join() !== ids.join()) reorderTo(next);
              }
            }}
            data-testid="todo"
            data-todo-id={t.id}
            data-done={t.done}
          >
            <span className="todo-grip" aria-hidden="true">
              <Icon name="grip" size={14} />
            </span>
            <input
              type="checkbox"
              checked={t.done}
              aria-label={t.done ? `Mark “${t.text}” as not done` : `Mark “${t.text}” as done`}
              onChange={(e) => void actions.update.run({ id: t.id, done: e.target.checked })}
              data-testid="todo-done"
            />
            {editing?.id === t.id ? (
              <input
                className="todo-edit"
                value={editing.text}
                autoFocus
                onChange={(e) => setEditing({ id: t.id, text: e.target.value })}
                onBlur={saveEdit}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') saveEdit();
                  if (e.key === 'Escape') {
                    e.stopPropagation();
                    setEditing(null);
                  }
                }}
                aria-label="Todo text"
                data-testid="todo-edit"
              />
            ) : (
              <button type="button" className="todo-text" onClick={() => setEditing({ id: t.id, text: t.text })} title="Click to edit" data-testid="todo-text">
                {t.text}
              </button>
            )}
            <div className="todo-actions">
              <button type="button" className="icon-button" aria-label="Move up" disabled={index === 0} onClick={() => reorderTo(shift(ids, index, -1))}>
                <Icon name="arrowUp" />
              </button>
              <button type="button" className="icon-button" aria-label="Move down" disabled={index === todos.length - 1} onClick={() => reorderTo(shift(ids, index, 1))}>
                <Icon name="arrowDown" />
              </button>
              <button
                type="button"
                className="icon-button danger-icon"
                aria-label={`Remove “${t.text}”`}
                onClick={() => void actions.remove.run({ id: t.id })}
                data-testid="todo-remove"
              >
                <Icon name="trash" />
              </button>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
