import { useEffect, useState } from 'react';
import { call } from '../../api/client';
import { toApiFailure } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import { Badge, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import type { Activity } from '../../gen/bindings';

/** The audit entries about one Goal (filtered by target), newest first, live. */
export function GoalActivity({ goalId, appId }: { goalId: string; appId: string }) {
  const [items, setItems] = useState<Activity[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    call('activity.list', { appId, limit: 500 }).then(
      (page) => current && setItems(page.items.filter((a) => a.target === goalId)),
      (err: unknown) => current && setError(toApiFailure(err).message),
    );
    return () => {
      current = false;
    };
  }, [goalId, appId, generation]);

  useLiveEvents((event) => {
    if (event.kind === RESYNC) setGeneration((g) => g + 1);
    if (event.kind !== 'activity.created') return;
    const entry = event.data as Activity;
    if (entry.target !== goalId) return;
    setItems((list) => (list && !list.some((a) => a.id === entry.id) ? [entry, ...list] : list));
  });

  return (
    <section className="card" aria-labelledby="goal-activity-title" data-testid="goal-activity">
      <div className="card-header">
        <h2 id="goal-activity-title">Activity</h2>
      </div>
      {error ? (
        <p className="field-error">{error}</p>
      ) : !items ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p className="muted small">Nothing recorded yet.</p>
      ) : (
        <ol className="timeline">
          {items.map((a) => (
            <li key={a.id} data-testid="goal-activity-entry" data-operation={a.operation}>
              <span className="timeline-dot" aria-hidden="true" />
              <div>
                <div className="timeline-summary">{a.summary}</div>
                <div className="muted small">
                  {a.actor} · <Badge tone={a.surface === 'browser' || a.surface === 'desktop' ? 'accent' : 'neutral'}>{a.surface}</Badge> ·{' '}
                  <time dateTime={a.at} title={formatTime(a.at)}>
                    {formatRelative(a.at)}
                  </time>
                </div>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
