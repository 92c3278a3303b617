const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' });
const day = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

/** "17:10:06.380", local time. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : clock.format(date);
}

/** The local calendar day of a time ("2026-12-02"), to notice where the day changes. */
export function dayOf(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** "Wednesday, December 2, 2026", local. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : day.format(date);
}

/** A value as it reads in `key=value`: bare when it has no spaces or quotes, JSON otherwise. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value !== '' && /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/** A record's fields as `[key, text]` pairs, in the order they were logged. */
export function formatFields(fields: unknown): [string, string][] {
  if (fields === null || fields === undefined) return [];
  if (typeof fields !== 'object' || Array.isArray(fields)) return [['fields', fieldText(fields)]];
  return Object.entries(fields as Record<string, unknown>).map(([key, value]) => [key, fieldText(value)]);
}
