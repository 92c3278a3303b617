import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { EventHub } from './events';
import { EventsContext, type Live } from './eventsContext';
import { LiveQueries } from './live';

/**
 * Opens the live-event connection now, before the first render, for the page's whole life: what
 * the first page asks for ahead of rendering (`routes/preload.ts`) is then kept current from the
 * start, instead of missing what changes until a provider mounts and connects.
 */
export function startLive(client: QueryClient): Live {
  const live: Live = { hub: new EventHub(), queries: new LiveQueries(client) };
  live.hub.subscribe(live.queries.handle);
  live.hub.start();
  return live;
}

/**
 * Owns the single live-event connection for the UI, and turns its events into cache updates.
 * Given one opened already (`startLive`), it only provides that.
 */
export function EventsProvider({ live: started, children }: { live?: Live; children: ReactNode }) {
  const client = useQueryClient();
  const [live] = useState<Live>(() => started ?? { hub: new EventHub(), queries: new LiveQueries(client) });
  useEffect(() => {
    if (live === started) return;
    const unsubscribe = live.hub.subscribe(live.queries.handle);
    const stop = live.hub.start();
    return () => {
      stop();
      unsubscribe();
      live.queries.stop();
    };
  }, [live, started]);
  return <EventsContext.Provider value={live}>{children}</EventsContext.Provider>;
}
