import { useEffect, useState, type ReactNode } from 'react';
import { EventHub } from './events';
import { EventsContext } from './eventsContext';

/** Owns the single live-event connection for the UI. */
export function EventsProvider({ children }: { children: ReactNode }) {
  const [hub] = useState(() => new EventHub());
  useEffect(() => hub.start(), [hub]);
  return <EventsContext.Provider value={hub}>{children}</EventsContext.Provider>;
}
