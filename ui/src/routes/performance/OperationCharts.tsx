import type { LatencyStats, OperationPerf } from '../../gen/bindings';
import { useElementWidth } from '../../components/useElementWidth';
import { ChartSvg } from './ChartSvg';
import { decades, formatLatency, logScale, rowLayout } from './scales';

/** Latency since the daemon started, or over the last 5 minutes. */
export type LatencyRange = 'total' | 'recent';

/** Stats with every percentile measured. */
type Measured = LatencyStats & { p50Ms: number; p90Ms: number; p99Ms: number };

function measured(stats: LatencyStats): stats is Measured {
  return stats.count > 0 && stats.p50Ms !== null && stats.p90Ms !== null && stats.p99Ms !== null;
}

/** The busiest operations of a range that have latencies in it, busiest first. */
export function busiestIn(operations: OperationPerf[], range: LatencyRange, limit: number): { operation: string; stats: Measured }[] {
  return operations
    .flatMap((o) => {
      const stats = o[range];
      return measured(stats) ? [{ operation: o.operation, stats }] : [];
    })
    .sort((a, b) => b.stats.count - a.stats.count || a.operation.localeCompare(b.operation))
    .slice(0, limit);
}

const AXIS_H = 22;
const LATENCY_VALUE_W = 196;
const plural = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;

/**
 * p50, p90 and p99 of each operation as nested bars on a log scale (latencies of one daemon
 * range from microseconds to seconds; a linear axis would show only the slowest).
 */
export function LatencyChart({ rows, range }: { rows: { operation: string; stats: Measured }[]; range: LatencyRange }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const layout = rowLayout(width, LATENCY_VALUE_W);
  const ticks = decades(Math.min(...rows.map((r) => r.stats.p50Ms)), Math.max(...rows.map((r) => r.stats.p99Ms)));
  const x = logScale(ticks[0], ticks[ticks.length - 1], layout.barX0, layout.barX1);
  const height = rows.length * layout.rowHeight + AXIS_H;
  const axisY = rows.length * layout.rowHeight;
  const labelEvery = (layout.barX1 - layout.barX0) / (ticks.length - 1) < 52 ? 2 : 1;
  const windowText = range === 'total' ? 'since start' : 'over the last 5 minutes';
  return (
    <div ref={ref} className="chart-frame">
      {width > 0 && (
        <ChartSvg
          className="latency-chart"
          width={width}
          height={height}
          role="list"
          aria-label={`Latency per operation ${windowText} (p50, p90, p99; log scale)`}
          data-testid="latency-chart"
          data-range={range}
        >
          {ticks.map((t, i) => (
            <g key={t}>
              <line className="chart-grid" x1={x(t)} x2={x(t)} y1={0} y2={axisY} />
              {i % labelEvery === 0 && (
                <text className="chart-axis" x={x(t)} y={axisY + 14} textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}>
                  {formatLatency(t)}
                </text>
              )}
            </g>
          ))}
          {rows.map(({ operation, stats }, i) => {
            const [p50, p90, p99] = [stats.p50Ms, stats.p90Ms, stats.p99Ms].map(formatLatency);
            const summary = `p50 ${p50}, p90 ${p90}, p99 ${p99}`;
            const barY = layout.barY(i);
            const bar = (value: number, className: string, inset: number) => (
              <rect className={`chart-bar ${className}`} x={layout.barX0} y={barY + inset} width={Math.max(3, x(value) - layout.barX0)} height={layout.barHeight - 2 * inset} rx={3} />
            );
            return (
              <g
                key={operation}
                role="listitem"
                aria-label={`${operation}: ${summary} (${plural(stats.count, 'call')})`}
                className="chart-row"
                data-testid="latency-row"
                data-operation={operation}
                data-count={stats.count}
                data-p50={stats.p50Ms}
                data-p99={stats.p99Ms}
              >
                <title>{`${operation} — ${summary}, max ${formatLatency(stats.maxMs ?? stats.p99Ms)}; ${plural(stats.count, 'call')} ${windowText}`}</title>
                <rect className="chart-hover" x={0} y={layout.top(i)} width={width} height={layout.rowHeight} rx={6} />
                <text className="chart-label mono-label" x={8} y={layout.textY(i)} dominantBaseline="central">
                  {layout.fitLabel(operation, `${p50} · ${p90} · ${p99}`)}
                </text>
                <rect className="chart-track" x={layout.barX0} y={barY} width={layout.barX1 - layout.barX0} height={layout.barHeight} rx={3} />
                {bar(stats.p99Ms, 'perf-p99', 0)}
                {bar(stats.p90Ms, 'perf-p90', 0)}
                {bar(stats.p50Ms, 'perf-p50', 2)}
                <text className="chart-value" x={layout.valueX} y={layout.textY(i)} dominantBaseline="central" textAnchor="end">
                  <tspan className="muted-value">
                    {p50} · {p90} ·{' '}
                  </tspan>
                  <tspan className="strong-value">{p99}</tspan>
                </text>
              </g>
            );
          })}
        </ChartSvg>
      )}
    </div>
  );
}

const BUSY_VALUE_W = 150;

function errorsOf(o: OperationPerf): number {
  return o.errors.reduce((sum, e) => sum + e.count, 0);
}

/** Calls per operation since start as bars; the part that failed is red, with its codes on hover. */
export function BusiestChart({ operations }: { operations: OperationPerf[] }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const layout = rowLayout(width, BUSY_VALUE_W);
  const max = Math.max(1, ...operations.map((o) => o.total.count));
  const span = layout.barX1 - layout.barX0;
  const height = operations.length * layout.rowHeight;
  return (
    <div ref={ref} className="chart-frame">
      {width > 0 && (
        <ChartSvg
          className="busiest-chart"
          width={width}
          height={height}
          role="list"
          aria-label="Busiest operations by calls since start, with errors"
          data-testid="busiest-chart"
        >
          {operations.map((o, i) => {
            const calls = o.total.count;
            const errors = Math.min(calls, errorsOf(o));
            const w = calls ? Math.max(3, (calls / max) * span) : 0;
            const errW = errors ? Math.max(3, (errors / calls) * w) : 0;
            const codes = o.errors.map((e) => `${e.code} × ${e.count}`).join(', ');
            const barY = layout.barY(i);
            return (
              <g
                key={o.operation}
                role="listitem"
                aria-label={`${o.operation}: ${plural(calls, 'call')}${errors ? `, ${plural(errors, 'error')} (${codes})` : ''}`}
                className={errors ? 'chart-row has-errors' : 'chart-row'}
                data-testid="busy-row"
                data-operation={o.operation}
                data-calls={calls}
                data-errors={errors}
              >
                <title>{`${o.operation} — ${plural(calls, 'call')} since start${errors ? `; failed: ${codes}` : ''}`}</title>
                <rect className="chart-hover" x={0} y={layout.top(i)} width={width} height={layout.rowHeight} rx={6} />
                <text className="chart-label mono-label" x={8} y={layout.textY(i)} dominantBaseline="central">
                  {layout.fitLabel(o.operation, errors ? `${calls} · ${plural(errors, 'error')}` : String(calls))}
                </text>
                <rect className="chart-track" x={layout.barX0} y={barY} width={span} height={layout.barHeight} rx={3} />
                {w > 0 && <rect className="chart-bar perf-calls" x={layout.barX0} y={barY} width={w} height={layout.barHeight} rx={3} />}
                {errW > 0 && <rect className="chart-bar perf-errors" data-testid="busy-errors" x={layout.barX0 + w - errW} y={barY} width={errW} height={layout.barHeight} rx={3} />}
                <text className="chart-value" x={layout.valueX} y={layout.textY(i)} dominantBaseline="central" textAnchor="end">
                  <tspan className="strong-value">{calls.toLocaleString('en-US')}</tspan>
                  {errors > 0 && <tspan className="error-value"> · {plural(errors, 'error')}</tspan>}
                </text>
              </g>
            );
          })}
        </ChartSvg>
      )}
    </div>
  );
}
