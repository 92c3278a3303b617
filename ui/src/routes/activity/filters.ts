import type { Activity, ActivityListInput, ActivityPage, Surface } from '../../gen/bindings';

export interface ActivityFilters {
  surface: Surface | '';
  operation: string;
  actor: string;
  appId: string;
}

export const NO_FILTERS: ActivityFilters = { surface: '', operation: '', actor: '', appId: '' };

export const SURFACES: readonly Surface[] = ['desktop', 'browser', 'cli', 'http', 'mcp', 'system'];

export const PAGE_SIZE = 50;

/** The `activity.list` input for the filters (empty filters are left out). */
export function toInput(f: ActivityFilters): ActivityListInput {
  return {
    surface: f.surface || null,
    operation: f.operation.trim() || null,
    actor: f.actor.trim() || null,
    appId: f.appId || null,
    limit: PAGE_SIZE,
  };
}

/** Whether a live entry belongs in the list under the filters (same rules as the server). */
export function matchesFilters(entry: Activity, f: ActivityFilters): boolean {
  if (f.surface && entry.surface !== f.surface) return false;
  const op = f.operation.trim();
  if (op && entry.operation !== op && !entry.operation.startsWith(`${op}.`)) return false;
  const actor = f.actor.trim();
  if (actor && entry.actor !== actor) return false;
  if (f.appId && entry.appId !== f.appId) return false;
  return true;
}

/** A new audit entry on top of a page that is shown (once), without asking again. */
export function prependActivity(page: ActivityPage, entry: Activity): ActivityPage {
  return page.items.some((a) => a.id === entry.id) ? page : { ...page, items: [entry, ...page.items] };
}
