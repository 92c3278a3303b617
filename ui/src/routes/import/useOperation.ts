import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import type { OperationReceipt } from '../../gen/bindings';

function later(a: OperationReceipt | null, b: OperationReceipt): OperationReceipt {
  if (!a) return b;
  if (a.status !== 'running' && b.status === 'running') return a;
  if (b.status !== 'running' && a.status === 'running') return b;
  return b.updatedAt >= a.updatedAt ? b : a;
}

/**
 * Follows one long-running operation from `operations.updated` events (no polling). Events that
 * arrive before the receipt (a fast operation) are kept, and the receipt is read once on `track`.
 */
export function useOperation(): { receipt: OperationReceipt | null; track: (receipt: OperationReceipt) => void; reset: () => void } {
  const [receipt, setReceipt] = useState<OperationReceipt | null>(null);
  const early = useRef(new Map<string, OperationReceipt>());
  const tracked = useRef<string | null>(null);

  useLiveEvents((event) => {
    if (event.kind === RESYNC && tracked.current) {
      const id = tracked.current;
      void call('operations.get', { id }).then((r) => tracked.current === id && setReceipt((cur) => later(cur, r)));
      return;
    }
    if (event.kind !== 'operations.updated') return;
    const r = event.data as OperationReceipt;
    if (tracked.current === r.id) setReceipt((cur) => later(cur, r));
    else if (!tracked.current && r.kind === 'import.commit') {
      if (early.current.size > 50) early.current.clear();
      early.current.set(r.id, later(early.current.get(r.id) ?? null, r));
    }
  });

  useEffect(() => {
    const buffer = early.current;
    return () => buffer.clear();
  }, []);

  const track = useCallback((r: OperationReceipt) => {
    tracked.current = r.id;
    const seen = early.current.get(r.id);
    early.current.clear();
    setReceipt(seen ? later(r, seen) : r);
    void call('operations.get', { id: r.id }).then(
      (fresh) => tracked.current === r.id && setReceipt((cur) => later(cur, fresh)),
      () => undefined,
    );
  }, []);

  const reset = useCallback(() => {
    tracked.current = null;
    setReceipt(null);
  }, []);

  return { receipt, track, reset };
}
