import { lazy, Suspense, useEffect, useState } from 'react';
import { useAction, useCache, useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { TerminalInfo } from '../../gen/bindings';

const ACTIVE_KEY = 'refine.terminal.active';

// xterm.js is loaded only when a terminal is shown.
const TerminalView = lazy(() => import('./TerminalView').then((m) => ({ default: m.TerminalView })));

function TabTitle({ session, onRename }: { session: TerminalInfo; onRename: (title: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(session.title);
  if (!editing) {
    return (
      <span
        className="terminal-tab-title"
        title="Double-click to rename"
        onDoubleClick={() => {
          setValue(session.title);
          setEditing(true);
        }}
      >
        {session.title}
      </span>
    );
  }
  const done = (save: boolean) => {
    setEditing(false);
    const t = value.trim();
    if (save && t && t !== session.title) onRename(t);
  };
  return (
    <input
      className="terminal-tab-rename"
      value={value}
      autoFocus
      maxLength={100}
      aria-label="Terminal title"
      data-testid="terminal-rename"
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => done(true)}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        if (e.key === 'Enter') done(true);
        if (e.key === 'Escape') done(false);
      }}
    />
  );
}

export function TerminalPage() {
  const toast = useToast();
  const sessions = useQuery('terminal.list', {});
  const cache = useCache();
  const [active, setActive] = useState<string | null>(() => sessionStorage.getItem(ACTIVE_KEY));
  // The list follows each answer at once; the `terminal.*` events bring the rest.
  const put = (t: TerminalInfo) => cache.update('terminal.list', {}, (l) => (l.some((x) => x.id === t.id) ? l.map((x) => (x.id === t.id ? t : x)) : [...l, t]));

  const list = sessions.data ?? [];
  const current = list.find((s) => s.id === active) ?? list[list.length - 1];

  useEffect(() => {
    if (current) sessionStorage.setItem(ACTIVE_KEY, current.id);
  }, [current]);

  const creation = useAction('terminal.create', {
    onSuccess: (t) => {
      put(t);
      setActive(t.id);
    },
    onError: (err) => toast.show('error', 'Could not open a terminal', err.message),
  });
  const closing = useAction((s: TerminalInfo, call) => call('terminal.close', { id: s.id }), {
    onSuccess: (_, s) => {
      cache.update('terminal.list', {}, (l) => l.filter((x) => x.id !== s.id));
      if (s.id === current?.id) setActive(null);
    },
    onError: (err, s) => toast.show('error', `Could not close ${s.title}`, err.message),
  });
  const renaming = useAction('terminal.rename', {
    onSuccess: put,
    onError: (err) => toast.show('error', 'Could not rename the terminal', err.message),
  });
  const creating = creation.busy;
  const create = () => void creation.run({ cols: 100, rows: 30 });

  return (
    <Page
      title="Terminal"
      subtitle="Shells and programs on a PTY in the daemon: closing the window or reloading keeps them running."
      testId="page-terminal"
      actions={
        <button type="button" className="button primary" onClick={create} disabled={creating} data-testid="terminal-new">
          <Icon name="plus" /> New terminal
        </button>
      }
    >
      {sessions.error && <Banner tone="error">{sessions.error.message}</Banner>}
      {sessions.loading && !sessions.data && <Spinner />}
      {sessions.data && list.length === 0 && (
        <EmptyState title="No terminal sessions" testId="terminal-empty">
          Open one with <strong>New terminal</strong> (your login shell in the active app), or{' '}
          <code>refine term new</code>.
        </EmptyState>
      )}
      {list.length > 0 && (
        <div className="terminal-panel">
          <div className="terminal-tabs" role="tablist" data-testid="terminal-tabs">
            {list.map((s) => (
              <div
                key={s.id}
                role="tab"
                tabIndex={0}
                aria-selected={s.id === current?.id}
                className={`terminal-tab${s.id === current?.id ? ' active' : ''}${s.exited ? ' exited' : ''}`}
                data-testid="terminal-tab"
                data-session-id={s.id}
                onClick={() => setActive(s.id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') setActive(s.id);
                }}
              >
                <Icon name="terminal" />
                <TabTitle session={s} onRename={(title) => void renaming.run({ id: s.id, title })} />
                {s.exited && <span className="muted small">exited</span>}
                <button
                  type="button"
                  className="terminal-tab-close"
                  aria-label={`Close ${s.title}`}
                  data-testid="terminal-close"
                  onClick={(e) => {
                    e.stopPropagation();
                    void closing.run(s);
                  }}
                >
                  <Icon name="x" size={12} />
                </button>
              </div>
            ))}
          </div>
          {current && (
            <Suspense fallback={<Spinner label="Loading the terminal" />}>
              <TerminalView key={current.id} session={current} />
            </Suspense>
          )}
        </div>
      )}
    </Page>
  );
}
