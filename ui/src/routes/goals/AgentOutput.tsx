import { useState } from 'react';
import { Badge } from '../../components/Feedback';
import type { AgentRun } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { LogViewer } from '../processes/LogViewer';
import { runLabel, runTone } from './runs';
import { Transcript, UsageLine } from './Transcript';

/** " (2)" for the second run with the same label (a manual evaluation runs quality again). */
function repeatNumber(runs: AgentRun[], index: number): string {
  const label = runLabel(runs[index]);
  const before = runs.slice(0, index).filter((r) => runLabel(r) === label).length;
  return before > 0 ? ` (${before + 1})` : '';
}

/**
 * A Round's agent runs as transcripts: follows the run going on now (or the last one), live; a
 * person can pick another run and go back to following; the raw log is one click away.
 */
export function AgentOutput({ runs, liveProcessId, onFile }: { runs: AgentRun[]; liveProcessId: string | null; onFile?: (path: string) => void }) {
  const [pinned, setPinned] = useState<string | null>(null);
  const [raw, setRaw] = useState(false);
  const running = [...runs].reverse().find((r) => r.status === 'running');
  const byLive = liveProcessId ? runs.find((r) => r.processId === liveProcessId) : undefined;
  const followed = byLive?.id ?? running?.id ?? runs[runs.length - 1]?.id ?? null;
  const shownId = pinned ?? followed;
  const shown = runs.find((r) => r.id === shownId);

  if (!shown) {
    return (
      <div className="agent-output empty-output muted small" data-testid="agent-output" data-state="waiting">
        {liveProcessId ? 'The agent is starting…' : 'No agent has started in this round yet.'}
      </div>
    );
  }
  return (
    <div className="agent-output" data-testid="agent-output" data-run={shown.id} data-process={shown.processId ?? ''} data-state={shown.status}>
      <div className="agent-output-bar">
        <div className="segmented compact" role="tablist" aria-label="Agent runs">
          {runs.map((r, i) => (
            <button
              key={r.id}
              type="button"
              role="tab"
              aria-selected={r.id === shown.id}
              className={r.id === shown.id ? 'segment active' : 'segment'}
              onClick={() => setPinned(r.id)}
              data-testid="agent-output-run"
            >
              {runLabel(r)}
              {repeatNumber(runs, i)}
              {r.status === 'running' && <span className="live-dot" aria-label="running" />}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <UsageLine usage={shown.usage} testId="agent-output-usage" />
        {shown.denials > 0 && <Badge tone="warning">{shown.denials} denied</Badge>}
        {shown.resumed && <Badge tone="accent">resumed session</Badge>}
        <Badge tone={runTone(shown.status)}>{shown.status}</Badge>
        {pinned && pinned !== followed && (
          <button type="button" className="button small ghost" onClick={() => setPinned(null)} data-testid="agent-output-follow">
            Follow live
          </button>
        )}
        <button type="button" className="button small ghost" aria-pressed={raw} onClick={() => setRaw(!raw)} data-testid="agent-output-raw">
          {raw ? 'Transcript' : 'Raw log'}
        </button>
        {shown.processId && (
          <a className="small" href={hrefFor('processes', [shown.processId])} title="Open this process in Processes">
            Process ↗
          </a>
        )}
      </div>
      {raw && shown.processId ? <LogViewer key={shown.processId} id={shown.processId} /> : <Transcript key={shown.id} runId={shown.id} onFile={onFile} />}
    </div>
  );
}
