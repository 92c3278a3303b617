import { useCallback, useEffect, useMemo, useState } from 'react';
import { useAction, usePagedQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useAfterPaint } from '../../components/useAfterPaint';
import { useToast } from '../../components/toastContext';
import type { App, ExportFormat, Goal } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { hrefFor, replaceQuery, useRoute } from '../../state/router';
import { openNewGoal } from '../../state/uiActions';
import { downloadExport } from '../work/download';
import { useFeatures, useReporters } from '../work/hooks';
import { RequireApp } from '../work/RequireApp';
import { BulkBar, BulkResultPanel, type BulkOutcome } from './BulkBar';
import { filtersFromQuery, filtersToQuery, hasFilters, matches, narrows, toInput, type GoalFilters } from './filters';
import { GoalDetailPage, preloadGoalDetail } from './detailChunk';
import { GoalFiltersBar } from './GoalFiltersBar';
import { GoalsTable } from './GoalsTable';
import { rememberGoalsHref } from './listMemory';

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
  const exporting = useAction(({ appId, format }: { appId: string; format: ExportFormat }, call) => downloadExport(appId, format, call), {
    onSuccess: ({ filename, goals }) => toast.show('success', `Exported ${goals} goal${goals === 1 ? '' : 's'}`, filename),
    onError: (err) => toast.show('error', 'Export failed', err.message),
  });
  const busy = exporting.pending[0]?.format ?? null;
  if (!active) return null;
  const appId = active.id;
  const exportAs = (format: ExportFormat) => void exporting.run({ appId, format });
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
  // Every loaded page is asked again when Goals change, so "Load more" is kept.
  const list = usePagedQuery('goals.list', toInput(filters, app.id));
  // The filters' choices come once the rows (or a refusal) are painted: they do not hold the
  // first paint back.
  const listed = useAfterPaint(list.data !== undefined || list.error !== undefined);
  const features = useFeatures(app.id, listed);
  const reporters = useReporters(listed);

  const listHref = hrefFor('goals', [], filtersToQuery(filters));
  useEffect(() => rememberGoalsHref(listHref), [listHref]);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [bulk, setBulk] = useState<BulkOutcome | null>(null);

  const error = list.error?.message;
  const first = list.data?.pages[0];
  // The last rows the daemon answered, and for which filters.
  const [answered, setAnswered] = useState<{ filters: GoalFilters; items: Goal[] } | null>(null);
  if (!list.loading && list.items && (answered?.items !== list.items || answered.filters !== filters)) setAnswered({ filters, items: list.items });
  // A narrower filter (a status ticked, a Feature chosen) answers at once from the rows shown:
  // those that match are the first rows of its answer, in order; the rest follow from the daemon.
  const early = list.loading && answered && narrows(answered.filters, filters) ? answered.items.filter((g) => matches(filters, g)) : null;
  const current =
    early && early.length > 0
      ? { items: early, total: null, totalIsLowerBound: false, partial: true }
      : list.loading || !list.items
        ? null
        : { items: list.items, total: first?.total ?? null, totalIsLowerBound: first?.totalIsLowerBound ?? false, partial: false };
  // Only rows on screen stay selected.
  const selected = useMemo<ReadonlySet<string>>(() => {
    const visible = new Set((list.items ?? []).map((g) => g.id));
    const kept = [...picked].filter((id) => visible.has(id));
    return kept.length === picked.size ? picked : new Set(kept);
  }, [picked, list.items]);

  const restoring = useAction((goal: Goal, call) => call('goals.restore', { id: goal.id }), {
    onSuccess: (goal) => toast.show('success', `Restored #${goal.number}`, goal.title),
    onError: (err, goal) => toast.show('error', `Could not restore #${goal.number}`, err.message),
  });
  const restoreRun = restoring.run;
  const restore = useCallback((goal: Goal) => void restoreRun(goal), [restoreRun]);
  const restoringIds = useMemo<ReadonlySet<string>>(() => new Set(restoring.pending.map((g) => g.id)), [restoring.pending]);

  const labels = useMemo(() => [...new Set((list.items ?? []).flatMap((g) => g.labels))].sort(), [list.items]);
  const toggle = useCallback((id: string) => setPicked((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id]))), []);
  // A Goal is usually opened from the list: its page's code comes while the list is read.
  useEffect(() => {
    if (listed) void preloadGoalDetail();
  }, [listed]);
  const toggleAll = (all: boolean) => setPicked(all ? new Set((current?.items ?? []).map((g) => g.id)) : new Set());
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
            if (outcome.result.failed === 0) setPicked(new Set());
            else setPicked(new Set(outcome.result.results.filter((r) => !r.ok).map((r) => r.id)));
          }}
          onClear={() => setPicked(new Set())}
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
          <GoalsTable goals={current.items} selected={selected} onToggle={toggle} onToggleAll={toggleAll} deletedView={filters.deleted} onRestore={restore} restoring={restoringIds} />
          <div className="load-more">
            {current.partial ? (
              <span className="muted small" role="status" data-testid="goals-partial">
                Loading…
              </span>
            ) : list.hasMore ? (
              <button type="button" className="button" onClick={list.loadMore} disabled={list.loadingMore} data-testid="goals-load-more">
                {list.loadingMore ? 'Loading…' : 'Load more'}
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
