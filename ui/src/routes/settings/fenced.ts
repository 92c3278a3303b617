import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiFailure } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';

/** A collection fenced by one revision per app (quality settings, governance, guidance). */
export interface Revisioned {
  appId: string;
  revision: number;
}

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
  write: (work: (revision: number) => Promise<T>) => Promise<boolean>;
  clearError: () => void;
}

/**
 * Loads a revision-fenced collection of an app and keeps it current: a change elsewhere
 * (`eventKind` with another revision) refreshes it when there is nothing unsaved, and otherwise
 * shows a conflict, as does a write the daemon refuses with a 409.
 */
export function useFenced<T extends Revisioned>(load: () => Promise<T>, key: string, eventKind: string, dirty: boolean): Fenced<T> {
  const [data, setData] = useState<T | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [generation, setGeneration] = useState(0);
  const writing = useRef(false);
  /** The newest revision this page has seen (loaded or written): events up to it are old news. */
  const known = useRef(-1);
  /** The newest revision announced while a write of ours was in flight. */
  const announced = useRef(-1);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    let current = true;
    loadRef.current().then(
      (fresh) => {
        if (!current) return;
        known.current = fresh.revision;
        setData(fresh);
        setLoadError(null);
        setConflict(null);
      },
      (err: unknown) => current && setLoadError(toApiFailure(err).message),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);

  const reload = useCallback(() => {
    setError(null);
    setGeneration((g) => g + 1);
  }, []);

  const changedElsewhere = () => {
    if (dirty) setConflict('Someone else saved a change after you opened this page.');
    else reload();
  };

  useLiveEvents((event) => {
    if (!data) return;
    if (event.kind === RESYNC) {
      if (!writing.current && !dirty) reload();
      return;
    }
    if (event.kind !== eventKind || event.appId !== data.appId) return;
    const revision = (event.data as { revision?: number } | null)?.revision ?? Number.MAX_SAFE_INTEGER;
    if (revision <= known.current) return;
    // Our own write's event can arrive before its answer: decide once the answer is in.
    if (writing.current) announced.current = Math.max(announced.current, revision);
    else changedElsewhere();
  });

  const write = async (work: (revision: number) => Promise<T>) => {
    if (!data) return false;
    writing.current = true;
    announced.current = -1;
    setBusy(true);
    setError(null);
    try {
      const next = await work(data.revision);
      known.current = Math.max(known.current, next.revision);
      setData(next);
      if (announced.current > known.current) changedElsewhere();
      return true;
    } catch (err) {
      const failure = toApiFailure(err);
      if (failure.code === 'conflict') setConflict(failure.message);
      else setError(failure.message);
      return false;
    } finally {
      writing.current = false;
      setBusy(false);
    }
  };

  return { data, loadError, conflict, error, busy, reload, write, clearError: () => setError(null) };
}
