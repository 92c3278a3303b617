import { useMemo, useSyncExternalStore } from 'react';
import { DEFAULT_AREA, isAreaId, type AreaId } from '../routes/areas';

// Hash routes (`#/goals/<id>`, `#/goals?status=review`) work unchanged when the daemon serves the
// bundle and inside Tauri. The query part of the hash holds a page's filters, so a reload or the
// back button brings them back.

/** A parsed hash route. */
export interface Route {
  area: AreaId;
  /** Path segments after the area (`#/goals/abc` → `['abc']`), decoded. */
  rest: string[];
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('hashchange', listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('hashchange', listener);
    window.removeEventListener('popstate', listener);
  };
}

function readHash(): string {
  return window.location.hash;
}

/** Parses `#/area/a/b?x=1`. An unknown area falls back to the dashboard. */
export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const pathPart = q >= 0 ? body.slice(0, q) : body;
  const queryPart = q >= 0 ? body.slice(q + 1) : '';
  const segments = pathPart
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const [first = '', ...rest] = segments;
  if (!isAreaId(first)) return { area: DEFAULT_AREA, rest: [], query: new URLSearchParams() };
  return { area: first, rest, query: new URLSearchParams(queryPart) };
}

/** The current route; re-renders on every hash change (including `replaceQuery`). */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash);
  return useMemo(() => parseRoute(hash), [hash]);
}

/** The current area; unlike `useRoute`, a change of the query or the rest (a filter) does not re-render. */
export function useArea(): AreaId {
  return useSyncExternalStore(subscribe, () => parseRoute(readHash()).area);
}

type QueryInit = URLSearchParams | Record<string, string | null | undefined>;

function toSearch(query?: QueryInit): string {
  if (!query) return '';
  const params = new URLSearchParams();
  if (query instanceof URLSearchParams) {
    query.forEach((value, key) => params.append(key, value));
  } else {
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, value);
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `#/area/seg…?query` */
export function hrefFor(area: AreaId, rest: string[] = [], query?: QueryInit): string {
  const path = [area, ...rest.map((s) => encodeURIComponent(s))].join('/');
  return `#/${path}${toSearch(query)}`;
}

/** Goes to a route (a new history entry). */
export function navigate(area: AreaId, rest: string[] = [], query?: QueryInit): void {
  window.location.hash = hrefFor(area, rest, query);
}

/** Goes to an href made by `hrefFor`. */
export function navigateHref(href: string): void {
  window.location.hash = href.replace(/^#/, '');
}

/**
 * Replaces the query of the current route without a new history entry (filters as you type),
 * so back still goes to the previous page while reload keeps the filters.
 */
export function replaceQuery(query: QueryInit): void {
  const route = parseRoute(readHash());
  const href = hrefFor(route.area, route.rest, query);
  if (href === readHash()) return;
  const url = `${window.location.pathname}${window.location.search}${href}`;
  window.history.replaceState(window.history.state, '', url);
  notify();
}
