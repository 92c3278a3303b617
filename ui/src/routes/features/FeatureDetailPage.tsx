import { useState } from 'react';
import { useAction, useCache, useQuery } from '../../api/hooks';
import { Banner, EmptyState, ProgressBar, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { FeatureDetail, Goal, WorkflowState } from '../../gen/bindings';
import { useReporterId } from '../../state/identity';
import { hrefFor, navigate } from '../../state/router';
import { FeatureStatusBadge } from '../work/StatusBadge';
import { FeatureGoalList } from './FeatureGoalList';

/** Puts a Feature the client already has (a mutation's answer) in the cache. */
function usePutFeature(): (detail: FeatureDetail) => void {
  const cache = useCache();
  return (detail) => cache.put('features.get', { id: detail.feature.id }, detail);
}

type GoalChange = { kind: 'reorder'; ids: string[] } | { kind: 'remove'; goal: Goal; featureName: string };

/** `#/features/<id>`: rename, delete, and the ordered goals (drag to reorder, add, take out). */
export function FeatureDetailPage({ id }: { id: string }) {
  const toast = useToast();
  const query = useQuery('features.get', { id });
  const putFeature = usePutFeature();
  const detail = query.data;
  const appId = detail?.feature.appId ?? '';
  const eligibility = useQuery('workflow.eligible', { appId, limit: 100_000 }, { enabled: appId !== '' });
  // A reorder shows at once (the order being saved), and falls back to the cached one if refused.
  const change = useAction(
    (c: GoalChange, call) => (c.kind === 'reorder' ? call('features.reorder', { id, goalIds: c.ids }) : call('features.remove_goal', { id, goalId: c.goal.id })),
    {
      onSuccess: (next, c) => {
        putFeature(next);
        if (c.kind === 'remove') toast.show('success', `Took #${c.goal.number} out of “${c.featureName}”`);
      },
    },
  );
  const busy = change.busy;
  const error = change.error?.message;

  const back = (
    <a href={hrefFor('features')} className="back-link">
      ← Features
    </a>
  );

  if (!detail) {
    return (
      <Page title="Feature" subtitle={back} testId="page-features">
        {query.error ? (
          query.error.code === 'not_found' ? (
            <EmptyState title="No such feature" testId="feature-not-found">
              <p>It may have been deleted.</p>
            </EmptyState>
          ) : (
            <Banner tone="error">{query.error.message}</Banner>
          )
        ) : (
          <Spinner />
        )}
      </Page>
    );
  }

  const { feature } = detail;
  const byId = new Map(detail.goals.map((g) => [g.id, g]));
  const saving = change.pending.findLast((c) => c.kind === 'reorder');
  const order = saving?.kind === 'reorder' ? saving.ids : detail.goals.map((g) => g.id);
  const goals = order.map((gid) => byId.get(gid)).filter((g): g is Goal => Boolean(g));
  const blocked = new Map((eligibility.data?.blocked ?? []).map((b) => [b.goalId, b.reason]));

  const reorderTo = (ids: string[]) => void change.run({ kind: 'reorder', ids });

  return (
    <Page
      title={feature.name}
      subtitle={
        <span className="goal-subtitle">
          {back}
          <FeatureStatusBadge status={feature.status} testId="feature-status" />
          <span className="muted small">
            {feature.done} of {feature.total} done
          </span>
        </span>
      }
      testId="page-feature"
      actions={<FeatureActions key={feature.updatedAt} detail={detail} />}
    >
      {feature.description && <p className="feature-description">{feature.description}</p>}
      <ProgressBar value={feature.total ? (feature.done / feature.total) * 100 : 0} label={`${feature.done} of ${feature.total} done`} testId="feature-progress" />
      {error && (
        <Banner tone="error" testId="feature-error">
          {error}
        </Banner>
      )}
      <section className="card" aria-labelledby="feature-goals-title" data-feature-id={feature.id}>
        <div className="card-header">
          <h2 id="feature-goals-title">Goals, in order</h2>
          <span className="muted small">Drag a row, or use the arrows. Goal N+1 starts only after goal N reached review.</span>
        </div>
        {goals.length === 0 ? (
          <EmptyState title="No goals in this feature yet" testId="feature-goals-empty">
            <p>Add a new goal below, or put an existing one in.</p>
          </EmptyState>
        ) : (
          <FeatureGoalList
            goals={goals}
            blocked={blocked}
            busy={busy}
            onReorder={reorderTo}
            onRemove={(goal) => void change.run({ kind: 'remove', goal, featureName: feature.name })}
          />
        )}
        <AddGoals featureId={feature.id} appId={feature.appId} />
      </section>
    </Page>
  );
}

function FeatureActions({ detail }: { detail: FeatureDetail }) {
  const toast = useToast();
  const putFeature = usePutFeature();
  const { feature } = detail;
  const [mode, setMode] = useState<'idle' | 'rename' | 'delete'>('idle');
  const [name, setName] = useState(feature.name);
  const [description, setDescription] = useState(feature.description);
  const update = useAction('features.update', {
    onSuccess: (next) => {
      putFeature(next);
      toast.show('success', 'Feature saved');
      setMode('idle');
    },
  });
  const deletion = useAction('features.delete', {
    onSuccess: () => {
      toast.show('success', `Deleted feature “${feature.name}”`, feature.total ? `Its ${feature.total} goal(s) stay, without a feature.` : undefined);
      navigate('features');
    },
    onError: (err) => toast.show('error', 'Could not delete the feature', err.message),
  });
  const busy = update.busy || deletion.busy;
  const error = update.error?.message;
  const save = () => void update.run({ id: feature.id, name: name.trim(), description });
  const remove = () => void deletion.run({ id: feature.id });

  if (mode === 'rename') {
    return (
      <form
        className="rename-form"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
        aria-label="Rename feature"
      >
        <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Name" autoFocus maxLength={200} data-testid="feature-rename-input" />
        <input value={description} onChange={(e) => setDescription(e.target.value)} aria-label="Description" placeholder="Description" className="rename-desc" />
        <button type="submit" className="button primary small" disabled={busy || !name.trim()} data-testid="feature-rename-save">
          Save
        </button>
        <button type="button" className="button ghost small" onClick={() => setMode('idle')}>
          Cancel
        </button>
        {error && <span className="field-error">{error}</span>}
      </form>
    );
  }
  if (mode === 'delete') {
    return (
      <div className="confirm inline" role="alertdialog" aria-label="Delete this feature?">
        <span>Delete “{feature.name}”? Its goals stay.</span>
        <button type="button" className="button small" onClick={() => setMode('idle')} autoFocus>
          Keep
        </button>
        <button type="button" className="button small danger" onClick={remove} disabled={busy} data-testid="feature-delete-confirm">
          Delete
        </button>
      </div>
    );
  }
  return (
    <>
      <button type="button" className="button" onClick={() => setMode('rename')} data-testid="feature-rename">
        <Icon name="edit" /> Rename
      </button>
      <button type="button" className="button danger-ghost" onClick={() => setMode('delete')} data-testid="feature-delete">
        <Icon name="trash" /> Delete
      </button>
    </>
  );
}

/** A new goal at the end of the feature, or an existing goal without a feature. */
function AddGoals({ featureId, appId }: { featureId: string; appId: string }) {
  const toast = useToast();
  const reporterId = useReporterId();
  const putFeature = usePutFeature();
  const [title, setTitle] = useState('');
  const [status, setStatus] = useState<WorkflowState>('backlog');
  const [existing, setExisting] = useState('');
  const loose = useQuery('goals.list', { appId, featureId: 'none', limit: 200, sort: 'number' });
  const candidates = (loose.data?.items ?? []).filter((g) => g.status !== 'done' && g.status !== 'cancelled');
  const create = useAction('goals.create', {
    onSuccess: (goal) => {
      setTitle('');
      toast.show('success', `Added #${goal.number}`, goal.title);
    },
  });
  const add = useAction('features.add_goal', {
    onSuccess: (next) => {
      putFeature(next);
      setExisting('');
    },
  });
  const busy = create.busy || add.busy;
  const error = (create.error ?? add.error)?.message;

  const createGoal = () => {
    if (title.trim()) void create.run({ appId, title: title.trim(), featureId, status, reporterId });
  };
  const addExisting = () => {
    if (existing) void add.run({ id: featureId, goalId: existing });
  };

  return (
    <div className="add-goals">
      <form
        className="add-goal-row"
        onSubmit={(e) => {
          e.preventDefault();
          createGoal();
        }}
        aria-label="New goal in this feature"
      >
        <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="New goal title…" maxLength={300} aria-label="New goal title" className="grow" data-testid="feature-new-goal-title" />
        <select value={status} onChange={(e) => setStatus(e.target.value as WorkflowState)} aria-label="Start in" data-testid="feature-new-goal-status">
          <option value="backlog">Backlog</option>
          <option value="todo">Todo</option>
        </select>
        <button type="submit" className="button primary" disabled={busy || !title.trim()} data-testid="feature-new-goal-add">
          <Icon name="plus" /> Add goal
        </button>
      </form>
      {candidates.length > 0 && (
        <form
          className="add-goal-row"
          onSubmit={(e) => {
            e.preventDefault();
            addExisting();
          }}
          aria-label="Put an existing goal in"
        >
          <select value={existing} onChange={(e) => setExisting(e.target.value)} aria-label="Existing goal" className="grow" data-testid="feature-add-existing">
            <option value="">Put an existing goal (without a feature) in…</option>
            {candidates.map((g) => (
              <option key={g.id} value={g.id}>
                #{g.number} {g.title}
              </option>
            ))}
          </select>
          <button type="submit" className="button" disabled={busy || !existing} data-testid="feature-add-existing-submit">
            Put in
          </button>
        </form>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
