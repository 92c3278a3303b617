import { listen } from '@tauri-apps/api/event';
import type { Event as RefineEvent } from '../gen/bindings';
import { authHeaders, markUnauthorized } from './session';
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

/** One Server-Sent Events frame: its `id:` and its `data:` lines joined (comments skipped). */
function parseFrame(frame: string): { id: string | null; data: string | null } {
  let id: string | null = null;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return { id, data: data.length ? data.join('\n') : null };
}

function syntheticResync(): RefineEvent {
  return { id: '', kind: RESYNC, at: new Date().toISOString(), appId: null, data: null };
}

/**
 * One live-event connection for the whole UI: a streamed fetch of the SSE route in a browser, the Tauri event bridge
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
    let controller: AbortController | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let retryDelay = RETRY_MIN_MS;
    // The id of the last event received: a reconnect asks for what came after it.
    let lastId: string | null = null;

    // Not EventSource: it can send neither the session header nor Last-Event-ID on a fresh
    // connection. A streamed fetch can do both.
    const open = async (afterClose: boolean) => {
      if (stopped) return;
      this.setState(afterClose ? 'reconnecting' : 'connecting');
      const ctl = new AbortController();
      controller = ctl;
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream', 'X-Refine-Surface': 'browser', ...authHeaders() };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const response = await fetch(SSE_PATH, { headers, signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
        if (response.status === 401) markUnauthorized();
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        retryDelay = RETRY_MIN_MS;
        this.setState('connected');
        // Without an id to resume from, whatever happened meanwhile is unknown: reload.
        if (afterClose && !lastId) this.emit(syntheticResync());
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = parseFrame(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (frame.id) lastId = frame.id;
            if (frame.data !== null) {
              const event = parseEvent(frame.data);
              if (event) this.emit(event);
            }
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // Closed, refused or aborted: retry below unless stopped.
      }
      if (stopped) return;
      this.setState('offline');
      retryTimer = setTimeout(() => void open(true), retryDelay);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    };

    const onOffline = () => this.setState('offline');
    window.addEventListener('offline', onOffline);
    void open(false);

    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      controller?.abort();
      controller = null;
      window.removeEventListener('offline', onOffline);
    };
  }
}
