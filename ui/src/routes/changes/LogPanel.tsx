import { useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { useDebounced } from '../../components/useDebounced';
import { useToast } from '../../components/toastContext';
import type { Commit, LogInput } from '../../gen/bindings';
import { DiffView, type DiffMode } from './DiffView';

const PAGE = 50;

/** Commits with filters (path, author, message words), a diff per commit and revert. */
export function LogPanel({ appId, mode }: { appId: string; mode: DiffMode }) {
  const [path, setPath] = useState('');
  const [author, setAuthor] = useState('');
  const [grep, setGrep] = useState('');
  const [more, setMore] = useState({ for: '', pages: 1 });
  const [open, setOpen] = useState<string | null>(null);
  const [reverting, setReverting] = useState<Commit | null>(null);
  const filterKey = useDebounced(JSON.stringify({ path: path.trim(), author: author.trim(), grep: grep.trim() }), 250);
  const filters = JSON.parse(filterKey) as { path: string; author: string; grep: string };
  // "Load more" counts pages of the current filters; new filters start again at one page.
  const pages = more.for === filterKey ? more.pages : 1;
  const input: LogInput = { appId, path: filters.path || null, author: filters.author || null, grep: filters.grep || null, limit: PAGE * pages };
  const log = useQuery('changes.log', input);

  return (
    <div className="stack">
      <div className="filters card log-filters">
        <label className="field grow">
          <span className="field-label">Path</span>
          <input type="search" value={path} onChange={(e) => setPath(e.target.value)} placeholder="src/main.rs" data-testid="log-path" />
        </label>
        <label className="field grow">
          <span className="field-label">Author</span>
          <input type="search" value={author} onChange={(e) => setAuthor(e.target.value)} placeholder="name or email" data-testid="log-author" />
        </label>
        <label className="field grow">
          <span className="field-label">Message words</span>
          <input type="search" value={grep} onChange={(e) => setGrep(e.target.value)} placeholder="fix login" data-testid="log-grep" />
        </label>
      </div>
      {log.error && <Banner tone="error">{log.error.message}</Banner>}
      {!log.data ? (
        <Spinner />
      ) : log.data.commits.length === 0 ? (
        <EmptyState title="No commits match." testId="log-empty" />
      ) : (
        <ul className="commit-list card flush" data-testid="commit-list">
          {log.data.commits.map((c) => (
            <li key={c.sha} className="commit-row" data-testid="commit" data-sha={c.sha}>
              <div className="commit-main">
                <button type="button" className="commit-subject" onClick={() => setOpen(open === c.sha ? null : c.sha)} aria-expanded={open === c.sha} data-testid="commit-subject">
                  {c.subject}
                </button>
                <span className="muted small">
                  <code>{c.sha.slice(0, 8)}</code> {c.author} · <time title={formatTime(c.at)}>{formatRelative(c.at)}</time>
                  {c.parents.length > 1 && ' · merge'}
                </span>
              </div>
              <button type="button" className="button small ghost" onClick={() => setReverting(c)} data-testid="commit-revert">
                Revert
              </button>
              {open === c.sha && (
                <div className="commit-diff">
                  <CommitDiff appId={appId} commit={c} mode={mode} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {log.data?.nextSkip != null && (
        <button type="button" className="button load-more" onClick={() => setMore({ for: filterKey, pages: pages + 1 })} data-testid="log-more">
          Load more
        </button>
      )}
      {reverting && <RevertDialog appId={appId} commit={reverting} onClose={() => setReverting(null)} />}
    </div>
  );
}

function CommitDiff({ appId, commit, mode }: { appId: string; commit: Commit; mode: DiffMode }) {
  const parent = commit.parents[0];
  const diff = useQuery('changes.diff', { appId, from: parent ?? null, to: commit.sha }, { enabled: parent !== undefined });
  if (!parent) return <p className="muted small">The first commit: nothing to compare with.</p>;
  if (diff.error) return <Banner tone="error">{diff.error.message}</Banner>;
  if (!diff.data) return <Spinner />;
  return <DiffView diff={diff.data} mode={mode} />;
}

function RevertDialog({ appId, commit, onClose }: { appId: string; commit: Commit; onClose: () => void }) {
  const toast = useToast();
  const reverting = useAction('changes.revert', {
    onSuccess: (made) => {
      toast.show('success', `Reverted ${commit.sha.slice(0, 8)}`, made.subject);
      onClose();
    },
  });
  const busy = reverting.busy;
  const failure = reverting.error;
  const refusal = failure && (failure.status === 409 || failure.code === 'conflict' ? `Refused: ${failure.message}` : failure.message);
  const revert = () => void reverting.run({ appId, sha: commit.sha });
  return (
    <Dialog
      title="Revert this commit?"
      onClose={onClose}
      testId="revert-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button danger" disabled={busy} onClick={revert} data-testid="revert-confirm">
            {busy ? 'Reverting…' : 'Revert'}
          </button>
        </>
      }
    >
      <p className="dialog-lead">
        A new commit will undo <code>{commit.sha.slice(0, 8)}</code> “{commit.subject}”. When it conflicts with later changes, nothing is changed.
      </p>
      {refusal && (
        <Banner tone="error" testId="revert-refusal">
          {refusal}
        </Banner>
      )}
    </Dialog>
  );
}
