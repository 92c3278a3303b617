import type { Goal, GoalSort, ListGoalsInput, WorkflowState } from '../../gen/bindings';
import { isWorkflowState } from '../work/states';

/** The Goals list's filters; they live in the hash route's query (`#/goals?status=review`). */
export interface GoalFilters {
  status: WorkflowState[];
  /** A Feature id, `none`, or '' for any. */
  feature: string;
  label: string;
  reporter: string;
  assignee: string;
  q: string;
  sort: GoalSort | '';
  deleted: boolean;
}

export const SORTS: readonly { value: GoalSort; label: string }[] = [
  { value: 'priority', label: 'Priority' },
  { value: 'updated', label: 'Recently updated' },
  { value: 'newest', label: 'Newest' },
  { value: 'oldest', label: 'Oldest' },
  { value: 'number', label: 'Number' },
  { value: 'title', label: 'Title' },
];

export const PAGE_SIZE = 50;
const MAX_PAGE = 500;

export function filtersFromQuery(query: URLSearchParams): GoalFilters {
  const status = (query.get('status') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(isWorkflowState);
  const sort = query.get('sort') ?? '';
  return {
    status: [...new Set(status)],
    feature: query.get('feature') ?? '',
    label: query.get('label') ?? '',
    reporter: query.get('reporter') ?? '',
    assignee: query.get('assignee') ?? '',
    q: query.get('q') ?? '',
    sort: SORTS.some((s) => s.value === sort) ? (sort as GoalSort) : '',
    deleted: query.get('view') === 'deleted',
  };
}

export function filtersToQuery(f: GoalFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.status.length) out.status = f.status.join(',');
  if (f.feature) out.feature = f.feature;
  if (f.label.trim()) out.label = f.label.trim();
  if (f.reporter) out.reporter = f.reporter;
  if (f.assignee.trim()) out.assignee = f.assignee.trim();
  if (f.q.trim()) out.q = f.q.trim();
  if (f.sort) out.sort = f.sort;
  if (f.deleted) out.view = 'deleted';
  return out;
}

export function hasFilters(f: GoalFilters): boolean {
  return Boolean(f.status.length || f.feature || f.label.trim() || f.reporter || f.assignee.trim() || f.q.trim());
}

/**
 * True when `next` lists only Goals `prev` lists, in the same order (the same search, sort and
 * view, and each filter the same or narrower): the rows shown for `prev` that match `next` are
 * then the first rows of `next`'s answer.
 */
export function narrows(prev: GoalFilters, next: GoalFilters): boolean {
  if (prev.q.trim() !== next.q.trim() || (prev.sort || 'priority') !== (next.sort || 'priority') || prev.deleted !== next.deleted) return false;
  const status = prev.status.length === 0 || (next.status.length > 0 && next.status.every((s) => prev.status.includes(s)));
  const field = (p: string, n: string) => p === n || p === '';
  return (
    status &&
    field(prev.feature, next.feature) &&
    field(prev.label.trim(), next.label.trim()) &&
    field(prev.reporter, next.reporter) &&
    field(prev.assignee.trim(), next.assignee.trim())
  );
}

/** Whether a Goal passes the filters a Goal's own fields tell (all but the search), as the daemon does. */
export function matches(f: GoalFilters, g: Goal): boolean {
  if (f.status.length > 0 && !f.status.includes(g.status)) return false;
  if (f.feature && (f.feature === 'none' ? g.featureId !== null : g.featureId !== f.feature)) return false;
  if (f.label.trim() && !g.labels.includes(f.label.trim())) return false;
  if (f.reporter && g.reporterId !== f.reporter) return false;
  if (f.assignee.trim() && g.assignee !== f.assignee.trim()) return false;
  return true;
}

/** The `goals.list` input for the filters. */
export function toInput(f: GoalFilters, appId: string, opts: { cursor?: string | null; limit?: number } = {}): ListGoalsInput {
  return {
    appId,
    status: f.status.length ? f.status : null,
    featureId: f.feature || null,
    label: f.label.trim() || null,
    reporterId: f.reporter || null,
    assignee: f.assignee.trim() || null,
    q: f.q.trim() || null,
    sort: f.sort || null,
    deleted: f.deleted || null,
    limit: Math.min(Math.max(opts.limit ?? PAGE_SIZE, 1), MAX_PAGE),
    cursor: opts.cursor ?? null,
  };
}
