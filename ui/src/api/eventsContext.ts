import { createContext } from 'react';
import type { EventHub } from './events';

export const EventsContext = createContext<EventHub | null>(null);
