import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { useToast } from '../../components/toastContext';
import type { ChangesStatus, StatusFile } from '../../gen/bindings';

type Group = 'staged' | 'unstaged' | 'untracked';

const GROUPS: { id: Group; title: string; empty: string }[] = [
  { id: 'staged', title: 'Staged', empty: 'Nothing staged.' },
  { id: 'unstaged', title: 'Changed', empty: 'No unstaged changes.' },
  { id: 'untracked', title: 'Untracked', empty: 'No new files.' },
];

function inGroup(f: StatusFile, g: Group): boolean {
  if (g === 'staged') return f.staged;
  if (g === 'untracked') return f.untracked;
  return f.unstaged && !f.untracked;
}

/** The porcelain code that matters for a group, as one letter. */
function code(f: StatusFile, g: Group): string {
  if (g === 'untracked') return 'U';
  const c = (g === 'staged' ? f.index : f.worktree).trim();
  return c || 'M';
}

/** Status grouped as staged / changed / untracked, with stage and unstage buttons. */
export function StatusPanel({ appId, status, selected, onSelect }: { appId: string; status: ChangesStatus; selected: string | null; onSelect: (path: string | null) => void }) {
  const toast = useToast();
  const staging = useAction(({ op, paths }: { op: 'changes.stage' | 'changes.unstage'; paths: string[] }, call) => call(op, { appId, paths }), {
    onError: (err, { op }) => toast.show('error', op === 'changes.stage' ? 'Could not stage' : 'Could not unstage', err.message),
  });
  const busy = staging.busy;
  const run = (op: 'changes.stage' | 'changes.unstage', paths: string[]) => {
    if (paths.length) void staging.run({ op, paths });
  };

  return (
    <div className="status-panel" data-testid="status-panel" aria-busy={busy || undefined}>
      {GROUPS.map((g) => {
        const files = status.files.filter((f) => inGroup(f, g.id));
        // Staging a rename needs both sides: the new path and the old one it came from.
        const paths = files.flatMap((f) => (f.origPath && g.id !== 'staged' ? [f.path, f.origPath] : [f.path]));
        return (
          <section key={g.id} className="status-group" data-testid={`status-group-${g.id}`} data-count={files.length}>
            <header className="status-group-header">
              <h3>
                {g.title} <span className="chip-count">{files.length}</span>
              </h3>
              {files.length > 0 &&
                (g.id === 'staged' ? (
                  <button type="button" className="link-button" disabled={busy} onClick={() => run('changes.unstage', paths)} data-testid="unstage-all">
                    Unstage all
                  </button>
                ) : (
                  <button type="button" className="link-button" disabled={busy} onClick={() => run('changes.stage', paths)} data-testid={`stage-all-${g.id}`}>
                    Stage all
                  </button>
                ))}
            </header>
            {files.length === 0 ? (
              <p className="muted small status-empty">{g.empty}</p>
            ) : (
              <ul className="status-list">
                {files.map((f) => (
                  <li key={f.path} className={selected === f.path ? 'status-row selected' : 'status-row'} data-testid="status-file" data-path={f.path} data-group={g.id}>
                    <span className={`status-code code-${code(f, g.id)}`} title={`index ${f.index || ' '} · worktree ${f.worktree || ' '}`}>
                      {code(f, g.id)}
                    </span>
                    <button type="button" className="status-path mono" onClick={() => onSelect(selected === f.path ? null : f.path)} title="Show only this file’s diff">
                      {f.origPath ? (
                        <span data-testid="status-rename">
                          {f.origPath} → {f.path}
                        </span>
                      ) : (
                        f.path
                      )}
                    </button>
                    {g.id === 'staged' ? (
                      <button type="button" className="button small ghost" disabled={busy} onClick={() => run('changes.unstage', f.origPath ? [f.path, f.origPath] : [f.path])} data-testid="unstage-file">
                        Unstage
                      </button>
                    ) : (
                      <button type="button" className="button small ghost" disabled={busy} onClick={() => run('changes.stage', f.origPath ? [f.path, f.origPath] : [f.path])} data-testid="stage-file">
                        Stage
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}

/** The commit message box. */
export function CommitBox({ appId, status }: { appId: string; status: ChangesStatus }) {
  const toast = useToast();
  const [message, setMessage] = useState('');
  const [all, setAll] = useState(false);
  const committing = useAction('changes.commit', {
    onSuccess: (done) => {
      setMessage('');
      setAll(false);
      toast.show('success', `Committed ${done.sha.slice(0, 8)}`, done.subject);
    },
  });
  const busy = committing.busy;
  const error = committing.error?.message;
  const canCommit = message.trim() !== '' && (status.staged > 0 || (all && status.unstaged > 0)) && !busy;
  const commit = () => void committing.run({ appId, message: message.trim(), all: all || null });

  return (
    <form
      className="commit-box"
      data-testid="commit-box"
      onSubmit={(e) => {
        e.preventDefault();
        if (canCommit) commit();
      }}
    >
      <textarea
        rows={3}
        placeholder="Commit message"
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canCommit) {
            e.preventDefault();
            commit();
          }
        }}
        aria-label="Commit message"
        data-testid="commit-message"
      />
      <div className="row">
        <label className="check-inline small">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="commit-all" /> Also stage changed tracked files
        </label>
        <span className="grow" />
        <button type="submit" className="button primary small" disabled={!canCommit} data-testid="commit-submit">
          {busy ? 'Committing…' : `Commit${status.staged ? ` ${status.staged} file${status.staged === 1 ? '' : 's'}` : ''}`}
        </button>
      </div>
      {error && (
        <Banner tone="error" testId="commit-error">
          {error}
        </Banner>
      )}
    </form>
  );
}
