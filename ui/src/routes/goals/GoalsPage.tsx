import { useEffect, useMemo, useRef, useState } from 'react';
import { call } from '../../api/client';
import { errorMessage, toApiFailure } from '../../api/errors';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App, ExportFormat, Goal, ListGoalsInput } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { hrefFor, replaceQuery, useRoute } from '../../state/router';
import { openNewGoal } from '../../state/uiActions';
import { downloadExport } from '../work/download';
import { GOAL_EVENTS, useDebouncedRefetch, useFeatures, useReporters } from '../work/hooks';
import { RequireApp } from '../work/RequireApp';
import { BulkBar, BulkResultPanel, type BulkOutcome } from './BulkBar';
import { filtersFromQuery, filtersToQuery, hasFilters, PAGE_SIZE, toInput, type GoalFilters } from './filters';
import { GoalDetailPage } from './GoalDetailPage';
import { GoalFiltersBar } from './GoalFiltersBar';
import { GoalsTable } from './GoalsTable';
import { rememberGoalsHref } from './listMemory';

interface Loaded {
  key: string;
  items: Goal[];
  nextCursor: string | null;
  total: number | null;
  totalIsLowerBound: boolean;
}

/** `#/goals` lists; `#/goals/<id>` shows one Goal. */
export function GoalsPage() {
  const route = useRoute();
  const id = route.rest[0];
  if (id) return <GoalDetailPage key={id} id={id} />;
  return (
    <Page
      title="Goals"
      subtitle="Everything that should change, and where it stands."
      testId="page-goals"
      actions={<GoalsActions />}
    >
      <RequireApp>{(app) => <GoalsList key={app.id} app={app} query={route.query} />}</RequireApp>
    </Page>
  );
}

function GoalsActions() {
  const toast = useToast();
  const { active } = useApps();
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  if (!active) return null;
  const appId = active.id;
  const exportAs = async (format: ExportFormat) => {
    setBusy(format);
    try {
      const { filename, goals } = await downloadExport(appId, format);
      toast.show('success', `Exported ${goals} goal${goals === 1 ? '' : 's'}`, filename);
    } catch (err) {
      toast.show('error', 'Export failed', errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => exportAs('json')} disabled={busy !== null} data-testid="export-json">
        <Icon name="download" /> JSON
      </button>
      <button type="button" className="button" onClick={() => exportAs('csv')} disabled={busy !== null} data-testid="export-csv">
        <Icon name="download" /> CSV
      </button>
      <a className="button" href={hrefFor('import')} data-testid="goals-import">
        <Icon name="upload" /> Import
      </a>
      <button type="button" className="button primary" onClick={() => openNewGoal()} data-testid="new-goal" title="New goal (n)">
        <Icon name="plus" /> New goal
      </button>
    </>
  );
}

function GoalsList({ app, query }: { app: App; query: URLSearchParams }) {
  const toast = useToast();
  const filters = useMemo(() => filtersFromQuery(query), [query]);
  const setFilters = (next: GoalFilters) => replaceQuery(filtersToQuery(next));
  const features = useFeatures(app.id);
  const reporters = useReporters();

  const key = JSON.stringify(toInput(filters, app.id));
  const listHref = hrefFor('goals', [], filtersToQuery(filters));
  useEffect(() => rememberGoalsHref(listHref), [listHref]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [bulk, setBulk] = useState<BulkOutcome | null>(null);
  const [restoring, setRestoring] = useState<ReadonlySet<string>>(new Set());

  // How many rows are shown, so a live refresh keeps every loaded page.
  const shown = useRef(0);
  const lastKey = useRef(key);
  useEffect(() => {
    shown.current = loaded?.key === key ? loaded.items.length : 0;
  });

  useEffect(() => {
    let current = true;
    const sameList = lastKey.current === key;
    lastKey.current = key;
    const limit = sameList ? Math.max(PAGE_SIZE, shown.current) : PAGE_SIZE;
    const input = JSON.parse(key) as ListGoalsInput;
    call('work.list_goals', { ...input, limit }).then(
      (page) => {
        if (!current) return;
        setLoaded({ key, items: page.items, nextCursor: page.nextCursor, total: page.total, totalIsLowerBound: page.totalIsLowerBound });
        setError(null);
        setSelected((s) => {
          const visible = new Set(page.items.map((g) => g.id));
          const kept = [...s].filter((id) => visible.has(id));
          return kept.length === s.size ? s : new Set(kept);
        });
      },
      (err: unknown) => current && setError(toApiFailure(err).message),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);

  useDebouncedRefetch(GOAL_EVENTS, () => setGeneration((g) => g + 1));

  const current = loaded && loaded.key === key ? loaded : null;

  const loadMore = async () => {
    if (!current?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await call('work.list_goals', toInput(filters, app.id, { cursor: current.nextCursor }));
      setLoaded((l) => {
        if (!l || l.key !== key) return l;
        const seen = new Set(l.items.map((g) => g.id));
        return { ...l, items: [...l.items, ...page.items.filter((g) => !seen.has(g.id))], nextCursor: page.nextCursor };
      });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const restore = async (goal: Goal) => {
    setRestoring((s) => new Set([...s, goal.id]));
    try {
      await call('work.restore_goal', { id: goal.id });
      toast.show('success', `Restored #${goal.number}`, goal.title);
    } catch (err) {
      toast.show('error', `Could not restore #${goal.number}`, errorMessage(err));
    } finally {
      setRestoring((s) => new Set([...s].filter((id) => id !== goal.id)));
    }
  };

  const labels = useMemo(() => [...new Set((current?.items ?? []).flatMap((g) => g.labels))].sort(), [current]);
  const toggle = (id: string) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  const toggleAll = (all: boolean) => setSelected(all ? new Set((current?.items ?? []).map((g) => g.id)) : new Set());
  const filtered = hasFilters(filters);

  return (
    <>
      <div className="goals-toolbar">
        <div className="segmented" role="tablist" aria-label="Which goals">
          <button type="button" role="tab" aria-selected={!filters.deleted} className={filters.deleted ? 'segment' : 'segment active'} onClick={() => setFilters({ ...filters, deleted: false })} data-testid="view-active">
            Goals
          </button>
          <button type="button" role="tab" aria-selected={filters.deleted} className={filters.deleted ? 'segment active' : 'segment'} onClick={() => setFilters({ ...filters, deleted: true })} data-testid="view-deleted">
            <Icon name="trash" /> Deleted
          </button>
        </div>
        <span className="goals-total muted" data-testid="goals-total" data-total={current?.total ?? ''}>
          {current && current.total !== null && (
            <>
              {current.items.length < current.total ? `${current.items.length} of ` : ''}
              <strong>{current.total.toLocaleString()}{current.totalIsLowerBound ? '+' : ''}</strong> {filters.deleted ? 'deleted ' : ''}goal{current.total === 1 ? '' : 's'}
              {filtered ? ' match' : ''}
            </>
          )}
        </span>
      </div>
      <GoalFiltersBar filters={filters} onChange={setFilters} features={features.data ?? []} reporters={reporters.data ?? []} labels={labels} />
      {selected.size > 0 && !filters.deleted && (
        <BulkBar
          selected={[...selected]}
          goals={current?.items ?? []}
          features={features.data ?? []}
          onDone={(outcome) => {
            setBulk(outcome);
            if (outcome.result.failed === 0) setSelected(new Set());
            else setSelected(new Set(outcome.result.results.filter((r) => !r.ok).map((r) => r.id)));
          }}
          onClear={() => setSelected(new Set())}
        />
      )}
      {bulk && <BulkResultPanel outcome={bulk} onDismiss={() => setBulk(null)} />}
      {error && <Banner tone="error">{error}</Banner>}
      {!current ? (
        !error && <Spinner />
      ) : current.items.length === 0 ? (
        <EmptyState title={filtered ? 'No goals match these filters' : filters.deleted ? 'Nothing deleted' : 'No goals yet'} testId="goals-empty">
          {filtered ? (
            <p>Change or clear the filters.</p>
          ) : filters.deleted ? (
            <p>Deleted goals can be restored from here.</p>
          ) : (
            <p>
              Write down what should change: <button type="button" className="link-button" onClick={() => openNewGoal()}>create a goal</button> (or press <kbd>n</kbd>),
              or <a href={hrefFor('import')}>import</a> a task list.
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          <GoalsTable goals={current.items} selected={selected} onToggle={toggle} onToggleAll={toggleAll} deletedView={filters.deleted} onRestore={restore} restoring={restoring} />
          <div className="load-more">
            {current.nextCursor ? (
              <button type="button" className="button" onClick={loadMore} disabled={loadingMore} data-testid="goals-load-more">
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">That is all.</span>
            )}
          </div>
        </>
      )}
    </>
  );
}
