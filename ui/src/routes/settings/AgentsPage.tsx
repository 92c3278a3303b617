import { useMemo, useState } from 'react';
import { useAction, useCache, useQuery } from '../../api/hooks';
import { Badge, Banner, Spinner } from '../../components/Feedback';
import { formatArgv } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { AgentProfile, Detection, PromptDelivery, Provider } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { SettingsTabs } from './SettingsTabs';

/** What the daemon shows instead of a stored secret; saving it back keeps the secret. */
const REDACTED = '••••••';
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

const PROVIDERS: Record<Provider, string> = {
  'claude-code': 'Claude Code',
  codex: 'Codex CLI',
  gemini: 'Gemini CLI',
  copilot: 'GitHub Copilot CLI',
  aider: 'Aider',
  opencode: 'opencode',
  generic: 'Generic command',
  scripted: 'Scripted agent (built in)',
};

const DELIVERY: Record<PromptDelivery, string> = {
  stdin: 'Standard input',
  argument: 'Argument ({prompt}, or last)',
  file: 'Private file ({promptFile})',
};

const STATE_TONE = { installed: 'success', missing: 'danger', broken: 'warning', unchecked: 'neutral' } as const;
const STATE_LABEL = { installed: 'installed', missing: 'not installed', broken: 'broken', unchecked: 'not checked yet' } as const;

/**
 * What the daemon found for each profile (`agents.detect` runs nothing), read again whenever it
 * looks (`agents.detected`); "Detect again" asks it to look now (`agents.redetect`).
 */
function useDetections() {
  const cache = useCache();
  const found = useQuery('agents.detect', { name: null });
  const redetect = useAction('agents.redetect', { onSuccess: (fresh) => cache.put('agents.detect', { name: null }, fresh) });
  const byName = useMemo(() => (found.data ? new Map(found.data.map((d) => [d.profile, d])) : null), [found.data]);
  const error = (redetect.error ?? found.error)?.message ?? null;
  return { byName, busy: found.loading || redetect.busy, error, detect: () => void redetect.run({ name: null }) };
}

/** `#/settings/agents`: the coding-agent CLIs, whether each works here, and how each is run. */
export function AgentsPage() {
  const profiles = useQuery('agents.profiles.list', {});
  const detections = useDetections();
  const { active } = useApps();
  const settings = useQuery('settings.get', { appId: active?.id ?? null });
  const [creating, setCreating] = useState(false);
  // Unknown until the settings arrive (no badge shown rather than a wrong one).
  const defaultProfile = settings.data ? (settings.data.effective.agents?.defaultProfile ?? 'claude-code') : null;

  return (
    <Page
      title="Settings"
      subtitle="Agents: the coding-agent CLIs Refine runs for Goals and chats, whether each is installed here, and how each is started."
      testId="page-settings-agents"
    >
      <SettingsTabs current="agents" />
      <div className="agents-toolbar">
        <span className="muted small">Detection runs each program’s <code>--version</code>; install a CLI or point its profile at the right command, then detect again.</span>
        <span className="spacer" />
        <button type="button" className="button" onClick={detections.detect} disabled={detections.busy} data-testid="agents-detect">
          <Icon name="refresh" /> {detections.busy ? 'Detecting…' : 'Detect again'}
        </button>
        <button type="button" className="button primary" onClick={() => setCreating(true)} disabled={creating} data-testid="agents-new">
          <Icon name="plus" /> New profile
        </button>
      </div>
      {profiles.error && <Banner tone="error">{profiles.error.message}</Banner>}
      {detections.error && <Banner tone="error">Detection failed: {detections.error}</Banner>}
      {!profiles.data ? (
        !profiles.error && <Spinner />
      ) : (
        <div className="stack agents-list" data-testid="agents-list">
          {defaultProfile && <DefaultNote profile={defaultProfile} detection={detections.byName?.get(defaultProfile)} known={profiles.data.some((p) => p.name === defaultProfile)} />}
          {creating && <NewProfile existing={profiles.data} onDone={() => setCreating(false)} />}
          {profiles.data.map((p) => (
            <ProfileCard
              key={p.name}
              profile={p}
              detection={detections.byName?.get(p.name)}
              detecting={detections.busy && !detections.byName}
              isDefault={defaultProfile === null ? null : p.name === defaultProfile}
              globalRevision={settings.data?.global.revision ?? 0}
            />
          ))}
        </div>
      )}
    </Page>
  );
}

function DefaultNote({ profile, detection, known }: { profile: string; detection: Detection | undefined; known: boolean }) {
  const { active } = useApps();
  const bad = !known || (detection && detection.state !== 'installed');
  return (
    <Banner tone={bad ? 'warning' : 'info'} testId="agents-default">
      Goals {active ? <>of <strong>{active.name}</strong> </> : ''}run with <strong className="mono">{profile}</strong> unless they name another profile.
      {!known && ' No profile has that name.'}
      {known && detection && detection.state !== 'installed' && ` It is ${STATE_LABEL[detection.state]} here, so Goals wait: ${detection.diagnosis}`}
    </Banner>
  );
}

function DetectionBadge({ detection, detecting }: { detection: Detection | undefined; detecting: boolean }) {
  if (!detection) return <Badge testId="agent-state">{detecting ? 'detecting…' : 'unknown'}</Badge>;
  return (
    <span data-testid="agent-state" data-state={detection.state}>
      <Badge tone={STATE_TONE[detection.state]}>{STATE_LABEL[detection.state]}</Badge>
    </span>
  );
}

function ProfileCard({ profile: p, detection, detecting, isDefault, globalRevision }: { profile: AgentProfile; detection: Detection | undefined; detecting: boolean; isDefault: boolean | null; globalRevision: number }) {
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const isProvider = Object.prototype.hasOwnProperty.call(PROVIDERS, p.name);

  /** An interactive session of this agent on a terminal, shown on the Terminal page. */
  const launch = useAction('agents.launch', {
    onSuccess: (t) => {
      sessionStorage.setItem('refine.terminal.active', t.id);
      window.location.hash = '#/terminal';
    },
    onError: (err) => toast.show('error', `Could not start ${p.name}`, err.message),
  });
  const defaulting = useAction('settings.update', {
    onSuccess: () => toast.show('success', `${p.name} is now the default agent profile`),
    onError: (err) => toast.show('error', 'Could not change the default', err.message),
  });
  const busy = launch.busy || defaulting.busy;
  const startSession = () => void launch.run({ profile: p.name });
  const makeDefault = () => void defaulting.run({ scope: 'global', revision: globalRevision, patch: { agents: { defaultProfile: p.name } } });

  return (
    <section className="card agent-card" data-testid="agent-profile" data-name={p.name} data-state={detection?.state ?? ''} aria-labelledby={`agent-${p.name}`}>
      <div className="agent-card-head">
        <div className="agent-title">
          <h2 id={`agent-${p.name}`} className="mono">
            {p.name}
          </h2>
          <span className="muted small">{PROVIDERS[p.provider]}</span>
        </div>
        <DetectionBadge detection={detection} detecting={detecting} />
        {isDefault && <Badge tone="accent" testId="agent-default">default</Badge>}
        {!p.builtin && <Badge>{isProvider ? 'edited' : 'custom'}</Badge>}
        <span className="spacer" />
        {isDefault === false && (
          <button type="button" className="button small ghost" onClick={makeDefault} disabled={busy} data-testid="agent-make-default">
            Use by default
          </button>
        )}
        {detection?.state === 'installed' && (
          <button type="button" className="button small ghost" onClick={startSession} disabled={busy} data-testid="agent-session">
            <Icon name="terminal" size={14} /> Start session
          </button>
        )}
        <button type="button" className="button small" onClick={() => setEditing(!editing)} aria-expanded={editing} data-testid="agent-edit">
          <Icon name="edit" size={14} /> {editing ? 'Close' : 'Edit'}
        </button>
      </div>
      {detection && (
        <div className="agent-detection small" data-testid="agent-detection">
          {detection.path && (
            <span>
              <span className="muted">at</span> <span className="mono">{detection.path}</span>
            </span>
          )}
          {detection.version && (
            <span>
              <span className="muted">version</span> <span className="mono">{detection.version}</span>{' '}
              {detection.verifiedVersions.length > 0 &&
                (detection.verified ? (
                  <Badge tone="success" testId="agent-verified">
                    verified
                  </Badge>
                ) : (
                  <span className="muted small" data-testid="agent-unverified">
                    (verified with {detection.verifiedVersions.join(', ')})
                  </span>
                ))}
            </span>
          )}
          {detection.state !== 'installed' && detection.diagnosis && (
            <span className={detection.state === 'missing' ? 'agent-diagnosis danger-text' : 'agent-diagnosis warning-text'} data-testid="agent-diagnosis">
              {detection.diagnosis}
            </span>
          )}
        </div>
      )}
      {!editing && (
        <div className="agent-summary mono small" title="How Refine starts it for a Goal (prompt delivery in brackets)">
          {formatArgv([p.command, ...p.args])} <span className="muted">[{p.promptDelivery}]</span>
          {Object.keys(p.env ?? {}).length > 0 && <span className="muted"> · {Object.keys(p.env ?? {}).length} env</span>}
        </div>
      )}
      {editing && <ProfileForm profile={p} isProvider={isProvider} onClose={() => setEditing(false)} />}
    </section>
  );
}

interface EnvRow {
  key: string;
  value: string;
}

interface Draft {
  name: string;
  provider: Provider;
  command: string;
  args: string;
  interactiveArgs: string;
  resumeArgs: string;
  baseUrl: string;
  env: EnvRow[];
  promptDelivery: PromptDelivery;
}

function toDraft(p: AgentProfile): Draft {
  return {
    name: p.name,
    provider: p.provider,
    command: p.command,
    args: p.args.join('\n'),
    interactiveArgs: (p.interactiveArgs ?? []).join('\n'),
    resumeArgs: (p.resumeArgs ?? []).join('\n'),
    baseUrl: p.baseUrl ?? '',
    env: Object.entries(p.env ?? {}).map(([key, value]) => ({ key, value })),
    promptDelivery: p.promptDelivery,
  };
}

/** One argument per line; blank lines dropped (an empty argument cannot be written this way). */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

function fromDraft(d: Draft): AgentProfile {
  const env: Record<string, string> = {};
  for (const row of d.env) if (row.key.trim()) env[row.key.trim()] = row.value;
  return {
    name: d.name.trim(),
    provider: d.provider,
    command: d.command.trim(),
    args: lines(d.args),
    interactiveArgs: lines(d.interactiveArgs),
    resumeArgs: lines(d.resumeArgs),
    baseUrl: d.baseUrl.trim() || null,
    env,
    promptDelivery: d.promptDelivery,
    builtin: false,
  };
}

function problem(d: Draft): string | null {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(d.name.trim())) return 'The name must be 1–64 letters, digits, “-”, “_” or “.”.';
  if (!d.command.trim()) return 'The command must name a program.';
  const keys = d.env.map((r) => r.key.trim()).filter(Boolean);
  const bad = keys.find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (bad) return `“${bad}” is not a valid environment variable name.`;
  if (new Set(keys).size !== keys.length) return 'An environment variable is listed twice.';
  if (d.promptDelivery === 'file' && !lines(d.args).some((a) => a.includes('{promptFile}'))) return 'Prompt delivery “file” needs {promptFile} in the arguments.';
  if (d.baseUrl.trim() && !/^https?:\/\/\S+$/.test(d.baseUrl.trim())) return 'The base URL must start with http:// or https://.';
  return null;
}

function ProfileForm({ profile, isProvider, onClose }: { profile: AgentProfile; isProvider: boolean; onClose: () => void }) {
  const toast = useToast();
  const [draft, setDraft] = useState<Draft>(() => toDraft(profile));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const issue = problem(draft);
  const saving = useAction('agents.profiles.save', {
    onSuccess: (saved) => {
      toast.show('success', `Saved ${saved.name}`);
      onClose();
    },
  });
  const removal = useAction('agents.profiles.delete', {
    onSuccess: () => {
      toast.show('success', isProvider ? `${profile.name} is back to its default` : `Deleted ${profile.name}`);
      setConfirmRemove(false);
      onClose();
    },
    onError: () => setConfirmRemove(false),
  });
  const busy = saving.busy || removal.busy;
  const error = (saving.error ?? removal.error)?.message;
  const save = () => void saving.run({ profile: fromDraft(draft) });
  const remove = () => void removal.run({ name: profile.name });

  return (
    <form
      className="agent-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!issue) save();
      }}
      data-testid="agent-form"
    >
      {error && (
        <Banner tone="error" testId="agent-form-error">
          {error}
        </Banner>
      )}
      <ProfileFields draft={draft} onChange={setDraft} nameEditable={false} />
      <div className="row agent-form-actions">
        {issue && <span className="field-error">{issue}</span>}
        <span className="spacer" />
        {!profile.builtin &&
          (confirmRemove ? (
            <span className="confirm inline" role="alertdialog" aria-label={isProvider ? 'Reset to the default?' : 'Delete this profile?'}>
              <span>{isProvider ? 'Reset to the default?' : `Delete ${profile.name}?`}</span>
              <button type="button" className="button small" onClick={() => setConfirmRemove(false)} autoFocus>
                Keep
              </button>
              <button type="button" className="button small danger" onClick={remove} disabled={busy} data-testid="agent-remove-confirm">
                {isProvider ? 'Reset' : 'Delete'}
              </button>
            </span>
          ) : (
            <button type="button" className="button small danger-ghost" onClick={() => setConfirmRemove(true)} disabled={busy} data-testid="agent-remove">
              {isProvider ? (
                <>
                  <Icon name="restore" size={14} /> Reset to default
                </>
              ) : (
                <>
                  <Icon name="trash" size={14} /> Delete
                </>
              )}
            </button>
          ))}
        <button type="button" className="button ghost" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="button primary" disabled={busy || issue !== null} data-testid="agent-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function NewProfile({ existing, onDone }: { existing: AgentProfile[]; onDone: () => void }) {
  const toast = useToast();
  const [draft, setDraft] = useState<Draft>({
    name: '',
    provider: 'generic',
    command: '',
    args: '',
    interactiveArgs: '',
    resumeArgs: '',
    baseUrl: '',
    env: [],
    promptDelivery: 'stdin',
  });
  const creating = useAction('agents.profiles.save', {
    onSuccess: (saved) => {
      toast.show('success', `Created ${saved.name}`);
      onDone();
    },
  });
  const busy = creating.busy;
  const error = creating.error?.message;
  const taken = existing.some((p) => p.name === draft.name.trim());
  const issue = taken ? 'A profile with that name exists; edit it instead.' : problem(draft);
  const startFrom = (name: string) => {
    const base = existing.find((p) => p.name === name);
    if (base) setDraft({ ...toDraft(base), name: draft.name || `${base.name}-custom`, env: toDraft(base).env.filter((r) => r.value !== REDACTED) });
  };
  const save = () => void creating.run({ profile: fromDraft(draft) });
  return (
    <section className="card agent-card new" aria-label="New agent profile" data-testid="agent-new-form">
      <div className="agent-card-head">
        <h2>New profile</h2>
        <span className="spacer" />
        <label className="row small">
          <span className="muted">Start from</span>
          <select value="" onChange={(e) => startFrom(e.target.value)} data-testid="agent-new-from">
            <option value="">—</option>
            {existing.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <form
        className="agent-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!issue) save();
        }}
      >
        {error && <Banner tone="error">{error}</Banner>}
        <ProfileFields draft={draft} onChange={setDraft} nameEditable />
        <div className="row agent-form-actions">
          {issue && draft.name && <span className="field-error">{issue}</span>}
          <span className="spacer" />
          <button type="button" className="button ghost" onClick={onDone}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || issue !== null} data-testid="agent-new-save">
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </section>
  );
}

function ProfileFields({ draft, onChange, nameEditable }: { draft: Draft; onChange: (d: Draft) => void; nameEditable: boolean }) {
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => onChange({ ...draft, [key]: value });
  const setEnv = (i: number, row: EnvRow) => set('env', draft.env.map((r, j) => (j === i ? row : r)));
  return (
    <div className="agent-fields">
      {nameEditable && (
        <>
          <label className="field">
            <span className="field-label">Name</span>
            <input value={draft.name} onChange={(e) => set('name', e.target.value)} placeholder="e.g. claude-opus" autoFocus data-testid="agent-field-name" />
          </label>
          <label className="field">
            <span className="field-label">Provider</span>
            <select value={draft.provider} onChange={(e) => set('provider', e.target.value as Provider)} data-testid="agent-field-provider">
              {(Object.keys(PROVIDERS) as Provider[]).map((p) => (
                <option key={p} value={p}>
                  {PROVIDERS[p]}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      <label className="field">
        <span className="field-label">Command</span>
        <input className="mono" value={draft.command} onChange={(e) => set('command', e.target.value)} spellCheck={false} data-testid="agent-field-command" />
        <span className="muted small">A program on PATH or an absolute path. It is run directly, never through a shell.</span>
      </label>
      <label className="field">
        <span className="field-label">Prompt delivery</span>
        <select value={draft.promptDelivery} onChange={(e) => set('promptDelivery', e.target.value as PromptDelivery)} data-testid="agent-field-delivery">
          {(Object.keys(DELIVERY) as PromptDelivery[]).map((d) => (
            <option key={d} value={d}>
              {DELIVERY[d]}
            </option>
          ))}
        </select>
      </label>
      <label className="field wide">
        <span className="field-label">Arguments (one per line)</span>
        <textarea className="mono" rows={Math.max(3, lines(draft.args).length + 1)} value={draft.args} onChange={(e) => set('args', e.target.value)} spellCheck={false} data-testid="agent-field-args" />
        <span className="muted small">
          For a headless run. <code>{'{prompt}'}</code>, <code>{'{promptFile}'}</code> and <code>{'{sessionId}'}</code> are replaced at launch.
        </span>
      </label>
      <label className="field">
        <span className="field-label">Interactive arguments</span>
        <textarea className="mono" rows={2} value={draft.interactiveArgs} onChange={(e) => set('interactiveArgs', e.target.value)} spellCheck={false} placeholder="(just the command)" />
      </label>
      <label className="field">
        <span className="field-label">Resume arguments ({'{sessionId}'} is the session to continue)</span>
        <textarea className="mono" rows={2} value={draft.resumeArgs} onChange={(e) => set('resumeArgs', e.target.value)} spellCheck={false} placeholder="(cannot resume)" />
      </label>
      <label className="field">
        <span className="field-label">Model API base URL (a gateway of your own; empty: the CLI’s default)</span>
        <input className="mono" value={draft.baseUrl} onChange={(e) => set('baseUrl', e.target.value)} spellCheck={false} placeholder="https://…" data-testid="agent-base-url" />
      </label>
      <fieldset className="field wide env-editor" data-testid="agent-env">
        <legend className="field-label">Environment</legend>
        {draft.env.length === 0 && <span className="muted small">No extra variables.</span>}
        {draft.env.map((row, i) => {
          const secret = SECRET_NAME.test(row.key);
          const kept = row.value === REDACTED;
          return (
            <div key={i} className="env-row" data-testid="agent-env-row">
              <input className="mono" value={row.key} onChange={(e) => setEnv(i, { ...row, key: e.target.value })} placeholder="NAME" aria-label="Variable name" spellCheck={false} data-testid="agent-env-key" />
              <input
                className="mono"
                type={secret ? 'password' : 'text'}
                value={kept ? '' : row.value}
                placeholder={kept ? 'stored secret kept — type to replace' : 'value'}
                onChange={(e) => setEnv(i, { ...row, value: e.target.value === '' && kept ? REDACTED : e.target.value })}
                aria-label={`Value of ${row.key || 'the variable'}`}
                autoComplete="off"
                spellCheck={false}
                data-testid="agent-env-value"
                data-kept={kept || undefined}
              />
              {secret && (
                <span className="muted small" title="Shown redacted everywhere">
                  <Icon name="lock" size={13} />
                </span>
              )}
              <button type="button" className="icon-button danger-icon" aria-label={`Remove ${row.key || 'this variable'}`} onClick={() => set('env', draft.env.filter((_, j) => j !== i))}>
                <Icon name="trash" />
              </button>
            </div>
          );
        })}
        <button type="button" className="button small" onClick={() => set('env', [...draft.env, { key: '', value: '' }])} data-testid="agent-env-add">
          <Icon name="plus" size={14} /> Add a variable
        </button>
        <span className="muted small">Values of names containing KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL or AUTH are stored but never shown again.</span>
      </fieldset>
    </div>
  );
}
