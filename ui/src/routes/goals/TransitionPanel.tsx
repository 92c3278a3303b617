import { useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { Goal, WorkflowState } from '../../gen/bindings';
import { allowedTargets, isRunning, moveLabel, moveOpFor, STATE_LABELS } from '../work/states';
import { moveGoal, type MoveOptions } from '../work/transition';
import { useGoal, usePutGoal } from './useGoal';

type Asking = { kind: 'decline' } | { kind: 'retry' } | { kind: 'cancel' } | null;

/** The moves a person can make from the Goal's state, plus automation steps for testing. */
export function TransitionPanel({ goalId }: { goalId: string }) {
  const goal = useGoal(goalId).data;
  return goal ? <Transitions goal={goal} /> : null;
}

function Transitions({ goal }: { goal: Goal }) {
  const toast = useToast();
  const putGoal = usePutGoal();
  const [asking, setAsking] = useState<Asking>(null);
  const [reason, setReason] = useState('');
  const [cancelInstead, setCancelInstead] = useState(false);

  // Best-of-N: approve waits for a pick among the Round's candidates.
  const rounds = useQuery('runner.rounds', { goalId: goal.id }, { enabled: goal.status === 'review' });
  const latest = rounds.data?.reduce((a, b) => (b.number > a.number ? b : a), rounds.data[0]);
  // Until the Round's work is known, approve is not offered (it may need a pick first).
  const loading = !rounds.data && !rounds.error;
  const pickDue = goal.status === 'review' && (loading || (!!latest && (latest.work.candidates ?? []).length > 0 && (latest.work.picked ?? null) === null));
  const targets = allowedTargets(goal.status).filter((t) => !(pickDue && t === 'done'));
  // Approve first: it is what a goal in review waits for.
  const human = targets
    .filter((t) => {
      const op = moveOpFor(goal.status, t);
      return op !== 'workflow.advance' && op !== 'workflow.cancel';
    })
    .sort((a, b) => Number(b === 'done') - Number(a === 'done'));
  const automated = targets.filter((t) => moveOpFor(goal.status, t) === 'workflow.advance');

  const move = useAction(({ to, opts }: { to: WorkflowState; opts: MoveOptions }, call) => moveGoal(goal, to, opts, call), {
    onSuccess: (result) => {
      putGoal(result.goal);
      toast.show('success', `#${goal.number}: ${STATE_LABELS[result.from]} → ${STATE_LABELS[result.to]}`, result.newRound ? 'A new round was opened.' : undefined);
      setAsking(null);
      setReason('');
      setCancelInstead(false);
    },
  });
  const busy = move.pending[0]?.to ?? null;
  const refusal = move.error?.message;
  const run = (to: WorkflowState, opts: MoveOptions = {}) => void move.run({ to, opts });

  const click = (to: WorkflowState) => {
    const op = moveOpFor(goal.status, to);
    if (op === 'workflow.decline') setAsking({ kind: 'decline' });
    else if (op === 'workflow.retry') setAsking({ kind: 'retry' });
    else run(to);
  };

  if (targets.length === 0) {
    return (
      <div className="card transition-panel" data-testid="transition-panel" data-status={goal.status}>
        <h3>Workflow</h3>
        <p className="muted small">This goal is {STATE_LABELS[goal.status].toLowerCase()}; nothing moves it any more.</p>
      </div>
    );
  }

  return (
    <div className="card transition-panel" data-testid="transition-panel" data-status={goal.status}>
      <h3>Workflow</h3>
      {refusal && (
        <Banner tone="error" testId="transition-error">
          <strong>Refused.</strong> {refusal}
        </Banner>
      )}
      {pickDue && latest && (
        <p className="muted small" data-testid="transition-pick-first">
          Pick one of the Round’s {latest?.work.candidates?.length} candidates to approve it.
        </p>
      )}
      {human.length > 0 && (
        <div className="transition-buttons">
          {human.map((to) => (
            <button
              key={to}
              type="button"
              className={to === 'done' ? 'button primary' : 'button'}
              onClick={() => click(to)}
              disabled={busy !== null}
              data-testid={`transition-${moveOpFor(goal.status, to).replace('workflow.', '')}`}
              data-to={to}
            >
              {to === 'done' && <Icon name="check" />}
              {busy === to ? 'Working…' : moveLabel(goal.status, to)}
            </button>
          ))}
        </div>
      )}
      {asking && asking.kind !== 'cancel' && (
        <form
          className="reason-form"
          onSubmit={(e) => {
            e.preventDefault();
            run('todo', { reason, cancel: asking.kind === 'decline' ? cancelInstead : undefined });
          }}
          data-testid="reason-form"
        >
          <label className="field">
            <span className="field-label">{asking.kind === 'decline' ? 'What should change in the next attempt?' : 'Why retry? (optional)'}</span>
            <textarea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus data-testid="reason-input" />
          </label>
          {asking.kind === 'decline' && (
            <label className="check-item">
              <input type="checkbox" checked={cancelInstead} onChange={(e) => setCancelInstead(e.target.checked)} data-testid="decline-cancel" />
              Cancel the goal instead of sending it back
            </label>
          )}
          <div className="row">
            <button type="submit" className={cancelInstead ? 'button danger small' : 'button primary small'} disabled={busy !== null} data-testid="reason-submit">
              {asking.kind === 'decline' ? (cancelInstead ? 'Decline and cancel' : 'Decline') : 'Retry'}
            </button>
            <button type="button" className="button ghost small" onClick={() => setAsking(null)}>
              Never mind
            </button>
          </div>
        </form>
      )}
      {automated.length > 0 && (
        <div className="automation-steps">
          <span className="muted small">{isRunning(goal.status) || goal.status === 'todo' ? 'Step the automation by hand (testing):' : 'Automation:'}</span>
          <div className="transition-buttons">
            {automated.map((to) => (
              <button key={to} type="button" className="button small" onClick={() => click(to)} disabled={busy !== null} data-testid="transition-advance" data-to={to}>
                {busy === to ? 'Working…' : moveLabel(goal.status, to)}
              </button>
            ))}
          </div>
        </div>
      )}
      <div className="cancel-row">
        {asking?.kind === 'cancel' ? (
          <div className="confirm" role="alertdialog" aria-label="Cancel this goal?">
            <span>Cancel #{goal.number}? A cancelled goal cannot be moved again.</span>
            <div className="row">
              <button type="button" className="button small" onClick={() => setAsking(null)} autoFocus>
                Keep it
              </button>
              <button type="button" className="button small danger" onClick={() => run('cancelled')} disabled={busy !== null} data-testid="transition-cancel-confirm">
                Cancel goal
              </button>
            </div>
          </div>
        ) : (
          <button type="button" className="button small danger-ghost" onClick={() => setAsking({ kind: 'cancel' })} disabled={busy !== null} data-testid="transition-cancel">
            <Icon name="x" /> Cancel goal
          </button>
        )}
      </div>
    </div>
  );
}
