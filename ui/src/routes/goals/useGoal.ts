import { useCache, useQuery, type QueryState } from '../../api/hooks';
import type { Goal } from '../../gen/bindings';

/**
 * One Goal from the shared cache: every part of a screen that shows it asks for it itself, and
 * they share one request and one answer, kept current by live events.
 */
export function useGoal(id: string): QueryState<Goal> {
  return useQuery('goals.get', { id });
}

/** Puts a Goal the client already has (a mutation's answer) in the cache, before the event comes. */
export function usePutGoal(): (goal: Goal) => void {
  const cache = useCache();
  return (goal) => cache.put('goals.get', { id: goal.id }, goal);
}
