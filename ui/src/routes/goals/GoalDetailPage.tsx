import { useState, type ReactNode } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { Goal } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { useFeatures, useReporters } from '../work/hooks';
import { Labels, PriorityTag, StatusBadge } from '../work/StatusBadge';
import { lastGoalsHref } from './listMemory';
import { GoalActivity } from './GoalActivity';
import { GoalEditor } from './GoalEditor';
import { RoundsView } from './RoundsView';
import { TransitionPanel } from './TransitionPanel';
import { useGoal, usePutGoal } from './useGoal';

/** `#/goals/<id>`: one Goal: edit it, move it, see its rounds and its history. */
export function GoalDetailPage({ id }: { id: string }) {
  const goal = useGoal(id);
  const back = (
    <a href={lastGoalsHref()} className="back-link" data-testid="back-to-goals">
      ← Goals
    </a>
  );

  if (!goal.data) {
    return (
      <Page title="Goal" subtitle={back} testId="page-goals">
        {goal.error ? (
          goal.error.code === 'not_found' ? (
            <EmptyState title="No such goal" testId="goal-not-found">
              <p>It may belong to another app. Go back to the list.</p>
            </EmptyState>
          ) : (
            <Banner tone="error">{goal.error.message}</Banner>
          )
        ) : (
          <Spinner />
        )}
      </Page>
    );
  }
  return <GoalDetail goal={goal.data} back={back} />;
}

function GoalDetail({ goal, back }: { goal: Goal; back: ReactNode }) {
  const features = useFeatures(goal.appId);
  const reporters = useReporters();
  return (
    <Page
      title={`#${goal.number} ${goal.title}`}
      subtitle={
        <span className="goal-subtitle">
          {back}
          <StatusBadge status={goal.status} testId="goal-status" />
          {goal.featureId && (
            <a href={hrefFor('features', [goal.featureId])} className="feature-link">
              <Icon name="features" size={14} /> {goal.featureName}
              {goal.position !== null && <span className="muted"> · step {goal.position + 1}</span>}
            </a>
          )}
          <span className="muted small" title={formatTime(goal.updatedAt)}>
            updated {formatRelative(goal.updatedAt)}
          </span>
        </span>
      }
      testId="page-goal"
      actions={<DeleteRestore goal={goal} />}
    >
      {goal.deletedAt && (
        <Banner tone="warning" testId="goal-deleted-banner">
          This goal was deleted {formatRelative(goal.deletedAt)}. Restore it to work on it again.
        </Banner>
      )}
      <div className="goal-layout" data-goal-id={goal.id}>
        <div className="goal-main">
          {goal.status === 'review' ? (
            // In review the candidate, its evidence and the review come first; editing waits.
            <>
              <RoundsView goalId={goal.id} />
              <details className="card goal-edit-later" data-testid="goal-edit-later">
                <summary>Edit the Goal (title, prompt, labels, Feature)</summary>
                <GoalEditor key={goal.id} goal={goal} features={features.data ?? []} reporters={reporters.data ?? []} />
              </details>
            </>
          ) : (
            <>
              <GoalEditor key={goal.id} goal={goal} features={features.data ?? []} reporters={reporters.data ?? []} />
              <RoundsView goalId={goal.id} />
            </>
          )}
        </div>
        <aside className="goal-side">
          {!goal.deletedAt && <TransitionPanel goalId={goal.id} />}
          <GoalFacts goalId={goal.id} />
          <GoalActivity goalId={goal.id} appId={goal.appId} />
        </aside>
      </div>
    </Page>
  );
}

/** The Goal's facts, from the shared cache (the page shares its request). */
function GoalFacts({ goalId }: { goalId: string }) {
  const goal = useGoal(goalId).data;
  if (!goal) return null;
  return (
    <div className="card" data-testid="goal-facts" data-priority={goal.priority}>
      <h3>Details</h3>
      <dl className="facts">
        <dt>Priority</dt>
        <dd>
          <PriorityTag priority={goal.priority} />
        </dd>
        <dt>Reporter</dt>
        <dd>{goal.reporterName ?? <span className="muted">—</span>}</dd>
        <dt>Assignee</dt>
        <dd>{goal.assignee ?? <span className="muted">—</span>}</dd>
        <dt>Labels</dt>
        <dd>{goal.labels.length ? <Labels labels={goal.labels} /> : <span className="muted">—</span>}</dd>
        <dt>Node</dt>
        <dd>
          <NodeName id={goal.nodeId} title="The node that works this Goal (in a cluster, its decisions are taken there)" testId="goal-node" />
        </dd>
        {goal.pinnedNode && (
          <>
            <dt>Pinned to</dt>
            <dd>
              <NodeName id={goal.pinnedNode} title="Only this node starts it" testId="goal-pinned" />
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd title={formatTime(goal.createdAt)}>{formatRelative(goal.createdAt)}</dd>
        {goal.external && (
          <>
            <dt>Imported from</dt>
            <dd>
              {goal.external.url ? (
                <a href={goal.external.url} target="_blank" rel="noreferrer noopener">
                  {goal.external.source} {goal.external.id}
                </a>
              ) : (
                <span>
                  {goal.external.source} <span className="mono small">{goal.external.id}</span>
                </span>
              )}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** A node by name once the nodes are known (its id until then), linking to the Cluster page. */
function NodeName({ id, title, testId }: { id: string; title: string; testId: string }) {
  const node = useQuery('nodes.list', {}).data?.find((n) => n.id === id);
  return (
    <a href={hrefFor('cluster')} title={`${title} (${id})`} data-testid={testId}>
      {node ? node.name : <span className="mono small">{id.slice(0, 12)}</span>}
      {node?.isSelf && <span className="muted"> (this node)</span>}
    </a>
  );
}

function DeleteRestore({ goal }: { goal: Goal }) {
  const toast = useToast();
  const putGoal = usePutGoal();
  const [confirming, setConfirming] = useState(false);
  const action = useAction((op: 'goals.delete' | 'goals.restore', call) => call(op, { id: goal.id }), {
    onSuccess: (changed, op) => {
      putGoal(changed);
      toast.show('success', op === 'goals.delete' ? `Deleted #${goal.number}` : `Restored #${goal.number}`, op === 'goals.delete' ? 'It can be restored from the Deleted view.' : undefined);
      setConfirming(false);
    },
    onError: (err) => toast.show('error', 'That did not work', err.message),
  });
  const busy = action.busy;
  const act = (op: 'goals.delete' | 'goals.restore') => void action.run(op);
  if (goal.deletedAt) {
    return (
      <button type="button" className="button primary" onClick={() => act('goals.restore')} disabled={busy} data-testid="goal-restore">
        <Icon name="restore" /> Restore
      </button>
    );
  }
  if (confirming) {
    return (
      <div className="confirm inline" role="alertdialog" aria-label="Delete this goal?">
        <span>Delete #{goal.number}?</span>
        <button type="button" className="button small" onClick={() => setConfirming(false)} autoFocus>
          Keep
        </button>
        <button type="button" className="button small danger" onClick={() => act('goals.delete')} disabled={busy} data-testid="goal-delete-confirm">
          Delete
        </button>
      </div>
    );
  }
  return (
    <button type="button" className="button danger-ghost" onClick={() => setConfirming(true)} data-testid="goal-delete">
      <Icon name="trash" /> Delete
    </button>
  );
}
