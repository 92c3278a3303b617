import { Badge } from '../../components/Feedback';
import { formatDuration, formatRelative, formatTime } from '../../components/format';
import type { Round } from '../../gen/bindings';

function outcomeTone(outcome: string): 'success' | 'danger' | 'warning' | 'neutral' {
  if (outcome.startsWith('approved')) return 'success';
  if (outcome.startsWith('failed')) return 'danger';
  if (outcome.startsWith('declined') || outcome.startsWith('sent back')) return 'warning';
  return 'neutral';
}

/** Every attempt at the Goal, newest first. */
export function RoundsList({ rounds }: { rounds: Round[] }) {
  const ordered = [...rounds].sort((a, b) => b.number - a.number);
  return (
    <section className="card" aria-labelledby="rounds-title" data-testid="rounds">
      <div className="card-header">
        <h2 id="rounds-title">Rounds</h2>
        <span className="muted small">{rounds.length === 1 ? 'one attempt' : `${rounds.length} attempts`}</span>
      </div>
      <ol className="rounds">
        {ordered.map((r) => {
          const seconds = r.endedAt ? (new Date(r.endedAt).getTime() - new Date(r.startedAt).getTime()) / 1000 : null;
          return (
            <li key={r.number} className={r.endedAt ? 'round' : 'round open'} data-testid="round" data-round={r.number}>
              <div className="round-marker" aria-hidden="true">
                {r.number}
              </div>
              <div className="round-body">
                <div className="round-head">
                  <strong>Round {r.number}</strong>
                  <span className="muted">{r.request}</span>
                  {r.outcome ? <Badge tone={outcomeTone(r.outcome)}>{r.outcome}</Badge> : <Badge tone="accent">open</Badge>}
                </div>
                <div className="round-times muted small">
                  <span title={formatTime(r.startedAt)}>started {formatRelative(r.startedAt)}</span>
                  {r.endedAt && (
                    <>
                      {' · '}
                      <span title={formatTime(r.endedAt)}>ended {formatRelative(r.endedAt)}</span>
                      {seconds !== null && ` · took ${formatDuration(seconds)}`}
                    </>
                  )}
                </div>
                {r.plan && <pre className="round-plan">{r.plan}</pre>}
                {r.evidence.length > 0 && (
                  <ul className="evidence">
                    {r.evidence.map((e) => (
                      <li key={e.href}>
                        <Badge>{e.kind}</Badge> <a href={e.href}>{e.label}</a>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
