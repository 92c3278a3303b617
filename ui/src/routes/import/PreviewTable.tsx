import { Badge } from '../../components/Feedback';
import type { DraftAction, ImportPreview } from '../../gen/bindings';
import { StatusBadge } from '../work/StatusBadge';
import { Labels, PriorityTag } from '../work/StatusBadge';

const ACTION_TONE: Record<DraftAction, 'success' | 'accent' | 'neutral'> = { create: 'success', update: 'accent', unchanged: 'neutral' };

type Row = { kind: 'goal'; row: number; index: number } | { kind: 'error'; row: number; message: string };

/** Every source row: what the import would do with it, or why it cannot. */
export function PreviewTable({ preview }: { preview: ImportPreview }) {
  const rows: Row[] = [
    ...preview.goals.map((g, index) => ({ kind: 'goal' as const, row: g.row, index })),
    ...preview.errors.map((e) => ({ kind: 'error' as const, row: e.row, message: e.message })),
  ].sort((a, b) => a.row - b.row);
  return (
    <div className="table-wrap card flush">
      <table className="table preview-table" data-testid="import-preview-table">
        <thead>
          <tr>
            <th scope="col">Row</th>
            <th scope="col">Action</th>
            <th scope="col">Title</th>
            <th scope="col">Feature</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Labels</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            if (r.kind === 'error') {
              return (
                <tr key={`e${r.row}-${r.message}`} className="row-error" data-testid="import-row-error" data-row={r.row}>
                  <td className="mono">{r.row}</td>
                  <td>
                    <Badge tone="danger">error</Badge>
                  </td>
                  <td colSpan={5} className="row-error-message">
                    {r.message}
                  </td>
                </tr>
              );
            }
            const g = preview.goals[r.index];
            return (
              <tr key={`g${r.row}-${r.index}`} data-testid="import-row" data-row={g.row} data-action={g.action}>
                <td className="mono muted">{g.row}</td>
                <td>
                  <Badge tone={ACTION_TONE[g.action]}>{g.action}</Badge>
                </td>
                <td>
                  <div className="preview-title">{g.title}</div>
                  {g.prompt && <div className="preview-prompt muted small">{g.prompt}</div>}
                </td>
                <td>{g.feature ?? <span className="muted">—</span>}</td>
                <td>
                  <StatusBadge status={g.status} />
                </td>
                <td>
                  <PriorityTag priority={g.priority} />
                </td>
                <td>
                  <Labels labels={g.labels} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
