import { useSyncExternalStore } from 'react';
import type { Theme } from '../gen/bindings';

// The theme is this browser's choice (localStorage) when it made one, else the daemon's
// `ui.theme` setting, else the system's colour scheme.
const STORAGE_KEY = 'refine.theme';
const THEMES: readonly Theme[] = ['system', 'light', 'dark'];
const listeners = new Set<() => void>();
const darkQuery = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : null;

function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

function readStored(): Theme | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isTheme(value) ? value : null;
  } catch {
    return null;
  }
}

let local: Theme | null = readStored();
let fromSettings: Theme = 'system';

function current(): Theme {
  return local ?? fromSettings;
}

function notify(): void {
  applyTheme();
  for (const listener of listeners) listener();
}

/** Puts the resolved theme on `<html data-theme>`; CSS variables follow it. */
export function applyTheme(): void {
  const theme = current();
  const resolved = theme === 'system' ? (darkQuery?.matches ? 'dark' : 'light') : theme;
  document.documentElement.dataset.theme = resolved;
  document.documentElement.style.colorScheme = resolved;
}

darkQuery?.addEventListener('change', () => {
  if (current() === 'system') applyTheme();
});

/** This browser's choice, kept in localStorage. */
export function setTheme(theme: Theme): void {
  local = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage may be unavailable (private mode): the choice then lasts for this page only.
  }
  notify();
}

/** The daemon's `ui.theme` setting: used while this browser has made no choice of its own. */
export function setSettingsTheme(theme: unknown): void {
  if (!isTheme(theme) || theme === fromSettings) return;
  fromSettings = theme;
  if (local === null) notify();
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
    current,
  );
}
