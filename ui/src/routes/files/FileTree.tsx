import { useEffect, useRef, useState } from 'react';
import { useQuery } from '../../api/hooks';
import type { LivePatch } from '../../api/live';
import { Icon } from '../../components/Icon';
import type { FileEntry, DirListing } from '../../gen/bindings';
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

/** The paths a files event names (created, deleted, renamed, written or seen changed on disk). */
function pathsOf(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return [];
  const d = data as { paths?: unknown; path?: unknown; from?: unknown; to?: unknown };
  const named = Array.isArray(d.paths) ? d.paths : [d.path, d.from, d.to];
  return named.filter((p): p is string => typeof p === 'string');
}

/**
 * A directory's listing is asked again only when the event names an entry in it (or the
 * directory itself: it may have new children); other files events leave it as it is.
 */
function keepUnless(path: string): LivePatch<DirListing> {
  return (listing, event) => (pathsOf(event.data).some((p) => p === path || parentOf(p) === path) ? undefined : listing);
}

interface TreeContext extends Props {
  expanded: ReadonlySet<string>;
  toggle: (path: string) => void;
  openMenu: (entry: FileEntry, x: number, y: number) => void;
}

/** One listed directory (`files.tree`), asked for when it is opened and kept current from files events. */
function Directory({ path, depth, tree }: { path: string; depth: number; tree: TreeContext }) {
  const { appId, showIgnored, openPath, dirtyPath, onOpen, onAction, expanded, toggle, openMenu } = tree;
  const keep = keepUnless(path);
  const listing = useQuery(
    'files.tree',
    { appId, path, showIgnored },
    { live: { 'files.changed': keep, 'files.created': keep, 'files.deleted': keep, 'files.renamed': keep, 'files.written': keep } },
  );
  if (listing.error && !listing.data) return <div className="tree-note field-error small" style={{ paddingLeft: 12 + depth * 14 }}>{listing.error.message}</div>;
  if (!listing.data) return <div className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>Loading…</div>;
  const state = listing.data;
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
                openMenu(e, ev.clientX, ev.clientY);
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
            {open && <Directory path={e.path} depth={depth + 1} tree={tree} />}
          </li>
        );
      })}
      {state.entries.length === 0 && <li className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>Empty</li>}
      {state.truncated && <li className="tree-note muted small" style={{ paddingLeft: 12 + depth * 14 }}>More entries not listed</li>}
    </ul>
  );
}

/** A lazy, gitignore-aware tree: each directory is listed when opened (`files.tree`), refreshed from files events. */
export function FileTree(props: Props) {
  const { openPath } = props;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(['']));
  const [menu, setMenu] = useState<{ entry: FileEntry; x: number; y: number } | null>(null);

  // Reveal the open file's folders (e.g. after opening it from search), once per file.
  const [revealed, setRevealed] = useState<string | null>(null);
  if (openPath !== revealed) {
    setRevealed(openPath);
    const parents: string[] = [];
    for (let p = parentOf(openPath ?? ''); p !== ''; p = parentOf(p)) parents.push(p);
    if (parents.some((p) => !expanded.has(p))) setExpanded(new Set([...expanded, ...parents]));
  }

  const tree: TreeContext = {
    ...props,
    expanded,
    toggle: (path) =>
      setExpanded((s) => {
        const next = new Set(s);
        if (next.has(path)) next.delete(path);
        else next.add(path);
        return next;
      }),
    openMenu: (entry, x, y) => setMenu({ entry, x, y }),
  };
  const { onAction, onOpen } = props;

  return (
    <div className="file-tree" role="tree" aria-label="Files" data-testid="file-tree">
      <Directory path="" depth={0} tree={tree} />
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
