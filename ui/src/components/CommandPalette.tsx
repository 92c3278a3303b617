import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { callByName } from '../api/client';
import { toApiFailure } from '../api/errors';
import { useQuery } from '../api/hooks';
import { operations as declared, type OperationInfo } from '../gen/bindings';
import { AREAS, type AreaId } from '../routes/areas';
import { useApps } from '../state/appsContext';
import { navigate } from '../state/router';
import { errorMessage } from '../api/errors';
import { paletteActions, type PaletteAction } from './paletteActions';
import { Icon } from './Icon';
import { JsonView } from './JsonView';
import { Badge } from './Feedback';
import { useToast } from './toastContext';

type Item =
  | { type: 'nav'; id: string; label: string; hint: string; area: AreaId }
  | { type: 'action'; id: string; label: string; hint: string; action: PaletteAction }
  | { type: 'op'; id: string; label: string; hint: string; op: OperationInfo };

type View =
  | { mode: 'list' }
  | { mode: 'input'; op: OperationInfo; text: string; error?: string; running: boolean }
  | { mode: 'result'; op: OperationInfo; result?: unknown; error?: string; running: boolean; text?: string };

/** Operations known to this bundle, used until (or if) the daemon's catalogue cannot be read. */
function fallbackCatalogue(): OperationInfo[] {
  return Object.entries(declared).map(([name, d]) => ({
    name,
    kind: d.kind,
    method: d.method,
    path: d.path,
    doc: '',
    mcp: d.mcp,
    public: true,
    inputSchema: null,
    outputSchema: null,
  }));
}

/** True when the operation can run without any input from the user. */
export function needsNoInput(op: OperationInfo): boolean {
  if (/\{[^}]+\}/.test(op.path)) return false;
  const schema = op.inputSchema;
  if (typeof schema !== 'object' || schema === null) return true;
  const required = (schema as { required?: unknown }).required;
  return !Array.isArray(required) || required.length === 0;
}

function matches(item: Item, query: string): boolean {
  const haystack = `${item.label} ${item.hint}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((token) => haystack.includes(token));
}

/** Ctrl/Cmd-K: jump to an area or run any operation of the daemon's catalogue. */
export function CommandPalette({ onClose }: { onClose: () => void }) {
  const catalogue = useQuery('system.operations', {});
  const { active: activeApp } = useApps();
  const automation = useQuery('workflow.automation', { appId: activeApp?.id ?? null }, { enabled: activeApp !== null });
  const paused = activeApp ? automation.data?.paused : undefined;
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [activeIndex, setActiveIndex] = useState(0);
  const [view, setView] = useState<View>({ mode: 'list' });
  const inputRef = useRef<HTMLInputElement>(null);
  const runRef = useRef<HTMLDivElement>(null);
  const listId = useId();

  const items = useMemo<Item[]>(() => {
    const nav: Item[] = AREAS.map((a) => ({ type: 'nav', id: `nav:${a.id}`, label: `Go to ${a.label}`, hint: a.hint, area: a.id }));
    const ops: Item[] = (catalogue.data ?? fallbackCatalogue()).map((op) => ({
      type: 'op',
      id: `op:${op.name}`,
      label: op.name,
      hint: op.doc || `${op.method} ${op.path}`,
      op,
    }));
    const actions: Item[] = paletteActions(activeApp, paused).map((action) => ({
      type: 'action',
      id: `action:${action.id}`,
      label: action.label,
      hint: action.hint,
      action,
    }));
    return [...nav, ...actions, ...ops];
  }, [catalogue.data, activeApp, paused]);

  const visible = useMemo(() => items.filter((item) => matches(item, query)), [items, query]);
  const active = Math.min(activeIndex, Math.max(visible.length - 1, 0));

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    inputRef.current?.focus();
    return () => previous?.focus?.();
  }, []);

  useEffect(() => {
    document.getElementById(`${listId}-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [active, listId]);

  /** Runs `op`; `text` is the JSON the user typed, kept so a failed run can be edited and retried. */
  const run = async (op: OperationInfo, input: unknown, text?: string) => {
    setView({ mode: 'result', op, running: true, text });
    requestAnimationFrame(() => runRef.current?.focus());
    try {
      const result = await callByName(op.name, input, { method: op.method, path: op.path });
      setView({ mode: 'result', op, result, running: false, text });
      if (op.kind !== 'query') toast.show('success', `${op.name} done`);
    } catch (error) {
      const failure = toApiFailure(error);
      const message = `${failure.code}: ${failure.message}`;
      if (text !== undefined) setView({ mode: 'input', op, text, error: message, running: false });
      else setView({ mode: 'result', op, error: message, running: false });
    }
  };

  const choose = (item: Item | undefined) => {
    if (!item) return;
    if (item.type === 'nav') {
      navigate(item.area);
      onClose();
    } else if (item.type === 'action') {
      onClose();
      Promise.resolve()
        .then(() => item.action.run())
        .then(
          (message) => message && toast.show('success', message),
          (error: unknown) => toast.show('error', `${item.label} failed`, errorMessage(error)),
        );
    } else if (item.op.kind === 'query' && needsNoInput(item.op)) {
      void run(item.op, {});
    } else {
      setView({ mode: 'input', op: item.op, text: '{}', running: false });
    }
  };

  const runInput = () => {
    if (view.mode !== 'input') return;
    let input: unknown;
    try {
      input = JSON.parse(view.text);
    } catch (error) {
      setView({ ...view, error: `Not valid JSON: ${(error as Error).message}` });
      return;
    }
    void run(view.op, input, view.text);
  };

  const onListKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActiveIndex(Math.min(active + 1, visible.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActiveIndex(Math.max(active - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(visible[active]);
    }
  };

  const back = () => {
    setView({ mode: 'list' });
    requestAnimationFrame(() => inputRef.current?.focus());
  };

  // Escape on the window, not the dialog: after a run the focused input is gone.
  const onEscape = useRef<() => void>(() => undefined);
  useEffect(() => {
    onEscape.current = view.mode === 'list' ? onClose : back;
  });
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      onEscape.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" data-testid="command-palette">
        {view.mode === 'list' ? (
          <>
            <div className="palette-search">
              <Icon name="search" />
              <input
                ref={inputRef}
                value={query}
                onChange={(e) => {
                  setQuery(e.target.value);
                  setActiveIndex(0);
                }}
                onKeyDown={onListKey}
                placeholder="Go to a page or run an operation…"
                role="combobox"
                aria-expanded="true"
                aria-controls={listId}
                aria-activedescendant={visible.length ? `${listId}-${active}` : undefined}
                aria-autocomplete="list"
                data-testid="palette-input"
              />
              <kbd>Esc</kbd>
            </div>
            <ul className="palette-list" role="listbox" id={listId} data-testid="palette-list">
              {visible.length === 0 && <li className="palette-empty">Nothing matches “{query}”.</li>}
              {visible.map((item, index) => (
                <li
                  key={item.id}
                  id={`${listId}-${index}`}
                  role="option"
                  aria-selected={index === active}
                  className={index === active ? 'palette-item active' : 'palette-item'}
                  onMouseMove={() => index !== active && setActiveIndex(index)}
                  onClick={() => choose(item)}
                  data-testid="palette-item"
                  data-item={item.id}
                >
                  <Icon name={item.type === 'nav' ? (AREAS.find((a) => a.id === item.area)?.icon ?? 'chevronRight') : item.type === 'action' ? item.action.icon : 'play'} />
                  <span className="palette-label">{item.label}</span>
                  <span className="palette-hint">{item.hint}</span>
                  {item.type === 'op' && <Badge tone={item.op.kind === 'query' ? 'neutral' : 'accent'}>{item.op.kind.replace('_', '-')}</Badge>}
                </li>
              ))}
            </ul>
            <footer className="palette-footer">
              <span>
                <kbd>↑</kbd> <kbd>↓</kbd> move
              </span>
              <span>
                <kbd>Enter</kbd> open or run
              </span>
              <span>
                <kbd>Esc</kbd> close
              </span>
            </footer>
          </>
        ) : (
          <div className="palette-run" tabIndex={-1} ref={runRef}>
            <header className="palette-run-header">
              <button type="button" className="button ghost small" onClick={back}>
                ← Back
              </button>
              <code>{view.op.name}</code>
              <Badge>
                {view.op.method} {view.op.path}
              </Badge>
            </header>
            {view.op.doc && <p className="muted">{view.op.doc}</p>}
            {view.mode === 'input' ? (
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  runInput();
                }}
              >
                <label className="field-label" htmlFor="palette-json">
                  Input (JSON)
                </label>
                <textarea
                  id="palette-json"
                  className="code-input"
                  rows={8}
                  value={view.text}
                  autoFocus
                  spellCheck={false}
                  onChange={(e) => setView({ ...view, text: e.target.value, error: undefined })}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                      e.preventDefault();
                      runInput();
                    }
                  }}
                  data-testid="palette-json"
                />
                {view.error && (
                  <p className="field-error" role="alert" data-testid="palette-error">
                    {view.error}
                  </p>
                )}
                <div className="row">
                  <button type="submit" className="button primary" data-testid="palette-run">
                    <Icon name="play" /> Run
                  </button>
                  <span className="muted small">Ctrl+Enter</span>
                </div>
              </form>
            ) : view.running ? (
              <p className="muted">Running…</p>
            ) : view.error ? (
              <p className="field-error" role="alert" data-testid="palette-error">
                {view.error}
              </p>
            ) : (
              <>
                <JsonView value={view.result} testId="palette-result" />
                {view.text !== undefined && (
                  <div className="row">
                    <button
                      type="button"
                      className="button small"
                      onClick={() => setView({ mode: 'input', op: view.op, text: view.text ?? '{}', running: false })}
                    >
                      Edit input
                    </button>
                  </div>
                )}
              </>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
