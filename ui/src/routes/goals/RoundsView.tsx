import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner, Spinner } from '../../components/Feedback';
import { formatDuration, formatRelative, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { MarkdownText } from '../../components/MarkdownText';
import { useToast } from '../../components/toastContext';
import type { AgentRun, EnvStep, Evaluation, Goal, GovernanceVerdict, Integration, ProviderHold, QualityCheck, Round, RoundDetail, RoundWork, Usage, WorkerInfo } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { DiffModeToggle, DiffView, useDiffMode } from '../changes/DiffView';
import { isRunning } from '../work/states';
import { AgentOutput } from './AgentOutput';
import { elapsedMs, formatMs, runLabel, runTone, shortSha } from './runs';
import { CandidatesPanel } from './Candidates';
import { ReviewPanel } from './ReviewPanel';
import { useDiffReview, useReviewComments } from './ReviewComments';
import { UsageLine } from './Transcript';
import { useGoal } from './useGoal';

function outcomeTone(outcome: string): 'success' | 'danger' | 'warning' | 'neutral' {
  if (outcome.startsWith('approved')) return 'success';
  if (outcome.startsWith('failed')) return 'danger';
  if (outcome.startsWith('declined') || outcome.startsWith('sent back')) return 'warning';
  return 'neutral';
}

/** What the automation recorded for the Goal and, while it is queued or running, what the runner does with it. */
function useGoalWork(goalId: string, queued: boolean) {
  const work = useQuery('runner.rounds', { goalId });
  const runner = useQuery('runner.status', {}, { enabled: queued });
  // Only a queued or running Goal has a worker (an older answer may still be cached).
  const worker = queued ? (runner.data?.workers.find((w) => w.goalId === goalId) ?? null) : null;
  return { work, worker, waiting: runner.data?.waiting ?? [], holds: runner.data?.holds ?? [], paused: runner.data?.paused ?? false };
}

/** Every attempt at the Goal, newest first, with what the automation recorded for each. */
export function RoundsView({ goalId }: { goalId: string }) {
  const goal = useGoal(goalId).data;
  return goal ? <Rounds goal={goal} /> : null;
}

function Rounds({ goal }: { goal: Goal }) {
  const queued = goal.status === 'todo' || isRunning(goal.status);
  const { work, worker, waiting, holds, paused } = useGoalWork(goal.id, queued);
  const why = queued && !worker ? waiting.find((w) => w.appId === goal.appId)?.reason : undefined;
  const ordered = [...goal.rounds].sort((a, b) => b.number - a.number);
  const newest = ordered[0]?.number ?? 0;
  const [toggled, setToggled] = useState<Record<number, boolean>>({});
  const details = new Map((work.data ?? []).map((d) => [d.number, d]));
  const isOpen = (n: number) => toggled[n] ?? n === newest;
  const total = sumUsage((work.data ?? []).flatMap((d) => d.runs));

  return (
    <section className="card rounds-card" aria-labelledby="rounds-title" data-testid="rounds">
      <div className="card-header">
        <h2 id="rounds-title">Rounds</h2>
        <span className="muted small">{goal.rounds.length === 1 ? 'one attempt' : `${goal.rounds.length} attempts`}</span>
        {total.inputTokens + total.outputTokens > 0 && (
          <span className="muted">
            · <UsageLine usage={total} testId="goal-usage" />
          </span>
        )}
        {worker && (
          <span className="worker-chip" data-testid="goal-worker" data-phase={worker.phase}>
            <span className="live-dot" aria-hidden="true" /> {worker.phase} with {worker.profile} · since {formatRelative(worker.startedAt)}
          </span>
        )}
      </div>
      {work.error && <Banner tone="error">Could not load the recorded work: {work.error.message}</Banner>}
      {why && (
        <Banner
          tone="warning"
          testId="goal-waiting"
          action={
            <a className="button small" href={hrefFor('settings', ['agents'])}>
              Agent settings
            </a>
          }
        >
          <strong>This Goal waits for the runner.</strong> {why}
        </Banner>
      )}
      {queued && !worker && !why && paused && (
        <Banner tone="info" testId="goal-runner-paused">
          The runner is paused on this machine; this Goal starts when it is resumed on the <a href={hrefFor('runner')}>Runner</a> page.
        </Banner>
      )}
      <ol className="rounds">
        {ordered.map((r) => (
          <RoundItem
            key={r.number}
            goal={goal}
            round={r}
            detail={details.get(r.number) ?? null}
            latest={r.number === newest}
            worker={worker && worker.round === r.number ? worker : null}
            holds={holds}
            open={isOpen(r.number)}
            onToggle={() => setToggled((t) => ({ ...t, [r.number]: !isOpen(r.number) }))}
          />
        ))}
      </ol>
    </section>
  );
}

/** The recorded work with every list present and every absent value `null`. */
function fullWork(w: RoundWork) {
  return {
    baseCommit: w.baseCommit ?? null,
    branch: w.branch ?? null,
    candidateCommit: w.candidateCommit ?? null,
    guidance: w.guidance ?? [],
    appliedGuidance: w.appliedGuidance ?? [],
    quality: w.quality ?? [],
    governance: w.governance ?? null,
    integration: w.integration ?? null,
    fault: w.fault ?? null,
    profile: w.profile ?? null,
    waiting: w.waiting ?? null,
    followUps: w.followUps ?? [],
    environment: w.environment ?? [],
    candidates: w.candidates ?? [],
    picked: w.picked ?? null,
    inCheckout: w.inCheckout ?? false,
  };
}

/** Tokens and cost of runs, added up. */
function sumUsage(runs: AgentRun[]): Usage {
  let costUsd: number | null = null;
  const u = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
  for (const r of runs) {
    u.inputTokens += r.usage.inputTokens;
    u.outputTokens += r.usage.outputTokens;
    u.cachedTokens += r.usage.cachedTokens;
    if (r.usage.costUsd !== null) costUsd = (costUsd ?? 0) + r.usage.costUsd;
  }
  return { ...u, costUsd };
}

interface RoundProps {
  goal: Goal;
  round: Round;
  detail: RoundDetail | null;
  latest: boolean;
  worker: WorkerInfo | null;
  holds: ProviderHold[];
  open: boolean;
  onToggle: () => void;
}

function RoundItem({ goal, round: r, detail, latest, worker, holds, open, onToggle }: RoundProps) {
  const [focus, setFocus] = useState<{ path: string; n: number } | null>(null);
  const seconds = r.endedAt ? (new Date(r.endedAt).getTime() - new Date(r.startedAt).getTime()) / 1000 : null;
  const w = detail ? fullWork(detail.work) : undefined;
  const runs = detail?.runs ?? [];
  const inReview = latest && goal.status === 'review';
  const bodyId = `round-${r.number}-body`;
  // In review the candidate follows the review actions; otherwise it comes after the checks.
  const candidate = w?.candidateCommit && w.baseCommit && (
    <RoundSection title="Candidate" testId="round-candidate" aside={<span className="mono small muted">{`${shortSha(w.baseCommit)}..${shortSha(w.candidateCommit)}`}</span>}>
      <CandidateDiff goalId={goal.id} appId={goal.appId} base={w.baseCommit} candidate={w.candidateCommit} branch={w.branch} initiallyOpen={latest && (goal.status === 'review' || goal.status === 'done')} focus={focus} canComment={inReview} />
    </RoundSection>
  );
  // Best-of-N: while a Round's candidates wait for a pick, the comparison takes the review's place.
  const deciding = inReview && !!w && w.candidates.length > 0 && w.picked === null;
  const candidates = w && w.baseCommit && w.candidates.length > 0 && (
    <RoundSection title="Candidates" count={w.candidates.length} testId="round-candidates" aside={w.picked !== null ? <Badge tone="success">{`picked ${w.picked}`}</Badge> : null}>
      <CandidatesPanel
        goal={goal}
        candidates={w.candidates}
        picked={w.picked}
        deciding={deciding}
        diff={(c) => c.commit && <CandidateDiff key={c.index} goalId={goal.id} appId={goal.appId} base={w.baseCommit ?? ''} candidate={c.commit} branch={c.branch} initiallyOpen focus={null} canComment={false} />}
      />
    </RoundSection>
  );
  return (
    <li className={r.endedAt ? 'round' : 'round open'} data-testid="round" data-round={r.number}>
      <div className="round-marker" aria-hidden="true">
        {r.number}
      </div>
      <div className="round-body">
        <button type="button" className="round-toggle" aria-expanded={open} aria-controls={bodyId} onClick={onToggle} data-testid="round-toggle">
          <Icon name={open ? 'chevronDown' : 'chevronRight'} size={14} />
          <strong>Round {r.number}</strong>
          <span className="muted round-request">{r.request}</span>
          {r.outcome ? <Badge tone={outcomeTone(r.outcome)}>{r.outcome}</Badge> : <Badge tone="accent">open</Badge>}
          {worker && (
            <Badge tone="accent" testId="round-phase">
              {worker.phase}…
            </Badge>
          )}
          {w?.inCheckout && (
            <Badge tone="neutral" testId="round-in-checkout">
              main checkout
            </Badge>
          )}
                    {w?.fault && <Badge tone="warning">fault</Badge>}
          {w?.waiting && <Badge tone="warning">waiting</Badge>}
          {runs.some((x) => x.usage.inputTokens + x.usage.outputTokens > 0) && <UsageLine usage={sumUsage(runs)} testId="round-usage" />}
        </button>
        <div className="round-times muted small">
          <span title={formatTime(r.startedAt)}>started {formatRelative(r.startedAt)}</span>
          {r.endedAt && (
            <>
              {' · '}
              <span title={formatTime(r.endedAt)}>ended {formatRelative(r.endedAt)}</span>
              {seconds !== null && ` · took ${formatDuration(seconds)}`}
            </>
          )}
          {w?.profile && ` · agent ${w.profile}`}
        </div>
        {open && (
          <div className="round-detail" id={bodyId} data-testid="round-detail">
            {w?.fault && (
              <Banner tone="warning" testId="round-fault">
                <strong>Fault:</strong> {w.fault}
              </Banner>
            )}
            {w?.waiting && <Waiting reason={w.waiting} hold={holds.find((h) => h.profile === w.profile) ?? null} />}
            {deciding && candidates}
            {inReview && !deciding && <ReviewPanel goal={goal} />}
            {inReview && candidate}
            {w && w.followUps.length > 0 && (
              <RoundSection title="Follow-ups" count={w.followUps.length} testId="round-follow-ups">
                <ul className="follow-ups">
                  {w.followUps.map((f) => (
                    <li key={f.at} data-testid="follow-up" data-state={f.runId ? 'handled' : 'pending'}>
                      <span className="muted small">
                        {f.actor}, {formatRelative(f.at)}
                      </span>{' '}
                      {f.runId === null ? (
                        <Badge tone="accent">waiting for the agent</Badge>
                      ) : f.resumed ? (
                        <Badge tone="success">resumed the session</Badge>
                      ) : (
                        <Badge tone="warning" testId="follow-up-summarised">
                          new session with a summary (the provider cannot resume)
                        </Badge>
                      )}
                      <div className="follow-up-text">{f.message}</div>
                    </li>
                  ))}
                </ul>
              </RoundSection>
            )}
            {r.plan && (
              <RoundSection title="Plan" testId="round-plan">
                <MarkdownText text={r.plan} className="markdown round-plan" />
              </RoundSection>
            )}
            {(runs.length > 0 || worker) && (
              <RoundSection title="Agent output" testId="round-output">
                <AgentOutput runs={runs} liveProcessId={worker?.processId ?? null} onFile={(path) => setFocus((f) => ({ path, n: (f?.n ?? 0) + 1 }))} />
              </RoundSection>
            )}
            {runs.length > 0 && (
              <RoundSection title="Agent runs" count={runs.length} testId="round-runs">
                <RunsTable runs={runs} />
              </RoundSection>
            )}
            {w && w.environment.length > 0 && (
              <RoundSection title="Worktree environment" count={w.environment.length} testId="round-environment" aside={w.environment.some((e) => !e.passed && e.kind === 'setup') ? <Badge tone="danger">setup failed</Badge> : null}>
                <EnvironmentList steps={w.environment} />
              </RoundSection>
            )}
            {w && (w.quality.length > 0 || w.candidateCommit) && (
              <RoundSection title="Quality" testId="round-quality" aside={w.quality.length > 0 ? <QualitySummary checks={w.quality} /> : null}>
                {w.quality.length > 0 ? <QualityTable checks={w.quality} /> : <p className="muted small">Not checked yet.</p>}
                {w.candidateCommit && <EvaluateNow goalId={goal.id} round={r.number} />}
              </RoundSection>
            )}
            {w?.governance && (
              <RoundSection title="Governance" testId="round-governance" aside={<VerdictBadge verdict={w.governance} />}>
                <GovernanceView verdict={w.governance} />
              </RoundSection>
            )}
            {!inReview && candidate}
            {!deciding && candidates}
            {w?.integration && (
              <RoundSection title="Integration" testId="round-integration" aside={<IntegrationBadge integration={w.integration} />}>
                <IntegrationView integration={w.integration} />
              </RoundSection>
            )}
            {w && w.guidance.length > 0 && (
              <RoundSection title="Guidance given" count={w.guidance.length} testId="round-guidance">
                <ul className="guidance-snapshot">
                  {w.guidance.map((g) => (
                    <li key={g.id}>
                      <details>
                        <summary>
                          {g.title} {w.appliedGuidance.includes(g.id) && <Badge tone="success">applied</Badge>}
                        </summary>
                        <MarkdownText text={g.body} />
                      </details>
                    </li>
                  ))}
                </ul>
              </RoundSection>
            )}
            {r.evidence.length > 0 && (
              <RoundSection title="Evidence">
                <ul className="evidence">
                  {r.evidence.map((e) => (
                    <li key={e.href}>
                      <Badge>{e.kind}</Badge> <a href={e.href}>{e.label}</a>
                    </li>
                  ))}
                </ul>
              </RoundSection>
            )}
            {!w && runs.length === 0 && !worker && !r.plan && <p className="muted small">Nothing recorded for this round yet.</p>}
          </div>
        )}
      </div>
    </li>
  );
}

function RoundSection({ title, count, aside, children, testId }: { title: string; count?: number; aside?: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <section className="round-section" data-testid={testId}>
      <div className="round-section-head">
        <h3>{title}</h3>
        {count !== undefined && <span className="muted small">{count}</span>}
        {aside && <div className="round-section-aside">{aside}</div>}
      </div>
      {children}
    </section>
  );
}

function RunsTable({ runs }: { runs: AgentRun[] }) {
  return (
    <div className="table-wrap">
      <table className="table compact-table">
        <thead>
          <tr>
            <th>Phase</th>
            <th>Profile</th>
            <th>Status</th>
            <th>Tokens</th>
            <th>Started</th>
            <th>Took</th>
            <th>Process</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="agent-run" data-phase={run.phase} data-status={run.status} data-kind={run.kind} data-resumed={run.resumed}>
              <td>
                {runLabel(run)}
                {run.error && (
                  <div className="run-error small" data-testid="agent-run-error">
                    {run.error}
                  </div>
                )}
              </td>
              <td className="mono small">{run.profile}</td>
              <td>
                <Badge tone={runTone(run.status)}>{run.status}</Badge> {run.denials > 0 && <Badge tone="warning">{run.denials} denied</Badge>}
              </td>
              <td className="small nowrap">
                <UsageLine usage={run.usage} />
              </td>
              <td className="small nowrap" title={formatTime(run.startedAt)}>
                {formatRelative(run.startedAt)}
              </td>
              <td className="small nowrap">{run.endedAt ? formatMs(elapsedMs(run.startedAt, run.endedAt)) : '…'}</td>
              <td className="small">{run.processId ? <a href={hrefFor('processes', [run.processId])}>log</a> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function QualitySummary({ checks }: { checks: QualityCheck[] }) {
  const passed = checks.filter((c) => c.passed).length;
  return (
    <Badge tone={passed === checks.length ? 'success' : 'danger'} testId="quality-summary">
      {passed}/{checks.length} passed
    </Badge>
  );
}

const ENV_LABEL: Record<string, string> = { copy: 'copied', link: 'linked', setup: 'setup', teardown: 'teardown', remove: 'removed' };

/** How the worktree was prepared and torn down: files placed, commands run, with their logs. */
function EnvironmentList({ steps }: { steps: EnvStep[] }) {
  return (
    <ol className="quality-checks">
      {steps.map((s, i) => (
        <li key={i} className={s.passed ? 'quality-check passed' : 'quality-check failed'} data-testid="env-step" data-kind={s.kind} data-passed={s.passed}>
          <div className="quality-check-head">
            <Badge tone={s.passed ? 'success' : s.kind === 'setup' ? 'danger' : 'warning'}>{ENV_LABEL[s.kind] ?? s.kind}</Badge>
            <code className="quality-command">{s.what}</code>
          </div>
          <div className="quality-check-facts small">
            {s.exitCode !== null && <span className="muted">exit {s.exitCode}</span>}
            <span className="muted">{formatMs(s.durationMs)}</span>
            {s.processId && <a href={hrefFor('processes', [s.processId])}>log</a>}
            {!s.processId && <span className="muted">{s.logExcerpt}</span>}
          </div>
          {s.processId && s.logExcerpt.trim() && (
            <details className="quality-log" open={!s.passed}>
              <summary className="small muted">Output</summary>
              <pre className="mono">{s.logExcerpt}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}

function QualityTable({ checks, testId = 'quality-check' }: { checks: QualityCheck[]; testId?: string }) {
  return (
    <ol className="quality-checks">
      {checks.map((c, i) => (
        <li key={i} className={c.passed ? 'quality-check passed' : 'quality-check failed'} data-testid={testId} data-passed={c.passed}>
          <div className="quality-check-head">
            <Badge tone={c.passed ? 'success' : 'danger'}>{c.passed ? 'pass' : 'fail'}</Badge>
            <span className="quality-test">{c.test}</span>
          </div>
          <div className="quality-check-facts small">
            <code className="quality-command" data-testid="quality-command">
              {c.command}
            </code>
            <span className="muted">exit {c.exitCode ?? '—'}</span>
            <span className="muted">{formatMs(c.durationMs)}</span>
            {c.processId && <a href={hrefFor('processes', [c.processId])}>log</a>}
          </div>
          {c.logExcerpt.trim() && (
            <details className="quality-log">
              <summary className="small muted">Log excerpt</summary>
              <pre className="mono">{c.logExcerpt}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}

/** Runs the project's tests against the Round's candidate now, and shows what they found. */
function EvaluateNow({ goalId, round }: { goalId: string; round: number }) {
  const [result, setResult] = useState<Evaluation | null>(null);
  const evaluation = useAction('quality.evaluate', { onSuccess: setResult });
  const busy = evaluation.busy;
  const error = evaluation.error?.message;
  const evaluate = () => void evaluation.run({ goalId, round });
  return (
    <div className="evaluate-now">
      <div className="row">
        <button type="button" className="button small" onClick={evaluate} disabled={busy} data-testid="evaluate-quality">
          <Icon name="play" size={14} /> {busy ? 'Evaluating…' : 'Evaluate quality now'}
        </button>
        {result && (
          <Badge tone={result.passed ? 'success' : 'danger'} testId="evaluation-result">
            {result.passed ? 'passed' : 'failed'} on {shortSha(result.commit)}
          </Badge>
        )}
      </div>
      {error && <Banner tone="error">{error}</Banner>}
      {result && result.checks.length > 0 && <QualityTable checks={result.checks} testId="evaluation-check" />}
    </div>
  );
}

function VerdictBadge({ verdict }: { verdict: GovernanceVerdict }) {
  return (
    <Badge tone={verdict.passed ? 'success' : 'danger'} testId="governance-verdict">
      {verdict.passed ? 'passed' : 'refused'}
    </Badge>
  );
}

function GovernanceView({ verdict }: { verdict: GovernanceVerdict }) {
  return (
    <div className="stack">
      {verdict.rules.length > 0 && (
        <div className="row small">
          <span className="muted">Rules cited:</span>
          {verdict.rules.map((rule) => (
            <a key={rule} href={hrefFor('settings', ['governance'])} className="badge badge-neutral mono" data-testid="governance-rule">
              {rule}
            </a>
          ))}
        </div>
      )}
      {verdict.findings.trim() ? <MarkdownText text={verdict.findings} /> : <p className="muted small">No findings.</p>}
    </div>
  );
}

function IntegrationBadge({ integration }: { integration: Integration }) {
  if (integration.conflicts.length > 0) return <Badge tone="danger">conflicts</Badge>;
  if (integration.mergedAt) return <Badge tone="success">merged</Badge>;
  return <Badge tone="accent">ready to merge</Badge>;
}

function IntegrationView({ integration: i }: { integration: Integration }) {
  return (
    <div data-testid="integration">
      <dl className="facts">
        <dt>Into</dt>
        <dd>
          <span className="mono">{i.targetBranch}</span> <span className="muted small">at {shortSha(i.targetCommit)}</span>
        </dd>
        <dt>Merge commit</dt>
        <dd className="mono" data-testid="merge-commit">
          {i.mergeCommit ? shortSha(i.mergeCommit) : <span className="muted">none</span>}
        </dd>
        {i.mergedAt && (
          <>
            <dt>Merged</dt>
            <dd title={formatTime(i.mergedAt)}>{formatRelative(i.mergedAt)}</dd>
          </>
        )}
      </dl>
      {i.conflicts.length > 0 && (
        <Banner tone="warning" testId="integration-conflicts">
          Merging into <span className="mono">{i.targetBranch}</span> conflicts in:
          <ul className="conflict-list">
            {i.conflicts.map((c) => (
              <li key={c} className="mono small">
                {c}
              </li>
            ))}
          </ul>
        </Banner>
      )}
    </div>
  );
}

/** The candidate's changes against its base, with the Changes page's diff viewer. */
function CandidateDiff({
  goalId,
  appId,
  base,
  candidate,
  branch,
  initiallyOpen,
  focus,
  canComment,
}: {
  goalId: string;
  canComment: boolean;
  appId: string;
  base: string;
  candidate: string;
  branch: string | null;
  initiallyOpen: boolean;
  focus: { path: string; n: number } | null;
}) {
  // Opens by itself when the Goal reaches review or a file of the transcript is asked for,
  // unless a person chose otherwise since.
  const [chosen, setChosen] = useState<{ open: boolean; n: number } | null>(null);
  const focusN = focus?.n ?? 0;
  const open = chosen && chosen.n === focusN ? chosen.open : initiallyOpen || focus !== null;
  const setOpen = (o: boolean) => setChosen({ open: o, n: focusN });
  const [mode, setMode] = useDiffMode();
  const box = useRef<HTMLDivElement>(null);
  // A file change in the transcript was clicked: show that file of the diff.
  useEffect(() => {
    if (!focus) return;
    let tries = 0;
    const find = () => {
      const el = box.current?.querySelector<HTMLElement>(`[data-path="${CSS.escape(focus.path)}"]`);
      if (el) {
        el.scrollIntoView({ behavior: 'smooth', block: 'start' });
        el.classList.add('flash');
        setTimeout(() => el.classList.remove('flash'), 1600);
      } else if (tries++ < 20) {
        setTimeout(find, 100);
      }
    };
    find();
  }, [focus]);
  return (
    <div className="candidate" ref={box}>
      <div className="row small">
        {branch && (
          <span className="mono">
            <Icon name="branch" size={13} /> {branch}
          </span>
        )}
        <span className="spacer" />
        {open && <DiffModeToggle mode={mode} onChange={setMode} />}
        <button type="button" className="button small" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="candidate-diff-toggle">
          {open ? 'Hide the diff' : 'Show the diff'}
        </button>
      </div>
      {open && <CandidateDiffBody goalId={goalId} appId={appId} base={base} candidate={candidate} mode={mode} canComment={canComment} />}
    </div>
  );
}

function CandidateDiffBody({
  goalId,
  appId,
  base,
  candidate,
  mode,
  canComment,
}: {
  goalId: string;
  appId: string;
  base: string;
  candidate: string;
  mode: ReturnType<typeof useDiffMode>[0];
  canComment: boolean;
}) {
  const diff = useQuery('changes.diff', { appId, from: base, to: candidate });
  const comments = useReviewComments(goalId);
  const review = useDiffReview(goalId, candidate, comments.data ?? [], canComment);
  if (diff.error) return <Banner tone="error">{diff.error.message}</Banner>;
  if (!diff.data) return <Spinner />;
  return (
    <div className="candidate-diff" data-testid="candidate-diff">
      {canComment && <p className="muted small diff-hint">Click a line number to comment on it; shift-click another to comment on the lines between.</p>}
      <DiffView diff={diff.data} mode={mode} empty="The candidate changes nothing." review={review} />
    </div>
  );
}

/** The Round waits on its provider: why, until when, and "go on now". */
function Waiting({ reason, hold }: { reason: string; hold: ProviderHold | null }) {
  const toast = useToast();
  const releasing = useAction('runner.release', {
    onSuccess: (_, { profile }) => toast.show('success', `${profile} released: its Goals go on now`),
    onError: (err) => toast.show('error', 'Could not release it', err.message),
  });
  const busy = releasing.busy;
  const release = () => hold && void releasing.run({ profile: hold.profile });
  return (
    <Banner
      tone="warning"
      testId="round-waiting"
      action={
        hold ? (
          <button type="button" className="button small" onClick={release} disabled={busy} data-testid="round-release">
            {hold.kind === 'auth' ? 'Try again now' : 'Go on now'}
          </button>
        ) : undefined
      }
    >
      <strong>Waiting{hold?.until ? ` until ${formatTime(hold.until)}` : ''}.</strong> {reason}
      {hold?.kind === 'auth' && (
        <>
          {' '}
          <a href={hrefFor('settings', ['agents'])}>Agent settings</a>
        </>
      )}
    </Banner>
  );
}
