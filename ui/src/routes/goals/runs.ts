import type { AgentRun } from '../../gen/bindings';

export type Tone = 'neutral' | 'accent' | 'success' | 'warning' | 'danger';

/** "implement", "implement · repair 1", "implement · follow-up", "implement · c2" (best-of-N candidate 2). */
export function runLabel(run: Pick<AgentRun, 'phase' | 'attempt'> & Partial<Pick<AgentRun, 'kind' | 'candidate'>>): string {
  const base = run.candidate ? `${run.phase} · c${run.candidate}` : run.phase;
  if (run.kind === 'follow-up') return `${base} · follow-up`;
  return run.attempt > 0 ? `${base} · repair ${run.attempt}` : base;
}

/** running, done, invalid, failed, stopped, lost. */
export function runTone(status: string): Tone {
  switch (status) {
    case 'running':
      return 'accent';
    case 'done':
      return 'success';
    case 'invalid':
    case 'stopped':
    case 'limited':
      return 'warning';
    case 'unauthorized':
    case 'failed':
    case 'lost':
      return 'danger';
    default:
      return 'neutral';
  }
}

/** Milliseconds as "850 ms", "3.2 s", "2m 05s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** The time between two RFC 3339 instants (or until now), in milliseconds. */
export function elapsedMs(from: string, to: string | null, now = Date.now()): number {
  const start = new Date(from).getTime();
  const end = to ? new Date(to).getTime() : now;
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : Math.max(0, end - start);
}

/** The first characters of a commit id. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 10) : '—';
}
