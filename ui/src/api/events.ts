import { listen } from '@tauri-apps/api/event';
import type { Event as RefineEvent } from '../gen/bindings';
import { isTauri } from './transport';

export type { RefineEvent };

/** What the connection indicator shows. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

type EventListener = (event: RefineEvent) => void;
type StateListener = () => void;

/** The kind the server sends when a client missed events: refetch everything visible. */
export const RESYNC = 'resync';

const SSE_PATH = '/api/v1/events';
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;

function parseEvent(raw: string): RefineEvent | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && typeof (value as RefineEvent).kind === 'string') {
      return value as RefineEvent;
    }
  } catch {
    // A malformed frame is ignored: the next resync repairs whatever it carried.
  }
  return null;
}

function syntheticResync(): RefineEvent {
  return { id: '', kind: RESYNC, at: new Date().toISOString(), appId: null, data: null };
}

/**
 * One live-event connection for the whole UI: an EventSource in a browser, the Tauri event bridge
 * in the desktop window. Screens subscribe; `start()` returns its own cleanup (StrictMode-safe).
 */
export class EventHub {
  private listeners = new Set<EventListener>();
  private stateListeners = new Set<StateListener>();
  private state: ConnectionState = 'connecting';

  getState = (): ConnectionState => this.state;

  subscribeState = (listener: StateListener): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener();
  }

  private emit(event: RefineEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('event listener failed', error);
      }
    }
  }

  /** Opens the connection; the returned function closes it. */
  start(): () => void {
    return isTauri() ? this.startTauri() : this.startBrowser();
  }

  private startTauri(): () => void {
    let stopped = false;
    let unlisten: (() => void) | undefined;
    this.setState('connected');
    listen<RefineEvent>('refine://event', (e) => this.emit(e.payload))
      .then((fn) => {
        // StrictMode may have cleaned up before the listener was registered.
        if (stopped) fn();
        else unlisten = fn;
      })
      .catch((error: unknown) => {
        console.error('cannot listen to refine://event', error);
        this.setState('offline');
      });
    return () => {
      stopped = true;
      unlisten?.();
    };
  }

  private startBrowser(): () => void {
    let stopped = false;
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let retryDelay = RETRY_MIN_MS;

    const open = (afterClose: boolean) => {
      if (stopped) return;
      this.setState(afterClose ? 'reconnecting' : 'connecting');
      const es = new EventSource(SSE_PATH);
      source = es;
      es.onopen = () => {
        retryDelay = RETRY_MIN_MS;
        this.setState('connected');
        // A new EventSource cannot send Last-Event-ID, so events may have been missed.
        if (afterClose) this.emit(syntheticResync());
      };
      es.onmessage = (message: MessageEvent<string>) => {
        const event = parseEvent(message.data);
        if (event) this.emit(event);
      };
      es.onerror = () => {
        if (stopped) return;
        if (es.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. the daemon answered an error): retry ourselves with backoff.
          this.setState('offline');
          es.close();
          retryTimer = setTimeout(() => open(true), retryDelay);
          retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
        } else {
          // The browser reconnects on its own and resumes with Last-Event-ID.
          this.setState('reconnecting');
        }
      };
    };

    const onOffline = () => this.setState('offline');
    const onOnline = () => {
      if (source?.readyState === EventSource.OPEN) this.setState('connected');
    };
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
    open(false);

    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      source?.close();
      source = null;
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
    };
  }
}
