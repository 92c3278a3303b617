import { useCallback, useMemo, type ReactNode } from 'react';
import { call } from '../api/client';
import { useQuery, useRefetchOn } from '../api/hooks';
import { AppsContext, type AppsState } from './appsContext';

const APP_EVENTS = ['apps.'] as const;

/** Loads `apps.list` once and keeps it current from `apps.*` events. */
export function AppsProvider({ children }: { children: ReactNode }) {
  const query = useQuery('apps.list', {});
  const { reload } = query;
  useRefetchOn(APP_EVENTS, reload);

  const select = useCallback(
    async (id: string | null) => {
      await call('apps.select', { id });
      reload();
    },
    [reload],
  );

  const value = useMemo<AppsState>(() => {
    const apps = query.data ?? [];
    return {
      apps,
      active: apps.find((a) => a.active) ?? null,
      loading: query.loading,
      error: query.error,
      reload,
      select,
    };
  }, [query.data, query.loading, query.error, reload, select]);

  return <AppsContext.Provider value={value}>{children}</AppsContext.Provider>;
}
