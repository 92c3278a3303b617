import { setActor } from '../api/actor';
import { createStore, useStore } from './store';

// Who the person at this browser is: a reporter picked (or created) once, remembered in
// localStorage. Its name is sent as the actor of every call and is the default reporter of new
// Goals. "Skipped" means the person chose not to say; the actor stays "user".
export type Identity = { kind: 'reporter'; id: string; name: string } | { kind: 'skipped' } | null;

const STORAGE_KEY = 'refine.identity';

function read(): Identity {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Identity;
    if (value && value.kind === 'reporter' && typeof value.id === 'string' && typeof value.name === 'string') return value;
    if (value && value.kind === 'skipped') return value;
  } catch {
    // Unreadable: ask again.
  }
  return null;
}

const identity = createStore<Identity>(read());

function apply(value: Identity): void {
  setActor(value?.kind === 'reporter' ? value.name : null);
}
apply(identity.get());

export function getIdentity(): Identity {
  return identity.get();
}

export function setIdentity(value: Identity): void {
  try {
    if (value) localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage may be unavailable: the choice then lasts for this page only.
  }
  apply(value);
  identity.set(value);
}

export function useIdentity(): Identity {
  return useStore(identity);
}

/** The reporter id of the person, if they picked one. */
export function useReporterId(): string | null {
  const me = useIdentity();
  return me?.kind === 'reporter' ? me.id : null;
}
