import { memo } from 'react';
import { formatRelative, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import type { Goal } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { Labels, PriorityTag, StatusBadge } from '../work/StatusBadge';

interface Props {
  goals: Goal[];
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onToggleAll: (all: boolean) => void;
  deletedView: boolean;
  onRestore: (goal: Goal) => void;
  restoring: ReadonlySet<string>;
}

export function GoalsTable({ goals, selected, onToggle, onToggleAll, deletedView, onRestore, restoring }: Props) {
  const allSelected = goals.length > 0 && goals.every((g) => selected.has(g.id));
  const someSelected = !allSelected && goals.some((g) => selected.has(g.id));
  return (
    <div className="table-wrap card flush">
      <table className="table goals-table" data-testid="goals-table">
        <thead>
          <tr>
            <th scope="col" className="col-check">
              {!deletedView && (
                <input
                  type="checkbox"
                  aria-label="Select all listed goals"
                  checked={allSelected}
                  ref={(el) => {
                    if (el) el.indeterminate = someSelected;
                  }}
                  onChange={(e) => onToggleAll(e.target.checked)}
                  data-testid="select-all"
                />
              )}
            </th>
            <th scope="col" className="col-num">
              #
            </th>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
            <th scope="col" className="col-prio">
              Priority
            </th>
            <th scope="col">Feature</th>
            <th scope="col">Labels</th>
            <th scope="col">Assignee</th>
            <th scope="col">{deletedView ? 'Deleted' : 'Updated'}</th>
            {deletedView && <th scope="col" aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {goals.map((g) => (
            <GoalRow key={g.id} goal={g} selected={selected.has(g.id)} onToggle={onToggle} deletedView={deletedView} onRestore={onRestore} restoring={restoring.has(g.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  goal: Goal;
  selected: boolean;
  onToggle: (id: string) => void;
  deletedView: boolean;
  onRestore: (goal: Goal) => void;
  restoring: boolean;
}

/** One row; kept as it is while the list around it changes (a filter, a selection, more rows). */
const GoalRow = memo(function GoalRow({ goal: g, selected, onToggle, deletedView, onRestore, restoring }: RowProps) {
  return (
    <tr className={selected ? 'selected' : undefined} data-testid="goal-row" data-goal-id={g.id} data-number={g.number} data-status={g.status}>
      <td className="col-check">
        {!deletedView && <input type="checkbox" aria-label={`Select #${g.number}`} checked={selected} onChange={() => onToggle(g.id)} data-testid="goal-select" />}
      </td>
      <td className="col-num mono muted">#{g.number}</td>
      <td className="col-title">
        <a href={hrefFor('goals', [g.id])} data-testid="goal-link">
          {g.title}
        </a>
        {g.reporterName && <span className="muted small"> · {g.reporterName}</span>}
      </td>
      <td>
        <StatusBadge status={g.status} />
      </td>
      <td className="col-prio">
        <PriorityTag priority={g.priority} />
      </td>
      <td className="col-feature">
        {g.featureId ? (
          <a href={hrefFor('features', [g.featureId])} className="feature-link">
            {g.featureName}
            {g.position !== null && <span className="muted"> · {g.position + 1}</span>}
          </a>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <Labels labels={g.labels} />
      </td>
      <td>{g.assignee ?? <span className="muted">—</span>}</td>
      <td className="nowrap muted small" title={formatTime(g.deletedAt ?? g.updatedAt)}>
        {formatRelative(g.deletedAt ?? g.updatedAt)}
      </td>
      {deletedView && (
        <td className="nowrap">
          <button type="button" className="button small" onClick={() => onRestore(g)} disabled={restoring} data-testid="goal-restore">
            <Icon name="restore" /> {restoring ? 'Restoring…' : 'Restore'}
          </button>
        </td>
      )}
    </tr>
  );
});
