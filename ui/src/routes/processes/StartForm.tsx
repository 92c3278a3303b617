import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { formatArgv } from '../../components/format';
import type { ProcessInfo } from '../../gen/bindings';
import { looksLikeShell, splitCommandLine } from './argv';

/** Start a process from a command line split into argv (shown before running), or through bash. */
export function StartForm({ appId, onStarted }: { appId: string; onStarted: (p: ProcessInfo) => void }) {
  const [line, setLine] = useState('');
  const [bash, setBash] = useState(false);
  const [label, setLabel] = useState('');
  const [cwd, setCwd] = useState('');
  const starting = useAction('processes.start', {
    onSuccess: (p) => {
      setLine('');
      setLabel('');
      onStarted(p);
    },
  });
  const busy = starting.busy;
  const error = starting.error?.message;
  const split = splitCommandLine(line);
  const argv = bash ? ['bash', '-lc', line] : split.argv;
  const invalid = line.trim() === '' || (!bash && (split.error !== null || split.argv.length === 0));

  const start = () => void starting.run({ appId, argv, label: label.trim() || null, cwd: cwd.trim() || null });

  return (
    <form
      className="card start-form"
      data-testid="start-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!invalid && !busy) start();
      }}
    >
      <div className="start-fields">
        <label className="field grow">
          <span className="field-label">Command</span>
          <input className="mono" value={line} onChange={(e) => setLine(e.target.value)} placeholder='npm run dev -- --port 5173   or   python3 -m http.server 8000' spellCheck={false} data-testid="start-command" />
        </label>
        <label className="field">
          <span className="field-label">Label</span>
          <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="dev server" data-testid="start-label" />
        </label>
        <label className="field">
          <span className="field-label">Directory</span>
          <input className="mono" value={cwd} onChange={(e) => setCwd(e.target.value)} placeholder="(app root)" data-testid="start-cwd" />
        </label>
      </div>
      <div className="row">
        <label className="check-inline small">
          <input type="checkbox" checked={bash} onChange={(e) => setBash(e.target.checked)} data-testid="start-bash" /> Run in bash (<code>bash -lc</code>)
        </label>
        <span className="grow" />
        <button type="submit" className="button primary small" disabled={invalid || busy} data-testid="start-submit">
          {busy ? 'Starting…' : 'Start'}
        </button>
      </div>
      {line.trim() !== '' && (
        <div className="argv-preview small" data-testid="argv-preview">
          {!bash && split.error ? (
            <span className="field-error">Cannot split: {split.error}.</span>
          ) : (
            <>
              <span className="muted">argv:</span>
              <ol className="argv-list">
                {argv.map((a, i) => (
                  <li key={i} className="mono" data-testid="argv-word">
                    {a === '' ? '""' : a}
                  </li>
                ))}
              </ol>
              {!bash && looksLikeShell(line) && <span className="muted">Pipes and redirections need a shell: tick “Run in bash”.</span>}
            </>
          )}
        </div>
      )}
      {error && <Banner tone="error" testId="start-error">{error}</Banner>}
      <span className="sr-only">{formatArgv(argv)}</span>
    </form>
  );
}
