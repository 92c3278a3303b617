import type { DayCount, StateCount, UsageDay } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { STATE_HINTS, STATE_LABELS } from '../work/states';

const ROW = 26;
const LABEL_W = 92;
const COUNT_W = 36;
const WIDTH = 520;

/** Goals per workflow state as horizontal bars; each bar opens the list filtered to that state. */
export function StateChart({ counts }: { counts: StateCount[] }) {
  const max = Math.max(1, ...counts.map((c) => c.count));
  const barW = WIDTH - LABEL_W - COUNT_W;
  const height = counts.length * ROW;
  return (
    <svg className="chart state-chart" viewBox={`0 0 ${WIDTH} ${height}`} role="list" aria-label="Goals by state" data-testid="state-chart">
      {counts.map((c, i) => {
        const y = i * ROW;
        const w = c.count ? Math.max(4, (c.count / max) * barW) : 0;
        return (
          <a
            key={c.state}
            href={hrefFor('goals', [], { status: c.state })}
            role="listitem"
            aria-label={`${STATE_LABELS[c.state]}: ${c.count}`}
            className="chart-link"
            data-testid={`state-bar-${c.state}`}
            data-count={c.count}
          >
            <title>{`${STATE_LABELS[c.state]}: ${c.count} — ${STATE_HINTS[c.state]}`}</title>
            <rect className="chart-hover" x={0} y={y} width={WIDTH} height={ROW} rx={6} />
            <text className="chart-label" x={8} y={y + ROW / 2} dominantBaseline="central">
              {STATE_LABELS[c.state]}
            </text>
            <rect className="chart-track" x={LABEL_W} y={y + 7} width={barW} height={ROW - 14} rx={4} />
            {w > 0 && <rect className={`chart-bar fill-${c.state}`} x={LABEL_W} y={y + 7} width={w} height={ROW - 14} rx={4} />}
            <text className="chart-count" x={WIDTH - 8} y={y + ROW / 2} dominantBaseline="central" textAnchor="end">
              {c.count}
            </text>
          </a>
        );
      })}
    </svg>
  );
}

const T_W = 520;
const T_H = 170;
const PAD_L = 28;
const PAD_B = 22;
const PAD_T = 12;

function dayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : String(d.getUTCDate());
}

/** Goals done per day (14 days) as columns with a trend line; each column opens the done list. */
export function ThroughputChart({ days }: { days: DayCount[] }) {
  const max = Math.max(1, ...days.map((d) => d.done));
  const plotW = T_W - PAD_L - 4;
  const plotH = T_H - PAD_B - PAD_T;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.min(24, slot * 0.62);
  const x = (i: number) => PAD_L + slot * i + slot / 2;
  const y = (v: number) => PAD_T + plotH - (v / max) * plotH;
  const total = days.reduce((s, d) => s + d.done, 0);
  return (
    <svg className="chart throughput-chart" viewBox={`0 0 ${T_W} ${T_H}`} role="img" aria-label={`${total} goals done in the last ${days.length} days`} data-testid="throughput-chart">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line className="chart-grid" x1={PAD_L} x2={T_W - 4} y1={y(max * f)} y2={y(max * f)} />
          <text className="chart-axis" x={PAD_L - 6} y={y(max * f)} textAnchor="end" dominantBaseline="central">
            {Number.isInteger(max * f) ? max * f : ''}
          </text>
        </g>
      ))}
      {days.map((d, i) => (
        <a key={d.day} href={hrefFor('goals', [], { status: 'done', sort: 'updated' })} className="chart-link" data-testid="throughput-day" data-day={d.day} data-done={d.done}>
          <title>{`${d.day}: ${d.done} done`}</title>
          <rect className="chart-hover" x={x(i) - slot / 2} y={PAD_T} width={slot} height={plotH} rx={4} />
          <rect className="chart-bar fill-done" x={x(i) - barW / 2} y={y(d.done)} width={barW} height={Math.max(0, PAD_T + plotH - y(d.done))} rx={3} />
          {(days.length - 1 - i) % 2 === 0 && (
            <text className="chart-axis" x={x(i)} y={T_H - 6} textAnchor="middle">
              {dayLabel(d.day)}
            </text>
          )}
        </a>
      ))}
    </svg>
  );
}

/** Agent tokens per day (14 days) as columns, split into input and output; hover shows cost. */
export function UsageChart({ days }: { days: UsageDay[] }) {
  const tokens = (d: UsageDay) => d.usage.inputTokens + d.usage.outputTokens;
  const max = Math.max(1, ...days.map(tokens));
  const plotW = T_W - PAD_L - 4;
  const plotH = T_H - PAD_B - PAD_T;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.min(24, slot * 0.62);
  const x = (i: number) => PAD_L + slot * i + slot / 2;
  const h = (v: number) => (v / max) * plotH;
  const total = days.reduce((s, d) => s + tokens(d), 0);
  const short = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(n));
  return (
    <svg className="chart usage-chart" viewBox={`0 0 ${T_W} ${T_H}`} role="img" aria-label={`${total} agent tokens in the last ${days.length} days`} data-testid="usage-chart">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line className="chart-grid" x1={PAD_L} x2={T_W - 4} y1={PAD_T + plotH - h(max * f)} y2={PAD_T + plotH - h(max * f)} />
          <text className="chart-axis" x={PAD_L - 6} y={PAD_T + plotH - h(max * f)} textAnchor="end" dominantBaseline="central">
            {f === 0 ? '0' : short(Math.round(max * f))}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const input = h(d.usage.inputTokens);
        const output = h(d.usage.outputTokens);
        const base = PAD_T + plotH;
        const cost = d.usage.costUsd;
        return (
          <g key={d.day} data-testid="usage-day" data-day={d.day} data-tokens={tokens(d)} data-cost={cost ?? ''}>
            <title>{`${d.day}: ${tokens(d).toLocaleString('en-US')} tokens (${d.usage.inputTokens.toLocaleString('en-US')} in, ${d.usage.outputTokens.toLocaleString('en-US')} out) in ${d.runs} run(s)${cost !== null ? `, $${cost.toFixed(4)}` : ''}`}</title>
            <rect className="chart-hover" x={x(i) - slot / 2} y={PAD_T} width={slot} height={plotH} rx={4} />
            <rect className="chart-bar fill-plan" x={x(i) - barW / 2} y={base - input} width={barW} height={input} rx={2} />
            <rect className="chart-bar fill-done" x={x(i) - barW / 2} y={base - input - output} width={barW} height={output} rx={2} />
            {(days.length - 1 - i) % 2 === 0 && (
              <text className="chart-axis" x={x(i)} y={T_H - 6} textAnchor="middle">
                {dayLabel(d.day)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
