import type { ProcessInfo, ProcessStatus } from '../../gen/bindings';
import { formatDuration } from '../../components/format';

export const LIVE: readonly ProcessStatus[] = ['starting', 'running'];

export function isLive(p: ProcessInfo): boolean {
  return LIVE.includes(p.status);
}

export const STATUS_TONE: Record<ProcessStatus, 'success' | 'danger' | 'accent' | 'warning' | 'neutral'> = {
  starting: 'accent',
  running: 'success',
  exited: 'neutral',
  failed: 'danger',
  stopped: 'neutral',
  lost: 'warning',
};

/** How long it ran (or has been running). */
export function durationOf(p: ProcessInfo, now = Date.now()): string {
  const start = new Date(p.startedAt).getTime();
  const end = p.endedAt ? new Date(p.endedAt).getTime() : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return formatDuration(Math.max(0, end - start) / 1000);
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

/** "exit 0", "exit 2", "SIGTERM", or "" while it runs. */
export function exitOf(p: ProcessInfo): string {
  if (p.signal !== null) return SIGNALS[p.signal] ?? `signal ${p.signal}`;
  if (p.exitCode !== null) return `exit ${p.exitCode}`;
  return '';
}
