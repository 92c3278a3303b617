import { useSyncExternalStore } from 'react';
import type { Theme } from '../gen/bindings';

const STORAGE_KEY = 'refine.theme';
const THEMES: readonly Theme[] = ['system', 'light', 'dark'];
const listeners = new Set<() => void>();
const darkQuery = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : null;

function readStored(): Theme {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value && (THEMES as readonly string[]).includes(value) ? (value as Theme) : 'system';
  } catch {
    return 'system';
  }
}

let current: Theme = readStored();

/** Puts the resolved theme on `<html data-theme>`; CSS variables follow it. */
export function applyTheme(): void {
  const resolved = current === 'system' ? (darkQuery?.matches ? 'dark' : 'light') : current;
  document.documentElement.dataset.theme = resolved;
  document.documentElement.style.colorScheme = resolved;
}

darkQuery?.addEventListener('change', () => {
  if (current === 'system') applyTheme();
});

export function setTheme(theme: Theme): void {
  current = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage may be unavailable (private mode): the choice then lasts for this page only.
  }
  applyTheme();
  for (const listener of listeners) listener();
}

/** The next theme in the toggle's cycle. */
export function nextTheme(theme: Theme): Theme {
  return THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
}

export function useTheme(): Theme {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
