import { call } from '../../api/client';
import type { Caller } from '../../api/hooks';
import type { Goal, TransitionResult, WorkflowState } from '../../gen/bindings';
import { moveOpFor } from './states';

export interface MoveOptions {
  reason?: string;
  /** For a decline: cancel instead of sending it back. */
  cancel?: boolean;
}

/** Moves a Goal to `to` through the matching workflow operation; rejects with the daemon's reason. */
export function moveGoal(goal: Pick<Goal, 'id' | 'status'>, to: WorkflowState, opts: MoveOptions = {}, through: Caller = call): Promise<TransitionResult> {
  const goalId = goal.id;
  const reason = opts.reason?.trim() || null;
  switch (moveOpFor(goal.status, to)) {
    case 'workflow.cancel':
      return through('workflow.cancel', { goalId, reason });
    case 'workflow.approve':
      return through('workflow.approve', { goalId, reason });
    case 'workflow.decline':
      return through('workflow.decline', { goalId, reason, cancel: opts.cancel ?? null });
    case 'workflow.retry':
      return through('workflow.retry', { goalId, reason });
    case 'workflow.move':
      return through('workflow.move', { goalId, to });
    case 'workflow.advance':
      return through('workflow.advance', { goalId, to, reason });
  }
}
