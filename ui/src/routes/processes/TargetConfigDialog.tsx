import { useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { Badge, Banner } from '../../components/Feedback';
import { formatArgv } from '../../components/format';
import type { ConfigureTargetInput, Lifecycle, TargetState } from '../../gen/bindings';
import { splitCommandLine } from './argv';

type CommandKey = 'start' | 'stop' | 'build' | 'test' | 'healthCommand';
const COMMANDS: { key: CommandKey; label: string; hint: string }[] = [
  { key: 'start', label: 'Start', hint: 'The dev server, e.g. npm run dev' },
  { key: 'stop', label: 'Stop', hint: 'Optional: without it, stopping ends the start process’s group' },
  { key: 'build', label: 'Build', hint: 'e.g. cargo build' },
  { key: 'test', label: 'Test', hint: 'e.g. npm test' },
  { key: 'healthCommand', label: 'Health command', hint: 'Or a command whose exit code 0 means healthy' },
];

type Draft = Record<CommandKey | 'healthUrl', string>;

function toDraft(l: Lifecycle): Draft {
  return {
    start: l.start ? formatArgv(l.start) : '',
    stop: l.stop ? formatArgv(l.stop) : '',
    build: l.build ? formatArgv(l.build) : '',
    test: l.test ? formatArgv(l.test) : '',
    healthCommand: l.healthCommand ? formatArgv(l.healthCommand) : '',
    healthUrl: l.healthUrl ?? '',
  };
}

/** Edits the app's lifecycle commands; fenced by the revision read (a concurrent edit is shown). */
export function TargetConfigDialog({ target, onClose }: { target: TargetState; onClose: () => void }) {
  const initial = toDraft(target.lifecycle);
  const [draft, setDraft] = useState<Draft>(initial);
  // The `target.updated` event brings the new commands to the pill.
  const configure = useAction('target.configure', { onSuccess: onClose });
  // The pill's query: fetching it again brings a new revision, and this dialog opens afresh on it.
  const current = useQuery('target.get', { appId: target.appId });
  const busy = configure.busy;
  const f = configure.error;
  const error = f?.message ?? null;
  const conflict = f !== undefined && (f.status === 409 || f.status === 412 || f.code === 'stale' || f.code === 'conflict' || f.code === 'precondition_failed');
  const edited = (Object.keys(draft) as (keyof Draft)[]).filter((k) => draft[k].trim() !== initial[k].trim());
  const splits = Object.fromEntries(COMMANDS.map((c) => [c.key, splitCommandLine(draft[c.key])])) as Record<CommandKey, ReturnType<typeof splitCommandLine>>;
  const invalid = COMMANDS.some((c) => splits[c.key].error !== null);

  const save = () => {
    const input: ConfigureTargetInput = { appId: target.appId, revision: target.revision };
    for (const k of edited) {
      if (k === 'healthUrl') input.healthUrl = draft.healthUrl.trim() || null;
      else input[k] = draft[k].trim() ? splits[k].argv : null;
    }
    void configure.run(input);
  };

  return (
    <Dialog
      title={
        <>
          Configure the app’s lifecycle{' '}
          {target.suggested && edited.length === 0 && (
            <Badge tone="accent" testId="target-suggested">
              suggested
            </Badge>
          )}
        </>
      }
      onClose={onClose}
      wide
      testId="target-config"
      footer={
        <>
          <span className="dialog-hint muted small">Commands run as argv (quotes group words); nothing goes through a shell unless you write bash -lc "…".</span>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button primary" disabled={busy || invalid || edited.length === 0} onClick={save} data-testid="target-config-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      {target.suggested && <p className="dialog-lead muted">These commands were suggested from the app’s files and were never edited.</p>}
      <div className="target-form">
        {COMMANDS.slice(0, 4).map((c) => (
          <CommandField key={c.key} k={c.key} label={c.label} hint={c.hint} value={draft[c.key]} error={splits[c.key].error} onChange={(v) => setDraft({ ...draft, [c.key]: v })} />
        ))}
        <label className="field">
          <span className="field-label">Health URL</span>
          <input className="mono" value={draft.healthUrl} onChange={(e) => setDraft({ ...draft, healthUrl: e.target.value })} placeholder="http://127.0.0.1:3000/health" data-testid="target-field-healthUrl" />
          <span className="muted small">On this machine only; 2xx or 3xx means healthy.</span>
        </label>
        <CommandField k="healthCommand" label="Health command" hint={COMMANDS[4].hint} value={draft.healthCommand} error={splits.healthCommand.error} onChange={(v) => setDraft({ ...draft, healthCommand: v })} />
      </div>
      {error && (
        <Banner
          tone="error"
          testId={conflict ? 'target-config-conflict' : 'target-config-error'}
          action={
            conflict ? (
              <button type="button" className="button small" onClick={current.reload}>
                Load the current commands
              </button>
            ) : undefined
          }
        >
          {conflict ? `Someone changed these commands since you opened this dialog: ${error}` : error}
        </Banner>
      )}
    </Dialog>
  );
}

function CommandField({ k, label, hint, value, error, onChange }: { k: CommandKey; label: string; hint: string; value: string; error: string | null; onChange: (v: string) => void }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input className="mono" value={value} onChange={(e) => onChange(e.target.value)} placeholder={hint} spellCheck={false} data-testid={`target-field-${k}`} />
      {error && <span className="field-error">Cannot split: {error}</span>}
    </label>
  );
}
