import { useSyncExternalStore } from 'react';
import { isTauri } from './transport';

// A browser never holds the data dir's token. It signs in with a one-time login link
// (`/#login=CODE`, printed by the daemon and by `refine open`), trades the code for a session
// secret of its own and keeps that in localStorage, which only this origin (scheme, host and
// port) can read — unlike a cookie, which every other server on 127.0.0.1 would also be sent.
// The secret goes out as `Authorization: Bearer …` (and as a WebSocket subprotocol).

const STORAGE_KEY = 'refine.session';
const LOGIN_HASH = /^#login=([0-9a-fA-F]{64})$/;

interface SessionState {
  /** The daemon refused this page's credentials (or it has none). */
  unauthorized: boolean;
  /** Why the last sign-in failed, to show. */
  loginError: string | null;
}

let state: SessionState = { unauthorized: false, loginError: null };
const listeners = new Set<() => void>();

function set(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

/** The daemon refused this page's credentials, or it has none (outside React). */
export function isSignedOut(): boolean {
  return state.unauthorized;
}

/** This browser's session secret, if it signed in. */
export function sessionSecret(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Headers that authenticate a request from this page (none in the desktop window: IPC). */
export function authHeaders(): Record<string, string> {
  const secret = isTauri() ? null : sessionSecret();
  return secret ? { Authorization: `Bearer ${secret}` } : {};
}

/** The daemon answered 401: the session ended (revoked, expired) or there never was one. */
export function markUnauthorized(): void {
  if (state.unauthorized) return;
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage may be unavailable; nothing to forget then.
  }
  set({ unauthorized: true });
}

/** Forget this browser's session (after revoking it). */
export function signOut(): void {
  markUnauthorized();
}

export function useSession(): SessionState {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

/** The login code in a pasted link or in the page's own address, if any. */
export function loginCode(text: string): string | null {
  const hash = text.includes('#') ? text.slice(text.indexOf('#')) : `#login=${text.trim()}`;
  return LOGIN_HASH.exec(hash.trim())?.[1] ?? null;
}

/** Trades a login code for a session secret and keeps it; false (with `loginError`) on refusal. */
export async function exchangeLoginCode(code: string): Promise<boolean> {
  try {
    const response = await fetch('/api/v1/sessions/exchange', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Refine-Surface': 'browser' },
      body: JSON.stringify({ code }),
      credentials: 'omit',
    });
    const body = (await response.json().catch(() => null)) as { secret?: string; message?: string } | null;
    if (!response.ok || !body?.secret) {
      set({ unauthorized: true, loginError: body?.message ?? `sign-in failed (${response.status})` });
      return false;
    }
    localStorage.setItem(STORAGE_KEY, body.secret);
    set({ unauthorized: false, loginError: null });
    return true;
  } catch {
    set({ unauthorized: true, loginError: 'Cannot reach the Refine daemon' });
    return false;
  }
}

/**
 * Before the first render: if the page was opened through a login link, take the code out of
 * the address (so it is not in history or a bookmark) and sign in with it.
 */
export async function completeLoginFromAddress(): Promise<void> {
  if (isTauri()) return;
  const code = loginCode(window.location.hash);
  if (!code) {
    if (!sessionSecret()) set({ unauthorized: true });
    return;
  }
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  await exchangeLoginCode(code);
}
