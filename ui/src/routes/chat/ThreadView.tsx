import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { call } from '../../api/client';
import { toApiFailure } from '../../api/errors';
import { RESYNC } from '../../api/events';
import { useAction, useLiveEvents } from '../../api/hooks';
import { Badge, Banner, Spinner } from '../../components/Feedback';
import { formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { ChatGoalDraft, ChatMessage, ChatSent, ChatThread, ChatView } from '../../gen/bindings';
import { hrefFor, navigate } from '../../state/router';
import { DraftDialog } from './DraftDialog';
import { aboutLabel, appendDelta, isOpen, mergeSent, splitCut, upsertMessage } from './thread';

interface ChatMessageEvent {
  threadId: string;
  message: ChatMessage;
}
interface ChatDeltaEvent {
  threadId: string;
  messageId: string;
  text: string;
}

/**
 * One thread: its messages (the reply grows as the agent writes), the composer, and actions. The
 * thread is a stream, not a cached query: it is read once, then every message and every piece of
 * a reply is applied as it arrives.
 */
export function ThreadView({ id }: { id: string }) {
  const [view, setView] = useState<ChatView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // Every change goes through `update`, so `current` is always the newest state (live events
  // decide against it synchronously, between renders).
  const current = useRef<ChatView | null>(null);
  const update = useCallback((f: (v: ChatView | null) => ChatView | null) => {
    const next = f(current.current);
    current.current = next;
    setView(next);
  }, []);
  // Streamed text of a reply not shown yet (it can arrive before `chat.send` answers).
  const early = useRef(new Map<string, string>());

  useEffect(() => {
    let live = true;
    call('chat.get', { id }).then(
      (v) => {
        if (!live) return;
        update(() => v);
        setError(null);
      },
      (err: unknown) => live && setError(toApiFailure(err).message),
    );
    return () => {
      live = false;
    };
  }, [id, generation, update]);

  useLiveEvents((event) => {
    if (event.kind === RESYNC) {
      reload();
    } else if (event.kind === 'chat.message') {
      const data = event.data as ChatMessageEvent;
      if (data.threadId !== id) return;
      const streamed = early.current.get(data.message.id) ?? '';
      early.current.delete(data.message.id);
      update((v) => (v ? appendDelta(upsertMessage(v, data.message), data.message.id, streamed) : v));
    } else if (event.kind === 'chat.delta') {
      const data = event.data as ChatDeltaEvent;
      if (data.threadId !== id) return;
      if (current.current?.messages.some((m) => m.id === data.messageId)) {
        update((v) => (v ? appendDelta(v, data.messageId, data.text) : v));
      } else {
        if (early.current.size > 20) early.current.clear();
        early.current.set(data.messageId, (early.current.get(data.messageId) ?? '') + data.text);
      }
    } else if (event.kind === 'chat.thread') {
      const data = event.data as { thread: ChatThread };
      if (data.thread.id === id) update((v) => (v ? { ...v, thread: data.thread } : v));
    } else if (event.kind === 'chat.deleted') {
      if ((event.data as { id: string }).id === id) navigate('chat');
    }
  });

  const onSent = (sent: ChatSent) => {
    const streamed = early.current.get(sent.reply.id) ?? '';
    early.current.delete(sent.reply.id);
    update((v) => (v ? appendDelta(mergeSent(v, sent), sent.reply.id, streamed) : v));
  };

  if (error) {
    return (
      <Banner tone="error" testId="chat-error">
        {error} <a href={hrefFor('chat')}>Back to the threads</a>
      </Banner>
    );
  }
  if (!view) return <Spinner />;
  return <Thread view={view} onChange={update} onSent={onSent} />;
}

function Thread({ view, onChange, onSent }: { view: ChatView; onChange: (update: (v: ChatView | null) => ChatView | null) => void; onSent: (sent: ChatSent) => void }) {
  const { thread, messages } = view;
  const toast = useToast();
  const replying = messages.some(isOpen);
  const [draft, setDraft] = useState<ChatGoalDraft | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);

  // Follow the conversation while the reader is at the bottom.
  const last = messages[messages.length - 1];
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stuck.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, last?.content, last?.status]);

  const drafting = useAction('chat.draft', { onSuccess: setDraft, onError: (err) => toast.show('error', 'No goal draft', err.message) });
  const askDraft = () => void drafting.run({ threadId: thread.id });

  const renamer = useAction('chat.rename', {
    onSuccess: (t) => onChange((v) => (v ? { ...v, thread: t } : v)),
    onError: (err) => toast.show('error', 'Could not rename', err.message),
  });
  const rename = () => {
    const title = renaming?.trim();
    setRenaming(null);
    if (title && title !== thread.title) void renamer.run({ id: thread.id, title });
  };

  const deletion = useAction('chat.delete', { onSuccess: () => navigate('chat'), onError: (err) => toast.show('error', 'Could not delete', err.message) });
  const remove = () => {
    if (window.confirm(`Delete “${thread.title}” and its ${messages.length} message(s)?`)) void deletion.run({ id: thread.id });
  };

  return (
    <section className="card flush chat-thread" data-testid="chat-thread" data-thread-id={thread.id} data-replying={replying}>
      <header className="chat-thread-header">
        <div className="chat-thread-heading">
          {renaming !== null ? (
            <input
              className="chat-rename"
              value={renaming}
              autoFocus
              maxLength={200}
              onChange={(e) => setRenaming(e.target.value)}
              onBlur={() => rename()}
              onKeyDown={(e) => {
                if (e.key === 'Enter') rename();
                if (e.key === 'Escape') setRenaming(null);
              }}
              aria-label="Thread title"
              data-testid="chat-rename-input"
            />
          ) : (
            <h2 onDoubleClick={() => setRenaming(thread.title)} title="Double-click to rename" data-testid="chat-thread-title">
              {thread.title}
            </h2>
          )}
          <span className="chat-thread-about">
            {thread.kind === 'goal' && thread.goalId ? (
              <a href={hrefFor('goals', [thread.goalId])}>
                <Badge tone="accent">{aboutLabel(thread)}</Badge> {thread.goalTitle}
              </a>
            ) : (
              <Badge>{aboutLabel(thread)}</Badge>
            )}
            <span className="muted small">
              with <strong>{thread.profile}</strong>
            </span>
          </span>
        </div>
        <div className="row chat-thread-actions">
          <button type="button" className="button small" onClick={askDraft} disabled={drafting.busy || replying || messages.length === 0} data-testid="chat-draft" title="Ask the agent to write goals from this conversation">
            {drafting.busy ? (
              <>
                <span className="spinner" aria-hidden="true" /> Drafting…
              </>
            ) : (
              <>
                <Icon name="goals" size={14} /> Turn into goal draft
              </>
            )}
          </button>
          <button type="button" className="icon-button" onClick={() => setRenaming(thread.title)} aria-label="Rename" title="Rename" data-testid="chat-rename">
            <Icon name="edit" size={16} />
          </button>
          <button type="button" className="icon-button" onClick={remove} aria-label="Delete thread" title="Delete thread" data-testid="chat-delete">
            <Icon name="trash" size={16} />
          </button>
        </div>
      </header>
      <div
        className="chat-messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        data-testid="chat-messages"
      >
        {messages.length === 0 ? (
          <p className="muted chat-first">Say what you want to talk about. {thread.kind === 'goal' ? 'The agent sees the goal’s title and prompt.' : ''}</p>
        ) : (
          messages.map((m) => <Message key={m.id} message={m} profile={thread.profile} />)
        )}
      </div>
      <Composer threadId={thread.id} profile={thread.profile} replying={replying} onSent={onSent} />
      {draft && <DraftDialog draft={draft} onClose={() => setDraft(null)} />}
    </section>
  );
}

function Message({ message: m, profile }: { message: ChatMessage; profile: string }) {
  const mine = m.role === 'user';
  const { cut, body } = mine ? { cut: false, body: m.content } : splitCut(m.content);
  const log = m.processId ? hrefFor('processes', [m.processId]) : null;
  return (
    <article className={`chat-message ${mine ? 'from-user' : 'from-agent'} status-${m.status}`} data-testid="chat-message" data-role={m.role} data-status={m.status} data-id={m.id}>
      <header className="chat-message-head">
        <strong>{mine ? 'You' : profile}</strong>
        <time className="muted small" dateTime={m.createdAt}>
          {formatTime(m.createdAt)}
        </time>
        {m.status === 'failed' && <Badge tone="danger">failed</Badge>}
        {log && (
          <a className="chat-message-log muted small" href={log} title="The agent's whole output, as it ran" data-testid="chat-message-log">
            output
          </a>
        )}
      </header>
      {m.status === 'pending' ? (
        <p className="chat-waiting muted" data-testid="chat-waiting">
          <span className="spinner" aria-hidden="true" /> Waiting for {profile}…
        </p>
      ) : (
        <>
          {cut && (
            <p className="chat-message-cut muted small" data-testid="chat-message-cut">
              <Icon name="info" size={13} /> A long output: only its end is shown here.{' '}
              {log ? (
                <a href={log} data-testid="chat-message-cut-log">
                  The whole output is in the run’s log.
                </a>
              ) : (
                'The whole output is in the run’s log.'
              )}
            </p>
          )}
          <div className="chat-message-body" data-testid="chat-message-body">
            {m.status === 'streaming' ? body.replace(/\n$/, '') : body}
            {m.status === 'streaming' && <span className="chat-cursor" aria-hidden="true" />}
          </div>
        </>
      )}
    </article>
  );
}

function Composer({ threadId, profile, replying, onSent }: { threadId: string; profile: string; replying: boolean; onSent: (sent: ChatSent) => void }) {
  const [text, setText] = useState('');
  const sending = useAction('chat.send', {
    onSuccess: (sent) => {
      setText('');
      onSent(sent);
    },
  });
  const busy = sending.busy;
  const error = sending.error?.message;
  const send = () => {
    if (text.trim() && !busy && !replying) void sending.run({ threadId, content: text });
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };

  return (
    <form
      className="chat-composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {error && (
        <Banner tone="error" testId="chat-send-error">
          {error}
        </Banner>
      )}
      <textarea
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        rows={3}
        placeholder={replying ? `${profile} is answering…` : `Message ${profile} (Ctrl+Enter sends)`}
        aria-label="Message"
        data-testid="chat-input"
      />
      <button type="submit" className="button primary" disabled={busy || replying || !text.trim()} data-testid="chat-send">
        {busy ? 'Sending…' : 'Send'}
      </button>
    </form>
  );
}
