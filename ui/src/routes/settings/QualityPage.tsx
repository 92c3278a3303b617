import { useState } from 'react';
import { useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App, QualityEvaluation } from '../../gen/bindings';
import { RequireApp } from '../work/RequireApp';
import { shift } from '../work/order';
import { ConflictBanner } from './ConflictBanner';
import { useFenced } from './fenced';
import { SettingsTabs } from './SettingsTabs';

const MAX_TESTS = 100;
const TEST_MAX = 2_000;
const INSTRUCTIONS_MAX = 20_000;

/** Quality: the app's plain-text tests, how to check them, and what past evaluations found. */
export function QualityPage() {
  return (
    <Page title="Settings" subtitle="Quality: what “works” means for the active app, in plain text, and how the quality phase checks it." testId="page-settings-quality">
      <SettingsTabs current="quality" />
      <RequireApp>
        {(app) => (
          <>
            <QualityEditor key={app.id} app={app} />
            <QualityHistory app={app} />
          </>
        )}
      </RequireApp>
    </Page>
  );
}

interface Draft {
  tests: string[];
  instructions: string;
}

function problems(d: Draft): string | null {
  const tests = d.tests.filter((t) => t.trim());
  if (tests.length > MAX_TESTS) return `At most ${MAX_TESTS} tests.`;
  const long = tests.findIndex((t) => t.trim().length > TEST_MAX);
  if (long >= 0) return `Test ${long + 1} is longer than ${TEST_MAX.toLocaleString()} characters.`;
  if (d.instructions.length > INSTRUCTIONS_MAX) return `The instructions are longer than ${INSTRUCTIONS_MAX.toLocaleString()} characters.`;
  return null;
}

function QualityEditor({ app }: { app: App }) {
  const toast = useToast();
  const [draft, setDraft] = useState<Draft | null>(null);
  const q = useFenced('quality.settings.get', { appId: app.id }, draft !== null);

  if (q.loadError && !q.data) return <Banner tone="error">{q.loadError}</Banner>;
  if (!q.data) return <Spinner />;
  const saved = q.data;
  const shown: Draft = draft ?? { tests: saved.tests, instructions: saved.instructions };
  const problem = problems(shown);
  const busy = q.busy || q.conflict !== null;
  const edit = (next: Draft) => setDraft(next);
  const setTest = (i: number, value: string) => edit({ ...shown, tests: shown.tests.map((t, j) => (j === i ? value : t)) });

  const save = () => {
    const tests = shown.tests.map((t) => t.trim()).filter(Boolean);
    void q.write((revision, call) => call('quality.settings.update', { appId: app.id, revision, tests, instructions: shown.instructions })).then((ok) => {
      if (!ok) return;
      setDraft(null);
      toast.show('success', 'Quality settings saved', `${tests.length} test${tests.length === 1 ? '' : 's'}`);
    });
  };

  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        if (!problem) save();
      }}
      data-testid="quality-settings"
      data-revision={saved.revision}
    >
      {q.conflict && (
        <ConflictBanner
          what="The quality settings"
          message={q.conflict}
          onReload={() => {
            setDraft(null);
            q.reload();
          }}
          testId="quality-conflict"
        />
      )}
      {q.error && (
        <Banner tone="error" testId="quality-error">
          {q.error}
        </Banner>
      )}
      <section className="card" aria-labelledby="tests-title">
        <div className="card-header">
          <h2 id="tests-title">Tests</h2>
          <span className="muted small">Plain sentences a reviewer could check, e.g. “A coupon code lowers the total”. Empty lines are dropped.</span>
        </div>
        {shown.tests.length === 0 ? (
          <EmptyState title="No tests yet" testId="quality-no-tests" />
        ) : (
          <ol className="test-list">
            {shown.tests.map((t, i) => (
              <li key={i} className="test-row" data-testid="quality-test">
                <span className="test-number muted">{i + 1}.</span>
                <textarea rows={1} value={t} onChange={(e) => setTest(i, e.target.value)} aria-label={`Test ${i + 1}`} aria-invalid={t.trim().length > TEST_MAX || undefined} data-testid="quality-test-input" />
                <div className="entry-actions">
                  <button type="button" className="icon-button" aria-label={`Move test ${i + 1} up`} disabled={i === 0} onClick={() => edit({ ...shown, tests: reorderTests(shown.tests, i, -1) })}>
                    <Icon name="arrowUp" />
                  </button>
                  <button type="button" className="icon-button" aria-label={`Move test ${i + 1} down`} disabled={i === shown.tests.length - 1} onClick={() => edit({ ...shown, tests: reorderTests(shown.tests, i, 1) })}>
                    <Icon name="arrowDown" />
                  </button>
                  <button type="button" className="icon-button danger-icon" aria-label={`Remove test ${i + 1}`} onClick={() => edit({ ...shown, tests: shown.tests.filter((_, j) => j !== i) })} data-testid="quality-test-remove">
                    <Icon name="trash" />
                  </button>
                </div>
              </li>
            ))}
          </ol>
        )}
        <button type="button" className="button small" disabled={shown.tests.length >= MAX_TESTS} onClick={() => edit({ ...shown, tests: [...shown.tests, ''] })} data-testid="quality-add-test">
          <Icon name="plus" /> Add a test
        </button>
      </section>
      <section className="card">
        <label className="field">
          <span className="field-label">Instructions</span>
          <span className="muted small">How to evaluate the tests: commands to run, pages to open, what to look at.</span>
          <textarea rows={6} value={shown.instructions} onChange={(e) => edit({ ...shown, instructions: e.target.value })} data-testid="quality-instructions" />
          <span className={shown.instructions.length > INSTRUCTIONS_MAX ? 'field-error' : 'muted small'}>
            {shown.instructions.length.toLocaleString()} / {INSTRUCTIONS_MAX.toLocaleString()}
          </span>
        </label>
      </section>
      <div className={draft || problem ? 'save-bar visible' : 'save-bar'}>
        <div className="save-bar-text">
          {problem ? <span className="field-error">{problem}</span> : draft ? <span>Unsaved changes</span> : <span className="muted">All changes saved · revision {saved.revision}</span>}
        </div>
        <button type="button" className="button ghost" disabled={!draft || busy} onClick={() => setDraft(null)}>
          Discard
        </button>
        <button type="submit" className="button primary" disabled={!draft || busy || problem !== null} data-testid="quality-save">
          {q.busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function reorderTests(tests: string[], index: number, delta: number): string[] {
  const keys = tests.map((_, i) => String(i));
  return shift(keys, index, delta).map((k) => tests[Number(k)]);
}

function verdict(e: QualityEvaluation) {
  if (e.passed === true) return <Badge tone="success">passed</Badge>;
  if (e.passed === false) return <Badge tone="danger">failed</Badge>;
  return e.endedAt ? <Badge tone="warning">error</Badge> : <Badge tone="accent">running</Badge>;
}

function QualityHistory({ app }: { app: App }) {
  const history = useQuery('quality.evaluations.list', { appId: app.id, limit: 20 });
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="history-title" data-testid="quality-history">
      <div className="card-header">
        <h2 id="history-title">Evaluations</h2>
        <span className="muted small">The latest 20, newest first</span>
      </div>
      {history.error && <Banner tone="error">{history.error.message}</Banner>}
      {!history.data ? (
        !history.error && <Spinner />
      ) : history.data.length === 0 ? (
        <EmptyState title="No evaluations yet">
          <p>They appear here when a Goal reaches the quality phase.</p>
        </EmptyState>
      ) : (
        <ul className="evaluation-list">
          {history.data.map((e) => {
            const ok = e.checks.filter((c) => c.passed).length;
            return (
              <li key={e.id} className="evaluation" data-testid="quality-evaluation">
                <button type="button" className="evaluation-head" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                  <Icon name={open === e.id ? 'chevronDown' : 'chevronRight'} size={14} />
                  {verdict(e)}
                  <span>
                    {ok}/{e.checks.length} checks
                  </span>
                  <span className="muted small">{e.trigger}</span>
                  {e.round !== null && <span className="muted small">round {e.round}</span>}
                  {e.commitSha && <code className="small">{e.commitSha.slice(0, 10)}</code>}
                  <span className="grow" />
                  <span className="muted small">{formatTime(e.startedAt)}</span>
                </button>
                {open === e.id && (
                  <div className="evaluation-body">
                    {e.error && <Banner tone="error">{e.error}</Banner>}
                    {e.checks.map((c, i) => (
                      <div key={i} className="check">
                        <div className="row">
                          {c.passed ? <Badge tone="success">pass</Badge> : <Badge tone="danger">fail</Badge>}
                          <span className="grow">{c.test}</span>
                          <span className="muted small">
                            exit {c.exitCode ?? '–'} · {(c.durationMs / 1000).toFixed(1)} s
                          </span>
                        </div>
                        <code className="small">{c.command}</code>
                        {c.logExcerpt && <pre className="check-log">{c.logExcerpt}</pre>}
                      </div>
                    ))}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
