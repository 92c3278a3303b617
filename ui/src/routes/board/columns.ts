import type { ListGoalsInput, WorkflowState } from '../../gen/bindings';
import { STATES } from '../work/states';

/** The narrowest an open column gets before the board folds another one. */
export const OPEN_MIN = 168;
/** A folded column: a strip with its name and count, still a drop target. */
export const FOLDED = 44;
export const GAP = 8;

/** Which columns fold first when the board lacks room: empty ones, then the least actionable. */
const FOLD_ORDER: readonly WorkflowState[] = ['cancelled', 'done', 'backlog', 'failed', 'governance', 'quality', 'plan', 'implement', 'todo', 'review'];

/**
 * The columns to fold so every column fits `width` without scrolling sideways. A person's own
 * choice for a column (open or folded) wins; review is never folded by itself, so it is always
 * reachable.
 */
export function foldedColumns(width: number, counts: ReadonlyMap<WorkflowState, number>, chosen: Readonly<Partial<Record<WorkflowState, boolean>>>): Set<WorkflowState> {
  const folded = new Set<WorkflowState>(STATES.filter((s) => chosen[s] === true));
  if (width <= 0) return folded;
  const fits = () => {
    const open = STATES.length - folded.size;
    return open * OPEN_MIN + folded.size * FOLDED + (STATES.length - 1) * GAP <= width;
  };
  const candidates = [...FOLD_ORDER].filter((s) => chosen[s] === undefined && s !== 'review');
  // Empty columns go first, in fold order; then the others.
  candidates.sort((a, b) => Number((counts.get(a) ?? 0) > 0) - Number((counts.get(b) ?? 0) > 0));
  for (const s of candidates) {
    if (fits()) break;
    folded.add(s);
  }
  return folded;
}

const KEY = 'refine.board.folded';

/** The columns a person folded or opened by hand, remembered in this browser. */
export function loadChosen(): Partial<Record<WorkflowState, boolean>> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    if (!v || typeof v !== 'object') return {};
    return Object.fromEntries(Object.entries(v).filter(([k, b]) => (STATES as readonly string[]).includes(k) && typeof b === 'boolean')) as Partial<Record<WorkflowState, boolean>>;
  } catch {
    return {};
  }
}

export function saveChosen(chosen: Partial<Record<WorkflowState, boolean>>): void {
  localStorage.setItem(KEY, JSON.stringify(chosen));
}

/** What the Board shows: a Feature (an id, `none`, or '' for any) and search words. */
export interface BoardFilter {
  featureId: string;
  q: string;
}

/** Cards a column asks for at a time: the first page paints, the next come as the column scrolls. */
export const COLUMN_PAGE = 60;

/** The `goals.list` input of one column (also asked for at start, before the Board mounts). */
export function columnInput(appId: string, state: WorkflowState, filter: BoardFilter): ListGoalsInput {
  return { appId, status: [state], featureId: filter.featureId || null, q: filter.q.trim() || null, sort: 'priority', limit: COLUMN_PAGE };
}

/** The Board's filter in the route's query (`#/board?feature=…&q=…`). */
export function boardFilterFromQuery(query: URLSearchParams): BoardFilter {
  return { featureId: query.get('feature') ?? '', q: query.get('q') ?? '' };
}
