import { Badge } from '../../components/Feedback';
import { formatBytes } from '../../components/format';
import type { ProcessUsage } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { formatPercent } from './scales';

const KIND_TONE: Record<string, 'neutral' | 'accent' | 'success' | 'warning'> = {
  daemon: 'accent',
  agent: 'success',
  check: 'warning',
};

/** Kinds backed by a process record, which the Processes page shows. */
const RECORDED = new Set(['agent', 'check', 'process']);

/** The daemon and each child it supervises, with what they use now. */
export function ProcessTable({ processes }: { processes: ProcessUsage[] }) {
  const maxRss = Math.max(1, ...processes.map((p) => p.rssBytes ?? 0));
  return (
    <div className="table-wrap">
      <table className="table perf-processes" data-testid="perf-processes">
        <thead>
          <tr>
            <th>Kind</th>
            <th className="num">PID</th>
            <th className="num col-processes" title="The child and what it started">
              Processes
            </th>
            <th className="num">CPU</th>
            <th>Memory</th>
            <th>Label</th>
          </tr>
        </thead>
        <tbody>
          {processes.map((p) => (
            <tr key={`${p.kind}-${p.id}`} data-testid="perf-process" data-kind={p.kind} data-id={p.id} data-pid={p.pid}>
              <td>
                <Badge tone={KIND_TONE[p.kind] ?? 'neutral'}>{p.kind}</Badge>
              </td>
              <td className="num mono">{p.pid}</td>
              <td className="num col-processes">{p.processes}</td>
              <td className="num nowrap">{p.cpuPercent === null ? '—' : formatPercent(p.cpuPercent)}</td>
              <td className="nowrap">
                {p.rssBytes === null ? (
                  '—'
                ) : (
                  <span className="perf-meter-cell">
                    <span className="perf-meter" aria-hidden="true">
                      <span style={{ width: `${Math.max(2, (p.rssBytes / maxRss) * 100)}%` }} />
                    </span>
                    {formatBytes(p.rssBytes)}
                  </span>
                )}
              </td>
              <td className="perf-label">{RECORDED.has(p.kind) ? <a href={hrefFor('processes', [p.id])}>{p.label}</a> : p.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
