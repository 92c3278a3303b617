import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { useLiveEvents } from '../../api/hooks';
import { RESYNC } from '../../api/events';
import { Banner } from '../../components/Feedback';
import type { LogLine } from '../../gen/bindings';

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
  const [lines, setLines] = useState<LogLine[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    call('processes.logs', { id, tail: TAIL }).then(
      (logs) => {
        if (!live) return;
        setLines(logs.lines);
        setTruncated(logs.truncated);
        setError(null);
        setLoaded(true);
      },
      (err: unknown) => {
        if (!live) return;
        setError(errorMessage(err));
        setLoaded(true);
      },
    );
    return () => {
      live = false;
    };
  }, [id, generation]);

  useLiveEvents((event) => {
    if (event.kind === RESYNC) {
      setGeneration((g) => g + 1);
      return;
    }
    if (event.kind !== 'processes.output' || !isOutput(event.data) || event.data.id !== id || !loaded) return;
    const incoming = event.data.lines;
    setLines((old) => {
      const next = old.concat(incoming);
      return next.length > KEEP ? next.slice(next.length - KEEP) : next;
    });
  });

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
