import type { FeatureStatus, WorkflowState } from '../../gen/bindings';
import { STATE_HINTS, STATE_LABELS } from './states';

/** A Goal's workflow state as a coloured pill. */
export function StatusBadge({ status, testId }: { status: WorkflowState; testId?: string }) {
  return (
    <span className={`state-badge state-${status}`} title={STATE_HINTS[status]} data-testid={testId} data-status={status}>
      <span className="state-dot" aria-hidden="true" />
      {STATE_LABELS[status]}
    </span>
  );
}

const FEATURE_LABELS: Record<FeatureStatus, string> = {
  empty: 'Empty',
  todo: 'Not started',
  in_progress: 'In progress',
  blocked: 'Blocked',
  done: 'Done',
  cancelled: 'Cancelled',
};

const FEATURE_STATE: Record<FeatureStatus, string> = {
  empty: 'backlog',
  todo: 'todo',
  in_progress: 'implement',
  blocked: 'failed',
  done: 'done',
  cancelled: 'cancelled',
};

/** A Feature's derived status. */
export function FeatureStatusBadge({ status, testId }: { status: FeatureStatus; testId?: string }) {
  return (
    <span className={`state-badge state-${FEATURE_STATE[status]}`} data-testid={testId} data-status={status}>
      <span className="state-dot" aria-hidden="true" />
      {FEATURE_LABELS[status]}
    </span>
  );
}

export function PriorityTag({ priority, hideZero = false }: { priority: number; hideZero?: boolean }) {
  if (priority === 0) return hideZero ? null : <span className="muted small">0</span>;
  return (
    <span className={priority > 0 ? 'priority priority-up' : 'priority priority-down'} title={`Priority ${priority}`}>
      {priority > 0 ? `↑${priority}` : `↓${-priority}`}
    </span>
  );
}

export function Labels({ labels }: { labels: string[] }) {
  if (!labels.length) return null;
  return (
    <span className="labels">
      {labels.map((l) => (
        <span key={l} className="label-chip">
          {l}
        </span>
      ))}
    </span>
  );
}
