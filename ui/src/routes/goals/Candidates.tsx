import { useState, type ReactNode } from 'react';
import { useAction } from '../../api/hooks';
import { Badge, Banner } from '../../components/Feedback';
import { useToast } from '../../components/toastContext';
import type { Candidate, CandidateStatus, Goal } from '../../gen/bindings';
import { formatMs, shortSha } from './runs';
import { UsageLine } from './Transcript';
import { usePutGoal } from './useGoal';

const STATUS_TONE: Record<CandidateStatus | 'stopped', 'accent' | 'success' | 'danger' | 'warning'> = { running: 'accent', passed: 'success', failed: 'danger', stopped: 'warning' };
const ACTIVE = ['plan', 'implement', 'quality', 'governance'];

type Pick = { candidate: number; approve: boolean };

/**
 * A best-of-N Round's candidates side by side: diff size, checks, verdict, tokens, cost and time
 * of each, the diff of the one looked at, and — while the Goal waits in review for a pick — a
 * "Pick" for each candidate that passed. Once picked (or done) the others are listed with their
 * branches until "Remove the others" cleans them up.
 */
export function CandidatesPanel({ goal, candidates, picked, deciding, diff }: { goal: Goal; candidates: Candidate[]; picked: number | null; deciding: boolean; diff: (c: Candidate) => ReactNode }) {
  const toast = useToast();
  const putGoal = usePutGoal();
  const firstPassed = candidates.find((c) => c.status === 'passed')?.index ?? candidates[0]?.index ?? 1;
  // The candidate whose diff is shown: the one a person chose, else the picked one, else the first that passed.
  const [chosen, setShown] = useState<number | null>(null);
  const shown = chosen ?? picked ?? firstPassed;
  const pick = useAction(
    async (p: Pick, call): Promise<string> => {
      const done = await call('review.pick', { goalId: goal.id, candidate: p.candidate });
      if (!p.approve) return `Picked candidate ${done.candidate} of #${goal.number}; approve to integrate it`;
      const result = await call('workflow.approve', { goalId: goal.id, reason: `picked candidate ${p.candidate}` });
      putGoal(result.goal);
      return `Candidate ${p.candidate} of #${goal.number} approved`;
    },
    { onSuccess: (msg) => toast.show('success', msg) },
  );
  const cleanup = useAction('review.cleanup_candidates', {
    onSuccess: (r) => toast.show('success', `Removed ${r.removed.length} candidate(s): ${r.branches.join(', ')}`),
  });
  const passed = candidates.filter((c) => c.status === 'passed').length;
  const leftovers = candidates.filter((c) => c.index !== picked && c.removedAt === null);
  const decided = picked !== null || ['done', 'failed', 'cancelled'].includes(goal.status);
  const current = candidates.find((c) => c.index === shown) ?? candidates[0];

  return (
    <div className="candidates" data-testid="candidates" data-deciding={deciding}>
      {deciding && (
        <Banner tone="info" testId="candidates-pick-hint">
          <strong>Pick the candidate to integrate.</strong> {candidates.length} candidates ran side by side; {passed} passed. The others stay as evidence.
        </Banner>
      )}
      {pick.error && <Banner tone="error">{pick.error.message}</Banner>}
      {cleanup.error && <Banner tone="error">{cleanup.error.message}</Banner>}
      <div className="candidate-grid" style={{ gridTemplateColumns: `repeat(${Math.min(candidates.length, 5)}, minmax(0, 1fr))` }}>
        {candidates.map((c) => {
          const checks = c.quality.filter((q) => q.passed).length;
          // A candidate still "running" when its Goal left the automation was stopped there.
          const status = c.status === 'running' && !ACTIVE.includes(goal.status) ? 'stopped' : c.status;
          return (
            <article key={c.index} className={`candidate-card${c.index === shown && c.removedAt === null ? ' shown' : ''}${c.index === picked ? ' picked' : ''}`} data-testid="candidate" data-index={c.index} data-status={status}>
              <header className="row">
                <strong>Candidate {c.index}</strong>
                <Badge tone={STATUS_TONE[status]}>{status}</Badge>
                {c.index === picked && (
                  <Badge tone="success" testId="candidate-picked">
                    picked
                  </Badge>
                )}
                {c.removedAt && <Badge>removed</Badge>}
              </header>
              <dl className="candidate-facts">
                <dt>Agent</dt>
                <dd>{c.profile}</dd>
                <dt>Diff</dt>
                <dd data-testid="candidate-diffstat">
                  {c.commit ? (
                    <>
                      {c.filesChanged} {c.filesChanged === 1 ? 'file' : 'files'} <span className="diff-add">+{c.insertions}</span> <span className="diff-del">−{c.deletions}</span>
                    </>
                  ) : (
                    <span className="muted">no commit</span>
                  )}
                </dd>
                <dt>Checks</dt>
                <dd>{c.quality.length === 0 ? <span className="muted">—</span> : <Badge tone={checks === c.quality.length ? 'success' : 'danger'}>{`${checks}/${c.quality.length} passed`}</Badge>}</dd>
                <dt>Governance</dt>
                <dd>{c.governance ? <Badge tone={c.governance.passed ? 'success' : 'danger'}>{c.governance.passed ? 'pass' : 'fail'}</Badge> : <span className="muted">—</span>}</dd>
                <dt>Usage</dt>
                <dd>
                  <UsageLine usage={c.usage} />
                </dd>
                <dt>Time</dt>
                <dd>{c.durationMs > 0 ? formatMs(c.durationMs) : '—'}</dd>
                <dt>Branch</dt>
                <dd className="mono small" title={c.commit ?? undefined}>
                  {c.branch} {c.commit && <span className="muted">{shortSha(c.commit)}</span>}
                </dd>
              </dl>
              {c.failure && (
                <p className="candidate-failure small" data-testid="candidate-failure">
                  {c.failure}
                </p>
              )}
              <div className="row candidate-actions">
                {c.commit && c.removedAt === null && (
                  <button type="button" className="button small" aria-pressed={c.index === shown} onClick={() => setShown(c.index)} data-testid="candidate-show">
                    Show diff
                  </button>
                )}
                {deciding && c.status === 'passed' && (
                  <>
                    <button type="button" className="button small" disabled={pick.busy} onClick={() => void pick.run({ candidate: c.index, approve: false })} data-testid="candidate-pick">
                      Pick
                    </button>
                    <button type="button" className="button small primary" disabled={pick.busy} onClick={() => void pick.run({ candidate: c.index, approve: true })} data-testid="candidate-pick-approve">
                      Pick and approve
                    </button>
                  </>
                )}
              </div>
            </article>
          );
        })}
      </div>
      {decided && leftovers.length > 0 && (
        <div className="row candidate-cleanup">
          <span className="muted small">
            Kept as evidence: {leftovers.map((c) => c.branch).join(', ')}
          </span>
          <button type="button" className="button small" disabled={cleanup.busy} onClick={() => void cleanup.run({ id: goal.id })} data-testid="candidates-cleanup">
            Remove the others
          </button>
        </div>
      )}
      {/* The picked candidate's diff is the Round's own, shown above. */}
      {current?.commit && current.removedAt === null && current.index !== picked && (
        <div className="candidate-diff-of" data-testid="candidate-compare-diff" data-index={current.index}>
          <h4>Candidate {current.index}’s diff</h4>
          {diff(current)}
        </div>
      )}
    </div>
  );
}
