import {
  hashKey,
  keepPreviousData,
  useInfiniteQuery,
  useQuery as useCachedQuery,
  useQueryClient,
  type InfiniteData,
  type UseInfiniteQueryResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { Input, OperationName, Output } from '../gen/bindings';
import { call } from './client';
import { toApiFailure, type ApiFailure } from './errors';
import type { ConnectionState, RefineEvent } from './events';
import { EventsContext, type Live } from './eventsContext';
import type { LivePatches } from './live';
import { pagesKey, queryKey, type PagesKey } from './queries';

function useLive(): Live {
  const live = useContext(EventsContext);
  if (!live) throw new Error('live events used outside <EventsProvider>');
  return live;
}

/** The live connection's state, for the indicator. */
export function useConnectionState(): ConnectionState {
  const { hub } = useLive();
  return useSyncExternalStore(hub.subscribeState, hub.getState);
}

/**
 * Calls `handler` for every live event (including `resync`); the latest handler is always used.
 * For streams a screen appends as they come (process output, transcripts, chat replies): what an
 * event makes stale is refetched by the cache, not here.
 */
export function useLiveEvents(handler: (event: RefineEvent) => void): void {
  const { hub } = useLive();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => hub.subscribe((event) => latest.current(event)), [hub]);
}

/** Registers a screen's live patches for the query under `key` while it is mounted. */
function useLivePatches<D>(key: readonly unknown[], patches: LivePatches<D> | undefined): void {
  const { queries } = useLive();
  const latest = useRef<LivePatches<unknown> | undefined>(undefined);
  useEffect(() => {
    latest.current = patches as LivePatches<unknown> | undefined;
  });
  const hash = hashKey(key);
  const wanted = patches !== undefined;
  useEffect(() => (wanted ? queries.register(hash, latest) : undefined), [queries, hash, wanted]);
}

export interface QueryState<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  /** No answer for this input yet (an earlier input's answer may still be shown). */
  loading: boolean;
  /** Fetches again, keeping the current data visible meanwhile. */
  reload: () => void;
}

export interface QueryOptions<D> {
  /** Ask only while true (default: always). */
  enabled?: boolean;
  /** Also ask again every so many milliseconds while shown (for what no event announces). */
  pollMs?: number;
  /** Events this screen applies to the cached answer itself instead of fetching it again. */
  live?: LivePatches<D>;
}

function stateOf<T>(result: UseQueryResult<T> | UseInfiniteQueryResult<T>): Omit<QueryState<T>, 'reload'> {
  return {
    data: result.data,
    error: result.error ?? undefined,
    loading: result.isPending || result.isPlaceholderData,
  };
}

/** How the cache asks `op` with `input` (shared by `useQuery` and prefetching before a screen mounts). */
export function operationQuery<N extends OperationName>(op: N, input: Input<N>) {
  return {
    queryKey: queryKey(op, input),
    queryFn: ({ signal }: { signal: AbortSignal }) => call(op, input, { signal }),
  };
}

/**
 * Runs a query operation through the shared cache, keyed by `[op, input]`: components asking the
 * same thing share one request and one answer, kept current by live events (`gen/events.ts`).
 * While a new input loads, the previous input's answer stays visible.
 */
export function useQuery<N extends OperationName>(op: N, input: Input<N>, options: QueryOptions<Output<N>> = {}): QueryState<Output<N>> {
  const key = queryKey(op, input);
  const result = useCachedQuery({
    ...operationQuery(op, input),
    enabled: options.enabled ?? true,
    refetchInterval: options.pollMs,
    placeholderData: keepPreviousData,
  });
  useLivePatches(key, options.live);
  const { refetch } = result;
  const reload = useCallback(() => void refetch(), [refetch]);
  return { ...stateOf(result), reload };
}

/** Operations answering one page of a listing (`items` and a `nextCursor` to ask for the next). */
export type PagedOperation = {
  [N in OperationName]: Output<N> extends { items: readonly unknown[]; nextCursor: string | null } ? ('cursor' extends keyof Input<N> ? N : never) : never;
}[OperationName];

export type Pages<N extends OperationName> = InfiniteData<Output<N>, string | null>;
type Item<N extends PagedOperation> = Output<N>['items'][number];

export interface PagedState<N extends PagedOperation> extends QueryState<Pages<N>> {
  /** Every item of the pages loaded so far, in order. */
  items: Item<N>[] | undefined;
  hasMore: boolean;
  loadingMore: boolean;
  /** Loads the next page (kept, and refreshed with the others when the listing changes). */
  loadMore: () => void;
}

/** How the cache asks for the pages of a listing (shared by `usePagedQuery` and prefetching). */
export function pagedQuery<N extends PagedOperation>(op: N, input: Input<N>) {
  return {
    queryKey: pagesKey(op, input),
    queryFn: ({ pageParam, signal }: { pageParam: string | null; signal: AbortSignal }) =>
      call(op, { ...input, cursor: pageParam } as Input<N>, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Output<N>) => last.nextCursor ?? undefined,
  };
}

/**
 * A listing loaded page by page through the cache (key `[op, input, 'pages']`); a refresh after a
 * live event asks for every loaded page again, so "Load more" is not lost.
 */
export function usePagedQuery<N extends PagedOperation>(op: N, input: Input<N>, options: QueryOptions<Pages<N>> = {}): PagedState<N> {
  const key = pagesKey(op, input);
  const result = useInfiniteQuery<Output<N>, ApiFailure, Pages<N>, PagesKey<N>, string | null>({
    ...pagedQuery(op, input),
    enabled: options.enabled ?? true,
    placeholderData: keepPreviousData,
  });
  useLivePatches(key, options.live);
  const { refetch, fetchNextPage, data } = result;
  const reload = useCallback(() => void refetch(), [refetch]);
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const items = useMemo(() => data?.pages.flatMap((p) => p.items as Item<N>[]), [data]);
  return { ...stateOf(result), reload, items, hasMore: result.hasNextPage, loadingMore: result.isFetchingNextPage, loadMore };
}

/** Typed writes to the shared cache: a mutation's answer shown before its event comes. */
export interface Cache {
  /** Replaces the cached answer (the daemon's answer to a mutation, before the event comes). */
  put<N extends OperationName>(op: N, input: Input<N>, data: Output<N>): void;
  /** Changes the cached answer, if there is one. */
  update<N extends OperationName>(op: N, input: Input<N>, change: (data: Output<N>) => Output<N>): void;
  /** Changes every loaded page of a paged listing, if it is cached. */
  updatePages<N extends PagedOperation>(op: N, input: Input<N>, change: (pages: Pages<N>) => Pages<N>): void;
}

export function useCache(): Cache {
  const client = useQueryClient();
  return useMemo<Cache>(
    () => ({
      put: (op, input, data) => void client.setQueryData(queryKey(op, input), data),
      update: (op, input, change) => void client.setQueryData(queryKey(op, input), (data: Output<typeof op> | undefined) => (data === undefined ? data : change(data))),
      updatePages: (op, input, change) =>
        void client.setQueryData(pagesKey(op, input), (data: Pages<typeof op> | undefined) => (data === undefined ? data : change(data))),
    }),
    [client],
  );
}

/** Calls operations for an action; each call of one run gets its own key derived from the run's. */
export type Caller = <M extends OperationName>(op: M, input: Input<M>) => Promise<Output<M>>;

export interface ActionOptions<I, T> {
  onSuccess?: (result: T, input: I) => void;
  /** Besides `error` (a toast, say). */
  onError?: (error: ApiFailure, input: I) => void;
}

export interface Action<I, T> {
  /** Runs the action; resolves with its answer, or `undefined` when it failed (see `error`). */
  run: (input: I) => Promise<T | undefined>;
  /** Some run is in flight. */
  busy: boolean;
  /**
   * The inputs of the runs in flight. A screen shows them over the cached answer to feel instant
   * (a card in its new column, a todo ticked); when a run fails its input leaves this list, so
   * the cached answer shows again: the rollback needs no code.
   */
  pending: readonly I[];
  /** Why the last run failed, until the next one starts. */
  error: ApiFailure | undefined;
  clearError: () => void;
}

/** What makes two runs the same action; an input that is not plain data (a function) never is. */
function identityOf(input: unknown): string {
  return input === undefined ? 'undefined' : (JSON.stringify(input) ?? crypto.randomUUID());
}

/**
 * One user action that changes something: busy and error state, and an idempotency key per
 * action. Running it again with the same input while it is in flight joins that run (a double
 * click does it once); running it again after it failed retries with the same key, so a request
 * that did reach the daemon is answered from its record instead of being done twice.
 */
export function useAction<N extends OperationName>(op: N, options?: ActionOptions<Input<N>, Output<N>>): Action<Input<N>, Output<N>>;
export function useAction<I, T>(perform: (input: I, call: Caller) => Promise<T>, options?: ActionOptions<I, T>): Action<I, T>;
export function useAction<I, T>(target: OperationName | ((input: I, call: Caller) => Promise<T>), options: ActionOptions<I, T> = {}): Action<I, T> {
  const [pending, setPending] = useState<readonly I[]>([]);
  const [error, setError] = useState<ApiFailure | undefined>(undefined);
  const latest = useRef({ target, options });
  useEffect(() => {
    latest.current = { target, options };
  });
  const running = useRef(new Map<string, Promise<T | undefined>>());
  const retry = useRef<{ identity: string; key: string } | null>(null);

  const run = useCallback((input: I): Promise<T | undefined> => {
    const identity = identityOf(input);
    const joined = running.current.get(identity);
    if (joined) return joined;
    const { target, options } = latest.current;
    const key = retry.current?.identity === identity ? retry.current.key : crypto.randomUUID();
    let calls = 0;
    const caller: Caller = (op, opInput) => {
      const n = calls++;
      return call(op, opInput, { idempotencyKey: n === 0 ? key : `${key}.${n}` });
    };
    const perform = typeof target === 'string' ? (i: I, c: Caller) => c(target, i as Input<typeof target>) as Promise<T> : target;
    setError(undefined);
    setPending((list) => [...list, input]);
    const promise = perform(input, caller)
      .then(
        (result) => {
          if (retry.current?.identity === identity) retry.current = null;
          options.onSuccess?.(result, input);
          return result;
        },
        (err: unknown) => {
          const failure = toApiFailure(err);
          retry.current = { identity, key };
          setError(failure);
          options.onError?.(failure, input);
          return undefined;
        },
      )
      .finally(() => {
        running.current.delete(identity);
        setPending((list) => list.filter((i) => i !== input));
      });
    running.current.set(identity, promise);
    return promise;
  }, []);

  const clearError = useCallback(() => setError(undefined), []);
  return { run, busy: pending.length > 0, pending, error, clearError };
}
