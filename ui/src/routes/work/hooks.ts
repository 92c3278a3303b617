import { useEffect, useRef } from 'react';
import { RESYNC } from '../../api/events';
import { useLiveEvents, useQuery, type QueryState } from '../../api/hooks';
import type { Feature, Reporter } from '../../gen/bindings';

/** Events after which lists of Goals may have changed. */
export const GOAL_EVENTS = ['work.', 'workflow.transitioned'] as const;
/** Events after which Features (status, progress, order) may have changed. */
export const FEATURE_EVENTS = ['work.', 'workflow.transitioned'] as const;
export const REPORTER_EVENTS = ['reporters.updated', 'todos.updated'] as const;

function matches(kind: string, kinds: readonly string[]): boolean {
  return kind === RESYNC || kinds.some((k) => (k.endsWith('.') ? kind.startsWith(k) : kind === k));
}

/**
 * Runs `refetch` once after a burst of matching events (a bulk edit or an import sends many),
 * `delay` ms after the last one.
 */
export function useDebouncedRefetch(kinds: readonly string[], refetch: () => void, delay = 120): void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLiveEvents((event) => {
    if (!matches(event.kind, kinds)) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(refetch, delay);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
}

/** The app's Features, kept current from live events. */
export function useFeatures(appId: string): QueryState<Feature[]> {
  const query = useQuery('work.list_features', { appId }, appId);
  useDebouncedRefetch(FEATURE_EVENTS, query.reload);
  return query;
}

/** Live reporters (not removed), kept current. */
export function useReporters(): QueryState<Reporter[]> {
  const query = useQuery('reporters.list', {});
  useDebouncedRefetch(REPORTER_EVENTS, query.reload);
  return query;
}
