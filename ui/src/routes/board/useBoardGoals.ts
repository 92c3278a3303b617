import { useEffect } from 'react';
import { useCache, usePagedQuery, type Pages } from '../../api/hooks';
import type { Goal, ListGoalsInput } from '../../gen/bindings';

const PAGE = 500;
const MAX_PAGES = 10;

type Listing = Pages<'goals.list'>;

export interface BoardGoals {
  goals: Goal[] | null;
  error: string | null;
  /** Puts a Goal the client already has (a transition's answer) in place. */
  upsert: (goal: Goal) => void;
}

/** The listing with `goal` in place: replaced if it is newer, added if new, dropped once deleted. */
function withGoal(listing: Listing, goal: Goal): Listing {
  const pages = listing.pages.map((page) => {
    const items = goal.deletedAt
      ? page.items.filter((g) => g.id !== goal.id)
      : page.items.map((g) => (g.id === goal.id && g.updatedAt <= goal.updatedAt ? goal : g));
    return items.some((g, i) => g !== page.items[i]) || items.length !== page.items.length ? { ...page, items } : page;
  });
  const known = listing.pages.some((page) => page.items.some((g) => g.id === goal.id));
  if (!known && !goal.deletedAt && pages.length > 0) {
    const last = pages[pages.length - 1];
    pages[pages.length - 1] = { ...last, items: [...last.items, goal] };
  }
  return pages.every((p, i) => p === listing.pages[i]) ? listing : { ...listing, pages };
}

/**
 * Every live Goal of the app, kept current from events: a Goal that was created, changed or moved
 * is put in place from the event itself (no request); bulk edits, imports and Feature changes
 * fetch the listing again.
 */
export function useBoardGoals(appId: string): BoardGoals {
  const input: ListGoalsInput = { appId, limit: PAGE, sort: 'priority' };
  const list = usePagedQuery('goals.list', input, {
    live: {
      'workflow.transitioned': (listing, event) => withGoal(listing, event.data.goal),
      'goals.created': (listing, event) => withGoal(listing, event.data),
      'goals.updated': (listing, event) => withGoal(listing, event.data),
      'goals.deleted': (listing, event) => withGoal(listing, event.data),
    },
  });
  const loaded = list.data?.pages.length ?? 0;
  const complete = !list.hasMore || loaded >= MAX_PAGES;
  const { loadMore, loadingMore } = list;
  useEffect(() => {
    if (!complete && !loadingMore) loadMore();
  }, [complete, loadingMore, loadMore]);

  const cache = useCache();
  const upsert = (goal: Goal) => cache.updatePages('goals.list', input, (listing) => withGoal(listing, goal));
  return { goals: complete && !list.loading ? (list.items ?? null) : null, error: list.error?.message ?? null, upsert };
}
