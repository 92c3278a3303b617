import { sessionSecret } from '../../api/session';
import { Channel, invoke } from '@tauri-apps/api/core';
import { isTauri } from '../../api/transport';
import type { TerminalClientMessage, TerminalServerMessage } from '../../gen/bindings';

/** A control message from the daemon (`exit`, `lagged`, `error`) or the link (`closed`). */
export type Control = TerminalServerMessage;

const CONTROL_TYPES: ReadonlySet<string> = new Set<Control['type']>(['exit', 'lagged', 'error', 'closed']);

/** What a link reports to the terminal. */
export interface LinkHandlers {
  /** Attached: input and resizes now reach the session. */
  onOpen(): void;
  /** Output (the scrollback first, then live output). */
  onOutput(data: Uint8Array): void;
  onControl(msg: Control): void;
  /** The link ended without `close()` (the program exited, the daemon went away, attach failed). */
  onClosed(): void;
}

/** One attachment to a terminal session, whatever carries it. */
export interface Link {
  send(data: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** The terminal has taken `bytes` of output (flow control in the desktop window). */
  consumed(bytes: number): void;
  /** Detach; the session keeps running. */
  close(): void;
}

/**
 * Attach to session `id`: over the session's WebSocket in a browser (the page's cookie
 * authenticates it), through the desktop process in the Tauri window (which holds the token, so
 * the page never does).
 */
export function openLink(id: string, h: LinkHandlers): Link {
  return isTauri() ? desktopLink(id, h) : socketLink(id, h);
}

function parseControl(text: string): Control | null {
  try {
    const msg = JSON.parse(text) as unknown;
    const type = msg && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
    return typeof type === 'string' && CONTROL_TYPES.has(type) ? (msg as Control) : null;
  } catch {
    return null;
  }
}

/** The session's WebSocket URL on this origin. */
function socketUrl(id: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/api/v1/terminal/${encodeURIComponent(id)}/ws`;
}

function socketLink(id: string, h: LinkHandlers): Link {
  // A WebSocket cannot carry headers: the session secret rides as a subprotocol, which only
  // this origin's scripts can set (the daemon checks the Origin too).
  const secret = sessionSecret();
  const ws = new WebSocket(socketUrl(id), secret ? ['refine', `refine.session.${secret}`] : ['refine']);
  ws.binaryType = 'arraybuffer';
  const open = () => ws.readyState === WebSocket.OPEN;
  ws.onopen = () => h.onOpen();
  ws.onmessage = (m: MessageEvent<ArrayBuffer | string>) => {
    if (typeof m.data !== 'string') {
      h.onOutput(new Uint8Array(m.data));
      return;
    }
    const msg = parseControl(m.data);
    if (msg) h.onControl(msg);
  };
  ws.onclose = () => h.onClosed();
  return {
    send: (data) => {
      if (open()) ws.send(data);
    },
    resize: (cols, rows) => {
      const resize: TerminalClientMessage = { type: 'resize', cols, rows };
      if (open()) ws.send(JSON.stringify(resize));
    },
    consumed: () => {},
    close: () => {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close();
    },
  };
}

/** Unacknowledged output the desktop process allows (its `WINDOW`); acks go well before that. */
const ACK_EVERY = 256 * 1024;
const ACK_DELAY_MS = 20;

function desktopLink(id: string, h: LinkHandlers): Link {
  let attachment: number | null = null;
  let closed = false;
  let unacked = 0;
  let ackTimer: ReturnType<typeof setTimeout> | null = null;

  const end = () => {
    if (closed) return;
    closed = true;
    if (ackTimer) clearTimeout(ackTimer);
    h.onClosed();
  };
  // Commands fail once the attachment has ended; the channel's `closed` message says so.
  const command = (cmd: string, args: Record<string, unknown>) => {
    if (attachment === null || closed) return;
    invoke(cmd, { attachment, ...args }).catch(() => {});
  };
  const flushAcks = () => {
    ackTimer = null;
    if (attachment === null || unacked === 0) return;
    const bytes = unacked;
    unacked = 0;
    command('term_ack', { bytes });
  };

  const channel = new Channel<ArrayBuffer | Control>((message) => {
    if (closed) return;
    if (message instanceof ArrayBuffer) {
      h.onOutput(new Uint8Array(message));
      return;
    }
    if (message.type === 'closed') end();
    else h.onControl(message);
  });

  invoke<number>('term_attach', { id, channel }).then(
    (a) => {
      if (closed) {
        // Closed while attaching: let go at once.
        invoke('term_detach', { attachment: a }).catch(() => {});
        return;
      }
      attachment = a;
      h.onOpen();
      flushAcks();
    },
    () => end(),
  );

  return {
    send: (data) => command('term_send', { data: Array.from(data) }),
    resize: (cols, rows) => command('term_resize', { cols, rows }),
    consumed: (bytes) => {
      unacked += bytes;
      if (unacked >= ACK_EVERY) {
        if (ackTimer) clearTimeout(ackTimer);
        flushAcks();
      } else if (!ackTimer) {
        ackTimer = setTimeout(flushAcks, ACK_DELAY_MS);
      }
    },
    close: () => {
      if (closed) return;
      const a = attachment;
      closed = true;
      if (ackTimer) clearTimeout(ackTimer);
      channel.onmessage = () => {};
      if (a !== null) invoke('term_detach', { attachment: a }).catch(() => {});
    },
  };
}
