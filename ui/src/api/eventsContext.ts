import { createContext } from 'react';
import type { EventHub } from './events';
import type { LiveQueries } from './live';

/** The live-event connection and the subscriber that keeps the query cache current from it. */
export interface Live {
  hub: EventHub;
  queries: LiveQueries;
}

export const EventsContext = createContext<Live | null>(null);
