import { useState, type FormEvent } from 'react';
import { useAction } from '../../api/hooks';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';

/** Registers a Git work tree by absolute path (`apps.add`); shows the server's error inline. */
export function AddAppForm() {
  const toast = useToast();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [missing, setMissing] = useState(false);
  const add = useAction('apps.add', {
    onSuccess: (app) => {
      toast.show('success', `Added ${app.name}`, app.path);
      setPath('');
      setName('');
    },
  });
  const error = missing ? 'Enter the absolute path of a Git repository.' : add.error?.message;
  const busy = add.busy;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = path.trim();
    setMissing(!trimmed);
    if (trimmed) void add.run({ path: trimmed, name: name.trim() || null });
  };

  return (
    <form className="card add-app" onSubmit={submit} noValidate data-testid="add-app-form">
      <div className="card-header">
        <h2>Add an app</h2>
        <span className="muted small">Any Git work tree on this machine; a subdirectory resolves to its root.</span>
      </div>
      <div className="add-app-fields">
        <label className="field grow">
          <span className="field-label">Repository path</span>
          <input
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/home/you/projects/my-app"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'add-app-error' : undefined}
            className="mono"
            data-testid="add-app-path"
          />
        </label>
        <label className="field">
          <span className="field-label">
            Name <span className="muted">(optional)</span>
          </span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="directory name" data-testid="add-app-name" />
        </label>
        <button type="submit" className="button primary" disabled={busy} data-testid="add-app-submit">
          <Icon name="plus" /> {busy ? 'Adding…' : 'Add app'}
        </button>
      </div>
      {error && (
        <p className="field-error" id="add-app-error" role="alert" data-testid="add-app-error">
          {error}
        </p>
      )}
    </form>
  );
}
