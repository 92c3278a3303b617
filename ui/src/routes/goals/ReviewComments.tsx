import { useState, type ReactNode } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import type { CommentSide, ReviewComment } from '../../gen/bindings';
import type { DiffReview } from '../changes/DiffView';

/** A Goal's review comments (every Round), kept current by `review.comment` events. */
export function useReviewComments(goalId: string) {
  return useQuery('review.comments.list', { goalId, round: null });
}

/** `src/app.py:40-44`, `src/app.py:12 (removed lines)`, `src/app.py` or `the whole candidate`. */
export function commentLocation(c: Pick<ReviewComment, 'path' | 'side' | 'startLine' | 'endLine'>): string {
  if (!c.path) return 'the whole candidate';
  if (c.startLine === null) return c.path;
  const lines = c.endLine !== null && c.endLine !== c.startLine ? `${c.startLine}-${c.endLine}` : `${c.startLine}`;
  return `${c.path}:${lines}${c.side === 'old' ? ' (removed lines)' : ''}`;
}

const STATE_TONE = { addressed: 'success', untouched: 'warning', outdated: 'neutral' } as const;

/** One comment: who, where, what, and what a person can do with it now. */
export function CommentCard({ comment: c, showWhere = false }: { comment: ReviewComment; showWhere?: boolean }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(c.body);
  const act = useAction(
    async (what: 'save' | 'delete' | 'resolve' | 'reopen', call) => {
      if (what === 'save') return call('review.comments.update', { id: c.id, body: text });
      if (what === 'delete') return call('review.comments.delete', { id: c.id });
      return call('review.comments.resolve', { id: c.id, resolved: what === 'resolve' });
    },
    { onSuccess: () => setEditing(false) },
  );
  return (
    <article className={`review-comment ${c.status}`} data-testid="review-comment" data-comment-id={c.id} data-status={c.status} data-state={c.state ?? ''} tabIndex={-1}>
      <header className="row small">
        <strong>{c.author}</strong>
        {showWhere && <span className="mono">{commentLocation(c)}</span>}
        <span className="muted" title={formatTime(c.createdAt)}>
          Round {c.round} · {formatRelative(c.createdAt)}
        </span>
        <span className="spacer" />
        {c.status === 'draft' && <Badge tone="accent">draft</Badge>}
        {c.status === 'sent' && <Badge tone="warning">sent{c.sentRound ? ` · Round ${c.sentRound}` : ''}</Badge>}
        {c.status === 'resolved' && <Badge tone="success">resolved</Badge>}
        {c.state && c.status !== 'draft' && (
          <Badge tone={STATE_TONE[c.state]} testId="comment-state">
            {c.state}
          </Badge>
        )}
      </header>
      {showWhere && c.quote && <pre className="comment-quote mono small">{c.quote}</pre>}
      {editing ? (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run('save');
          }}
        >
          <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} autoFocus data-testid="comment-edit-text" />
          <div className="row">
            <button type="submit" className="button primary small" disabled={act.busy || !text.trim()}>
              Save
            </button>
            <button type="button" className="button ghost small" onClick={() => setEditing(false)}>
              Never mind
            </button>
          </div>
        </form>
      ) : (
        <p className="comment-body">{c.body}</p>
      )}
      {act.error && <Banner tone="error">{act.error.message}</Banner>}
      {!editing && (
        <div className="row small comment-actions">
          {c.status === 'draft' && (
            <>
              <button type="button" className="button ghost small" onClick={() => setEditing(true)} data-testid="comment-edit">
                Edit
              </button>
              <button type="button" className="button ghost small" onClick={() => void act.run('delete')} disabled={act.busy} data-testid="comment-delete">
                Delete
              </button>
            </>
          )}
          {c.status === 'sent' && (
            <button type="button" className="button small" onClick={() => void act.run('resolve')} disabled={act.busy} data-testid="comment-resolve">
              Resolve
            </button>
          )}
          {c.status === 'resolved' && (
            <button type="button" className="button ghost small" onClick={() => void act.run('reopen')} disabled={act.busy} data-testid="comment-reopen">
              Reopen
            </button>
          )}
        </div>
      )}
    </article>
  );
}

/** Writes a new comment on `target` (lines of a file, a file, or the whole candidate). */
export function CommentComposer({
  goalId,
  target,
  onDone,
  placeholder = 'What should change here?',
}: {
  goalId: string;
  target: { path: string | null; side: CommentSide | null; startLine: number | null; endLine: number | null };
  onDone?: () => void;
  placeholder?: string;
}) {
  const [text, setText] = useState('');
  const add = useAction('review.comments.add', {
    onSuccess: () => {
      setText('');
      onDone?.();
    },
  });
  return (
    <form
      className="comment-form"
      data-testid="comment-composer"
      onSubmit={(e) => {
        e.preventDefault();
        void add.run({ goalId, ...target, body: text });
      }}
    >
      {target.path && <div className="muted small mono">{commentLocation(target)}</div>}
      <textarea rows={3} value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} autoFocus={target.path !== null} aria-label={`Comment on ${commentLocation(target)}`} data-testid="comment-text" />
      {add.error && <Banner tone="error">{add.error.message}</Banner>}
      <div className="row">
        <button type="submit" className="button primary small" disabled={add.busy || !text.trim()} data-testid="comment-add">
          Add comment
        </button>
        {onDone && (
          <button type="button" className="button ghost small" onClick={onDone}>
            Never mind
          </button>
        )}
      </div>
    </form>
  );
}

interface Picked {
  path: string;
  side: CommentSide;
  start: number;
  end: number;
}

/**
 * What the diff of one candidate shows of its review: the comments made on it under their last
 * line, and (when `goalId` may be commented on) a composer under the lines a person picked.
 */
export function useDiffReview(goalId: string, commit: string, comments: ReviewComment[], canComment: boolean): DiffReview {
  const [picked, setPicked] = useState<Picked | null>(null);
  const here = comments.filter((c) => c.commit === commit && c.path && c.startLine !== null);
  return {
    canComment,
    pick: (path, side, line, extend) => {
      if (!canComment) return;
      setPicked((p) => {
        if (extend && p && p.path === path && p.side === side) return { ...p, start: Math.min(p.start, line), end: Math.max(p.end, line) };
        return { path, side, start: line, end: line };
      });
    },
    selected: (path, side, line) => !!picked && picked.path === path && picked.side === side && line >= picked.start && line <= picked.end,
    below: (path, side, line) => {
      const mine = here.filter((c) => c.path === path && (c.side ?? 'new') === side && (c.endLine ?? c.startLine) === line);
      const composing = picked && picked.path === path && picked.side === side && picked.end === line;
      if (mine.length === 0 && !composing) return null;
      const nodes: ReactNode[] = mine.map((c) => <CommentCard key={c.id} comment={c} />);
      if (composing)
        nodes.push(<CommentComposer key="composer" goalId={goalId} target={{ path, side, startLine: picked.start, endLine: picked.end }} onDone={() => setPicked(null)} />);
      return <div className="diff-comments">{nodes}</div>;
    },
  };
}
