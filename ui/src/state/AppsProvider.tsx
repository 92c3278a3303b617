import { useEffect, useMemo, type ReactNode } from 'react';
import { useQuery } from '../api/hooks';
import { AppsContext, type AppsState } from './appsContext';
import { rememberActiveApp } from './lastApp';

/** Loads `apps.list` once; the cache keeps it current from `apps.*` events. */
export function AppsProvider({ children }: { children: ReactNode }) {
  const query = useQuery('apps.list', {});
  const value = useMemo<AppsState>(() => {
    const apps = query.data ?? [];
    return { apps, active: apps.find((a) => a.active) ?? null, loading: query.loading, error: query.error };
  }, [query.data, query.loading, query.error]);
  const activeId = query.data ? (value.active?.id ?? null) : undefined;
  useEffect(() => {
    if (activeId !== undefined) rememberActiveApp(activeId);
  }, [activeId]);
  return <AppsContext.Provider value={value}>{children}</AppsContext.Provider>;
}
