import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Badge } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { Reporter } from '../../gen/bindings';
import { setIdentity, useIdentity } from '../../state/identity';

type Mode = { kind: 'rename'; id: string; name: string } | { kind: 'merge'; id: string; into: string } | { kind: 'remove'; id: string } | null;
type Change = { kind: 'rename'; reporter: Reporter; name: string } | { kind: 'merge'; reporter: Reporter; into: string } | { kind: 'remove'; reporter: Reporter };

/** Who reports work: rename, merge one into another, remove. */
export function ReportersCard({ reporters }: { reporters: Reporter[] }) {
  const toast = useToast();
  const me = useIdentity();
  const [mode, setMode] = useState<Mode>(null);
  const isMe = (r: Reporter) => me?.kind === 'reporter' && me.id === r.id;
  const change = useAction(
    async (c: Change, call): Promise<string> => {
      const r = c.reporter;
      switch (c.kind) {
        case 'rename': {
          const renamed = await call('reporters.rename', { id: r.id, name: c.name });
          if (isMe(r)) setIdentity({ kind: 'reporter', id: r.id, name: renamed.name });
          return `Renamed to ${renamed.name}`;
        }
        case 'merge': {
          const result = await call('reporters.merge', { fromId: r.id, intoId: c.into });
          if (isMe(r)) setIdentity({ kind: 'reporter', id: result.into.id, name: result.into.name });
          return `Merged into ${result.into.name} (${result.goalsMoved} goal${result.goalsMoved === 1 ? '' : 's'} moved)`;
        }
        case 'remove':
          await call('reporters.delete', { id: r.id });
          if (isMe(r)) setIdentity(null);
          return `Removed ${r.name}`;
      }
    },
    {
      onSuccess: (message) => {
        toast.show('success', message);
        setMode(null);
      },
    },
  );
  const busy = change.busy;
  const error = change.error?.message;
  if (reporters.length === 0) return null;
  const run = (c: Change) => void change.run(c);

  return (
    <section className="card" aria-labelledby="reporters-title" data-testid="reporters">
      <div className="card-header">
        <h2 id="reporters-title">Reporters</h2>
        <span className="muted small">People, agents and systems that report work</span>
      </div>
      {error && <p className="field-error">{error}</p>}
      <ul className="reporter-list">
        {reporters.map((r) => (
          <li key={r.id} className="reporter-row" data-testid="reporter-row" data-reporter-name={r.name}>
            <span className="avatar" aria-hidden="true">
              {r.name.slice(0, 1).toUpperCase()}
            </span>
            {mode?.kind === 'rename' && mode.id === r.id ? (
              <form
                className="row grow"
                onSubmit={(e) => {
                  e.preventDefault();
                  run({ kind: 'rename', reporter: r, name: mode.name.trim() });
                }}
              >
                <input value={mode.name} onChange={(e) => setMode({ ...mode, name: e.target.value })} autoFocus aria-label="New name" maxLength={100} />
                <button type="submit" className="button small primary" disabled={busy || !mode.name.trim()}>
                  Save
                </button>
                <button type="button" className="button small ghost" onClick={() => setMode(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <span className="reporter-name grow">
                <strong>{r.name}</strong> <Badge>{r.kind}</Badge>
                {me?.kind === 'reporter' && me.id === r.id && <Badge tone="accent">you</Badge>}
                <span className="muted small"> · {r.openTodos} open todo{r.openTodos === 1 ? '' : 's'}</span>
              </span>
            )}
            {mode?.kind === 'merge' && mode.id === r.id ? (
              <span className="row">
                <select value={mode.into} onChange={(e) => setMode({ ...mode, into: e.target.value })} aria-label="Merge into">
                  <option value="">Merge into…</option>
                  {reporters
                    .filter((x) => x.id !== r.id)
                    .map((x) => (
                      <option key={x.id} value={x.id}>
                        {x.name}
                      </option>
                    ))}
                </select>
                <button
                  type="button"
                  className="button small primary"
                  disabled={busy || !mode.into}
                  onClick={() =>
                    run({ kind: 'merge', reporter: r, into: mode.into })
                  }
                >
                  Merge
                </button>
                <button type="button" className="button small ghost" onClick={() => setMode(null)}>
                  Cancel
                </button>
              </span>
            ) : mode?.kind === 'remove' && mode.id === r.id ? (
              <span className="row">
                <span className="small">Remove {r.name}? History keeps the name.</span>
                <button
                  type="button"
                  className="button small danger"
                  disabled={busy}
                  onClick={() =>
                    run({ kind: 'remove', reporter: r })
                  }
                >
                  Remove
                </button>
                <button type="button" className="button small ghost" onClick={() => setMode(null)}>
                  Keep
                </button>
              </span>
            ) : (
              mode?.id !== r.id && (
                <span className="row reporter-actions">
                  {!(me?.kind === 'reporter' && me.id === r.id) && r.kind === 'person' && (
                    <button type="button" className="button small ghost" onClick={() => setIdentity({ kind: 'reporter', id: r.id, name: r.name })}>
                      This is me
                    </button>
                  )}
                  <button type="button" className="icon-button" aria-label={`Rename ${r.name}`} title="Rename" onClick={() => setMode({ kind: 'rename', id: r.id, name: r.name })}>
                    <Icon name="edit" />
                  </button>
                  {reporters.length > 1 && (
                    <button type="button" className="button small ghost" onClick={() => setMode({ kind: 'merge', id: r.id, into: '' })}>
                      Merge…
                    </button>
                  )}
                  <button type="button" className="icon-button danger-icon" aria-label={`Remove ${r.name}`} title="Remove" onClick={() => setMode({ kind: 'remove', id: r.id })}>
                    <Icon name="trash" />
                  </button>
                </span>
              )
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
