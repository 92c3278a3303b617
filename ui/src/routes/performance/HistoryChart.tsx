import { useState, type PointerEvent } from 'react';
import type { ResourceSample } from '../../gen/bindings';
import { formatBytes } from '../../components/format';
import { useElementWidth } from '../../components/useElementWidth';
import { ChartSvg } from './ChartSvg';
import { formatPercent, niceCeil, niceCeilBytes } from './scales';

export type ResourceMetric = 'rss' | 'cpu';

const METRICS = {
  rss: {
    title: 'Memory',
    daemon: (s: ResourceSample) => s.daemonRssBytes,
    children: (s: ResourceSample) => s.childrenRssBytes,
    format: formatBytes,
    top: (max: number) => niceCeilBytes(max * 1.05),
    padLeft: 62,
  },
  cpu: {
    title: 'CPU',
    daemon: (s: ResourceSample) => s.daemonCpuPercent,
    children: (s: ResourceSample) => s.childrenCpuPercent,
    format: formatPercent,
    // A quiet daemon at 0.2 % should look quiet, not fill the chart.
    top: (max: number) => niceCeil(Math.max(5, max * 1.05)),
    padLeft: 46,
  },
} as const;

const HEIGHT = 190;
const PAD_T = 10;
const PAD_B = 24;
const PAD_R = 10;
const HOUR_MS = 3600_000;

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const clockSeconds = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

interface Point {
  t: number;
  daemon: number;
  children: number;
}

function pointsOf(samples: ResourceSample[], metric: ResourceMetric): Point[] {
  const m = METRICS[metric];
  const points = samples.flatMap((s) => {
    const t = Date.parse(s.at);
    return Number.isNaN(t) ? [] : [{ t, daemon: m.daemon(s) ?? 0, children: m.children(s) ?? 0 }];
  });
  const last = points.length ? points[points.length - 1].t : 0;
  return points.filter((p) => p.t >= last - HOUR_MS);
}

function linePath(points: Point[], x: (t: number) => number, y: (v: number) => number, value: (p: Point) => number): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(value(p)).toFixed(1)}`).join('');
}

/** The band between `lower` and `upper`, left to right along the top, back along the bottom. */
function areaPath(points: Point[], x: (t: number) => number, y: (v: number) => number, lower: (p: Point) => number, upper: (p: Point) => number): string {
  if (!points.length) return '';
  const top = linePath(points, x, y, upper);
  const back = [...points].reverse().map((p) => `L${x(p.t).toFixed(1)},${y(lower(p)).toFixed(1)}`).join('');
  return `${top}${back}Z`;
}

/** Samples may lack a value on a platform that cannot measure it. */
function measuredIn(samples: ResourceSample[], metric: ResourceMetric): boolean {
  const m = METRICS[metric];
  return samples.some((s) => m.daemon(s) !== null || m.children(s) !== null);
}

/**
 * The daemon's and its children's memory or CPU over the last hour (one sample every 10 s),
 * stacked: the daemon at the bottom, its children on top, so the top line is the total.
 */
export function HistoryChart({ samples, metric }: { samples: ResourceSample[]; metric: ResourceMetric }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);
  const m = METRICS[metric];
  const points = pointsOf(samples, metric);
  const measuredAny = measuredIn(samples, metric);
  const last = points[points.length - 1];
  const t1 = last?.t ?? 0;
  const t0 = points.length > 1 && points[0].t < t1 ? points[0].t : t1 - 10_000;
  const plotL = m.padLeft;
  const plotR = width - PAD_R;
  const plotB = HEIGHT - PAD_B;
  const top = m.top(Math.max(0, ...points.map((p) => p.daemon + p.children)));
  const x = (t: number) => plotL + ((t - t0) / (t1 - t0)) * (plotR - plotL);
  const y = (v: number) => plotB - (v / top) * (plotB - PAD_T);
  const tickCount = Math.max(2, Math.min(6, Math.floor((plotR - plotL) / 110)));
  const timeTicks = Array.from({ length: tickCount }, (_, i) => t0 + ((t1 - t0) * i) / (tickCount - 1));
  const timeFormat = t1 - t0 < 5 * 60_000 ? clockSeconds : clock;
  const peak = (value: (p: Point) => number) => Math.max(0, ...points.map(value));
  const label = last
    ? `${m.title} over the last ${points.length > 1 ? `${Math.max(1, Math.round((t1 - t0) / 60_000))} min` : 'sample'}: daemon ${m.format(last.daemon)} (peak ${m.format(peak((p) => p.daemon))}), children ${m.format(last.children)} (peak ${m.format(peak((p) => p.children))})`
    : `${m.title}: no samples yet`;

  const onMove = (event: PointerEvent<SVGSVGElement>) => {
    if (points.length === 0) return;
    const box = event.currentTarget.getBoundingClientRect();
    const t = t0 + ((event.clientX - box.left - plotL) / (plotR - plotL)) * (t1 - t0);
    let nearest = 0;
    for (let i = 1; i < points.length; i++) if (Math.abs(points[i].t - t) < Math.abs(points[nearest].t - t)) nearest = i;
    setHover(nearest);
  };
  const shown = hover !== null && hover < points.length ? points[hover] : null;

  return (
    <div ref={ref} className="chart-frame history-frame">
      {width > 0 && (
        <ChartSvg
          className="history-chart"
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={label}
          data-testid={`history-${metric}`}
          data-samples={points.length}
          onPointerMove={onMove}
          onPointerLeave={() => setHover(null)}
        >
          {[0, 0.5, 1].map((f) => (
            <g key={f}>
              <line className="chart-grid" x1={plotL} x2={plotR} y1={y(top * f)} y2={y(top * f)} />
              <text className="chart-axis" x={plotL - 6} y={y(top * f)} textAnchor="end" dominantBaseline="central">
                {f === 0 ? '0' : m.format(top * f)}
              </text>
            </g>
          ))}
          {points.length > 0 &&
            timeTicks.map((t, i) => (
              <text key={i} className="chart-axis" x={x(t)} y={HEIGHT - 6} textAnchor={i === 0 ? 'start' : i === timeTicks.length - 1 ? 'end' : 'middle'}>
                {timeFormat.format(t)}
              </text>
            ))}
          {points.length > 0 && (
            <>
              <path className="perf-area perf-area-daemon" d={areaPath(points, x, y, () => 0, (p) => p.daemon)} />
              <path className="perf-area perf-area-children" d={areaPath(points, x, y, (p) => p.daemon, (p) => p.daemon + p.children)} />
              <path className="perf-line perf-line-daemon" d={linePath(points, x, y, (p) => p.daemon)} data-testid={`history-${metric}-daemon`} />
              <path className="perf-line perf-line-children" d={linePath(points, x, y, (p) => p.daemon + p.children)} data-testid={`history-${metric}-total`} />
              <circle className="perf-dot perf-dot-daemon" cx={x(t1)} cy={y(last.daemon)} r={3} />
              <circle className="perf-dot perf-dot-children" cx={x(t1)} cy={y(last.daemon + last.children)} r={3} />
            </>
          )}
          {shown && <line className="perf-crosshair" x1={x(shown.t)} x2={x(shown.t)} y1={PAD_T} y2={plotB} />}
          {!measuredAny && (
            <text className="chart-axis" x={(plotL + plotR) / 2} y={(PAD_T + plotB) / 2} textAnchor="middle">
              {points.length ? 'Not measured on this platform' : 'The first sample comes within 10 s'}
            </text>
          )}
        </ChartSvg>
      )}
      {shown && (
        <div
          className={x(shown.t) > width / 2 ? 'perf-tooltip to-left' : 'perf-tooltip'}
          style={{ left: x(shown.t) }}
          role="status"
          data-testid={`history-${metric}-tooltip`}
        >
          <strong>{clockSeconds.format(shown.t)}</strong>
          <span>
            <i className="legend-swatch perf-daemon" /> daemon {m.format(shown.daemon)}
          </span>
          <span>
            <i className="legend-swatch perf-children" /> children {m.format(shown.children)}
          </span>
        </div>
      )}
    </div>
  );
}

/** The latest values as a legend for the chart's header. */
export function HistoryLegend({ samples, metric }: { samples: ResourceSample[]; metric: ResourceMetric }) {
  const m = METRICS[metric];
  const last = samples[samples.length - 1];
  const value = (v: number | null | undefined) => (v === null || v === undefined ? '—' : m.format(v));
  return (
    <span className="legend small">
      <span className="legend-swatch perf-daemon" /> daemon {value(last && m.daemon(last))}
      <span className="legend-swatch perf-children" /> children {value(last && m.children(last))}
    </span>
  );
}
