import { EmptyState } from '../../components/Feedback';
import { formatTime } from '../../components/format';
import { useElementWidth } from '../../components/useElementWidth';
import type { AppQueue, NodeInfo } from '../../gen/bindings';
import { ChartSvg } from '../performance/ChartSvg';
import { rowLayout } from '../performance/scales';
import { loadText } from './NodeCard';
import { ago } from './time';

const VALUE_W = 150;

/** What a node's bar says besides its load. */
function stateText(n: NodeInfo): string {
  if (n.health !== 'up') return n.health;
  return n.draining ? 'draining' : '';
}

/**
 * Load against capacity per node, on one scale: each node's track is as long as its capacity, so
 * a small node and a big one compare at a glance; the fill is the Goals it runs (amber while
 * draining, grey when it is down or cannot be told).
 */
export function LoadChart({ nodes }: { nodes: NodeInfo[] }) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const layout = rowLayout(width, VALUE_W);
  const max = Math.max(1, ...nodes.map((n) => Math.max(n.capacity, n.load)));
  const span = layout.barX1 - layout.barX0;
  const height = nodes.length * layout.rowHeight;
  return (
    <div ref={ref} className="chart-frame">
      {width > 0 && (
        <ChartSvg className="load-chart" width={width} height={height} role="list" aria-label="Load of each node against its capacity" data-testid="load-chart">
          {nodes.map((n, i) => {
            const track = (n.capacity / max) * span;
            const fill = n.load ? Math.max(3, (Math.min(n.load, max) / max) * span) : 0;
            const barY = layout.barY(i);
            const state = stateText(n);
            const value = loadText(n.load, n.capacity);
            const tone = n.health !== 'up' ? 'idle' : n.draining ? 'draining' : n.load > n.capacity ? 'over' : 'up';
            return (
              <g
                key={n.id}
                role="listitem"
                aria-label={`${n.name}: ${value}${state ? `, ${state}` : ''}`}
                className="chart-row"
                data-testid="load-row"
                data-name={n.name}
                data-load={n.load}
                data-capacity={n.capacity}
              >
                <title>{`${n.name}${n.isSelf ? ' (this node)' : ''} — runs ${n.load} Goal${n.load === 1 ? '' : 's'}, ${n.capacity} at once${state ? `; ${state}` : ''}`}</title>
                <rect className="chart-hover" x={0} y={layout.top(i)} width={width} height={layout.rowHeight} rx={6} />
                <text className="chart-label mono-label" x={8} y={layout.textY(i)} dominantBaseline="central">
                  {layout.fitLabel(n.name, value)}
                </text>
                <rect className="chart-track" x={layout.barX0} y={barY} width={Math.max(3, track)} height={layout.barHeight} rx={3} />
                {fill > 0 && <rect className={`chart-bar load-${tone}`} x={layout.barX0} y={barY} width={fill} height={layout.barHeight} rx={3} />}
                <text className="chart-value" x={layout.valueX} y={layout.textY(i)} dominantBaseline="central" textAnchor="end">
                  <tspan className="strong-value">{value}</tspan>
                  {state && <tspan className={`load-state-${n.health === 'up' ? 'draining' : n.health}`}> · {state}</tspan>}
                </text>
              </g>
            );
          })}
        </ChartSvg>
      )}
    </div>
  );
}

/** Each app's queue on this node: waiting in todo (and since when), being worked on, in review. */
export function QueueTable({ queues, now }: { queues: AppQueue[]; now: number }) {
  if (queues.length === 0) return <EmptyState title="No apps on this node" testId="queues-empty" />;
  return (
    <div className="table-wrap">
      <table className="table queue-table" data-testid="queues">
        <thead>
          <tr>
            <th>App</th>
            <th className="num">Waiting</th>
            <th>Oldest</th>
            <th className="num">Running</th>
            <th className="num">In review</th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.appId} data-testid="queue-row" data-app={q.appName} data-depth={q.depth} data-running={q.running} data-review={q.review}>
              <td className="queue-app">{q.appName}</td>
              <td className="num">{q.depth}</td>
              <td className="nowrap" title={q.oldest ? formatTime(q.oldest) : undefined}>
                {q.oldest ? ago(q.oldest, now) : <span className="muted">—</span>}
              </td>
              <td className="num">{q.running}</td>
              <td className="num">{q.review}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
