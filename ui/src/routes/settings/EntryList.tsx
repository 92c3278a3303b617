import { useState } from 'react';
import { Badge, EmptyState } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { shift } from '../work/order';

/** A governance rule or a guidance entry. */
export interface Entry {
  id: string;
  title: string;
  body: string;
  enabled?: boolean;
}

/** The entry being edited (title and body as typed). */
export interface EntryDraft {
  id: string;
  title: string;
  body: string;
}

export const TITLE_MAX = 200;
export const BODY_MAX = 20_000;

/**
 * Entries in order with stable ids: edit in place, move up or down, remove, and (for guidance)
 * switch on and off. Every change is one revision-fenced write made by the page.
 */
export function EntryList({
  kind,
  entries,
  busy,
  editing,
  onEdit,
  onSave,
  onRemove,
  onReorder,
  onToggle,
  empty,
}: {
  /** `rule` or `guidance`: test ids and labels. */
  kind: 'rule' | 'guidance';
  entries: Entry[];
  busy: boolean;
  editing: EntryDraft | null;
  onEdit: (draft: EntryDraft | null) => void;
  onSave: (draft: EntryDraft) => void;
  onRemove: (entry: Entry) => void;
  onReorder: (ids: string[]) => void;
  onToggle?: (entry: Entry, enabled: boolean) => void;
  empty: string;
}) {
  const ids = entries.map((e) => e.id);
  if (entries.length === 0) return <EmptyState title={empty} testId={`${kind}-empty`} />;
  return (
    <ol className="entry-list" data-testid={`${kind}-list`}>
      {entries.map((e, index) => {
        const draft = editing?.id === e.id ? editing : null;
        const titleError = draft && !draft.title.trim() ? 'A title is needed.' : draft && draft.title.trim().length > TITLE_MAX ? `At most ${TITLE_MAX} characters.` : null;
        const bodyError = draft && draft.body.length > BODY_MAX ? `At most ${BODY_MAX.toLocaleString()} characters.` : null;
        return (
          <li key={e.id} className={e.enabled === false ? 'entry disabled' : 'entry'} data-testid={`${kind}-entry`} data-entry-id={e.id} data-enabled={e.enabled ?? true}>
            <div className="entry-head">
              <Badge tone="accent">{e.id}</Badge>
              {draft ? (
                <input
                  className="entry-title-input"
                  value={draft.title}
                  onChange={(ev) => onEdit({ ...draft, title: ev.target.value })}
                  aria-label={`Title of ${e.id}`}
                  aria-invalid={titleError ? true : undefined}
                  autoFocus
                  data-testid={`${kind}-title-input`}
                />
              ) : (
                <strong className="entry-title" data-testid={`${kind}-title`}>
                  {e.title}
                </strong>
              )}
              <div className="entry-actions">
                {onToggle && (
                  <label className="switch" title={e.enabled ? 'Given to agents' : 'Kept, but not given to agents'}>
                    <input
                      type="checkbox"
                      checked={e.enabled ?? true}
                      disabled={busy}
                      onChange={(ev) => onToggle(e, ev.target.checked)}
                      aria-label={e.enabled ? `Disable ${e.id}` : `Enable ${e.id}`}
                      data-testid={`${kind}-enabled`}
                    />
                    <span className="small muted">{e.enabled ? 'On' : 'Off'}</span>
                  </label>
                )}
                {!draft && (
                  <button type="button" className="icon-button" aria-label={`Edit ${e.id}`} disabled={busy || editing !== null} onClick={() => onEdit({ id: e.id, title: e.title, body: e.body })} data-testid={`${kind}-edit`}>
                    <Icon name="edit" />
                  </button>
                )}
                <button type="button" className="icon-button" aria-label={`Move ${e.id} up`} disabled={busy || index === 0} onClick={() => onReorder(shift(ids, index, -1))} data-testid={`${kind}-up`}>
                  <Icon name="arrowUp" />
                </button>
                <button type="button" className="icon-button" aria-label={`Move ${e.id} down`} disabled={busy || index === entries.length - 1} onClick={() => onReorder(shift(ids, index, 1))} data-testid={`${kind}-down`}>
                  <Icon name="arrowDown" />
                </button>
                <button type="button" className="icon-button danger-icon" aria-label={`Remove ${e.id}`} disabled={busy} onClick={() => onRemove(e)} data-testid={`${kind}-remove`}>
                  <Icon name="trash" />
                </button>
              </div>
            </div>
            {draft ? (
              <form
                className="entry-form"
                onSubmit={(ev) => {
                  ev.preventDefault();
                  if (!titleError && !bodyError) onSave(draft);
                }}
              >
                {titleError && <span className="field-error">{titleError}</span>}
                <textarea rows={4} value={draft.body} onChange={(ev) => onEdit({ ...draft, body: ev.target.value })} aria-label={`Text of ${e.id}`} aria-invalid={bodyError ? true : undefined} data-testid={`${kind}-body-input`} />
                {bodyError && <span className="field-error">{bodyError}</span>}
                <div className="row">
                  <button type="submit" className="button small primary" disabled={busy || Boolean(titleError || bodyError)} data-testid={`${kind}-save`}>
                    Save
                  </button>
                  <button type="button" className="button small ghost" onClick={() => onEdit(null)} data-testid={`${kind}-cancel`}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : (
              e.body && (
                <p className="entry-body" data-testid={`${kind}-body`}>
                  {e.body}
                </p>
              )
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Title and text of a new entry, added at the end. */
export function AddEntryForm({ kind, busy, draft, onChange, onAdd, label }: { kind: 'rule' | 'guidance'; busy: boolean; draft: { title: string; body: string }; onChange: (d: { title: string; body: string }) => void; onAdd: () => void; label: string }) {
  const [touched, setTouched] = useState(false);
  const tooLong = draft.title.trim().length > TITLE_MAX || draft.body.length > BODY_MAX;
  return (
    <form
      className="entry-add"
      onSubmit={(e) => {
        e.preventDefault();
        const ok = Boolean(draft.title.trim()) && !tooLong;
        setTouched(!ok);
        if (ok) onAdd();
      }}
      data-testid={`${kind}-add`}
    >
      <label className="field">
        <span className="field-label">{label}</span>
        <input value={draft.title} onChange={(e) => onChange({ ...draft, title: e.target.value })} placeholder="Title" maxLength={TITLE_MAX + 50} data-testid={`${kind}-add-title`} />
      </label>
      <textarea rows={3} value={draft.body} onChange={(e) => onChange({ ...draft, body: e.target.value })} placeholder="Details (optional)" aria-label="Details" data-testid={`${kind}-add-body`} />
      {touched && !draft.title.trim() && <span className="field-error">A title is needed.</span>}
      {tooLong && <span className="field-error">Titles are at most {TITLE_MAX} characters, text at most {BODY_MAX.toLocaleString()}.</span>}
      <div className="row">
        <button type="submit" className="button small primary" disabled={busy || !draft.title.trim() || tooLong} data-testid={`${kind}-add-submit`}>
          <Icon name="plus" /> Add
        </button>
      </div>
    </form>
  );
}
