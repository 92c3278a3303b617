import { workflowMoves, type OperationName, type WorkflowMove, type WorkflowState } from '../../gen/bindings';

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

/** The operation that moves a Goal from one state to another (by hand: not a follow-up). */
export type MoveOp = 'workflow.move' | 'workflow.advance' | 'workflow.approve' | 'workflow.decline' | 'workflow.retry' | 'workflow.cancel';

const BY_HAND: ReadonlySet<OperationName> = new Set<MoveOp>([
  'workflow.move',
  'workflow.advance',
  'workflow.approve',
  'workflow.decline',
  'workflow.retry',
  'workflow.cancel',
]);

/** The moves a person makes from the board or the Goal page (the daemon's table, generated). */
function handMoves(from: WorkflowState): WorkflowMove[] {
  return workflowMoves.filter((m) => m.from === from && BY_HAND.has(m.op) && !m.cancel);
}

/**
 * Which operation a drop on another column means, from the daemon's own transition table. A move
 * the table does not allow still goes to the daemon (as `workflow.move`), which answers with the
 * reason (shown to the person).
 */
export function moveOpFor(from: WorkflowState, to: WorkflowState): MoveOp {
  const move = handMoves(from).find((m) => m.to === to);
  return (move?.op as MoveOp | undefined) ?? 'workflow.move';
}

/** Targets the workflow table allows from a state (what the "Move to…" menu offers). */
export function allowedTargets(from: WorkflowState): WorkflowState[] {
  const targets = new Set(handMoves(from).map((m) => m.to));
  return STATES.filter((s) => targets.has(s));
}

/** What a move is called in the UI ("Approve", "Start planning", …). */
export function moveLabel(from: WorkflowState, to: WorkflowState): string {
  switch (moveOpFor(from, to)) {
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
