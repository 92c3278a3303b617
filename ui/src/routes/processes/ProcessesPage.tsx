import { useEffect, useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatArgv, formatRelative, formatTime } from '../../components/format';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App, ProcessInfo } from '../../gen/bindings';
import { navigate, useRoute } from '../../state/router';
import { RequireApp } from '../work/RequireApp';
import { LogViewer } from './LogViewer';
import { StartForm } from './StartForm';
import { durationOf, exitOf, isLive, STATUS_TONE } from './status';

export function ProcessesPage() {
  const { rest } = useRoute();
  return (
    <Page title="Processes" subtitle="Supervised processes of the active app: start, stop, restart, and their output." testId="page-processes" wide>
      <RequireApp>{(app) => <Processes app={app} selectedId={rest[0] ?? null} />}</RequireApp>
    </Page>
  );
}

/**
 * A clock for durations and "started … ago": once a second while something runs, else every
 * 15 s; it also catches up whenever the list changes (`version`).
 */
function useNow(active: boolean, version: unknown): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const first = setTimeout(() => setNow(Date.now()), 0);
    const t = setInterval(() => setNow(Date.now()), active ? 1000 : 15_000);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, [active, version]);
  return now;
}

/** "started 3 seconds ago"; a start a moment ahead of this browser's clock reads "just now". */
function startedAgo(p: ProcessInfo, now: number): string {
  const start = new Date(p.startedAt).getTime();
  return start > now ? 'just now' : formatRelative(p.startedAt, now);
}

function Processes({ app, selectedId }: { app: App; selectedId: string | null }) {
  const list = useQuery('processes.list', { appId: app.id, limit: 100 });
  const items = list.data ?? [];
  const live = items.filter(isLive);
  const recent = items.filter((p) => !isLive(p));
  const now = useNow(live.length > 0, list.data);
  const selected = items.find((p) => p.id === selectedId) ?? null;

  return (
    <div className="stack">
      <StartForm appId={app.id} onStarted={(p) => navigate('processes', [p.id])} />
      {list.error && <Banner tone="error">{list.error.message}</Banner>}
      <div className="processes-layout">
        <div className="process-lists">
          {!list.data ? (
            <Spinner />
          ) : items.length === 0 ? (
            <EmptyState title="No processes yet" testId="processes-empty">
              Start one above, or start the app from the status pill at the top.
            </EmptyState>
          ) : (
            <>
              <ProcessTable title="Running" items={live} selectedId={selectedId} now={now} testId="processes-live" />
              <ProcessTable title="Recent" items={recent} selectedId={selectedId} now={now} testId="processes-recent" />
            </>
          )}
        </div>
        <div className="process-detail">
          {selected ? (
            <ProcessDetail key={selected.id} process={selected} now={now} />
          ) : selectedId && list.data ? (
            <ProcessById id={selectedId} now={now} />
          ) : (
            <EmptyState title="Pick a process to see its output" />
          )}
        </div>
      </div>
    </div>
  );
}

/** A process not in the first page of the list (older): fetched by id. */
function ProcessById({ id, now }: { id: string; now: number }) {
  const p = useQuery('processes.get', { id });
  if (p.error) return <Banner tone="error">{p.error.message}</Banner>;
  if (!p.data) return <Spinner />;
  return <ProcessDetail key={id} process={p.data} now={now} />;
}

function ProcessTable({ title, items, selectedId, now, testId }: { title: string; items: ProcessInfo[]; selectedId: string | null; now: number; testId: string }) {
  return (
    <section className="card flush" data-testid={testId}>
      <header className="process-table-title">
        <h3>
          {title} <span className="chip-count">{items.length}</span>
        </h3>
      </header>
      {items.length === 0 ? (
        <p className="muted small process-none">None.</p>
      ) : (
        <ul className="process-list">
          {items.map((p) => (
            <li key={p.id}>
              <a
                href={`#/processes/${encodeURIComponent(p.id)}`}
                className={p.id === selectedId ? 'process-row selected' : 'process-row'}
                data-testid="process-row"
                data-id={p.id}
                data-status={p.status}
                aria-current={p.id === selectedId ? 'true' : undefined}
              >
                <span className="process-row-top">
                  <Badge tone={STATUS_TONE[p.status]}>{p.status}</Badge>
                  <strong className="process-label">{p.label ?? p.argv[0]}</strong>
                  <span className="grow" />
                  <span className="muted small nowrap">{durationOf(p, now)}</span>
                </span>
                <span className="mono small process-argv">{formatArgv(p.argv)}</span>
                <span className="muted small">
                  {p.pid !== null && `pid ${p.pid} · `}
                  {exitOf(p) && `${exitOf(p)} · `}
                  started {startedAgo(p, now)}
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ProcessDetail({ process: p, now }: { process: ProcessInfo; now: number }) {
  const toast = useToast();
  const control = useAction((op: 'processes.stop' | 'processes.restart', call) => call(op, { id: p.id }), {
    onSuccess: (next, op) => {
      if (op === 'processes.restart' && next.id !== p.id) navigate('processes', [next.id]);
    },
    onError: (err, op) => toast.show('error', op === 'processes.stop' ? 'Could not stop' : 'Could not restart', err.message),
  });
  const busy = control.busy;
  const act = (op: 'processes.stop' | 'processes.restart') => void control.run(op);
  return (
    <section className="card process-card" data-testid="process-detail" data-id={p.id} data-status={p.status}>
      <header className="process-detail-header">
        <Badge tone={STATUS_TONE[p.status]} testId="process-status">
          {p.status}
        </Badge>
        <h2>{p.label ?? p.argv[0]}</h2>
        <span className="grow" />
        {isLive(p) && (
          <button type="button" className="button small danger-ghost" disabled={busy} onClick={() => void act('processes.stop')} data-testid="process-stop">
            Stop
          </button>
        )}
        <button type="button" className="button small" disabled={busy} onClick={() => void act('processes.restart')} data-testid="process-restart">
          {isLive(p) ? 'Restart' : 'Run again'}
        </button>
      </header>
      <dl className="kv process-facts">
        <dt>Command</dt>
        <dd className="mono">{formatArgv(p.argv)}</dd>
        <dt>Directory</dt>
        <dd className="mono">{p.cwd || '(app root)'}</dd>
        <dt>PID</dt>
        <dd>{p.pid ?? '—'}</dd>
        <dt>Started</dt>
        <dd title={formatTime(p.startedAt)}>{startedAgo(p, now)}</dd>
        <dt>Duration</dt>
        <dd>{durationOf(p, now)}</dd>
        {exitOf(p) && (
          <>
            <dt>Ended</dt>
            <dd data-testid="process-exit">{exitOf(p)}</dd>
          </>
        )}
        {p.envKeys.length > 0 && (
          <>
            <dt>Environment</dt>
            <dd className="mono">{p.envKeys.join(', ')}</dd>
          </>
        )}
        {p.owner.goalId && (
          <>
            <dt>Goal</dt>
            <dd>
              <a href={`#/goals/${encodeURIComponent(p.owner.goalId)}`}>open the goal</a>
              {p.owner.round != null && ` · round ${p.owner.round}`}
            </dd>
          </>
        )}
      </dl>
      {p.error && <Banner tone="error">{p.error}</Banner>}
      <LogViewer key={p.id} id={p.id} />
    </section>
  );
}
