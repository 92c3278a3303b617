import type { WorkflowState } from '../../gen/bindings';

/** Every workflow state, in workflow order. */
export const STATES: readonly WorkflowState[] = ['backlog', 'todo', 'plan', 'implement', 'quality', 'governance', 'review', 'done', 'failed', 'cancelled'];

export const STATE_LABELS: Record<WorkflowState, string> = {
  backlog: 'Backlog',
  todo: 'Todo',
  plan: 'Plan',
  implement: 'Implement',
  quality: 'Quality',
  governance: 'Governance',
  review: 'Review',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const STATE_HINTS: Record<WorkflowState, string> = {
  backlog: 'Written down, not queued',
  todo: 'Queued: starts when its turn comes',
  plan: 'An agent is planning',
  implement: 'An agent is implementing',
  quality: 'Quality checks run',
  governance: 'Governance review of the diff',
  review: 'Waiting for a person to approve',
  done: 'Approved and integrated',
  failed: 'Stopped: retry or cancel',
  cancelled: 'Dropped',
};

export function isWorkflowState(value: string): value is WorkflowState {
  return (STATES as readonly string[]).includes(value);
}

/** Automation is working on it. */
export function isRunning(state: WorkflowState): boolean {
  return state === 'plan' || state === 'implement' || state === 'quality' || state === 'governance';
}

export function isTerminal(state: WorkflowState): boolean {
  return state === 'done' || state === 'cancelled';
}

/** The next automated step of a running (or queued) Goal. */
export const NEXT_STEP: Partial<Record<WorkflowState, WorkflowState>> = {
  todo: 'plan',
  plan: 'implement',
  implement: 'quality',
  quality: 'governance',
  governance: 'review',
};

/** The operation that moves a Goal from one state to another. */
export type MoveOp =
  | { op: 'workflow.move' }
  | { op: 'workflow.advance' }
  | { op: 'workflow.approve' }
  | { op: 'workflow.decline' }
  | { op: 'workflow.retry' }
  | { op: 'workflow.cancel' };

/**
 * Which operation a drop on another column means. Anything the table does not allow still goes
 * to the daemon, which answers with the reason (shown to the person).
 */
export function moveOpFor(from: WorkflowState, to: WorkflowState): MoveOp['op'] {
  if (to === 'cancelled') return 'workflow.cancel';
  if (to === 'done') return 'workflow.approve';
  if (from === 'review' && to === 'todo') return 'workflow.decline';
  if (from === 'failed' && to === 'todo') return 'workflow.retry';
  if (to === 'backlog' || to === 'todo') return 'workflow.move';
  return 'workflow.advance';
}

/** Targets the workflow table allows from a state (what the "Move to…" menu offers). */
export function allowedTargets(from: WorkflowState): WorkflowState[] {
  if (isTerminal(from)) return [];
  const out: WorkflowState[] = [];
  if (from === 'backlog') out.push('todo');
  if (from === 'todo') out.push('backlog');
  const next = NEXT_STEP[from];
  if (next) out.push(next);
  if (isRunning(from)) out.push('failed');
  if (from === 'quality' || from === 'governance') out.push('implement');
  if (from === 'review') out.push('done', 'todo');
  if (from === 'failed') out.push('todo');
  out.push('cancelled');
  return STATES.filter((s) => out.includes(s));
}

/** What a move is called in the UI ("Approve", "Start planning", …). */
export function moveLabel(from: WorkflowState, to: WorkflowState): string {
  const op = moveOpFor(from, to);
  switch (op) {
    case 'workflow.cancel':
      return 'Cancel';
    case 'workflow.approve':
      return 'Approve';
    case 'workflow.decline':
      return 'Decline (back to todo)';
    case 'workflow.retry':
      return 'Retry (back to todo)';
    case 'workflow.move':
      return `Move to ${STATE_LABELS[to].toLowerCase()}`;
    default:
      if (to === 'failed') return 'Mark failed';
      if (to === 'implement' && (from === 'quality' || from === 'governance')) return 'Send back to implement';
      return `Advance to ${STATE_LABELS[to].toLowerCase()}`;
  }
}

export function priorityLabel(priority: number): string {
  if (priority >= 2) return 'Highest';
  if (priority === 1) return 'High';
  if (priority === 0) return 'Normal';
  if (priority === -1) return 'Low';
  return 'Lowest';
}
