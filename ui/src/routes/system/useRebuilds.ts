import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import type { CacheInfo, OperationReceipt } from '../../gen/bindings';

export const REBUILD = 'cache.rebuild';
/** The key of a rebuild of every cache (a rebuild of one is keyed by the cache's name). */
export const ALL = '*';

/** The later of two receipts of one operation (events can arrive out of order, or before the answer). */
function later(a: OperationReceipt | undefined, b: OperationReceipt): OperationReceipt {
  if (!a) return b;
  if (a.status !== 'running' && b.status === 'running') return a;
  if (b.status !== 'running' && a.status === 'running') return b;
  return b.updatedAt >= a.updatedAt || b.progress > a.progress ? b : a;
}

/** The caches a finished rebuild reports (`result.caches`), if it is shaped as expected. */
export function cachesOf(receipt: OperationReceipt): CacheInfo[] | null {
  const result = receipt.result as { caches?: unknown } | null;
  return result && Array.isArray(result.caches) ? (result.caches as CacheInfo[]) : null;
}

/**
 * The rebuilds started here, by cache name (or `ALL`), followed from `operations.updated` events
 * (progress as it comes, no polling). Events may come before the receipt that names the
 * operation (a quick rebuild), so those of every rebuild are kept by id for a moment. `onFinished`
 * is called once per rebuild that ends, including ones started elsewhere (the CLI).
 */
export function useRebuilds(onFinished: (receipt: OperationReceipt) => void) {
  const [byTarget, setByTarget] = useState<Record<string, OperationReceipt>>({});
  const seen = useRef(new Map<string, OperationReceipt>());
  const finished = useRef(new Set<string>());
  const latestFinished = useRef(onFinished);
  useEffect(() => {
    latestFinished.current = onFinished;
  });

  const apply = useCallback((receipt: OperationReceipt) => {
    seen.current.set(receipt.id, later(seen.current.get(receipt.id), receipt));
    if (seen.current.size > 50) seen.current.delete(seen.current.keys().next().value as string);
    setByTarget((map) => {
      let next = map;
      for (const [target, current] of Object.entries(map)) {
        if (current.id === receipt.id && later(current, receipt) !== current) next = { ...next, [target]: receipt };
      }
      return next;
    });
    if (receipt.status !== 'running' && !finished.current.has(receipt.id)) {
      finished.current.add(receipt.id);
      latestFinished.current(receipt);
    }
  }, []);

  useLiveEvents((event) => {
    if (event.kind === 'operations.updated') {
      const receipt = event.data as OperationReceipt;
      if (receipt.kind === REBUILD) apply(receipt);
    } else if (event.kind === RESYNC) {
      for (const receipt of Object.values(byTarget)) {
        if (receipt.status === 'running') void call('operations.get', { id: receipt.id }).then(apply, () => undefined);
      }
    }
  });

  const track = useCallback(
    (target: string, receipt: OperationReceipt) => {
      const known = later(seen.current.get(receipt.id), receipt);
      setByTarget((map) => ({ ...map, [target]: known }));
      apply(known);
      // What happened between the answer and the subscription (a missed event).
      void call('operations.get', { id: receipt.id }).then(apply, () => undefined);
    },
    [apply],
  );

  return { byTarget, track };
}
