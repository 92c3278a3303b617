import { useState } from 'react';
import { useLiveEvents, usePagedQuery, type Pages } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useDebounced } from '../../components/useDebounced';
import type { Activity } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { ActivityTable } from './ActivityTable';
import { matchesFilters, NO_FILTERS, prependActivity, SURFACES, toInput, type ActivityFilters } from './filters';

/** A new entry that matches the filters goes on top of the first page, without asking again. */
function withEntry(listing: Pages<'activity.list'>, entry: Activity, filters: ActivityFilters): Pages<'activity.list'> {
  const [first, ...rest] = listing.pages;
  if (!first || !matchesFilters(entry, filters)) return listing;
  const page = prependActivity(first, entry);
  return page === first ? listing : { ...listing, pages: [page, ...rest] };
}

export function ActivityPage() {
  const { apps } = useApps();
  const [filters, setFilters] = useState<ActivityFilters>(NO_FILTERS);
  const applied = useDebounced(filters, 250);
  const list = usePagedQuery('activity.list', toInput(applied), {
    live: { 'activity.created': (listing, event) => withEntry(listing, event.data, applied) },
  });
  const error = list.error?.message;
  // Ids that arrived live, for a brief highlight.
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  useLiveEvents((event) => {
    if (event.kind === 'activity.created' && matchesFilters(event.data as Activity, applied)) setFresh((f) => new Set([...f, (event.data as Activity).id]));
  });

  const set = <K extends keyof ActivityFilters>(field: K, value: ActivityFilters[K]) => setFilters((f) => ({ ...f, [field]: value }));
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const current = list.loading || !list.items ? null : { items: list.items };

  return (
    <Page title="Activity" subtitle="The audit log: every change, who made it and through which surface. New entries appear live." testId="page-activity">
      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filter activity">
        <label className="field">
          <span className="field-label">Surface</span>
          <select value={filters.surface} onChange={(e) => set('surface', e.target.value as ActivityFilters['surface'])} data-testid="filter-surface">
            <option value="">All surfaces</option>
            {SURFACES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Operation or group</span>
          <input value={filters.operation} onChange={(e) => set('operation', e.target.value)} placeholder="apps or apps.add" className="mono" data-testid="filter-operation" />
        </label>
        <label className="field">
          <span className="field-label">Actor</span>
          <input value={filters.actor} onChange={(e) => set('actor', e.target.value)} placeholder="user" data-testid="filter-actor" />
        </label>
        <label className="field">
          <span className="field-label">App</span>
          <select value={filters.appId} onChange={(e) => set('appId', e.target.value)} data-testid="filter-app">
            <option value="">All apps</option>
            {apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button ghost" onClick={() => setFilters(NO_FILTERS)} disabled={!filtered}>
          Clear
        </button>
      </form>

      {error && <Banner tone="error">{error}</Banner>}
      {!current ? (
        !error && <Spinner />
      ) : current.items.length === 0 ? (
        <EmptyState title={filtered ? 'Nothing matches these filters' : 'No activity yet'} testId="activity-empty">
          <p>Every change made through the window, a browser, the CLI or an agent is recorded here.</p>
        </EmptyState>
      ) : (
        <>
          <ActivityTable items={current.items} fresh={fresh} apps={apps} />
          <div className="load-more">
            {list.hasMore ? (
              <button type="button" className="button" onClick={list.loadMore} disabled={list.loadingMore} data-testid="activity-load-more">
                {list.loadingMore ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">{current.items.length === 1 ? '1 entry' : `${current.items.length} entries`} — that is all</span>
            )}
          </div>
        </>
      )}
    </Page>
  );
}
