import { useState } from 'react';
import { Banner, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App, UpdateGovernanceInput } from '../../gen/bindings';
import { RequireApp } from '../work/RequireApp';
import { ConflictBanner } from './ConflictBanner';
import { AddEntryForm, EntryList, type EntryDraft } from './EntryList';
import { useFenced } from './fenced';
import { SettingsTabs } from './SettingsTabs';

const STATEMENT_MAX = 5_000;
const CONSTITUTION_MAX = 50_000;

/** Governance: the product statement, the constitution and the rules the governance gate checks. */
export function GovernancePage() {
  return (
    <Page title="Settings" subtitle="Governance: what the product is, the principles it keeps, and the rules every change is checked against." testId="page-settings-governance">
      <SettingsTabs current="governance" />
      <RequireApp>{(app) => <GovernanceEditor key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

function GovernanceEditor({ app }: { app: App }) {
  const toast = useToast();
  const [docs, setDocs] = useState<{ statement?: string; constitution?: string }>({});
  const [editing, setEditing] = useState<EntryDraft | null>(null);
  const [adding, setAdding] = useState({ title: '', body: '' });
  const docsDirty = docs.statement !== undefined || docs.constitution !== undefined;
  const dirty = docsDirty || editing !== null || adding.title.trim() !== '' || adding.body.trim() !== '';
  const g = useFenced('governance.get', { appId: app.id }, dirty);

  if (g.loadError && !g.data) return <Banner tone="error">{g.loadError}</Banner>;
  if (!g.data) return <Spinner />;
  const gov = g.data;
  const statement = docs.statement ?? gov.statement;
  const constitution = docs.constitution ?? gov.constitution;
  const tooLong = statement.length > STATEMENT_MAX || constitution.length > CONSTITUTION_MAX;
  const busy = g.busy || g.conflict !== null;
  const reload = () => {
    setDocs({});
    setEditing(null);
    setAdding({ title: '', body: '' });
    g.reload();
  };
  const saveDocs = () => {
    const input: UpdateGovernanceInput = { appId: app.id, revision: 0 };
    if (docs.statement !== undefined) input.statement = docs.statement;
    if (docs.constitution !== undefined) input.constitution = docs.constitution;
    void g.write((revision, call) => call('governance.update', { ...input, revision })).then((ok) => {
      if (!ok) return;
      setDocs({});
      toast.show('success', 'Governance saved', app.name);
    });
  };
  const setDoc = (key: 'statement' | 'constitution', value: string) => setDocs((d) => ({ ...d, [key]: value === gov[key] ? undefined : value }));

  return (
    <div className="stack governance" data-testid="governance" data-revision={gov.revision}>
      {g.conflict && <ConflictBanner what="Governance" message={g.conflict} onReload={reload} testId="governance-conflict" />}
      {g.error && (
        <Banner tone="error" testId="governance-error">
          {g.error}
        </Banner>
      )}
      <form
        className="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (!tooLong) saveDocs();
        }}
        data-testid="governance-docs"
      >
        <label className="field">
          <span className="field-label">Product statement</span>
          <span className="muted small">What the product is and who it is for, in a few sentences.</span>
          <textarea rows={3} value={statement} onChange={(e) => setDoc('statement', e.target.value)} aria-invalid={statement.length > STATEMENT_MAX || undefined} data-testid="governance-statement" />
          <span className={statement.length > STATEMENT_MAX ? 'field-error' : 'muted small'}>
            {statement.length.toLocaleString()} / {STATEMENT_MAX.toLocaleString()}
          </span>
        </label>
        <label className="field">
          <span className="field-label">Constitution</span>
          <span className="muted small">The principles every change must respect (Markdown).</span>
          <textarea className="code-input" rows={10} value={constitution} onChange={(e) => setDoc('constitution', e.target.value)} aria-invalid={constitution.length > CONSTITUTION_MAX || undefined} data-testid="governance-constitution" />
          <span className={constitution.length > CONSTITUTION_MAX ? 'field-error' : 'muted small'}>
            {constitution.length.toLocaleString()} / {CONSTITUTION_MAX.toLocaleString()}
          </span>
        </label>
        <div className="row">
          <span className="grow muted small">{docsDirty ? 'Unsaved changes' : `Saved · revision ${gov.revision}`}</span>
          <button type="button" className="button ghost" disabled={!docsDirty || busy} onClick={() => setDocs({})}>
            Discard
          </button>
          <button type="submit" className="button primary" disabled={!docsDirty || busy || tooLong} data-testid="governance-save">
            {g.busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>

      <section className="card settings-card" aria-labelledby="rules-title" data-testid="governance-rules">
        <div className="card-header">
          <h2 id="rules-title">Rules</h2>
          <span className="muted small">Checked by the governance gate; verdicts cite them by id, which never changes.</span>
        </div>
        <EntryList
          kind="rule"
          entries={gov.rules}
          busy={busy}
          editing={editing}
          onEdit={setEditing}
          empty="No rules yet."
          onSave={(d) => {
            void g.write((revision, call) => call('governance.rules.update', { appId: app.id, revision, id: d.id, title: d.title.trim(), body: d.body })).then((ok) => ok && setEditing(null));
          }}
          onRemove={(r) => {
            void g.write((revision, call) => call('governance.rules.delete', { appId: app.id, revision, id: r.id })).then((ok) => ok && toast.show('success', `Removed ${r.id}`, r.title));
          }}
          onReorder={(ids) => {
            void g.write((revision, call) => call('governance.rules.reorder', { appId: app.id, revision, ids }));
          }}
        />
        <AddEntryForm
          kind="rule"
          label="New rule"
          busy={busy}
          draft={adding}
          onChange={setAdding}
          onAdd={() => {
            void g
              .write((revision, call) => call('governance.rules.add', { appId: app.id, revision, title: adding.title.trim(), body: adding.body }))
              .then((ok) => ok && setAdding({ title: '', body: '' }));
          }}
        />
      </section>
    </div>
  );
}
