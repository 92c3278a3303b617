import type { LogLevel, LogsInput } from '../../gen/bindings';

/** Most severe last: the level filter keeps a record at least as severe as the one chosen. */
export const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** What `#/logs?level=warn&target=refine_core&q=doctor&follow=1` asks for. */
export interface LogFilters {
  level: LogLevel | null;
  /** A module path prefix (`refine_core::runner`). */
  target: string;
  /** Text in the message (case-insensitive, matched by the daemon). */
  q: string;
  follow: boolean;
}

function isLevel(value: string | null): value is LogLevel {
  return value !== null && (LEVELS as readonly string[]).includes(value);
}

export function filtersFrom(query: URLSearchParams): LogFilters {
  const level = query.get('level');
  return {
    level: isLevel(level) ? level : null,
    target: query.get('target') ?? '',
    q: query.get('q') ?? '',
    follow: query.get('follow') === '1',
  };
}

/** The hash query of `filters` (empty values are left out). */
export function queryOf(filters: LogFilters): Record<string, string | null> {
  return { level: filters.level, target: filters.target.trim() || null, q: filters.q.trim() || null, follow: filters.follow ? '1' : null };
}

/** The daemon's filters for `filters`; unset ones are left out so equal filters share a cache entry. */
export function toInput(filters: LogFilters, limit: number): LogsInput {
  const input: LogsInput = { limit };
  if (filters.level) input.level = filters.level;
  if (filters.target.trim()) input.target = filters.target.trim();
  if (filters.q.trim()) input.contains = filters.q.trim();
  return input;
}

export function hasFilters(filters: LogFilters): boolean {
  return filters.level !== null || filters.target.trim() !== '' || filters.q.trim() !== '';
}
