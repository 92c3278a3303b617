import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { toApiFailure } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import type { Goal, GoalPage } from '../../gen/bindings';

const PAGE = 500;
const MAX_PAGES = 10;

export interface BoardGoals {
  goals: Goal[] | null;
  error: string | null;
  /** Puts a Goal the client already has (a transition's answer) in place. */
  upsert: (goal: Goal) => void;
}

/** Every live Goal of the app, kept current from events (no polling). */
export function useBoardGoals(appId: string): BoardGoals {
  const [goals, setGoals] = useState<Goal[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let current = true;
    (async () => {
      const all: Goal[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page: GoalPage = await call('work.list_goals', { appId, limit: PAGE, cursor, sort: 'priority' });
        all.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      return all;
    })().then(
      (all) => {
        if (!current) return;
        setGoals(all);
        setError(null);
      },
      (err: unknown) => current && setError(toApiFailure(err).message),
    );
    return () => {
      current = false;
    };
  }, [appId, generation]);

  useEffect(() => () => clearTimeout(timer.current), []);

  const upsert = useCallback((goal: Goal) => {
    setGoals((list) => {
      if (!list) return list;
      if (goal.deletedAt) return list.filter((g) => g.id !== goal.id);
      const i = list.findIndex((g) => g.id === goal.id);
      if (i < 0) return [...list, goal];
      if (list[i].updatedAt > goal.updatedAt) return list;
      const next = list.slice();
      next[i] = goal;
      return next;
    });
  }, []);

  useLiveEvents((event) => {
    const refetch = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setGeneration((g) => g + 1), 120);
    };
    if (event.appId && event.appId !== appId) return;
    switch (event.kind) {
      case 'workflow.transitioned':
        upsert((event.data as { goal: Goal }).goal);
        break;
      case 'work.goal_created':
      case 'work.goal_updated':
      case 'work.goal_deleted':
        upsert(event.data as Goal);
        break;
      case 'work.bulk_updated':
      case 'work.imported':
      case 'work.feature_updated':
      case 'work.feature_deleted':
      case RESYNC:
        refetch();
        break;
    }
  });

  return { goals, error, upsert };
}
