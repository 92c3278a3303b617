import { useMemo } from 'react';
import { useCache, usePagedQuery, type Pages } from '../../api/hooks';
import type { Goal, WorkflowState } from '../../gen/bindings';
import { STATES } from '../work/states';
import { columnInput, type BoardFilter } from './columns';

type Listing = Pages<'goals.list'>;

/** One column: the cards loaded so far (in priority order) and how many there are in all. */
export interface Column {
  cards: Goal[];
  /** Every Goal in the column, loaded or not. */
  total: number;
  /** More than `total` (the daemon stops counting at 10,000). */
  capped: boolean;
  /** The column's first page is here. */
  ready: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  error: string | null;
}

export interface BoardColumns {
  columns: Record<WorkflowState, Column>;
  /** Every column's first page is here (the board paints whole, every column counted). */
  ready: boolean;
  error: string | null;
  /** Puts a moved Goal the client already has (a transition's answer) in place. */
  moved: (goal: Goal, from: WorkflowState) => void;
}

/** The Board's order: higher priority first, then by number (the daemon's `priority` sort). */
export function byPriority(a: Goal, b: Goal): number {
  return b.priority - a.priority || a.number - b.number;
}

function inFeature(goal: Goal, filter: BoardFilter): boolean {
  if (filter.featureId === '') return true;
  return filter.featureId === 'none' ? goal.featureId === null : goal.featureId === filter.featureId;
}

/** What happened to a Goal: moved from another state (its priority kept), edited, or created. */
export type Change = { from: WorkflowState } | 'edited' | 'created';

/**
 * The column's listing with `goal` as it is now — taken out, put in place, counted — or
 * `undefined` when that cannot be told from the pages loaded, and the column is asked again.
 * Only the pages loaded are known: a Goal that sorts after the last card loaded may be among
 * those not loaded yet, where only the count shows it.
 */
export function placeInColumn(listing: Listing, goal: Goal, state: WorkflowState, filter: BoardFilter, change: Change): Listing | undefined {
  // Search matches are the daemon's to tell.
  if (filter.q.trim()) return undefined;
  const items = listing.pages.flatMap((p) => p.items);
  const at = items.findIndex((g) => g.id === goal.id);
  // Older news than what is shown.
  if (at >= 0 && items[at].updatedAt > goal.updatedAt) return listing;
  const belongs = !goal.deletedAt && goal.status === state && inFeature(goal, filter);
  const complete = !listing.pages[listing.pages.length - 1]?.nextCursor;
  // The loaded pages hold every Goal of the column up to the last card loaded (the next page is
  // asked from there).
  const bound = items[items.length - 1];
  const amongLoaded = complete || (bound !== undefined && byPriority(goal, bound) <= 0);
  if (at < 0 && !complete) {
    if (change === 'edited') {
      // An edit keeps the state, not the priority: a Goal of this column that is not loaded
      // may have been past the loaded cards and be among them now.
      return goal.status === state ? undefined : listing;
    }
    // A move keeps the priority: a Goal that sorts among the loaded cards and is not there was
    // not in this column. Past them, it may have been, or may be now: only a count changes.
    const was = change !== 'created' && change.from === state && inFeature(goal, filter);
    if (!amongLoaded) return was || belongs ? undefined : listing;
  }
  if (at < 0 && !belongs) return listing;
  const rest = at >= 0 ? items.filter((g) => g.id !== goal.id) : items;

  const next = [...rest];
  if (belongs && amongLoaded) {
    const place = rest.findIndex((g) => byPriority(goal, g) < 0);
    next.splice(place >= 0 ? place : rest.length, 0, goal);
  }
  const delta = (belongs ? 1 : 0) - (at >= 0 ? 1 : 0);
  // The pages as long as they were, the last one taking the difference. (Only the last page's
  // cursor is asked from, and the last card loaded stays where it was, or is gone.)
  let offset = 0;
  const pages = listing.pages.map((page, i) => {
    const last = i === listing.pages.length - 1;
    const items = last ? next.slice(offset) : next.slice(offset, offset + page.items.length);
    offset += page.items.length;
    const total = i === 0 && page.total !== null && !page.totalIsLowerBound ? Math.max(0, page.total + delta) : page.total;
    const same = total === page.total && items.length === page.items.length && items.every((g, k) => g === page.items[k]);
    return same ? page : { ...page, items, total };
  });
  return pages.every((p, i) => p === listing.pages[i]) ? listing : { ...listing, pages };
}

function useColumn(appId: string, state: WorkflowState, filter: BoardFilter): Column {
  const list = usePagedQuery('goals.list', columnInput(appId, state, filter), {
    live: {
      'workflow.transitioned': (listing, event) => placeInColumn(listing, event.data.goal, state, filter, { from: event.data.from }),
      'goals.created': (listing, event) => placeInColumn(listing, event.data, state, filter, 'created'),
      'goals.updated': (listing, event) => placeInColumn(listing, event.data, state, filter, 'edited'),
      'goals.deleted': (listing, event) => placeInColumn(listing, event.data, state, filter, 'edited'),
    },
  });
  const first = list.data?.pages[0];
  return useMemo<Column>(
    () => ({
      cards: list.items ?? [],
      total: first?.total ?? list.items?.length ?? 0,
      capped: first?.totalIsLowerBound ?? false,
      ready: list.data !== undefined,
      hasMore: list.hasMore,
      loadingMore: list.loadingMore,
      loadMore: list.loadMore,
      error: list.error?.message ?? null,
    }),
    [list.items, list.data, first, list.hasMore, list.loadingMore, list.loadMore, list.error],
  );
}

/**
 * The Board's columns, each its own listing (the first page of every column paints the board;
 * the rest of a long column comes as it scrolls), kept current from events: a Goal that was
 * created, changed or moved is put in place from the event itself when the loaded pages tell
 * where; otherwise (search, a Goal past the loaded cards, bulk edits, imports) the column is
 * asked again.
 */
export function useBoardColumns(appId: string, filter: BoardFilter): BoardColumns {
  // One listing per state, always in this order (STATES is fixed).
  const backlog = useColumn(appId, 'backlog', filter);
  const todo = useColumn(appId, 'todo', filter);
  const plan = useColumn(appId, 'plan', filter);
  const implement = useColumn(appId, 'implement', filter);
  const quality = useColumn(appId, 'quality', filter);
  const governance = useColumn(appId, 'governance', filter);
  const review = useColumn(appId, 'review', filter);
  const done = useColumn(appId, 'done', filter);
  const failed = useColumn(appId, 'failed', filter);
  const cancelled = useColumn(appId, 'cancelled', filter);
  const columns = useMemo<Record<WorkflowState, Column>>(
    () => ({ backlog, todo, plan, implement, quality, governance, review, done, failed, cancelled }),
    [backlog, todo, plan, implement, quality, governance, review, done, failed, cancelled],
  );

  const cache = useCache();
  const moved = (goal: Goal, from: WorkflowState) => {
    for (const state of STATES) {
      // What cannot be placed here is left to the move's event (the column is asked again then).
      cache.updatePages('goals.list', columnInput(appId, state, filter), (listing) => placeInColumn(listing, goal, state, filter, { from }) ?? listing);
    }
  };
  const all = STATES.map((s) => columns[s]);
  return {
    columns,
    ready: all.every((c) => c.ready),
    error: all.find((c) => c.error)?.error ?? null,
    moved,
  };
}
