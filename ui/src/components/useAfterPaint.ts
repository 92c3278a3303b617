import { useEffect, useState } from 'react';

/** At most this long (ms) is spent waiting for the browser to be idle. */
const IDLE_WAIT_MS = 500;

/**
 * False until `ready` held through a painted frame and the browser had a moment: what a page asks
 * for once this is true (the choices of a filter, secondary facts, code for what comes next)
 * comes after its first paint, and does not hold the frames after it back either.
 */
export function useAfterPaint(ready: boolean): boolean {
  const [after, setAfter] = useState(false);
  useEffect(() => {
    if (!ready || after) return;
    let idle: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // An animation frame runs just before the paint; what it queues runs after.
    const frame = requestAnimationFrame(() => {
      if (typeof requestIdleCallback === 'function') idle = requestIdleCallback(() => setAfter(true), { timeout: IDLE_WAIT_MS });
      else timer = setTimeout(() => setAfter(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (idle !== undefined) cancelIdleCallback(idle);
      clearTimeout(timer);
    };
  }, [ready, after]);
  return after;
}
