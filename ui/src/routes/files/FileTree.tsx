import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useLiveEvents } from '../../api/hooks';
import { Icon } from '../../components/Icon';
import type { FileEntry } from '../../gen/bindings';
import { parentOf } from './paths';

export type EntryAction = 'newFile' | 'newDir' | 'rename' | 'delete';

interface Props {
  appId: string;
  showIgnored: boolean;
  openPath: string | null;
  dirtyPath: string | null;
  onOpen: (path: string) => void;
  onAction: (action: EntryAction, entry: FileEntry | null) => void;
}

interface DirState {
  entries: FileEntry[];
  truncated: boolean;
  error?: string;
}

/** A lazy, gitignore-aware tree: each directory is listed when opened (`files.tree`), refreshed from `files.changed`. */
export function FileTree({ appId, showIgnored, openPath, dirtyPath, onOpen, onAction }: Props) {
  const [dirs, setDirs] = useState<Map<string, DirState>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(['']));
  const [menu, setMenu] = useState<{ entry: FileEntry; x: number; y: number } | null>(null);
  const loaded = useRef(dirs);
  useEffect(() => {
    loaded.current = dirs;
  });

  const load = useCallback(
    async (path: string) => {
      try {
        const listing = await call('files.tree', { appId, path, showIgnored });
        setDirs((m) => new Map(m).set(path, { entries: listing.entries, truncated: listing.truncated }));
      } catch (err) {
        setDirs((m) => new Map(m).set(path, { entries: [], truncated: false, error: errorMessage(err) }));
      }
    },
    [appId, showIgnored],
  );

  // Start again from the root whenever the app or the ignored toggle changes: every open directory is re-listed.
  useEffect(() => {
    for (const path of expanded) void load(path);
    // `expanded` is read once per (app, ignored) change on purpose.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load]);

  // Reveal the open file's folders (e.g. after opening it from search).
  useEffect(() => {
    if (!openPath) return;
    const parents: string[] = [];
    for (let p = parentOf(openPath); p !== ''; p = parentOf(p)) parents.push(p);
    const missing = parents.filter((p) => !expanded.has(p));
    if (!missing.length) return;
    setExpanded((s) => new Set([...s, ...missing]));
    for (const p of missing) if (!loaded.current.has(p)) void load(p);
  }, [openPath, expanded, load]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pending = useRef(new Set<string>());
  useLiveEvents((event) => {
    if (event.kind === RESYNC) {
      for (const p of loaded.current.keys()) pending.current.add(p);
    } else if (event.kind === 'files.changed' && (event.appId === appId || event.appId === null)) {
      const paths = (event.data as { paths?: unknown })?.paths;
      if (!Array.isArray(paths)) return;
      for (const p of paths) {
        if (typeof p !== 'string') continue;
        // The parent lists the entry; a changed directory itself may have new children.
        pending.current.add(parentOf(p));
        pending.current.add(p);
      }
    } else return;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const todo = [...pending.current].filter((p) => loaded.current.has(p));
      pending.current.clear();
      for (const p of todo) void load(p);
    }, 120);
  });
  useEffect(() => () => clearTimeout(timer.current), []);

  const toggle = (path: string) => {
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(path)) next.delete(path);
      else {
        next.add(path);
        if (!loaded.current.has(path)) void load(path);
      }
      return next;
    });
  };

  const renderDir = (path: string, depth: number) => {
    const state = dirs.get(path);
    if (!state) return <div className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>Loading…</div>;
    if (state.error) return <div className="tree-note field-error small" style={{ paddingLeft: 12 + depth * 14 }}>{state.error}</div>;
    return (
      <ul className="tree-list" role="group">
        {state.entries.map((e) => {
          const isDir = e.kind === 'dir';
          const open = isDir && expanded.has(e.path);
          return (
            <li key={e.path} role="treeitem" aria-expanded={isDir ? open : undefined} aria-selected={e.path === openPath}>
              <div
                className={`tree-row${e.path === openPath ? ' selected' : ''}${e.ignored ? ' ignored' : ''}`}
                style={{ paddingLeft: 6 + depth * 14 }}
                data-testid="tree-entry"
                data-path={e.path}
                data-kind={e.kind}
                onContextMenu={(ev) => {
                  ev.preventDefault();
                  setMenu({ entry: e, x: ev.clientX, y: ev.clientY });
                }}
              >
                <button type="button" className="tree-name" onClick={() => (isDir ? toggle(e.path) : onOpen(e.path))} title={e.path}>
                  {isDir ? <Icon name={open ? 'chevronDown' : 'chevronRight'} size={12} /> : <span className="tree-spacer" />}
                  <Icon name={isDir ? 'folder' : 'file'} size={14} />
                  <span className="tree-label">{e.name}</span>
                  {e.path === dirtyPath && <span className="dirty-dot" title="Unsaved changes" />}
                </button>
                <span className="tree-actions">
                  {isDir && (
                    <button type="button" className="icon-button small" title="New file here" aria-label={`New file in ${e.name}`} onClick={() => onAction('newFile', e)}>
                      <Icon name="plus" size={12} />
                    </button>
                  )}
                  <button type="button" className="icon-button small" title="Rename or move" aria-label={`Rename ${e.name}`} onClick={() => onAction('rename', e)} data-testid="tree-rename">
                    <Icon name="edit" size={12} />
                  </button>
                  <button type="button" className="icon-button small danger-icon" title="Delete" aria-label={`Delete ${e.name}`} onClick={() => onAction('delete', e)} data-testid="tree-delete">
                    <Icon name="trash" size={12} />
                  </button>
                </span>
              </div>
              {open && renderDir(e.path, depth + 1)}
            </li>
          );
        })}
        {state.entries.length === 0 && <li className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>Empty</li>}
        {state.truncated && <li className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>More entries not listed</li>}
      </ul>
    );
  };

  return (
    <div className="file-tree" role="tree" aria-label="Files" data-testid="file-tree">
      {renderDir('', 0)}
      {menu && (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          onClose={() => setMenu(null)}
          items={[
            ...(menu.entry.kind === 'dir'
              ? [
                  { label: 'New file here…', run: () => onAction('newFile', menu.entry) },
                  { label: 'New folder here…', run: () => onAction('newDir', menu.entry) },
                ]
              : [{ label: 'Open', run: () => onOpen(menu.entry.path) }]),
            { label: 'Rename or move…', run: () => onAction('rename', menu.entry) },
            { label: 'Delete…', run: () => onAction('delete', menu.entry), danger: true },
          ]}
        />
      )}
    </div>
  );
}

/** A right-click menu at the pointer; Escape, a click elsewhere or a choice closes it. */
function ContextMenu({ x, y, items, onClose }: { x: number; y: number; items: { label: string; run: () => void; danger?: boolean }[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [onClose]);
  return (
    <div ref={ref} className="context-menu menu" role="menu" style={{ left: Math.min(x, window.innerWidth - 220), top: Math.min(y, window.innerHeight - 200) }} data-testid="tree-context-menu">
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          className={item.danger ? 'menu-item danger-text' : 'menu-item'}
          onClick={() => {
            onClose();
            item.run();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
