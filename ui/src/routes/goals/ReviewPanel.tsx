import { useEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { Goal } from '../../gen/bindings';
import { CommentCard, CommentComposer, useReviewComments } from './ReviewComments';
import { usePutGoal } from './useGoal';

type Review = { kind: 'approve' } | { kind: 'decline'; reason: string | null; cancel: boolean } | { kind: 'tell'; message: string } | { kind: 'request'; message: string | null };
type Form = 'request' | 'decline' | 'tell' | null;

/** True when a key press is typing into something (keys are shortcuts only outside fields). */
function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
}

/** Moves to the next (or previous) element matching `selector` below the current scroll position. */
function step(selector: string, forward: boolean) {
  const all = Array.from(document.querySelectorAll<HTMLElement>(selector));
  if (all.length === 0) return;
  const current = all.findIndex((el) => el.classList.contains('key-current'));
  const next = current < 0 ? (forward ? 0 : all.length - 1) : (current + (forward ? 1 : -1) + all.length) % all.length;
  all.forEach((el) => el.classList.remove('key-current'));
  const el = all[next];
  el.classList.add('key-current');
  el.scrollIntoView({ behavior: 'smooth', block: 'start' });
  if (el.tabIndex >= -1) el.focus({ preventScroll: true });
}

/**
 * The review of a Goal's candidate: its comments, "request changes" that sends them to the
 * agent, approve, decline, tell. Keys: `a` approve, `r` request changes, `j`/`k` next/previous
 * file, `n`/`p` next/previous comment.
 */
export function ReviewPanel({ goal }: { goal: Goal }) {
  const toast = useToast();
  const putGoal = usePutGoal();
  const comments = useReviewComments(goal.id);
  const all = comments.data ?? [];
  const latest = Math.max(...goal.rounds.map((r) => r.number), 1);
  const drafts = all.filter((c) => c.status === 'draft' && c.round === latest);
  const open = all.filter((c) => c.status === 'sent');
  const [form, setForm] = useState<Form>(null);
  const [message, setMessage] = useState('');
  const [reason, setReason] = useState('');
  const [cancel, setCancel] = useState(false);
  const requestBox = useRef<HTMLTextAreaElement>(null);

  const review = useAction(
    async (r: Review, call): Promise<string> => {
      const goalId = goal.id;
      if (r.kind === 'tell') {
        await call('runner.tell', { goalId, message: r.message });
        return `Sent to #${goal.number}'s agent: it picks up where it left off`;
      }
      if (r.kind === 'request') {
        const result = await call('review.request_changes', { goalId, message: r.message });
        putGoal(result.goal);
        return `Changes requested: #${goal.number} goes back to its agent in Round ${result.goal.rounds.length}`;
      }
      const result = r.kind === 'approve' ? await call('workflow.approve', { goalId, reason: null }) : await call('workflow.decline', { goalId, reason: r.reason, cancel: r.cancel });
      putGoal(result.goal);
      if (r.kind === 'approve') return `#${goal.number} approved`;
      return r.cancel ? `#${goal.number} declined and cancelled` : `#${goal.number} sent back for another round`;
    },
    {
      onSuccess: (done) => {
        toast.show('success', done);
        setForm(null);
        setMessage('');
        setReason('');
        setCancel(false);
      },
    },
  );
  const busy = review.busy;
  const error = review.error?.message;
  const approve = () => void review.run({ kind: 'approve' });
  const toggle = (f: Form) => setForm((now) => (now === f ? null : f));

  // The review screen's keys.
  const keys = useRef({ approve, open: () => setForm('request') });
  useEffect(() => {
    keys.current = { approve, open: () => setForm('request') };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      const k = e.key;
      if (k === 'a') keys.current.approve();
      else if (k === 'r') {
        keys.current.open();
        setTimeout(() => requestBox.current?.focus(), 0);
      } else if (k === 'j' || k === 'k') step('.candidate-diff [data-testid="diff-file"]', k === 'j');
      else if (k === 'n' || k === 'p') step('[data-testid="review-comment"]', k === 'n');
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="review-actions" data-testid="review-actions">
      <div className="row">
        <Icon name="info" size={15} />
        <span>
          <strong>Waiting for your review.</strong> <span className="muted">Approving merges the candidate into the target branch.</span>
        </span>
        <span className="spacer" />
        <button type="button" className="button" onClick={() => toggle('tell')} disabled={busy} data-testid="review-tell">
          Tell the agent…
        </button>
        <button type="button" className="button" onClick={() => toggle('decline')} disabled={busy} data-testid="review-decline">
          Decline…
        </button>
        <button type="button" className="button" onClick={() => toggle('request')} disabled={busy} data-testid="review-request-changes" aria-keyshortcuts="r">
          Request changes{drafts.length > 0 ? ` (${drafts.length})` : '…'}
        </button>
        <button type="button" className="button primary" onClick={approve} disabled={busy} data-testid="review-approve" aria-keyshortcuts="a">
          <Icon name="check" /> {busy && form === null ? 'Approving…' : 'Approve'}
        </button>
      </div>
      <PreviewRow goalId={goal.id} />
      <PublishRow goalId={goal.id} />
      <p className="muted small review-keys">
        Keys: <kbd>a</kbd> approve · <kbd>r</kbd> request changes · <kbd>j</kbd>/<kbd>k</kbd> next/previous file · <kbd>n</kbd>/<kbd>p</kbd> next/previous comment
      </p>
      {error && (
        <Banner tone="error" testId="review-error">
          <strong>Refused.</strong> {error}
        </Banner>
      )}
      {form === 'request' && (
        <MessageForm
          testId="review-request"
          intro={`${drafts.length === 0 ? 'No draft comments: say what should change below, or comment on lines of the candidate first.' : `${drafts.length} draft comment${drafts.length === 1 ? '' : 's'} go to the agent with file, lines and the quoted code.`} It continues in the same worktree and session; the new candidate is checked again.`}
          label="A message with them (optional)"
          rows={2}
          value={message}
          onChange={setMessage}
          inputRef={requestBox}
          inputTestId="review-request-message"
          submit="Send to the agent"
          submitTestId="review-request-submit"
          disabled={busy || (drafts.length === 0 && !message.trim())}
          onSubmit={() => void review.run({ kind: 'request', message: message.trim() || null })}
          onCancel={() => setForm(null)}
        />
      )}
      {form === 'tell' && (
        <MessageForm
          testId="review-tell"
          label="What should the agent change? It continues its session in the same worktree; the new candidate is checked again."
          value={message}
          onChange={setMessage}
          autoFocus
          inputTestId="review-tell-message"
          submit="Send to the agent"
          submitTestId="review-tell-submit"
          disabled={busy || !message.trim()}
          onSubmit={() => void review.run({ kind: 'tell', message: message.trim() })}
          onCancel={() => setForm(null)}
        />
      )}
      {form === 'decline' && (
        <MessageForm
          testId="review-decline"
          label="What should change in the next attempt?"
          value={reason}
          onChange={setReason}
          autoFocus
          inputTestId="review-decline-reason"
          submit={cancel ? 'Decline and cancel' : 'Decline'}
          submitTestId="review-decline-submit"
          danger={cancel}
          disabled={busy}
          onSubmit={() => void review.run({ kind: 'decline', reason: reason.trim() || null, cancel })}
          onCancel={() => setForm(null)}
        >
          <label className="check-item">
            <input type="checkbox" checked={cancel} onChange={(e) => setCancel(e.target.checked)} data-testid="review-decline-cancel" />
            Cancel the goal instead of sending it back
          </label>
        </MessageForm>
      )}
      <section className="review-comments" data-testid="review-comments" aria-label="Review comments">
        <h4>
          Comments <span className="muted small">{drafts.length} draft · {open.length} to resolve</span>
        </h4>
        {all.length === 0 && <p className="muted small">No comments yet. Click a line number in the candidate below, or comment on the whole candidate here.</p>}
        {all
          .filter((c) => c.status !== 'resolved')
          .map((c) => (
            <CommentCard key={c.id} comment={c} showWhere />
          ))}
        {all.some((c) => c.status === 'resolved') && (
          <details className="resolved-comments">
            <summary className="small">{all.filter((c) => c.status === 'resolved').length} resolved</summary>
            {all
              .filter((c) => c.status === 'resolved')
              .map((c) => (
                <CommentCard key={c.id} comment={c} showWhere />
              ))}
          </details>
        )}
        <CommentComposer goalId={goal.id} target={{ path: null, side: null, startLine: null, endLine: null }} placeholder="A comment on the whole candidate…" />
      </section>
    </div>
  );
}

/** One of the review's text forms (request changes, tell, decline): a text, a send and a "never mind". */
function MessageForm({ testId, intro, label, rows, value, onChange, autoFocus, inputRef, inputTestId, submit, submitTestId, danger, disabled, onSubmit, onCancel, children }: {
  testId: string;
  intro?: string;
  label: string;
  rows?: number;
  value: string;
  onChange: (v: string) => void;
  autoFocus?: boolean;
  inputRef?: Ref<HTMLTextAreaElement>;
  inputTestId: string;
  submit: string;
  submitTestId: string;
  danger?: boolean;
  disabled: boolean;
  onSubmit: () => void;
  onCancel: () => void;
  children?: ReactNode;
}) {
  return (
    <form
      className="reason-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      data-testid={`${testId}-form`}
    >
      {intro && <p className="small">{intro}</p>}
      <label className="field">
        <span className="field-label">{label}</span>
        <textarea ref={inputRef} rows={rows ?? 3} value={value} onChange={(e) => onChange(e.target.value)} autoFocus={autoFocus} data-testid={inputTestId} />
      </label>
      {children}
      <div className="row">
        <button type="submit" className={danger ? 'button danger small' : 'button primary small'} disabled={disabled} data-testid={submitTestId}>
          {submit}
        </button>
        <button type="button" className="button ghost small" onClick={onCancel}>
          Never mind
        </button>
      </div>
    </form>
  );
}

const PREVIEW_TONE = { starting: 'accent', healthy: 'success', unhealthy: 'warning', stopped: 'neutral' } as const;

/** Run the candidate on its own port, and the link once it answers. */
function PreviewRow({ goalId }: { goalId: string }) {
  const toast = useToast();
  const previews = useQuery('previews.list', {});
  const preview = previews.data?.find((p) => p.goalId === goalId) ?? null;
  const act = useAction(async (what: 'start' | 'stop', call) => (what === 'start' ? call('previews.start', { goalId }) : call('previews.stop', { goalId })), {
    onError: (err) => toast.show('error', 'The preview did not start', err.message),
  });
  return (
    <div className="row small preview-row" data-testid="preview" data-status={preview?.status ?? 'none'}>
      {preview ? (
        <>
          <Badge tone={PREVIEW_TONE[preview.status as keyof typeof PREVIEW_TONE] ?? 'neutral'}>preview {preview.status}</Badge>
          {preview.status === 'healthy' ? (
            <a href={preview.url} target="_blank" rel="noreferrer noopener" data-testid="preview-link">
              {preview.url}
            </a>
          ) : (
            <span className="mono muted">{preview.url}</span>
          )}
          {preview.reason && <span className="muted">{preview.reason}</span>}
          <button type="button" className="button ghost small" onClick={() => void act.run('stop')} disabled={act.busy} data-testid="preview-stop">
            Stop preview
          </button>
        </>
      ) : (
        <button type="button" className="button small" onClick={() => void act.run('start')} disabled={act.busy} data-testid="preview-start">
          Preview the candidate
        </button>
      )}
      <span className="muted">runs the app's start command in the candidate's worktree on its own port</span>
    </div>
  );
}

/** Push the candidate to the app's remote (and a pull/merge request when gh or glab is signed in). */
function PublishRow({ goalId }: { goalId: string }) {
  const toast = useToast();
  const rounds = useQuery('runner.rounds', { goalId });
  const latest = rounds.data?.reduce<(typeof rounds.data)[number] | null>((a, r) => (!a || r.number > a.number ? r : a), null);
  const published = latest?.work.publication ?? null;
  const publish = useAction('goals.publish', {
    onSuccess: (p) => toast.show('success', p.requestUrl ? `Opened ${p.requestUrl}` : `Pushed ${p.branch} to ${p.remote}`, p.note ?? undefined),
    onError: (err) => toast.show('error', 'Not published', err.message),
  });
  return (
    <div className="row small" data-testid="publish" data-published={published ? 'true' : 'false'}>
      <button type="button" className="button small" onClick={() => void publish.run({ goalId, remote: null, request: null })} disabled={publish.busy} data-testid="publish-button">
        {published ? 'Publish again' : 'Publish'}
      </button>
      {published ? (
        <>
          <span className="mono">
            {published.branch} → {published.remote}
          </span>
          {published.requestUrl ? (
            <a href={published.requestUrl} target="_blank" rel="noreferrer noopener" data-testid="publish-request">
              {published.requestUrl}
            </a>
          ) : (
            published.note && <span className="muted">{published.note}</span>
          )}
        </>
      ) : (
        <span className="muted">pushes the candidate branch to the app's remote; opens a pull/merge request when gh or glab is signed in</span>
      )}
    </div>
  );
}
