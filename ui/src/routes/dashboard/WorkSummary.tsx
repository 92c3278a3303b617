import { useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, ProgressBar, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import type { Activity, AttentionKind, Dashboard } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { openNewGoal } from '../../state/uiActions';
import { AutomationBanner, useAutomationToggle } from '../work/AutomationBanner';
import { FeatureStatusBadge } from '../work/StatusBadge';
import { UsageLine } from '../goals/Transcript';
import { StateChart, ThroughputChart, UsageChart } from './charts';

const RUNNING = 'plan,implement,quality,governance';

const ATTENTION: Record<AttentionKind, { label: string; tone: 'danger' | 'warning' | 'neutral' }> = {
  failed: { label: 'failed', tone: 'danger' },
  review: { label: 'review', tone: 'warning' },
  blocked: { label: 'blocked', tone: 'neutral' },
};

function formatHours(hours: number): string {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${hours < 10 ? hours.toFixed(1) : Math.round(hours)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}

/** Where an activity entry about work leads. */
function activityHref(a: Activity): string {
  if (a.target && a.operation.includes('feature')) return hrefFor('features', [a.target]);
  if (a.target && (a.operation.startsWith('workflow.') || a.operation.startsWith('work.'))) return hrefFor('goals', [a.target]);
  return hrefFor('activity');
}

/** The active app's work at a glance (`dashboard.summary`); every element links to its list. */
export function WorkSummary({ appId }: { appId: string }) {
  const summary = useQuery('dashboard.summary', { appId });
  if (summary.error && !summary.data) return <Banner tone="error">{summary.error.message}</Banner>;
  if (!summary.data) return <Spinner />;
  return <SummaryView d={summary.data} appId={appId} />;
}

function Stat({ label, value, href, testId, hint }: { label: string; value: string | number; href: string; testId: string; hint?: string }) {
  return (
    <a className="stat-tile" href={href} data-testid={testId} title={hint}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
    </a>
  );
}

function SummaryView({ d, appId }: { d: Dashboard; appId: string }) {
  const count = (state: string) => d.counts.find((c) => c.state === state)?.count ?? 0;
  const doneRecently = d.throughput.reduce((s, t) => s + t.done, 0);
  return (
    <div className="work-summary" data-testid="work-summary">
      <AutomationBanner appId={appId} />
      {!d.automationPaused && <PauseControl appId={appId} />}
      <div className="stat-tiles">
        <Stat label="Goals" value={d.total} href={hrefFor('goals')} testId="stat-total" />
        <Stat label="Running" value={d.running} href={hrefFor('goals', [], { status: RUNNING })} testId="stat-running" hint="plan, implement, quality or governance" />
        <Stat label="In review" value={count('review')} href={hrefFor('goals', [], { status: 'review' })} testId="stat-review" />
        <Stat label="Failed" value={count('failed')} href={hrefFor('goals', [], { status: 'failed' })} testId="stat-failed" />
        <Stat label={`Done ${d.throughput.length}d`} value={doneRecently} href={hrefFor('goals', [], { status: 'done', sort: 'updated' })} testId="stat-done" />
        <Stat
          label="Cycle time"
          value={d.medianCycleHours === null ? '—' : formatHours(d.medianCycleHours)}
          href={hrefFor('goals', [], { status: 'done', sort: 'updated' })}
          testId="stat-cycle"
          hint="Median time from start (plan) to done, over the last 90 days"
        />
      </div>

      {d.total === 0 ? (
        <EmptyState title="No goals yet" testId="dashboard-no-goals">
          <p>
            <button type="button" className="link-button" onClick={() => openNewGoal()}>
              Create a goal
            </button>{' '}
            (or press <kbd>n</kbd>) or <a href={hrefFor('import')}>import a task list</a>.
          </p>
        </EmptyState>
      ) : (
        <div className="dash-grid">
          <section className="card" aria-labelledby="dash-states">
            <div className="card-header">
              <h2 id="dash-states">Goals by state</h2>
              <a href={hrefFor('board')} className="small">
                Open the board →
              </a>
            </div>
            <StateChart counts={d.counts} />
          </section>

          <section className="card" aria-labelledby="dash-attention" data-testid="attention">
            <div className="card-header">
              <h2 id="dash-attention">Needs attention</h2>
              {d.attention.length > 0 && <Badge tone="warning">{d.attention.length}</Badge>}
            </div>
            {d.attention.length === 0 ? (
              <p className="muted small all-clear">
                <Icon name="check" /> Nothing waits for you.
              </p>
            ) : (
              <ul className="attention-list">
                {d.attention.map((a) => (
                  <li key={`${a.kind}-${a.goalId}`}>
                    <a href={hrefFor('goals', [a.goalId])} className="attention-item" data-testid="attention-item" data-kind={a.kind} data-goal-id={a.goalId}>
                      <Badge tone={ATTENTION[a.kind].tone}>{ATTENTION[a.kind].label}</Badge>
                      <span className="attention-text">
                        <span className="attention-title">
                          <span className="mono muted">#{a.number}</span> {a.title}
                        </span>
                        <span className="muted small">{a.reason}</span>
                      </span>
                      <Icon name="chevronRight" />
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="dash-throughput">
            <div className="card-header">
              <h2 id="dash-throughput">Throughput</h2>
              <span className="muted small">goals done per day, last {d.throughput.length} days (UTC)</span>
            </div>
            <ThroughputChart days={d.throughput} />
          </section>

          <section className="card" aria-labelledby="dash-usage" data-testid="dash-usage">
            <div className="card-header">
              <h2 id="dash-usage">Agent usage</h2>
              <span className="muted small">
                tokens per day (input, then output), last {d.usage.days.length} days ·{' '}
                <UsageLine usage={d.usage.total} testId="dash-usage-total" />
              </span>
            </div>
            <UsageChart days={d.usage.days} />
            {d.usage.providers.length > 0 && (
              <ul className="usage-providers small" data-testid="usage-providers">
                {d.usage.providers.map((p) => (
                  <li key={p.provider} data-provider={p.provider}>
                    <strong>{p.provider}</strong> · {p.runs} run(s) · <UsageLine usage={p.usage} />
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="dash-features" data-testid="dash-features">
            <div className="card-header">
              <h2 id="dash-features">Features</h2>
              <a href={hrefFor('features')} className="small">
                All features →
              </a>
            </div>
            {d.features.length === 0 ? (
              <p className="muted small">No features yet.</p>
            ) : (
              <ul className="feature-progress-list">
                {d.features.map((f) => (
                  <li key={f.id}>
                    <a href={hrefFor('features', [f.id])} className="feature-progress-item" data-testid="dash-feature" data-feature-id={f.id}>
                      <span className="feature-progress-name">
                        {f.name} <FeatureStatusBadge status={f.status} />
                      </span>
                      <span className="feature-progress-bar">
                        <ProgressBar value={f.total ? (f.done / f.total) * 100 : 0} label={`${f.name}: ${f.done} of ${f.total}`} />
                        <span className="small muted nowrap">
                          {f.done}/{f.total}
                        </span>
                      </span>
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card span-2" aria-labelledby="dash-recent">
            <div className="card-header">
              <h2 id="dash-recent">Recent activity</h2>
              <a href={hrefFor('activity')} className="small">
                The whole log →
              </a>
            </div>
            {d.recent.length === 0 ? (
              <p className="muted small">Nothing yet.</p>
            ) : (
              <ul className="recent-list">
                {d.recent.map((a) => (
                  <li key={a.id}>
                    <a href={activityHref(a)} className="recent-item" data-testid="recent-item">
                      <span className="recent-summary">{a.summary}</span>
                      <span className="muted small nowrap" title={formatTime(a.at)}>
                        {a.actor} · {formatRelative(a.at)}
                      </span>
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

function PauseControl({ appId }: { appId: string }) {
  const toggle = useAutomationToggle(appId);
  return (
    <p className="automation-control muted small">
      <span className="live-dot" aria-hidden="true" /> Automation is running.{' '}
      <button type="button" className="link-button" onClick={() => void toggle.run(true)} disabled={toggle.busy} data-testid="automation-pause">
        Pause it
      </button>
    </p>
  );
}
