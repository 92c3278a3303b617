import { useAction } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { Badge, Banner, ProgressBar } from '../../components/Feedback';
import type { ChatGoalDraft } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { PreviewTable } from '../import/PreviewTable';
import { useOperation } from '../import/useOperation';

interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
}

/** The goals an agent drafted from a thread: import's preview, created through import's commit. */
export function DraftDialog({ draft, onClose }: { draft: ChatGoalDraft; onClose: () => void }) {
  const { preview } = draft;
  const operation = useOperation();
  const committing = useAction('import.commit', { onSuccess: operation.track });
  const busy = committing.busy;
  const error = committing.error?.message;
  const count = preview.create + preview.update;
  const receipt = operation.receipt;
  const summary = receipt?.status === 'succeeded' ? (receipt.result as ImportSummary | null) : null;

  const commit = () => void committing.run(draft.import);

  return (
    <Dialog
      title="Goal draft from this chat"
      onClose={onClose}
      wide
      testId="chat-draft-dialog"
      footer={
        summary ? (
          <>
            <button type="button" className="button ghost" onClick={onClose}>
              Close
            </button>
            <a className="button primary" href={hrefFor('goals', [], { sort: 'newest' })} data-testid="chat-draft-see-goals">
              See the goals
            </a>
          </>
        ) : (
          <>
            <button type="button" className="button ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="button primary" onClick={commit} disabled={busy || !!receipt || count === 0} data-testid="chat-draft-create">
              {busy || receipt?.status === 'running' ? 'Creating…' : `Create ${count} goal${count === 1 ? '' : 's'}`}
            </button>
          </>
        )
      }
    >
      <div className="stack">
        {error && <Banner tone="error">{error}</Banner>}
        <p className="small">
          <Badge tone="success">create</Badge> <strong data-testid="chat-draft-create-count">{preview.create}</strong> · <Badge tone="accent">update</Badge> <strong>{preview.update}</strong> · <Badge>unchanged</Badge>{' '}
          <strong>{preview.unchanged}</strong>
          {preview.features.length > 0 && <span className="muted"> · feature{preview.features.length === 1 ? '' : 's'}: {preview.features.map((f) => `${f.name}${f.new ? ' (new)' : ''}`).join(', ')}</span>}
        </p>
        <PreviewTable preview={preview} />
        {receipt?.status === 'running' && <ProgressBar value={receipt.progress} label="Creating goals" />}
        {summary && (
          <Banner tone="info" testId="chat-draft-done">
            Created {summary.created} goal{summary.created === 1 ? '' : 's'}
            {summary.updated > 0 ? `, updated ${summary.updated}` : ''}.
          </Banner>
        )}
        {receipt && receipt.status !== 'running' && receipt.status !== 'succeeded' && (
          <Banner tone="error">
            The import {receipt.status}
            {receipt.error ? `: ${receipt.error.message}` : '.'}
          </Banner>
        )}
        <details className="chat-draft-source">
          <summary className="muted small">What the agent wrote</summary>
          <pre className="chat-draft-text">{draft.import.content}</pre>
        </details>
      </div>
    </Dialog>
  );
}
