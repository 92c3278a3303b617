import { useEffect, useState } from 'react';
import { formatRelative } from '../../components/format';

/** Ticks every `everyMs` so relative times ("seen 4 seconds ago") stay current while shown. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/**
 * "4 seconds ago". Times of other nodes come from the bus's clock, which may run a little ahead
 * of this browser's: a time in the future reads "now" rather than "in 1 second".
 */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  return formatRelative(iso, Number.isNaN(t) ? now : Math.max(now, t));
}
