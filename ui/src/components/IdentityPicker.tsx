import { useState } from 'react';
import { useAction } from '../api/hooks';
import type { Reporter } from '../gen/bindings';
import { useReporters } from '../routes/work/hooks';
import { setIdentity, useIdentity } from '../state/identity';
import { openIdentityPicker } from '../state/uiActions';
import { Dialog } from './Dialog';
import { Spinner } from './Feedback';
import { Icon } from './Icon';

/** Asks once who the person is: pick a reporter or add one; remembered in this browser. */
export function IdentityPicker({ onClose }: { onClose: () => void }) {
  const me = useIdentity();
  const reporters = useReporters();
  const [name, setName] = useState('');

  const choose = (r: Reporter) => {
    setIdentity({ kind: 'reporter', id: r.id, name: r.name });
    onClose();
  };

  const adding = useAction('reporters.create', { onSuccess: choose });
  const busy = adding.busy;
  const error = adding.error?.message;
  const create = () => {
    if (name.trim()) void adding.run({ name: name.trim(), kind: 'person' });
  };

  const skip = () => {
    if (me === null) setIdentity({ kind: 'skipped' });
    onClose();
  };

  const people = (reporters.data ?? []).filter((r) => r.kind === 'person');
  const others = (reporters.data ?? []).filter((r) => r.kind !== 'person');

  return (
    <Dialog
      title="Who are you?"
      onClose={skip}
      testId="identity-dialog"
      footer={
        <button type="button" className="button ghost" onClick={skip} data-testid="identity-skip">
          {me?.kind === 'reporter' ? 'Keep ' + me.name : 'Not now'}
        </button>
      }
    >
      <p className="dialog-lead">Refine records your name with every change you make here and uses it as the reporter of the goals you write. It is remembered in this browser.</p>
      <form
        className="identity-create"
        onSubmit={(e) => {
          e.preventDefault();
          create();
        }}
      >
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Your name" aria-label="Your name" maxLength={100} data-testid="identity-name" />
        <button type="submit" className="button primary" disabled={busy || !name.trim()} data-testid="identity-create">
          <Icon name="plus" /> Add me
        </button>
      </form>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!reporters.data ? (
        <Spinner />
      ) : (
        (people.length > 0 || others.length > 0) && (
          <div className="identity-options">
            <h3>Or pick yourself</h3>
            <ul>
              {[...people, ...others].map((r) => (
                <li key={r.id}>
                  <button
                    type="button"
                    className={me?.kind === 'reporter' && me.id === r.id ? 'identity-option current' : 'identity-option'}
                    onClick={() => choose(r)}
                    data-testid="identity-option"
                    data-name={r.name}
                  >
                    <span className="avatar" aria-hidden="true">
                      {r.name.slice(0, 1).toUpperCase()}
                    </span>
                    <span className="grow">{r.name}</span>
                    <span className="muted small">{r.kind}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )
      )}
    </Dialog>
  );
}

/** The top bar's "you" button: who is acting, and a way to change it. */
export function IdentityChip() {
  const me = useIdentity();
  const named = me?.kind === 'reporter';
  return (
    <button type="button" className={named ? 'identity-chip' : 'identity-chip unknown'} onClick={openIdentityPicker} title={named ? `You are ${me.name} (change)` : 'Tell Refine who you are'} data-testid="identity-chip">
      {named ? (
        <span className="avatar small" aria-hidden="true">
          {me.name.slice(0, 1).toUpperCase()}
        </span>
      ) : (
        <Icon name="user" />
      )}
      <span className="identity-chip-name">{named ? me.name : 'Who are you?'}</span>
    </button>
  );
}
