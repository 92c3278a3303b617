import { useState } from 'react';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useIdentity } from '../../state/identity';
import { replaceQuery, useRoute } from '../../state/router';
import { openIdentityPicker } from '../../state/uiActions';
import { useReporters } from '../work/hooks';
import { ReportersCard } from './ReportersCard';
import { TodoList } from './TodoList';
import { useTodos } from './useTodos';

/** A reporter's todo list: yours by default (`#/todos?reporter=<id>` for someone else's). */
export function TodosPage() {
  const me = useIdentity();
  const route = useRoute();
  const reporters = useReporters();
  const myId = me?.kind === 'reporter' ? me.id : '';
  const reporterId = route.query.get('reporter') || myId;
  const reporter = reporters.data?.find((r) => r.id === reporterId);

  return (
    <Page
      title="Todos"
      subtitle={reporterId && reporterId !== myId && reporter ? `${reporter.name}’s list` : 'Your own list: small things to remember, next to the goals.'}
      testId="page-todos"
      actions={
        (reporters.data?.length ?? 0) > 0 && (
          <label className="inline-select">
            <span className="muted small">List of</span>
            <select value={reporterId} onChange={(e) => replaceQuery({ reporter: e.target.value === myId ? null : e.target.value })} data-testid="todos-reporter">
              {!reporterId && <option value="">—</option>}
              {reporters.data?.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                  {r.id === myId ? ' (you)' : ''}
                </option>
              ))}
            </select>
          </label>
        )
      }
    >
      {reporterId ? (
        <TodoPanel key={reporterId} reporterId={reporterId} />
      ) : (
        <EmptyState title="Whose todos?" testId="todos-who">
          <p>Todo lists belong to a reporter. Tell Refine who you are to keep your own.</p>
          <button type="button" className="button primary" onClick={openIdentityPicker} data-testid="todos-pick-identity">
            <Icon name="user" /> Choose who you are
          </button>
        </EmptyState>
      )}
      <ReportersCard reporters={reporters.data ?? []} />
    </Page>
  );
}

function TodoPanel({ reporterId }: { reporterId: string }) {
  const list = useTodos(reporterId);
  const { todos } = list;
  const error = list.error?.message;
  const [text, setText] = useState('');
  const adding = list.add.busy;
  const add = () => {
    if (text.trim()) void list.add.run({ reporterId, text: text.trim() }).then((todo) => todo && setText(''));
  };

  const open = todos?.filter((t) => !t.done).length ?? 0;

  return (
    <section className="card todos-card" aria-label="Todos">
      <form
        className="todo-add"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Add a todo…" aria-label="New todo" maxLength={2000} data-testid="todo-input" />
        <button type="submit" className="button primary" disabled={adding || !text.trim()} data-testid="todo-add">
          <Icon name="plus" /> Add
        </button>
      </form>
      {error && <Banner tone="error">{error}</Banner>}
      {!todos ? (
        !error && <Spinner />
      ) : todos.length === 0 ? (
        <p className="muted todo-empty" data-testid="todos-empty">
          Nothing on the list.
        </p>
      ) : (
        <>
          <TodoList todos={todos} reporterId={reporterId} actions={list} />
          <p className="muted small todo-count">
            {open} open · {todos.length - open} done · drag to reorder
          </p>
        </>
      )}
    </section>
  );
}

