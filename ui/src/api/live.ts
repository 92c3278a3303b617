import type { Query, QueryClient } from '@tanstack/react-query';
import type { TypedEvent } from '../gen/bindings';
import { eventStale, type EventKind } from '../gen/events';
import { RESYNC, type RefineEvent } from './events';
import { keyParts } from './queries';

/**
 * Applies one event to a cached answer (a Goal moved on the board, an audit entry prepended) so
 * nothing needs fetching; `undefined` when it cannot, and the answer is fetched again instead.
 */
export type LivePatch<D, K extends EventKind = EventKind> = (data: D, event: TypedEvent<K>) => D | undefined;
export type LivePatches<D> = { readonly [K in EventKind]?: LivePatch<D, K> };

/** Events arriving within this window make one round of refetches (a mutation sends two or three). */
const BATCH_MS = 100;

/** Input fields that name what a query is about; an event about another one leaves it alone. */
const SCOPES = ['appId', 'goalId', 'reporterId'] as const;

const staleOps: ReadonlyMap<string, ReadonlySet<string>> = new Map(Object.entries(eventStale).map(([kind, ops]) => [kind, new Set<string>(ops)]));

function field(value: unknown, name: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = (value as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : null;
}

/** True when the query's input names an app (a Goal, a reporter) and the event names another. */
function outOfScope(input: unknown, event: RefineEvent): boolean {
  return SCOPES.some((name) => {
    const mine = field(input, name);
    if (mine === null) return false;
    const theirs = name === 'appId' ? (event.appId ?? field(event.data, name)) : field(event.data, name);
    return theirs !== null && theirs !== mine;
  });
}

type PatchRef = { readonly current: LivePatches<unknown> | undefined };

/**
 * The one subscriber that turns live events into cache updates: for each event, the queries its
 * kind makes stale (`gen/events.ts`), narrowed to the app (Goal, reporter) it is about, are
 * patched in place when a screen said how, and otherwise invalidated. Invalidating refetches only
 * what a screen is showing; the rest is fetched when a screen next asks for it.
 */
export class LiveQueries {
  private readonly patches = new Map<string, Set<PatchRef>>();
  private pending = new Set<Query>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: QueryClient) {}

  /** A screen's patches for the query with `hash`, while it is mounted. */
  register(hash: string, patches: PatchRef): () => void {
    let refs = this.patches.get(hash);
    if (!refs) {
      refs = new Set();
      this.patches.set(hash, refs);
    }
    refs.add(patches);
    return () => {
      refs.delete(patches);
      if (refs.size === 0 && this.patches.get(hash) === refs) this.patches.delete(hash);
    };
  }

  readonly handle = (event: RefineEvent): void => {
    if (event.kind === RESYNC) {
      this.pending.clear();
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.client.invalidateQueries();
      return;
    }
    const ops = staleOps.get(event.kind);
    if (!ops || ops.size === 0) return;
    for (const query of this.client.getQueryCache().getAll()) {
      const { op, input } = keyParts(query);
      if (!ops.has(op) || outOfScope(input, event)) continue;
      if (this.patch(query, event)) continue;
      this.pending.add(query);
    }
    if (this.pending.size > 0 && this.timer === undefined) this.timer = setTimeout(this.flush, BATCH_MS);
  };

  /** Stops a pending round of refetches (the provider unmounted). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  /** True when a screen's patch brought the cached answer up to date. */
  private patch(query: Query, event: RefineEvent): boolean {
    const data = query.state.data;
    // An answer still on its way may predate the event: let it be fetched again.
    if (data === undefined || query.state.fetchStatus !== 'idle') return false;
    for (const ref of this.patches.get(query.queryHash) ?? []) {
      // The daemon sends each kind with its declared data (`EventData` in the bindings).
      const patch = ref.current?.[event.kind as EventKind] as LivePatch<unknown> | undefined;
      if (!patch) continue;
      const next = patch(data, event as TypedEvent<EventKind>);
      if (next === undefined) return false;
      if (next !== data) this.client.setQueryData(query.queryKey, next);
      return true;
    }
    return false;
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    const stale = this.pending;
    this.pending = new Set();
    void this.client.invalidateQueries({ predicate: (query) => stale.has(query) });
  };
}
