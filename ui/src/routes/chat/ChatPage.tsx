import { useState, type FormEvent } from 'react';
import { useAction, useCache, useQuery } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import type { App, ChatKind, ChatThread } from '../../gen/bindings';
import { hrefFor, navigate, useRoute } from '../../state/router';
import { RequireApp } from '../work/RequireApp';
import { aboutLabel } from './thread';
import { ThreadView } from './ThreadView';
import './chat.css';

export function ChatPage() {
  const { rest } = useRoute();
  return (
    <Page title="Chat" subtitle="Talk with an agent about the project, a goal or a plan; turn a conversation into goals." testId="page-chat" wide>
      <RequireApp>{(app) => <Chat key={app.id} app={app} selectedId={rest[0] ?? null} />}</RequireApp>
    </Page>
  );
}

function Chat({ app, selectedId }: { app: App; selectedId: string | null }) {
  const threads = useQuery('chat.list', { appId: app.id });
  const cache = useCache();
  const [creating, setCreating] = useState(false);
  const items = threads.data ?? [];

  return (
    <div className="chat-layout">
      <aside className="card flush chat-threads" aria-label="Threads" data-testid="chat-threads">
        <header className="chat-threads-head">
          <h3>
            Threads <span className="chip-count">{items.length}</span>
          </h3>
          <button type="button" className="button small primary" onClick={() => setCreating(true)} data-testid="chat-new">
            <Icon name="plus" size={14} /> New
          </button>
        </header>
        {threads.error && <Banner tone="error">{threads.error.message}</Banner>}
        {!threads.data ? (
          <Spinner />
        ) : items.length === 0 ? (
          <p className="muted small chat-none" data-testid="chat-threads-empty">
            No threads yet.
          </p>
        ) : (
          <ul className="chat-thread-list">
            {items.map((t) => (
              <ThreadRow key={t.id} thread={t} selected={t.id === selectedId} />
            ))}
          </ul>
        )}
      </aside>
      <div className="chat-main">
        {selectedId ? (
          <ThreadView key={selectedId} id={selectedId} />
        ) : (
          <EmptyState title={items.length ? 'Pick a thread' : 'Start a conversation'} testId="chat-empty">
            <p>Ask an agent about the project, a goal, or plan new work with it. Replies stream in as the agent writes them.</p>
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <Icon name="plus" /> New thread
            </button>
          </EmptyState>
        )}
      </div>
      {creating && (
        <NewThreadDialog
          app={app}
          onClose={() => setCreating(false)}
          onCreated={(t) => {
            setCreating(false);
            cache.update('chat.list', { appId: app.id }, (list) => (list.some((x) => x.id === t.id) ? list : [t, ...list]));
            navigate('chat', [t.id]);
          }}
        />
      )}
    </div>
  );
}

function ThreadRow({ thread: t, selected }: { thread: ChatThread; selected: boolean }) {
  return (
    <li>
      <a href={hrefFor('chat', [t.id])} className={selected ? 'chat-thread-row selected' : 'chat-thread-row'} data-testid="chat-thread-row" data-id={t.id}>
        <span className="chat-thread-top">
          <span className="chat-thread-title">{t.title}</span>
          {t.replying && <span className="chat-typing" aria-label="The agent is answering" />}
        </span>
        <span className="chat-thread-meta">
          <Badge tone={t.kind === 'goal' ? 'accent' : 'neutral'}>{aboutLabel(t)}</Badge>
          <span className="muted small">{t.profile}</span>
          <span className="muted small chat-thread-time">{formatRelative(t.updatedAt)}</span>
        </span>
        {t.preview && <span className="muted small chat-thread-preview">{t.preview}</span>}
      </a>
    </li>
  );
}

const KINDS: { value: ChatKind; label: string; hint: string }[] = [
  { value: 'project', label: 'The project', hint: 'Questions about the code, how things work, what to change.' },
  { value: 'goal', label: 'A goal', hint: 'The goal’s title and prompt go into every message.' },
  { value: 'plan', label: 'Planning', hint: 'Shape new work, then turn the conversation into goals.' },
];

function NewThreadDialog({ app, onClose, onCreated }: { app: App; onClose: () => void; onCreated: (t: ChatThread) => void }) {
  const [kind, setKind] = useState<ChatKind>('project');
  const [goalId, setGoalId] = useState('');
  const [profile, setProfile] = useState('');
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const profiles = useQuery('agents.profiles.list', {});
  const settings = useQuery('settings.get', { appId: app.id });
  const defaultProfile = settings.data?.effective.agents?.defaultProfile;
  const goalList = useQuery('goals.list', { appId: app.id, sort: 'newest', limit: 200 }, { enabled: kind === 'goal' });
  const goals = goalList.data?.items;
  const create = useAction('chat.create', { onSuccess: onCreated });
  const busy = create.busy;
  const error = problem ?? (create.error ?? goalList.error)?.message;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const missing = kind === 'goal' && !goalId;
    setProblem(missing ? 'Choose the goal this thread is about.' : null);
    if (!missing) void create.run({ appId: app.id, kind, goalId: kind === 'goal' ? goalId : null, title: title.trim() || null, profile: profile || null });
  };

  return (
    <Dialog
      title="New chat thread"
      onClose={onClose}
      testId="chat-new-dialog"
      footer={
        <>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="chat-new-form" className="button primary" disabled={busy} data-testid="chat-create">
            {busy ? 'Starting…' : 'Start thread'}
          </button>
        </>
      }
    >
      <form id="chat-new-form" className="stack" onSubmit={submit}>
        {error && (
          <Banner tone="error" testId="chat-new-error">
            {error}
          </Banner>
        )}
        <fieldset className="chat-kinds">
          <legend className="field-label">About</legend>
          {KINDS.map((k) => (
            <label key={k.value} className={kind === k.value ? 'chat-kind selected' : 'chat-kind'}>
              <input type="radio" name="chat-kind" value={k.value} checked={kind === k.value} onChange={() => setKind(k.value)} data-testid={`chat-kind-${k.value}`} />
              <span>
                <strong>{k.label}</strong>
                <span className="muted small">{k.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {kind === 'goal' && (
          <label className="field">
            <span className="field-label">Goal</span>
            <select value={goalId} onChange={(e) => setGoalId(e.target.value)} data-testid="chat-goal">
              <option value="">{goals ? (goals.length ? 'Choose a goal…' : 'No goals yet') : 'Loading…'}</option>
              {goals?.map((g) => (
                <option key={g.id} value={g.id}>
                  #{g.number} {g.title}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="field">
          <span className="field-label">Agent</span>
          <select value={profile} onChange={(e) => setProfile(e.target.value)} data-testid="chat-profile">
            <option value="">Default{defaultProfile ? ` (${defaultProfile})` : ''}</option>
            {profiles.data?.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">
            Title <span className="muted">(optional)</span>
          </span>
          <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} placeholder={kind === 'plan' ? 'Planning' : kind === 'goal' ? 'The goal’s number and title' : 'Project chat'} data-testid="chat-title" />
        </label>
      </form>
    </Dialog>
  );
}
