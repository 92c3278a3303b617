import { QueryClient, type Query } from '@tanstack/react-query';
import type { Input, OperationName } from '../gen/bindings';
import { eventStale } from '../gen/events';
import type { ApiFailure } from './errors';

declare module '@tanstack/react-query' {
  interface Register {
    // Every query and action rejects with the daemon's `{code, message, details}` (client.ts).
    defaultError: ApiFailure;
  }
}

/** The cache key of one answer: the operation and its input, nothing else. */
export type OperationKey<N extends OperationName = OperationName> = readonly [N, Input<N>];
/** The cache key of a paged listing (every page loaded so far) of `op` with `input`. */
export type PagesKey<N extends OperationName = OperationName> = readonly [N, Input<N>, 'pages'];

/**
 * Keys are derived, never written by hand: two components asking the same operation with the
 * same input share one entry and one request. Inputs name their app explicitly (`appId`), so a
 * query of another app is another entry.
 */
export function queryKey<N extends OperationName>(op: N, input: Input<N>): OperationKey<N> {
  return [op, input];
}

export function pagesKey<N extends OperationName>(op: N, input: Input<N>): PagesKey<N> {
  return [op, input, 'pages'];
}

/** The operation and input a cached query was made from. */
export function keyParts(query: Query): { op: string; input: unknown } {
  const [op, input] = query.queryKey;
  return { op: String(op), input };
}

/**
 * Answers that also change without any event: the Git state of an app, which other programs
 * (a terminal, an editor) move too. They are asked again whenever a screen shows them.
 */
const UNANNOUNCED: ReadonlySet<string> = new Set(['changes.status', 'changes.diff', 'changes.log', 'changes.refs', 'changes.churn', 'project.overview']);

/** Operations live events keep current: their cached answers are trusted until an event says otherwise. */
const eventDriven: ReadonlySet<string> = new Set(Object.values(eventStale).flat().filter((op) => !UNANNOUNCED.has(op)));

/**
 * One cache for the UI. An answer that live events keep current stays fresh until an event (or a
 * resync after a lost connection) says otherwise, so opening a page again shows it without asking;
 * anything else is shown from the cache and asked again whenever a screen that shows it opens.
 * Live events drive refetching, not window focus; a refused request is not retried by itself.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: (query) => (eventDriven.has(keyParts(query).op) ? Infinity : 0),
        retry: false,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
      },
    },
  });
}
