import { useState } from 'react';
import { Badge } from '../../components/Feedback';
import type { AgentRun } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { LogViewer } from '../processes/LogViewer';
import { runLabel, runTone } from './runs';

/** " (2)" for the second run with the same label (a manual evaluation runs quality again). */
function repeatNumber(runs: AgentRun[], index: number): string {
  const label = runLabel(runs[index]);
  const before = runs.slice(0, index).filter((r) => runLabel(r) === label).length;
  return before > 0 ? ` (${before + 1})` : '';
}

/**
 * The output of a Round's agent runs: follows the run that is going on now (or the last one),
 * live; a person can pick another run and go back to following.
 */
export function AgentOutput({ runs, liveProcessId }: { runs: AgentRun[]; liveProcessId: string | null }) {
  const [pinned, setPinned] = useState<string | null>(null);
  const withProcess = runs.filter((r) => r.processId);
  const running = [...withProcess].reverse().find((r) => r.status === 'running');
  const followed = liveProcessId ?? running?.processId ?? withProcess[withProcess.length - 1]?.processId ?? null;
  const shown = pinned ?? followed;
  const shownRun = withProcess.find((r) => r.processId === shown);

  if (!shown) {
    return (
      <div className="agent-output empty-output muted small" data-testid="agent-output" data-state="waiting">
        No agent has started in this round yet.
      </div>
    );
  }
  return (
    <div className="agent-output" data-testid="agent-output" data-process={shown} data-state={shownRun?.status ?? 'running'}>
      <div className="agent-output-bar">
        <div className="segmented compact" role="tablist" aria-label="Agent runs">
          {withProcess.map((r, i) => (
            <button
              key={r.id}
              type="button"
              role="tab"
              aria-selected={r.processId === shown}
              className={r.processId === shown ? 'segment active' : 'segment'}
              onClick={() => setPinned(r.processId)}
              data-testid="agent-output-run"
            >
              {runLabel(r)}
              {repeatNumber(withProcess, i)}
              {r.status === 'running' && <span className="live-dot" aria-label="running" />}
            </button>
          ))}
          {liveProcessId && !withProcess.some((r) => r.processId === liveProcessId) && (
            <button type="button" role="tab" aria-selected={shown === liveProcessId} className={shown === liveProcessId ? 'segment active' : 'segment'} onClick={() => setPinned(liveProcessId)}>
              current step <span className="live-dot" aria-label="running" />
            </button>
          )}
        </div>
        <span className="spacer" />
        {shownRun && <Badge tone={runTone(shownRun.status)}>{shownRun.status}</Badge>}
        {pinned && pinned !== followed && (
          <button type="button" className="button small ghost" onClick={() => setPinned(null)} data-testid="agent-output-follow">
            Follow live
          </button>
        )}
        <a className="small" href={hrefFor('processes', [shown])} title="Open this process in Processes">
          Process ↗
        </a>
      </div>
      <LogViewer key={shown} id={shown} />
    </div>
  );
}
