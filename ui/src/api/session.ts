import { useSyncExternalStore } from 'react';

// Set when the daemon answers 401: the browser's cookie is missing or no longer valid (e.g. the
// data dir's token was replaced). Only a fresh access link fixes that, so the shell says so.
let unauthorized = false;
const listeners = new Set<() => void>();

export function markUnauthorized(): void {
  if (unauthorized) return;
  unauthorized = true;
  for (const listener of listeners) listener();
}

export function useUnauthorized(): boolean {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => unauthorized,
  );
}
