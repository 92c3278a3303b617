import { createContext, useContext } from 'react';
import { useAction, useCache, type Action, type ActionOptions } from '../api/hooks';
import type { App, Selection } from '../gen/bindings';
import type { ApiFailure } from '../api/errors';

export interface AppsState {
  apps: App[];
  active: App | null;
  loading: boolean;
  error: ApiFailure | undefined;
}

export const AppsContext = createContext<AppsState | null>(null);

/** The registered apps and the active one, shared by the top bar and the pages. */
export function useApps(): AppsState {
  const state = useContext(AppsContext);
  if (!state) throw new Error('useApps outside <AppsProvider>');
  return state;
}

/** Makes an app the active one (`null` detaches); the switcher shows it at once. */
export function useSelectApp(options: ActionOptions<string | null, Selection> = {}): Action<string | null, Selection> {
  const cache = useCache();
  return useAction((id: string | null, call) => call('apps.select', { id }), {
    ...options,
    onSuccess: (selection, id) => {
      cache.update('apps.list', {}, (apps) => apps.map((a) => ({ ...a, active: a.id === selection.active?.id })));
      options.onSuccess?.(selection, id);
    },
  });
}
