import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { EventHub } from './events';
import { EventsContext, type Live } from './eventsContext';
import { LiveQueries } from './live';

/** Owns the single live-event connection for the UI, and turns its events into cache updates. */
export function EventsProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [live] = useState<Live>(() => ({ hub: new EventHub(), queries: new LiveQueries(client) }));
  useEffect(() => {
    const unsubscribe = live.hub.subscribe(live.queries.handle);
    const stop = live.hub.start();
    return () => {
      stop();
      unsubscribe();
      live.queries.stop();
    };
  }, [live]);
  return <EventsContext.Provider value={live}>{children}</EventsContext.Provider>;
}
