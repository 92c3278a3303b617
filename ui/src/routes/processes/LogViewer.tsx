import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useLiveEvents, useQuery } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import type { LogLine, ProcessLogs } from '../../gen/bindings';

const TAIL = 1000;
const KEEP = 5000;

interface OutputEvent {
  id: string;
  lines: LogLine[];
}

function isOutput(data: unknown): data is OutputEvent {
  return typeof data === 'object' && data !== null && typeof (data as OutputEvent).id === 'string' && Array.isArray((data as OutputEvent).lines);
}

/** A process's output: the last lines, then live `processes.output`; follows the end while scrolled there. */
export function LogViewer({ id }: { id: string }) {
  const logs = useQuery('processes.logs', { id, tail: TAIL });
  // Lines streamed since the answer `after` was fetched; a newer answer already holds them.
  const [streamed, setStreamed] = useState<{ after: ProcessLogs | undefined; lines: LogLine[] }>({ after: undefined, lines: [] });
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const loaded = logs.data !== undefined || logs.error !== undefined;
  const truncated = logs.data?.truncated ?? false;
  const error = logs.error?.message;

  useLiveEvents((event) => {
    const base = logs.data;
    if (event.kind !== 'processes.output' || !isOutput(event.data) || event.data.id !== id || !base) return;
    const incoming = event.data.lines;
    setStreamed((s) => ({ after: base, lines: (s.after === base ? s.lines : []).concat(incoming) }));
  });

  const lines = useMemo(() => {
    const all = (logs.data?.lines ?? []).concat(streamed.after === logs.data ? streamed.lines : []);
    return all.length > KEEP ? all.slice(all.length - KEEP) : all;
  }, [logs.data, streamed]);

  useLayoutEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  return (
    <div className="log-viewer-wrap">
      {error && <Banner tone="error">{error}</Banner>}
      <div
        className="log-viewer mono"
        ref={box}
        role="log"
        aria-live="off"
        tabIndex={0}
        data-testid="log-viewer"
        data-lines={lines.length}
        onScroll={(e) => {
          const el = e.currentTarget;
          const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          if (atEnd !== follow) setFollow(atEnd);
        }}
      >
        {truncated && <div className="log-note">… older lines are in the log file</div>}
        {loaded && lines.length === 0 && <div className="log-note">No output yet.</div>}
        {lines.map((l, i) => (
          <div key={i} className={l.stream === 'stderr' ? 'log-line stderr' : 'log-line'} data-testid="log-line" data-stream={l.stream}>
            {l.text || '\u00a0'}
          </div>
        ))}
      </div>
      {!follow && (
        <button type="button" className="button small log-follow" onClick={() => setFollow(true)} data-testid="log-follow">
          ↓ Follow output
        </button>
      )}
    </div>
  );
}
