import { useState } from 'react';
import { useAction, useCache, useQuery, type Caller } from '../../api/hooks';
import type { Input, OperationName, Output } from '../../gen/bindings';

/** A collection fenced by one revision per app (quality settings, governance, guidance). */
export interface Revisioned {
  appId: string;
  revision: number;
}

/** The queries that answer such a collection. */
export type FencedOperation = { [N in OperationName]: Output<N> extends Revisioned ? N : never }[OperationName];

export interface Fenced<T extends Revisioned> {
  data: T | null;
  loadError: string | null;
  /** Set when someone else changed the collection: saving now would be refused. */
  conflict: string | null;
  /** The last refused write's message (other than a conflict). */
  error: string | null;
  busy: boolean;
  /** Fetches the current state and drops the conflict (callers drop their drafts). */
  reload: () => void;
  /**
   * Runs a write with the revision read; its answer (the collection as it now is) replaces the
   * data. Resolves true when it was stored.
   */
  write: (work: (revision: number, call: Caller) => Promise<T>) => Promise<boolean>;
  clearError: () => void;
}

const CHANGED_ELSEWHERE = 'Someone else saved a change after you opened this page.';

/**
 * Loads a revision-fenced collection of an app and keeps it current: while nothing is unsaved it
 * follows the cache (live events refresh it); while something is, the page keeps editing the
 * revision it read, and a newer one in the cache shows a conflict, as does a write the daemon
 * refuses with a 409.
 */
export function useFenced<N extends FencedOperation>(op: N, input: Input<N>, dirty: boolean): Fenced<Output<N>> {
  type T = Output<N>;
  const cache = useCache();
  const query = useQuery(op, input);
  const latest: T | null = query.data ?? null;
  // The revision the page edits against, held while it has unsaved edits or a write runs.
  const [held, setHeld] = useState<T | null>(null);
  const writing = useAction((work: (revision: number, call: Caller) => Promise<T>, call) => (held ? work(held.revision, call) : Promise.reject(new Error('nothing loaded'))), {
    onSuccess: (next) => {
      cache.put(op, input, next);
      setHeld(next);
    },
  });
  if (!dirty && !writing.busy && held !== latest) setHeld(latest);
  const data = held ?? latest;

  const refused = writing.error;
  const newer = dirty && !writing.busy && held !== null && latest !== null && latest.revision > held.revision;
  const conflict = refused?.code === 'conflict' ? refused.message : newer ? CHANGED_ELSEWHERE : null;

  const reload = () => {
    writing.clearError();
    setHeld(null);
    query.reload();
  };
  const write = async (work: (revision: number, call: Caller) => Promise<T>) => (data ? (await writing.run(work)) !== undefined : false);

  return {
    data,
    loadError: query.error?.message ?? null,
    conflict,
    error: refused && refused.code !== 'conflict' ? refused.message : null,
    busy: writing.busy,
    reload,
    write,
    clearError: writing.clearError,
  };
}
