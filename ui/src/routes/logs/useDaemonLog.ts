import { useEffect, useMemo, useRef, useState } from 'react';
import { call } from '../../api/client';
import { toApiFailure, type ApiFailure } from '../../api/errors';
import { useQuery } from '../../api/hooks';
import type { DaemonLog, LogRecord, LogsInput } from '../../gen/bindings';

/** How often a followed log asks for what was written since (no event announces log lines). */
const FOLLOW_MS = 1000;
/** Records per follow call; a full batch asks again at once (catching up after a burst). */
const BATCH = 1000;
/** Records kept on screen while following; the oldest go first. */
const KEEP = 5000;

/** Records that arrived by following, after the answer `base`; a newer answer already holds them. */
interface Tail {
  base: DaemonLog | undefined;
  records: LogRecord[];
  files: string[] | null;
}

const EMPTY_TAIL: Tail = { base: undefined, records: [], files: null };

export interface DaemonLogState {
  /** Oldest first. */
  records: LogRecord[] | undefined;
  files: string[] | undefined;
  error: ApiFailure | undefined;
  /** The last follow call failed (following goes on, more slowly). */
  followError: ApiFailure | undefined;
  loading: boolean;
  /** The newest records only: the log holds more of them than were asked for. */
  capped: boolean;
  /** Asks for the newest records again (what was followed is dropped: the answer holds it). */
  reload: () => void;
}

/**
 * The daemon's log with `input`'s filters: the newest records through the query cache, then,
 * while `follow`, what is written later, asked for with the answer's `cursor` every second
 * (skipped while the browser tab is hidden).
 */
export function useDaemonLog(input: LogsInput, follow: boolean): DaemonLogState {
  const log = useQuery('diagnostics.logs', input);
  const base = log.loading ? undefined : log.data;
  const [tail, setTail] = useState<Tail>(EMPTY_TAIL);
  const [followError, setFollowError] = useState<ApiFailure | undefined>(undefined);
  const cursor = useRef<{ base: DaemonLog; cursor: string } | null>(null);

  useEffect(() => {
    if (!follow || !base) return;
    if (cursor.current?.base !== base) cursor.current = { base, cursor: base.cursor };
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = async () => {
      let wait = FOLLOW_MS;
      if (!document.hidden && cursor.current) {
        try {
          const next = await call('diagnostics.logs', { ...input, after: cursor.current.cursor, limit: BATCH }, { signal: controller.signal });
          if (controller.signal.aborted) return;
          cursor.current = { base, cursor: next.cursor };
          setFollowError(undefined);
          setTail((t) => {
            const earlier = t.base === base ? t.records : [];
            if (next.records.length === 0 && t.base === base && sameFiles(t.files, next.files)) return t;
            const records = earlier.concat(next.records);
            return { base, records: records.length > KEEP ? records.slice(records.length - KEEP) : records, files: next.files };
          });
          if (next.records.length >= BATCH) wait = 0;
        } catch (err) {
          if (controller.signal.aborted) return;
          setFollowError(toApiFailure(err));
          wait = FOLLOW_MS * 3;
        }
      }
      timer = setTimeout(() => void step(), wait);
    };
    void step();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [follow, base, input]);

  const records = useMemo(() => {
    if (!base) return undefined;
    const streamed = tail.base === base ? tail.records : [];
    if (streamed.length === 0) return base.records;
    const all = base.records.concat(streamed);
    return all.length > KEEP ? all.slice(all.length - KEEP) : all;
  }, [base, tail]);

  const files = base ? ((tail.base === base ? tail.files : null) ?? base.files) : undefined;
  const limit = input.limit ?? 200;
  return {
    records,
    files,
    error: log.error,
    followError: follow ? followError : undefined,
    loading: log.loading,
    capped: base !== undefined && base.records.length >= limit,
    reload: log.reload,
  };
}

function sameFiles(a: string[] | null, b: string[]): boolean {
  return a !== null && a.length === b.length && a.every((f, i) => f === b[i]);
}
