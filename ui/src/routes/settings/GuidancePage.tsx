import { useState } from 'react';
import { Banner, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App } from '../../gen/bindings';
import { RequireApp } from '../work/RequireApp';
import { ConflictBanner } from './ConflictBanner';
import { AddEntryForm, EntryList, type EntryDraft } from './EntryList';
import { useFenced } from './fenced';
import { SettingsTabs } from './SettingsTabs';

/** Guidance: entries the agents are given with every Round (enabled ones), in order. */
export function GuidancePage() {
  return (
    <Page title="Settings" subtitle="Guidance: what agents are told to keep in mind, in this order, for the active app." testId="page-settings-guidance">
      <SettingsTabs current="guidance" />
      <RequireApp>{(app) => <GuidanceEditor key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

function GuidanceEditor({ app }: { app: App }) {
  const toast = useToast();
  const [editing, setEditing] = useState<EntryDraft | null>(null);
  const [adding, setAdding] = useState({ title: '', body: '' });
  const dirty = editing !== null || adding.title.trim() !== '' || adding.body.trim() !== '';
  const g = useFenced('guidance.list', { appId: app.id }, dirty);

  if (g.loadError && !g.data) return <Banner tone="error">{g.loadError}</Banner>;
  if (!g.data) return <Spinner />;
  const list = g.data;
  const reload = () => {
    setEditing(null);
    setAdding({ title: '', body: '' });
    g.reload();
  };

  return (
    <section className="card settings-card" aria-labelledby="guidance-title" data-testid="guidance" data-revision={list.revision}>
      <div className="card-header">
        <h2 id="guidance-title">Guidance</h2>
        <span className="muted small">
          {list.entries.filter((e) => e.enabled).length} of {list.entries.length} on · revision {list.revision}
        </span>
      </div>
      {g.conflict && <ConflictBanner what="Guidance" message={g.conflict} onReload={reload} testId="guidance-conflict" />}
      {g.error && (
        <Banner tone="error" testId="guidance-error">
          {g.error}
        </Banner>
      )}
      <EntryList
        kind="guidance"
        entries={list.entries}
        busy={g.busy || g.conflict !== null}
        editing={editing}
        onEdit={setEditing}
        empty="No guidance yet. Add what agents should always keep in mind: conventions, libraries to prefer, things to avoid."
        onSave={(d) => {
          void g.write((revision, call) => call('guidance.update', { appId: app.id, revision, id: d.id, title: d.title.trim(), body: d.body })).then((ok) => ok && setEditing(null));
        }}
        onRemove={(e) => {
          void g.write((revision, call) => call('guidance.delete', { appId: app.id, revision, id: e.id })).then((ok) => ok && toast.show('success', `Removed ${e.id}`, e.title));
        }}
        onReorder={(ids) => {
          void g.write((revision, call) => call('guidance.reorder', { appId: app.id, revision, ids }));
        }}
        onToggle={(e, enabled) => {
          void g.write((revision, call) => call('guidance.update', { appId: app.id, revision, id: e.id, enabled }));
        }}
      />
      <AddEntryForm
        kind="guidance"
        label="New guidance"
        busy={g.busy || g.conflict !== null}
        draft={adding}
        onChange={setAdding}
        onAdd={() => {
          void g
            .write((revision, call) => call('guidance.add', { appId: app.id, revision, title: adding.title.trim(), body: adding.body }))
            .then((ok) => ok && setAdding({ title: '', body: '' }));
        }}
      />
    </section>
  );
}
