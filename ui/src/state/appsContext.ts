import { createContext, useContext } from 'react';
import type { App } from '../gen/bindings';
import type { ApiFailure } from '../api/errors';

export interface AppsState {
  apps: App[];
  active: App | null;
  loading: boolean;
  error: ApiFailure | undefined;
  reload: () => void;
  /** Makes `id` the active app; `null` detaches. */
  select: (id: string | null) => Promise<void>;
}

export const AppsContext = createContext<AppsState | null>(null);

/** The registered apps and the active one, shared by the top bar and the pages. */
export function useApps(): AppsState {
  const state = useContext(AppsContext);
  if (!state) throw new Error('useApps outside <AppsProvider>');
  return state;
}
