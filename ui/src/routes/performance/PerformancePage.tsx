import { useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatBytes, formatDuration, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { StatCard } from '../../components/StatCard';
import type { PerformanceSummary } from '../../gen/bindings';
import { replaceQuery, useRoute } from '../../state/router';
import { HistoryChart, HistoryLegend } from './HistoryChart';
import { BusiestChart, busiestIn, LatencyChart, type LatencyRange } from './OperationCharts';
import { ProcessTable } from './ProcessTable';
import { formatPercent } from './scales';

/**
 * No event announces these numbers, so the page asks every 5 s while it is shown (TanStack
 * Query skips the interval while the browser tab is hidden).
 */
const POLL_MS = 5000;
const TOP = 12;

/** `#/performance?range=recent`: how the daemon is doing. */
export function PerformancePage() {
  const summary = useQuery('performance.summary', {}, { pollMs: POLL_MS });
  const d = summary.data;
  return (
    <Page
      title="Performance"
      subtitle="Latency of each operation, memory and CPU over the last hour, and what keeps the daemon busy. Refreshed every 5 s while shown."
      testId="page-performance"
      actions={
        <>
          {d && (
            <span className="muted small perf-updated" data-testid="perf-updated" title={formatTime(d.at)}>
              <span className="live-dot" aria-hidden="true" /> updated {new Date(d.at).toLocaleTimeString()}
            </span>
          )}
          <button type="button" className="button" onClick={summary.reload} data-testid="perf-refresh">
            <Icon name="refresh" /> Refresh
          </button>
        </>
      }
    >
      {summary.error && <Banner tone="error">{summary.error.message}</Banner>}
      {d ? <Summary d={d} /> : !summary.error && <Spinner />}
    </Page>
  );
}

function Summary({ d }: { d: PerformanceSummary }) {
  const { query } = useRoute();
  const range: LatencyRange = query.get('range') === 'recent' ? 'recent' : 'total';
  const latencyRows = busiestIn(d.operations, range, TOP);
  const busiest = [...d.operations].sort((a, b) => b.total.count - a.total.count || a.operation.localeCompare(b.operation)).slice(0, TOP);
  const daemon = d.processes.find((p) => p.kind === 'daemon');
  const children = d.processes.filter((p) => p.kind !== 'daemon');
  const errors = d.operations.reduce((n, o) => n + o.errors.reduce((m, e) => m + e.count, 0), 0);
  const calls = d.operations.reduce((n, o) => n + o.total.count, 0);

  return (
    <div className="stack perf-stack" data-testid="performance">
      <div className="perf-stats">
        <StatCard label="Daemon" value={daemon?.rssBytes == null ? '—' : formatBytes(daemon.rssBytes)} testId="stat-daemon">
          CPU {daemon?.cpuPercent == null ? '—' : formatPercent(daemon.cpuPercent)} · up {formatDuration(d.uptimeSeconds)}
        </StatCard>
        <StatCard label="Connections" value={d.connections.sse + d.connections.websocket} testId="stat-connections">
          {d.connections.sse} event stream{d.connections.sse === 1 ? '' : 's'} · {d.connections.websocket} terminal{d.connections.websocket === 1 ? '' : 's'}
        </StatCard>
        <StatCard label="Event bus" value={d.bus.subscribers} unit={d.bus.subscribers === 1 ? 'subscriber' : 'subscribers'} testId="stat-bus" tone={d.bus.lag > 0 || (d.bus.missed ?? 0) > 0 ? 'warn' : undefined}>
          lag {d.bus.lag} · missed {d.bus.missed ?? '—'}
          {d.bus.published !== null && ` · ${d.bus.published.toLocaleString('en-US')} published`}
        </StatCard>
        <StatCard label="Database" value={d.database.bytes === null ? '—' : formatBytes(d.database.bytes)} testId="stat-database">
          WAL {d.database.walBytes === null ? '—' : formatBytes(d.database.walBytes)}
        </StatCard>
        <StatCard label="Runner queue" value={d.queue.waiting} unit="waiting" testId="stat-queue">
          {d.queue.running} being worked on
        </StatCard>
      </div>

      <div className="perf-grid">
        <section className="card" aria-labelledby="perf-rss-title">
          <div className="card-header">
            <h2 id="perf-rss-title">Memory (RSS)</h2>
            <HistoryLegend samples={d.history} metric="rss" />
          </div>
          <HistoryChart samples={d.history} metric="rss" />
        </section>
        <section className="card" aria-labelledby="perf-cpu-title">
          <div className="card-header">
            <h2 id="perf-cpu-title">CPU</h2>
            <span className="muted small">100 % = one core</span>
            <HistoryLegend samples={d.history} metric="cpu" />
          </div>
          <HistoryChart samples={d.history} metric="cpu" />
        </section>
      </div>

      <section className="card" aria-labelledby="perf-latency-title" data-testid="latency-card">
        <div className="card-header">
          <h2 id="perf-latency-title">Latency per operation</h2>
          <span className="legend small">
            <span className="legend-swatch perf-p50" /> p50 <span className="legend-swatch perf-p90" /> p90 <span className="legend-swatch perf-p99" /> p99
          </span>
          <span className="muted small">log scale · the {TOP} busiest</span>
          <div className="segmented compact perf-range" role="radiogroup" aria-label="Latency range">
            {(['total', 'recent'] as const).map((w) => (
              <button
                key={w}
                type="button"
                role="radio"
                aria-checked={range === w}
                className={range === w ? 'segment active' : 'segment'}
                onClick={() => replaceQuery({ range: w === 'recent' ? 'recent' : null })}
                data-testid={`latency-range-${w}`}
              >
                {w === 'total' ? 'Since start' : 'Last 5 min'}
              </button>
            ))}
          </div>
        </div>
        {latencyRows.length ? (
          <LatencyChart rows={latencyRows} range={range} />
        ) : (
          <EmptyState title={range === 'recent' ? 'No calls in the last 5 minutes' : 'No calls yet'} testId="latency-empty" />
        )}
      </section>

      <section className="card" aria-labelledby="perf-busiest-title" data-testid="busiest-card">
        <div className="card-header">
          <h2 id="perf-busiest-title">Busiest operations</h2>
          <span className="legend small">
            <span className="legend-swatch perf-calls" /> calls <span className="legend-swatch perf-errors" /> errors
          </span>
          <span className="muted small">
            {calls.toLocaleString('en-US')} calls, {errors.toLocaleString('en-US')} failed, since start
            {d.operations.length > TOP && ` · ${d.operations.length - TOP} more operations not shown`}
          </span>
        </div>
        {busiest.length ? <BusiestChart operations={busiest} /> : <EmptyState title="No calls yet" />}
      </section>

      <section className="card flush" aria-labelledby="perf-processes-title">
        <div className="card-header padded">
          <h2 id="perf-processes-title">Processes</h2>
          <span className="muted small">
            the daemon and {children.length} child{children.length === 1 ? '' : 'ren'} (agents, checks, processes, terminals)
          </span>
        </div>
        <ProcessTable processes={d.processes} />
      </section>
    </div>
  );
}
