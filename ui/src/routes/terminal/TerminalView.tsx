import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import { Icon } from '../../components/Icon';
import type { TerminalInfo } from '../../gen/bindings';
import { openLink } from './link';

type Link = 'connecting' | 'open' | 'closed' | 'exited';

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * One attached session: xterm.js (fit, search, web links) over a link to the session (its
 * WebSocket in a browser, the desktop process in the Tauri window; see `link.ts`). The server
 * replays the scrollback first, so a reload or a second tab shows what happened.
 */
export function TerminalView({ session }: { session: TerminalInfo }) {
  const host = useRef<HTMLDivElement>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [exitCode, setExitCode] = useState<number | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [query, setQuery] = useState('');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: {
        background: cssVar('--terminal-bg', '#111418'),
        foreground: cssVar('--terminal-fg', '#e6e6e6'),
      },
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon());
    searchRef.current = search;
    term.open(el);
    try {
      fit.fit();
    } catch {
      // not laid out yet
    }

    const encoder = new TextEncoder();
    let ended = false;
    const conn = openLink(session.id, {
      onOpen: () => {
        setLink('open');
        conn.resize(term.cols, term.rows);
        term.focus();
      },
      // Acknowledged once xterm.js has taken it (flow control in the desktop window).
      onOutput: (bytes) => term.write(bytes, () => conn.consumed(bytes.length)),
      onControl: (msg) => {
        if (msg.type === 'exit') {
          ended = true;
          setExitCode(msg.code ?? null);
          setLink('exited');
          term.write(`\r\n\x1b[2m[the program exited${msg.code == null ? '' : ` with code ${msg.code}`}]\x1b[0m\r\n`);
        }
      },
      onClosed: () => {
        if (!ended) setLink('closed');
      },
    });
    const sendSize = () => conn.resize(term.cols, term.rows);
    const data = term.onData((d) => conn.send(encoder.encode(d)));
    const resized = term.onResize(sendSize);
    const observer = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // hidden
      }
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      data.dispose();
      resized.dispose();
      conn.close();
      searchRef.current = null;
      term.dispose();
    };
  }, [session.id, attempt]);

  const find = (backwards: boolean) => {
    const s = searchRef.current;
    if (!s || !query) return;
    if (backwards) s.findPrevious(query);
    else s.findNext(query);
  };

  return (
    <div className="terminal-view" data-testid="terminal-view" data-link={link}>
      <div className="terminal-toolbar">
        <span className={`terminal-link terminal-link-${link}`} data-testid="terminal-link">
          {link === 'open' && 'Attached'}
          {link === 'connecting' && 'Connecting…'}
          {link === 'closed' && 'Disconnected'}
          {link === 'exited' && `Exited${exitCode == null ? '' : ` (${exitCode})`}`}
        </span>
        <span className="muted small">
          <code>{session.argv.join(' ')}</code> in <code>{session.cwd || '.'}</code>
        </span>
        <span className="terminal-spacer" />
        {link === 'closed' && (
          <button type="button" className="button small" onClick={() => setAttempt((a) => a + 1)} data-testid="terminal-reconnect">
            <Icon name="refresh" /> Reconnect
          </button>
        )}
        <input
          className="terminal-search"
          placeholder="Find"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') find(e.shiftKey);
          }}
          aria-label="Find in terminal"
          data-testid="terminal-search"
        />
      </div>
      <div className="terminal-host" ref={host} data-testid="terminal-host" />
    </div>
  );
}
