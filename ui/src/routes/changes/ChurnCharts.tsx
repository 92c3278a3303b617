import type { DayChurn, FileChurn } from '../../gen/bindings';
import { hrefFor } from '../../state/router';

const W = 1000;
const H = 220;
const PAD_L = 40;
const PAD_B = 22;
const PAD_T = 10;

function dayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : `${d.getUTCDate()}`;
}

/** Lines added and removed per day as stacked bars (added above removed). */
export function ChurnDaysChart({ days }: { days: DayChurn[] }) {
  const max = Math.max(1, ...days.map((d) => d.added + d.removed));
  const plotW = W - PAD_L - 4;
  const plotH = H - PAD_B - PAD_T;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.max(2, Math.min(22, slot * 0.7));
  const x = (i: number) => PAD_L + slot * i + (slot - barW) / 2;
  const h = (v: number) => (v / max) * plotH;
  const labelEvery = Math.ceil(days.length / 15);
  const total = days.reduce((s, d) => ({ added: s.added + d.added, removed: s.removed + d.removed }), { added: 0, removed: 0 });
  return (
    <svg className="chart churn-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${total.added} lines added and ${total.removed} removed in ${days.length} days`} data-testid="churn-days-chart">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line className="chart-grid" x1={PAD_L} x2={W - 4} y1={PAD_T + plotH - f * plotH} y2={PAD_T + plotH - f * plotH} />
          <text className="chart-axis" x={PAD_L - 6} y={PAD_T + plotH - f * plotH} textAnchor="end" dominantBaseline="central">
            {Math.round(max * f)}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const removedH = h(d.removed);
        const addedH = h(d.added);
        const base = PAD_T + plotH;
        return (
          <g key={d.day} data-testid="churn-day" data-day={d.day} data-added={d.added} data-removed={d.removed}>
            <title>{`${d.day}: +${d.added} −${d.removed} in ${d.commits} commit${d.commits === 1 ? '' : 's'}`}</title>
            <rect className="chart-hover" x={PAD_L + slot * i} y={PAD_T} width={slot} height={plotH} />
            {removedH > 0 && <rect className="chart-bar churn-removed" x={x(i)} y={base - removedH} width={barW} height={removedH} rx={2} />}
            {addedH > 0 && <rect className="chart-bar churn-added" x={x(i)} y={base - removedH - addedH} width={barW} height={addedH} rx={2} />}
            {i % labelEvery === 0 && (
              <text className="chart-axis" x={x(i) + barW / 2} y={H - 6} textAnchor="middle">
                {dayLabel(d.day)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

const ROW = 24;
const LABEL_W = 380;
const COUNT_W = 110;

/** Git's numstat spells a rename `src/{a.js => b.js}`; the file is now at the new path. */
export function currentPath(path: string): string {
  return path.replace(/\{([^{}]*) => ([^{}]*)\}/g, '$2').replace(/\/\/+/g, '/').replace(/^\//, '');
}

/** The most-changed files as horizontal bars (added and removed side by side); each opens the file. */
export function ChurnFilesChart({ files }: { files: FileChurn[] }) {
  const max = Math.max(1, ...files.map((f) => f.added + f.removed));
  const barW = W - LABEL_W - COUNT_W;
  return (
    <svg className="chart churn-files-chart" viewBox={`0 0 ${W} ${Math.max(ROW, files.length * ROW)}`} role="list" aria-label="Most-changed files" data-testid="churn-files-chart">
      {files.map((f, i) => {
        const y = i * ROW;
        const aw = (f.added / max) * barW;
        const rw = (f.removed / max) * barW;
        const label = f.path.length > 52 ? `…${f.path.slice(-51)}` : f.path;
        return (
          <a key={f.path} href={hrefFor('files', [], { path: currentPath(f.path) })} role="listitem" className="chart-link" data-testid="churn-file" data-path={f.path}>
            <title>{`${f.path}: +${f.added} −${f.removed} in ${f.commits} commit${f.commits === 1 ? '' : 's'}`}</title>
            <rect className="chart-hover" x={0} y={y} width={W} height={ROW} rx={6} />
            <text className="chart-label mono-label" x={8} y={y + ROW / 2} dominantBaseline="central">
              {label}
            </text>
            <rect className="chart-track" x={LABEL_W} y={y + 7} width={barW} height={ROW - 14} rx={3} />
            {aw > 0 && <rect className="chart-bar churn-added" x={LABEL_W} y={y + 7} width={Math.max(2, aw)} height={ROW - 14} rx={3} />}
            {rw > 0 && <rect className="chart-bar churn-removed" x={LABEL_W + aw} y={y + 7} width={Math.max(2, rw)} height={ROW - 14} rx={3} />}
            <text className="chart-count" x={W - 8} y={y + ROW / 2} dominantBaseline="central" textAnchor="end">
              +{f.added} −{f.removed}
            </text>
          </a>
        );
      })}
    </svg>
  );
}
