import { Badge } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import type { Activity, App } from '../../gen/bindings';

export function ActivityTable({ items, fresh, apps }: { items: Activity[]; fresh: ReadonlySet<string>; apps: App[] }) {
  const appName = (id: string | null) => (id ? (apps.find((a) => a.id === id)?.name ?? null) : null);
  return (
    <div className="table-wrap card flush">
      <table className="table" data-testid="activity-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Surface</th>
            <th scope="col">Operation</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => {
            const app = appName(a.appId);
            return (
              <tr key={a.id} className={fresh.has(a.id) ? 'fresh' : undefined} data-testid="activity-row" data-operation={a.operation} data-surface={a.surface}>
                <td className="nowrap" title={formatRelative(a.at)}>
                  <time dateTime={a.at}>{formatTime(a.at)}</time>
                </td>
                <td>{a.actor}</td>
                <td>
                  <Badge tone={a.surface === 'browser' || a.surface === 'desktop' ? 'accent' : 'neutral'}>{a.surface}</Badge>
                </td>
                <td>
                  <code>{a.operation}</code>
                </td>
                <td className="summary">
                  {a.summary}
                  {app && !a.summary.includes(app) && <span className="muted small"> · {app}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
