import { useMemo } from 'react';
import { useQuery } from '../../api/hooks';
import { Badge, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { prependActivity } from '../activity/filters';

/** The audit entries about one Goal (filtered by target), newest first, live. */
export function GoalActivity({ goalId, appId }: { goalId: string; appId: string }) {
  const activity = useQuery('activity.list', { appId, limit: 500 }, { live: { 'activity.created': (page, event) => prependActivity(page, event.data) } });
  const items = useMemo(() => activity.data?.items.filter((a) => a.target === goalId), [activity.data, goalId]);
  const error = activity.error?.message;

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
