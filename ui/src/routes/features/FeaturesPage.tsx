import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Banner, EmptyState, ProgressBar, Spinner } from '../../components/Feedback';
import { formatRelative } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App } from '../../gen/bindings';
import { hrefFor, navigate, useRoute } from '../../state/router';
import { useFeatures } from '../work/hooks';
import { RequireApp } from '../work/RequireApp';
import { FeatureStatusBadge } from '../work/StatusBadge';
import { FeatureDetailPage } from './FeatureDetailPage';

/** `#/features` lists; `#/features/<id>` shows one Feature. */
export function FeaturesPage() {
  const route = useRoute();
  const id = route.rest[0];
  if (id) return <FeatureDetailPage key={id} id={id} />;
  return (
    <Page
      title="Features"
      subtitle="Ordered groups of goals. The order is the dependency model: a goal starts only after the one before it reached review."
      testId="page-features"
      actions={
        <a className="button" href={hrefFor('import')}>
          <Icon name="upload" /> Import
        </a>
      }
    >
      <RequireApp>{(app) => <FeatureList key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

function NewFeatureForm({ appId }: { appId: string }) {
  const toast = useToast();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [unnamed, setUnnamed] = useState(false);
  const create = useAction('features.create', {
    onSuccess: (detail) => {
      toast.show('success', `Created feature “${detail.feature.name}”`);
      setName('');
      setDescription('');
      navigate('features', [detail.feature.id]);
    },
  });
  const busy = create.busy;
  const error = unnamed ? 'Give the feature a name' : create.error?.message;
  const submit = () => {
    setUnnamed(!name.trim());
    if (name.trim()) void create.run({ appId, name: name.trim(), description: description.trim() || null });
  };
  return (
    <form
      className="card new-feature"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      aria-label="New feature"
    >
      <div className="new-feature-fields">
        <label className="field">
          <span className="field-label">New feature</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Checkout v2" maxLength={200} data-testid="feature-name" />
        </label>
        <label className="field grow">
          <span className="field-label">Description</span>
          <input value={description} onChange={(e) => setDescription(e.target.value)} placeholder="optional" data-testid="feature-description" />
        </label>
        <button type="submit" className="button primary" disabled={busy} data-testid="feature-create">
          <Icon name="plus" /> {busy ? 'Creating…' : 'Create'}
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function FeatureList({ app }: { app: App }) {
  const features = useFeatures(app.id);
  return (
    <>
      <NewFeatureForm appId={app.id} />
      {features.error && <Banner tone="error">{features.error.message}</Banner>}
      {!features.data ? (
        !features.error && <Spinner />
      ) : features.data.length === 0 ? (
        <EmptyState title="No features yet" testId="features-empty">
          <p>Create one above, or import a Markdown task list: each heading becomes a feature.</p>
        </EmptyState>
      ) : (
        <div className="feature-grid" data-testid="feature-list">
          {features.data.map((f) => (
            <a key={f.id} href={hrefFor('features', [f.id])} className="card feature-card" data-testid="feature-card" data-feature-id={f.id} data-feature-name={f.name}>
              <div className="feature-card-head">
                <h2>{f.name}</h2>
                <FeatureStatusBadge status={f.status} />
              </div>
              {f.description && <p className="feature-desc muted">{f.description}</p>}
              <div className="feature-progress">
                <ProgressBar value={f.total ? (f.done / f.total) * 100 : 0} label={`${f.name}: ${f.done} of ${f.total} done`} />
                <span className="small muted nowrap">
                  {f.done}/{f.total} done
                </span>
              </div>
              <span className="muted small">updated {formatRelative(f.updatedAt)}</span>
            </a>
          ))}
        </div>
      )}
    </>
  );
}
