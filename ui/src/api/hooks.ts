import { useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Input, OperationName, Output } from '../gen/bindings';
import { call } from './client';
import { ApiFailure, toApiFailure } from './errors';
import { RESYNC, type ConnectionState, type EventHub, type RefineEvent } from './events';
import { EventsContext } from './eventsContext';

function useHub(): EventHub {
  const hub = useContext(EventsContext);
  if (!hub) throw new Error('useHub outside <EventsProvider>');
  return hub;
}

/** The live connection's state, for the indicator. */
export function useConnectionState(): ConnectionState {
  const hub = useHub();
  return useSyncExternalStore(hub.subscribeState, hub.getState);
}

/** Calls `handler` for every live event (including `resync`); the latest handler is always used. */
export function useLiveEvents(handler: (event: RefineEvent) => void): void {
  const hub = useHub();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => hub.subscribe((event) => latest.current(event)), [hub]);
}

/** Runs `refetch` when an event of one of `kinds` (a kind or a `group.` prefix) or a resync arrives. */
export function useRefetchOn(kinds: readonly string[], refetch: () => void): void {
  useLiveEvents((event) => {
    if (event.kind === RESYNC || kinds.some((k) => (k.endsWith('.') ? event.kind.startsWith(k) : event.kind === k))) {
      refetch();
    }
  });
}

export interface QueryState<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  /** Fetches again, keeping the current data visible meanwhile. */
  reload: () => void;
}

/**
 * Runs a query operation and keeps its result. Re-runs when `key` changes (a string that
 * identifies the input), and on `reload()`. Stale answers of an earlier input are dropped.
 */
export function useQuery<N extends OperationName>(op: N, input: Input<N>, key = ''): QueryState<Output<N>> {
  const [state, setState] = useState<{ data?: Output<N>; error?: ApiFailure; loading: boolean; for?: string }>({
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const inputRef = useRef(input);
  useEffect(() => {
    inputRef.current = input;
  });

  const requestKey = `${op}|${key}`;
  useEffect(() => {
    let current = true;
    call(op, inputRef.current).then(
      (data) => current && setState({ data, loading: false, for: requestKey }),
      (error: unknown) =>
        current && setState((s) => ({ data: s.data, error: toApiFailure(error), loading: false, for: requestKey })),
    );
    return () => {
      current = false;
    };
  }, [op, requestKey, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const settled = state.for === requestKey;
  return {
    data: state.data,
    error: settled ? state.error : undefined,
    loading: !settled || state.loading,
    reload,
  };
}
