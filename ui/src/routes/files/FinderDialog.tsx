import { useState } from 'react';
import { useQuery } from '../../api/hooks';
import { Icon } from '../../components/Icon';
import { useDebounced } from '../../components/useDebounced';
import type { NameMatch } from '../../gen/bindings';

/** The path with the matched characters in bold. */
function Highlighted({ path, positions }: { path: string; positions: number[] }) {
  const set = new Set(positions);
  return (
    <>
      {[...path].map((ch, i) =>
        set.has(i) ? (
          <b key={i} className="match">
            {ch}
          </b>
        ) : (
          ch
        ),
      )}
    </>
  );
}

/** Ctrl-P: fuzzy file names (`files.find`), arrows to move, Enter to open. */
export function FinderDialog({ appId, onOpen, onClose }: { appId: string; onOpen: (path: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const settled = useDebounced(query.trim(), 120);
  const [active, setActive] = useState(0);
  const found = useQuery('files.find', { appId, query: settled, limit: 30 }, { enabled: settled !== '' });
  const items: NameMatch[] = settled && !found.loading ? (found.data?.items ?? []).filter((m) => m.kind === 'file') : [];
  const pick = (path: string) => {
    onOpen(path);
    onClose();
  };

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Go to file" data-testid="file-finder">
        <div className="palette-search">
          <Icon name="search" />
          <input
            autoFocus
            value={query}
            placeholder="Go to file…"
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                onClose();
              } else if (e.key === 'ArrowDown') {
                e.preventDefault();
                setActive((a) => Math.min(a + 1, items.length - 1));
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((a) => Math.max(a - 1, 0));
              } else if (e.key === 'Enter' && items[active]) {
                e.preventDefault();
                pick(items[active].path);
              }
            }}
            data-testid="file-finder-input"
          />
        </div>
        <ul className="palette-list" role="listbox">
          {items.map((m, i) => (
            <li key={m.path} role="option" aria-selected={i === active}>
              <button type="button" className={i === active ? 'palette-item active' : 'palette-item'} onMouseEnter={() => setActive(i)} onClick={() => pick(m.path)} data-testid="file-finder-item" data-path={m.path}>
                <Icon name="file" />
                <span className="palette-label mono">
                  <Highlighted path={m.path} positions={m.positions} />
                </span>
              </button>
            </li>
          ))}
          {settled && !found.loading && items.length === 0 && <li className="palette-empty">{found.error?.message ?? 'No files match.'}</li>}
          {!settled && <li className="palette-empty">Type part of a file name.</li>}
        </ul>
      </div>
    </div>
  );
}
