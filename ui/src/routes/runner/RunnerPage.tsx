import { useEffect, useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatDuration, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { RunnerStatus, WorkerInfo } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { hrefFor } from '../../state/router';

/** The runner's state, kept current from live events (and a slow poll for load and memory). */
function useRunnerStatus() {
  return useQuery('runner.status', {}, { pollMs: 5000 });
}

/** Ticks every second so "running for" stays current. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** `#/runner`: what the runner works on, its limits, and why Goals wait. */
export function RunnerPage() {
  const status = useRunnerStatus();
  const s = status.data;
  return (
    <Page
      title="Runner"
      subtitle="Workers move todo Goals through plan, implement, quality and governance to review, with the agent profile of each app."
      testId="page-runner"
      actions={s && <PauseResume paused={s.paused} />}
    >
      {status.error && <Banner tone="error">{status.error.message}</Banner>}
      {!s ? (
        !status.error && <Spinner />
      ) : (
        <div className="stack runner-stack">
          {s.paused && (
            <Banner tone="warning" testId="runner-paused">
              <strong>The runner is paused</strong>: no new Goals start on this machine. Running workers go on until their Goal reaches review.
            </Banner>
          )}
          <Holds status={s} />
          <Waiting status={s} />
          <Capacity status={s} />
          <Workers workers={s.workers} />
        </div>
      )}
    </Page>
  );
}

function PauseResume({ paused }: { paused: boolean }) {
  const toast = useToast();
  const switching = useAction((resume: boolean, call) => (resume ? call('runner.resume', { reason: null }) : call('runner.pause', { reason: null })), {
    onSuccess: (_, resume) => toast.show('success', resume ? 'Runner resumed' : 'Runner paused', resume ? 'Eligible Goals start again.' : 'No new Goals start; running ones go on.'),
    onError: (err) => toast.show('error', 'That did not work', err.message),
  });
  const busy = switching.busy;
  const toggle = () => void switching.run(paused);
  return (
    <button type="button" className={paused ? 'button primary' : 'button'} onClick={toggle} disabled={busy} data-testid={paused ? 'runner-resume' : 'runner-pause'}>
      <Icon name={paused ? 'play' : 'pause'} /> {paused ? 'Resume' : 'Pause'}
    </button>
  );
}

/** Agent profiles held back: rate-limited until a time, or their credentials refused. */
function Holds({ status }: { status: RunnerStatus }) {
  const toast = useToast();
  const releasing = useAction('runner.release', {
    onSuccess: (_, { profile }) => toast.show('success', `${profile} released`, 'Its Goals go on now.'),
    onError: (err) => toast.show('error', 'Could not release it', err.message),
  });
  if (status.holds.length === 0) return null;
  return (
    <div className="runner-waiting" data-testid="runner-holds">
      {status.holds.map((h) => (
        <Banner
          key={h.profile}
          tone={h.kind === 'auth' ? 'error' : 'warning'}
          testId="runner-hold"
          action={
            <button type="button" className="button small" disabled={releasing.pending.some((r) => r.profile === h.profile)} onClick={() => void releasing.run({ profile: h.profile })} data-testid="runner-release">
              {h.kind === 'auth' ? 'Try again now' : 'Go on now'}
            </button>
          }
        >
          <strong>{h.kind === 'auth' ? `${h.profile}: credentials refused.` : `${h.profile} is rate-limited.`}</strong> {h.reason}
        </Banner>
      ))}
    </div>
  );
}

function Waiting({ status }: { status: RunnerStatus }) {
  const { apps } = useApps();
  if (status.waiting.length === 0) return null;
  const appName = (id: string) => apps.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  return (
    <div className="runner-waiting" data-testid="runner-waiting">
      {status.waiting.map((w) => (
        <Banner
          key={w.appId}
          tone="warning"
          testId="runner-wait"
          action={
            <a className="button small" href={hrefFor('settings', ['agents'])}>
              Agent settings
            </a>
          }
        >
          <strong>{appName(w.appId)}: Goals are waiting.</strong> {w.reason}
        </Banner>
      ))}
    </div>
  );
}

function Capacity({ status: s }: { status: RunnerStatus }) {
  const perApp = new Map<string, number>();
  for (const w of s.workers) perApp.set(w.appId, (perApp.get(w.appId) ?? 0) + 1);
  const busiestApp = Math.max(0, ...perApp.values());
  return (
    <div className="runner-stats" data-testid="runner-capacity">
      <Stat label="Workers" value={`${s.workers.length} / ${s.maxConcurrentGoals}`} hint="Goals worked on at once on this machine" testId="stat-workers" />
      <Stat label="Per app" value={`${busiestApp} / ${s.maxPerApp}`} hint="Most Goals of one app at once" />
      <Stat label="Per provider" value={String(s.maxPerProvider)} hint="Goals one agent provider works on at once" />
      <Stat label="Free slots" value={String(s.resourceSlots)} hint="More Goals free CPU and memory admit now" testId="stat-slots" />
      <Stat label="Load" value={s.loadAverage === null ? '—' : s.loadAverage.toFixed(2)} hint="1-minute load average" testId="stat-load" />
      <Stat label="Free memory" value={formatMb(s.availableMemoryMb)} hint="Memory available to new processes" testId="stat-memory" />
    </div>
  );
}

function formatMb(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${mb} MiB`;
}

function Stat({ label, value, hint, testId }: { label: string; value: string; hint: string; testId?: string }) {
  return (
    <div className="runner-stat" title={hint} data-testid={testId}>
      <span className="runner-stat-value">{value}</span>
      <span className="runner-stat-label muted small">{label}</span>
    </div>
  );
}

function Workers({ workers }: { workers: WorkerInfo[] }) {
  const now = useNow();
  return (
    <section className="card flush" aria-labelledby="workers-title">
      <div className="card-header padded">
        <h2 id="workers-title">Workers</h2>
        <span className="muted small">{workers.length === 0 ? 'idle' : `${workers.length} running`}</span>
      </div>
      {workers.length === 0 ? (
        <EmptyState title="No Goal is being worked on" testId="runner-idle">
          <p>Goals in todo start here by themselves when the app’s automation runs and its agent profile is installed.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="runner-workers">
            <thead>
              <tr>
                <th>Goal</th>
                <th>Round</th>
                <th>Phase</th>
                <th>Profile</th>
                <th>Running for</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <WorkerRow key={w.id} worker={w} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function WorkerRow({ worker: w, now }: { worker: WorkerInfo; now: number }) {
  const toast = useToast();
  const stopping = useAction('runner.stop', {
    onSuccess: () => toast.show('success', `Stopped the worker on #${w.goalNumber}`, 'The Goal stays where it is and is picked up again later.'),
    onError: (err) => toast.show('error', 'Could not stop it', err.message),
  });
  const busy = stopping.busy;
  const stop = () => void stopping.run({ goalId: w.goalId });
  const seconds = (now - new Date(w.startedAt).getTime()) / 1000;
  return (
    <tr data-testid="runner-worker" data-goal={w.goalId} data-phase={w.phase}>
      <td>
        <a href={hrefFor('goals', [w.goalId])} data-testid="runner-worker-goal">
          {/* A worker that has just started has not read its Goal yet. */}
          {w.goalNumber > 0 ? `#${w.goalNumber} ${w.goalTitle}` : 'Goal (starting…)'}
        </a>
      </td>
      <td>{w.round > 0 ? w.round : '—'}</td>
      <td>
        <Badge tone="accent">
          <span className="live-dot" aria-hidden="true" /> {w.phase}
        </Badge>
      </td>
      <td className="mono small">{w.profile}</td>
      <td className="small nowrap" title={formatTime(w.startedAt)}>
        {formatDuration(seconds)}
      </td>
      <td className="actions-cell">
        <div className="actions-cell-row">
          {w.processId && (
            <a className="button small ghost" href={hrefFor('processes', [w.processId])}>
              Output
            </a>
          )}
          <button type="button" className="button small danger-ghost" onClick={stop} disabled={busy} data-testid="runner-stop">
            <Icon name="x" size={14} /> {busy ? 'Stopping…' : 'Stop'}
          </button>
        </div>
      </td>
    </tr>
  );
}
