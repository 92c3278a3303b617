import { useState } from 'react';
import { useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import type { App, DiffScope } from '../../gen/bindings';
import { replaceQuery, useRoute } from '../../state/router';
import { RequireApp } from '../work/RequireApp';
import { ChurnDaysChart, ChurnFilesChart } from './ChurnCharts';
import { DiffModeToggle, DiffView, useDiffMode, type DiffMode } from './DiffView';
import { LogPanel } from './LogPanel';
import { CommitBox, StatusPanel } from './StatusPanel';

type Tab = 'working' | 'compare' | 'log' | 'churn';
const TABS: { id: Tab; label: string }[] = [
  { id: 'working', label: 'Working tree' },
  { id: 'compare', label: 'Compare' },
  { id: 'log', label: 'Log' },
  { id: 'churn', label: 'Churn' },
];

export function ChangesPage() {
  const { query } = useRoute();
  const tab = (TABS.find((t) => t.id === query.get('tab'))?.id ?? 'working') as Tab;
  const [mode, setMode] = useDiffMode();
  return (
    <Page
      title="Changes"
      subtitle="Git status, diffs, history and churn of the active app."
      testId="page-changes"
      wide
      actions={tab !== 'churn' && <DiffModeToggle mode={mode} onChange={setMode} />}
    >
      <div className="segmented tabs" role="tablist" aria-label="Changes views">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'segment active' : 'segment'} onClick={() => replaceQuery({ tab: t.id === 'working' ? null : t.id })} data-testid={`changes-tab-${t.id}`}>
            {t.label}
          </button>
        ))}
      </div>
      <RequireApp>
        {(app) => (
          <>
            {tab === 'working' && <WorkingTree app={app} mode={mode} />}
            {tab === 'compare' && <Compare app={app} mode={mode} from={query.get('from') ?? ''} to={query.get('to') ?? ''} />}
            {tab === 'log' && <LogPanel appId={app.id} mode={mode} />}
            {tab === 'churn' && <ChurnPanel app={app} />}
          </>
        )}
      </RequireApp>
    </Page>
  );
}

function WorkingTree({ app, mode }: { app: App; mode: DiffMode }) {
  const status = useQuery('changes.status', { appId: app.id });
  const [scope, setScope] = useState<DiffScope>('all');
  const [selected, setSelected] = useState<string | null>(null);
  const diff = useQuery('changes.diff', { appId: app.id, scope, paths: selected ? [selected] : null });

  if (status.error) return <Banner tone="error">{status.error.message}</Banner>;
  if (!status.data) return <Spinner />;
  const s = status.data;
  return (
    <div className="changes-layout">
      <aside className="changes-side stack">
        <div className="card branch-card" data-testid="branch-card">
          <Icon name="branch" />
          <strong>{s.branch ?? 'detached HEAD'}</strong>
          {s.head && <code>{s.head.slice(0, 8)}</code>}
        </div>
        <div className="card">
          <StatusPanel appId={app.id} status={s} selected={selected} onSelect={setSelected} />
        </div>
        <div className="card">
          <CommitBox appId={app.id} status={s} />
        </div>
      </aside>
      <div className="changes-main stack">
        <div className="row">
          <div className="segmented" role="radiogroup" aria-label="Diff scope" data-testid="diff-scope">
            {(['all', 'staged', 'unstaged'] as const).map((sc) => (
              <button key={sc} type="button" role="radio" aria-checked={scope === sc} className={scope === sc ? 'segment active' : 'segment'} onClick={() => setScope(sc)} data-testid={`diff-scope-${sc}`}>
                {sc === 'all' ? 'All vs HEAD' : sc === 'staged' ? 'Staged' : 'Unstaged'}
              </button>
            ))}
          </div>
          {selected && (
            <span className="chip">
              <span className="mono small">{selected}</span>
              <button type="button" className="icon-button small" aria-label="Show all files" onClick={() => setSelected(null)}>
                <Icon name="x" size={12} />
              </button>
            </span>
          )}
        </div>
        {diff.error ? <Banner tone="error">{diff.error.message}</Banner> : !diff.data ? <Spinner /> : <DiffView diff={diff.data} mode={mode} empty={scope === 'staged' ? 'Nothing staged.' : 'The working tree is clean.'} />}
      </div>
    </div>
  );
}

function Compare({ app, mode, from, to }: { app: App; mode: DiffMode; from: string; to: string }) {
  const refs = useQuery('changes.refs', { appId: app.id });
  const [draft, setDraft] = useState({ from: from || 'HEAD~1', to: to || 'HEAD' });
  const ready = from !== '' && to !== '';
  return (
    <div className="stack">
      <form
        className="filters card compare-form"
        onSubmit={(e) => {
          e.preventDefault();
          replaceQuery({ tab: 'compare', from: draft.from.trim(), to: draft.to.trim() });
        }}
      >
        <label className="field grow">
          <span className="field-label">From</span>
          <input list="refs-list" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid="compare-from" />
        </label>
        <label className="field grow">
          <span className="field-label">To</span>
          <input list="refs-list" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="compare-to" />
        </label>
        <button type="submit" className="button primary" data-testid="compare-go">
          Compare
        </button>
        <datalist id="refs-list">
          {(refs.data?.branches ?? []).map((b) => (
            <option key={b.name} value={b.name} />
          ))}
          <option value="HEAD" />
        </datalist>
      </form>
      {ready ? <CompareDiff appId={app.id} from={from} to={to} mode={mode} /> : <EmptyState title="Pick two revisions to compare">Branches, tags, commit ids or expressions such as HEAD~3.</EmptyState>}
    </div>
  );
}

function CompareDiff({ appId, from, to, mode }: { appId: string; from: string; to: string; mode: DiffMode }) {
  const diff = useQuery('changes.diff', { appId, from, to });
  if (diff.error) return <Banner tone="error">{diff.error.message}</Banner>;
  if (!diff.data) return <Spinner />;
  return <DiffView diff={diff.data} mode={mode} empty={`No differences between ${from} and ${to}.`} />;
}

const WINDOWS = [14, 30, 90, 365] as const;

function ChurnPanel({ app }: { app: App }) {
  const [days, setDays] = useState<number>(30);
  const churn = useQuery('changes.churn', { appId: app.id, days, top: 12 });
  return (
    <div className="stack" data-testid="churn">
      <div className="row">
        <div className="segmented" role="radiogroup" aria-label="Window">
          {WINDOWS.map((w) => (
            <button key={w} type="button" role="radio" aria-checked={days === w} className={days === w ? 'segment active' : 'segment'} onClick={() => setDays(w)} data-testid={`churn-days-${w}`}>
              {w === 365 ? '1 year' : `${w} days`}
            </button>
          ))}
        </div>
        <span className="legend small">
          <span className="legend-swatch churn-added" /> added <span className="legend-swatch churn-removed" /> removed
        </span>
      </div>
      {churn.error && <Banner tone="error">{churn.error.message}</Banner>}
      {!churn.data ? (
        <Spinner />
      ) : (
        <>
          <div className="card">
            <div className="card-header">
              <h2>Lines changed per day</h2>
              <span className="muted small">{churn.data.days.reduce((n, d) => n + d.commits, 0)} commits</span>
            </div>
            <ChurnDaysChart days={churn.data.days} />
          </div>
          <div className="card">
            <div className="card-header">
              <h2>Most-changed files</h2>
            </div>
            {churn.data.files.length ? <ChurnFilesChart files={churn.data.files} /> : <p className="muted">No changes in this window.</p>}
          </div>
        </>
      )}
    </div>
  );
}
