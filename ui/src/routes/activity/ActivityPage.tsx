import { useEffect, useState } from 'react';
import { call } from '../../api/client';
import { errorMessage, toApiFailure } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useDebounced } from '../../components/useDebounced';
import type { Activity } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { ActivityTable } from './ActivityTable';
import { matchesFilters, NO_FILTERS, SURFACES, toInput, type ActivityFilters } from './filters';

interface Loaded {
  /** The filters these items were fetched with. */
  key: string;
  items: Activity[];
  nextCursor: string | null;
  /** Ids that arrived live, for a brief highlight. */
  fresh: ReadonlySet<string>;
}

export function ActivityPage() {
  const { apps } = useApps();
  const [filters, setFilters] = useState<ActivityFilters>(NO_FILTERS);
  const applied = useDebounced(filters, 250);
  const key = JSON.stringify(applied);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    let current = true;
    call('activity.list', toInput(applied)).then(
      (page) => {
        if (!current) return;
        setLoaded({ key, items: page.items, nextCursor: page.nextCursor, fresh: new Set() });
        setError(null);
      },
      (err: unknown) => current && setError(toApiFailure(err).message),
    );
    return () => {
      current = false;
    };
  }, [applied, key, generation]);

  useLiveEvents((event) => {
    if (event.kind === RESYNC) {
      setGeneration((g) => g + 1);
      return;
    }
    if (event.kind !== 'activity.created') return;
    const entry = event.data as Activity;
    if (!matchesFilters(entry, applied)) return;
    setLoaded((l) => {
      if (!l || l.key !== key || l.items.some((i) => i.id === entry.id)) return l;
      return { ...l, items: [entry, ...l.items], fresh: new Set([...l.fresh, entry.id]) };
    });
  });

  const loadMore = async () => {
    if (!loaded?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await call('activity.list', toInput(applied, loaded.nextCursor));
      setLoaded((l) => {
        if (!l || l.key !== key) return l;
        const seen = new Set(l.items.map((i) => i.id));
        return { ...l, items: [...l.items, ...page.items.filter((i) => !seen.has(i.id))], nextCursor: page.nextCursor };
      });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const set = <K extends keyof ActivityFilters>(field: K, value: ActivityFilters[K]) => setFilters((f) => ({ ...f, [field]: value }));
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const current = loaded && loaded.key === key ? loaded : null;

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
          <ActivityTable items={current.items} fresh={current.fresh} apps={apps} />
          <div className="load-more">
            {current.nextCursor ? (
              <button type="button" className="button" onClick={loadMore} disabled={loadingMore} data-testid="activity-load-more">
                {loadingMore ? 'Loading…' : 'Load more'}
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
