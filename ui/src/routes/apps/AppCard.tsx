import { useState } from 'react';
import { Badge, ProgressBar } from '../../components/Feedback';
import { formatArgv, formatRelative } from '../../components/format';
import { Icon } from '../../components/Icon';
import type { App, OperationReceipt } from '../../gen/bindings';

interface AppCardProps {
  app: App;
  rescan: OperationReceipt | undefined;
  onSelect: () => void;
  onRescan: () => void;
  onRemove: () => void;
  removing: boolean;
}

const COMMANDS = ['build', 'test', 'start'] as const;

/** One registered app: what was detected, and its actions. */
export function AppCard({ app, rescan, onSelect, onRescan, onRemove, removing }: AppCardProps) {
  const [confirming, setConfirming] = useState(false);
  const { shape } = app;
  const scanning = rescan?.status === 'running';

  return (
    <article className={app.active ? 'card app-card active' : 'card app-card'} data-testid="app-card" data-app-id={app.id} data-app-name={app.name}>
      <header className="app-card-header">
        <div className="app-title">
          <h2>{app.name}</h2>
          {app.active && (
            <Badge tone="accent" testId="active-badge">
              Active
            </Badge>
          )}
        </div>
        <div className="row">
          {!app.active && (
            <button type="button" className="button small" onClick={onSelect} data-testid="app-select">
              Make active
            </button>
          )}
          <button type="button" className="button small" onClick={onRescan} disabled={scanning} data-testid="app-rescan">
            <Icon name="refresh" /> Rescan
          </button>
          <button type="button" className="button small danger-ghost" onClick={() => setConfirming(true)} disabled={confirming} data-testid="app-remove">
            <Icon name="trash" /> Remove
          </button>
        </div>
      </header>

      <p className="app-path mono" title={app.path}>
        <Icon name="folder" /> {app.path}
      </p>

      {confirming && (
        <div className="confirm" role="alertdialog" aria-label={`Remove ${app.name}?`} data-testid="remove-confirm">
          <span>
            Remove <strong>{app.name}</strong> from Refine? The repository itself is not touched.
          </span>
          <div className="row">
            <button type="button" className="button small" onClick={() => setConfirming(false)} autoFocus>
              Cancel
            </button>
            <button type="button" className="button small danger" onClick={onRemove} disabled={removing} data-testid="remove-confirm-button">
              {removing ? 'Removing…' : 'Remove'}
            </button>
          </div>
        </div>
      )}

      <dl className="app-facts">
        <div>
          <dt>Default branch</dt>
          <dd>
            {app.defaultBranch ? (
              <span className="inline-icon">
                <Icon name="branch" /> {app.defaultBranch}
              </span>
            ) : (
              <span className="muted">unknown</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Languages</dt>
          <dd className="chips" data-testid="app-languages">
            {shape.languages.length ? (
              shape.languages.map((l) => (
                <span className="chip" key={l.name} data-testid="app-language">
                  {l.name} <span className="chip-count">{l.files}</span>
                </span>
              ))
            ) : (
              <span className="muted">none detected</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Package managers</dt>
          <dd className="chips">
            {shape.packageManagers.length ? (
              shape.packageManagers.map((p) => (
                <span className="chip" key={p}>
                  {p}
                </span>
              ))
            ) : (
              <span className="muted">none detected</span>
            )}
          </dd>
        </div>
        <div className="span-all">
          <dt>Suggested commands</dt>
          <dd>
            <ul className="commands">
              {COMMANDS.map((c) => {
                const argv = shape.commands[c];
                return (
                  <li key={c}>
                    <span className="command-name">{c}</span>
                    {argv ? <code>{formatArgv(argv)}</code> : <span className="muted">—</span>}
                  </li>
                );
              })}
            </ul>
          </dd>
        </div>
      </dl>

      <footer className="app-card-footer">
        <span className="muted small">
          {shape.filesScanned} files scanned{shape.truncated ? ' (stopped at the limit)' : ''} · updated {formatRelative(app.updatedAt)}
        </span>
        {rescan && <RescanStatus receipt={rescan} />}
      </footer>
    </article>
  );
}

function RescanStatus({ receipt }: { receipt: OperationReceipt }) {
  if (receipt.status === 'running') {
    return (
      <div className="rescan" data-testid="rescan-progress" data-status={receipt.status}>
        <ProgressBar value={receipt.progress} label="Rescan progress" />
        <span className="small muted">
          {receipt.message ?? 'Rescanning'} · {receipt.progress}%
        </span>
      </div>
    );
  }
  const tone = receipt.status === 'succeeded' ? 'success' : receipt.status === 'cancelled' ? 'neutral' : 'danger';
  return (
    <div className="rescan" data-testid="rescan-progress" data-status={receipt.status}>
      <Badge tone={tone}>Rescan {receipt.status}</Badge>
      {receipt.error && <span className="small field-error">{receipt.error.message}</span>}
    </div>
  );
}
