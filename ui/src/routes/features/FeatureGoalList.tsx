import { useState, type DragEvent } from 'react';
import { Icon } from '../../components/Icon';
import type { Goal } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { StatusBadge } from '../work/StatusBadge';
import { reorder, shift } from '../work/order';

const DRAG_TYPE = 'application/x-refine-feature-goal';

interface Props {
  goals: Goal[];
  blocked: ReadonlyMap<string, string>;
  busy: boolean;
  onReorder: (ids: string[]) => void;
  onRemove: (goal: Goal) => void;
}

/** The Feature's goals in order: drag a row (or use the arrows) to change the order. */
export function FeatureGoalList({ goals, blocked, busy, onReorder, onRemove }: Props) {
  const [dragging, setDragging] = useState<string | null>(null);
  const [drop, setDrop] = useState<{ id: string; place: 'before' | 'after' } | null>(null);
  const ids = goals.map((g) => g.id);

  const placeOf = (e: DragEvent<HTMLElement>): 'before' | 'after' => {
    const rect = e.currentTarget.getBoundingClientRect();
    return e.clientY < rect.top + rect.height / 2 ? 'before' : 'after';
  };

  const onDrop = (e: DragEvent<HTMLElement>, target: string) => {
    e.preventDefault();
    const moved = e.dataTransfer.getData(DRAG_TYPE) || dragging;
    const place = placeOf(e);
    setDragging(null);
    setDrop(null);
    if (!moved || moved === target) return;
    const next = reorder(ids, moved, target, place);
    if (next.join() !== ids.join()) onReorder(next);
  };

  return (
    <ol className="feature-goals" data-testid="feature-goals" data-dragging={dragging ? 'true' : undefined}>
      {goals.map((g, index) => {
        const classes = ['feature-goal'];
        if (dragging === g.id) classes.push('dragging');
        if (drop?.id === g.id) classes.push(`drop-${drop.place}`);
        if (g.deletedAt) classes.push('deleted');
        const reason = g.status === 'todo' ? blocked.get(g.id) : undefined;
        return (
          <li
            key={g.id}
            className={classes.join(' ')}
            draggable={!busy}
            onDragStart={(e) => {
              e.dataTransfer.setData(DRAG_TYPE, g.id);
              e.dataTransfer.setData('text/plain', `#${g.number} ${g.title}`);
              e.dataTransfer.effectAllowed = 'move';
              setDragging(g.id);
            }}
            onDragEnd={() => {
              setDragging(null);
              setDrop(null);
            }}
            onDragOver={(e) => {
              if (!dragging) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
              const place = placeOf(e);
              if (drop?.id !== g.id || drop.place !== place) setDrop({ id: g.id, place });
            }}
            onDrop={(e) => onDrop(e, g.id)}
            data-testid="feature-goal"
            data-goal-id={g.id}
            data-number={g.number}
          >
            <span className="feature-goal-grip" aria-hidden="true" title="Drag to reorder">
              <Icon name="grip" />
            </span>
            <span className="feature-goal-pos">{index + 1}</span>
            <div className="feature-goal-main">
              <div className="feature-goal-title">
                <span className="mono muted small">#{g.number}</span>
                <a href={hrefFor('goals', [g.id])} draggable={false}>
                  {g.title}
                </a>
                {g.deletedAt && <span className="badge badge-danger">deleted</span>}
              </div>
              {reason && (
                <p className="feature-goal-blocked small" data-testid="feature-goal-blocked">
                  <Icon name="lock" size={12} /> {reason}
                </p>
              )}
            </div>
            <StatusBadge status={g.status} />
            <div className="feature-goal-actions">
              <button type="button" className="icon-button" aria-label={`Move #${g.number} up`} disabled={busy || index === 0} onClick={() => onReorder(shift(ids, index, -1))} data-testid="feature-goal-up">
                <Icon name="arrowUp" />
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label={`Move #${g.number} down`}
                disabled={busy || index === goals.length - 1}
                onClick={() => onReorder(shift(ids, index, 1))}
                data-testid="feature-goal-down"
              >
                <Icon name="arrowDown" />
              </button>
              <button type="button" className="icon-button danger-icon" aria-label={`Take #${g.number} out of the feature`} title="Take out of the feature" disabled={busy} onClick={() => onRemove(g)} data-testid="feature-goal-remove">
                <Icon name="x" />
              </button>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
