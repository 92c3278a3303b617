import type { QueryClient } from '@tanstack/react-query';
import { operationQuery, pagedQuery } from '../api/hooks';
import { rememberedActiveApp } from '../state/lastApp';
import type { Route } from '../state/router';
import { preloadArea } from './AreaPage';
import { boardFilterFromQuery, columnInput } from './board/columns';
import { filtersFromQuery, toInput } from './goals/filters';
import { preloadGoalDetail } from './goals/detailChunk';
import { STATES } from './work/states';

/** How long the first render waits for the first page's chunk at most. */
const CHUNK_WAIT_MS = 1000;

/**
 * At start, before anything renders, everything the first page needs is asked for at once
 * instead of one after the other as components mount: its chunk, the apps (every work page waits
 * for the active app) and — for the app that was active last time — the page's own listing and
 * what the top bar shows of the app. If
 * another app is active by now, the page asks for that one and the guess goes unused.
 * Resolves once the chunk is here (or after CHUNK_WAIT_MS), so the first render does not suspend.
 */
export function preloadFirstPage(client: QueryClient, route: Route): Promise<void> {
  void client.prefetchQuery(operationQuery('apps.list', {}));
  const appId = rememberedActiveApp();
  if (appId) {
    // What the top bar shows of the app, so it does not render again just after the page.
    void client.prefetchQuery(operationQuery('target.get', { appId }));
    void client.prefetchQuery(operationQuery('settings.get', { appId }));
  }
  if (appId && route.area === 'goals' && route.rest.length === 0) {
    void client.prefetchInfiniteQuery(pagedQuery('goals.list', toInput(filtersFromQuery(route.query), appId)));
  }
  if (appId && route.area === 'board') {
    const filter = boardFilterFromQuery(route.query);
    for (const state of STATES) void client.prefetchInfiniteQuery(pagedQuery('goals.list', columnInput(appId, state, filter)));
  }
  if (route.area === 'cluster') void client.prefetchQuery(operationQuery('cluster.status', {}));
  const chunks = [preloadArea(route.area)];
  if (route.area === 'goals' && route.rest.length > 0) chunks.push(preloadGoalDetail());
  // A chunk that is slow to come does not keep the shell from showing (the page then suspends).
  const late = new Promise<void>((done) => setTimeout(done, CHUNK_WAIT_MS));
  return Promise.race([Promise.all(chunks).then(() => undefined), late]);
}
