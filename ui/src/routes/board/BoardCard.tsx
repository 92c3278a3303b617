import type { DragEvent } from 'react';
import { Icon } from '../../components/Icon';
import { Popover } from '../../components/Popover';
import type { Goal, WorkflowState } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { allowedTargets, isRunning, moveLabel } from '../work/states';
import { Labels, PriorityTag } from '../work/StatusBadge';

export const DRAG_TYPE = 'application/x-refine-goal';

interface Props {
  goal: Goal;
  blockedReason?: string;
  pending: boolean;
  onDragStart: (goal: Goal) => void;
  onDragEnd: () => void;
  onMove: (goal: Goal, to: WorkflowState) => void;
}

/** One Goal on the board: drag it to another column, or use "Move to…". */
export function BoardCard({ goal, blockedReason, pending, onDragStart, onDragEnd, onMove }: Props) {
  const dragStart = (e: DragEvent<HTMLElement>) => {
    e.dataTransfer.setData(DRAG_TYPE, goal.id);
    e.dataTransfer.setData('text/plain', `#${goal.number} ${goal.title}`);
    e.dataTransfer.effectAllowed = 'move';
    onDragStart(goal);
  };
  const targets = allowedTargets(goal.status);
  const classes = ['board-card'];
  if (pending) classes.push('pending');
  if (blockedReason) classes.push('blocked');
  if (isRunning(goal.status)) classes.push('running');

  return (
    <article
      className={classes.join(' ')}
      draggable={!pending}
      onDragStart={dragStart}
      onDragEnd={onDragEnd}
      data-testid="board-card"
      data-goal-id={goal.id}
      data-number={goal.number}
      data-status={goal.status}
      aria-busy={pending || undefined}
    >
      <div className="board-card-top">
        <span className="board-card-grip" aria-hidden="true">
          <Icon name="grip" size={14} />
        </span>
        <span className="mono muted small">#{goal.number}</span>
        <PriorityTag priority={goal.priority} hideZero />
        <span className="board-card-spacer" />
        {targets.length > 0 && (
          <Popover label={<Icon name="more" />} buttonClass="icon-button small" ariaLabel={`Move #${goal.number} to…`} title="Move to…" align="end" testId="card-move">
            {(close) => (
              <div role="menu" className="menu" aria-label="Move to">
                <div className="menu-heading">Move to…</div>
                {targets.map((to) => (
                  <button
                    key={to}
                    type="button"
                    role="menuitem"
                    className="menu-item"
                    onClick={() => {
                      close();
                      onMove(goal, to);
                    }}
                    data-testid="card-move-to"
                    data-to={to}
                  >
                    <span className={`state-dot state-${to}`} aria-hidden="true" />
                    {moveLabel(goal.status, to)}
                  </button>
                ))}
              </div>
            )}
          </Popover>
        )}
      </div>
      <a className="board-card-title" href={hrefFor('goals', [goal.id])} draggable={false}>
        {goal.title}
      </a>
      {(goal.featureName || goal.labels.length > 0 || goal.assignee) && (
        <div className="board-card-meta">
          {goal.featureName && (
            <span className="feature-chip" title={`Feature ${goal.featureName}, step ${(goal.position ?? 0) + 1}`}>
              <Icon name="features" size={12} />
              {goal.featureName}
              {goal.position !== null && <span className="muted">·{goal.position + 1}</span>}
            </span>
          )}
          <Labels labels={goal.labels} />
          {goal.assignee && (
            <span className="assignee" title={`Assignee: ${goal.assignee}`}>
              {goal.assignee.slice(0, 1).toUpperCase()}
            </span>
          )}
        </div>
      )}
      {blockedReason && (
        <p className="board-card-blocked" title={blockedReason} data-testid="card-blocked">
          <Icon name="lock" size={12} /> {blockedReason}
        </p>
      )}
    </article>
  );
}
