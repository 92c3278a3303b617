import { useAction, useCache, useQuery } from '../../api/hooks';
import { Badge, Banner, Spinner } from '../../components/Feedback';
import { formatBytes, formatRelative, formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { MarkdownText } from '../../components/MarkdownText';
import type { BackupInfo, FeedState, SchemaStatus, UpgradeStatus } from '../../gen/bindings';
import { hrefFor } from '../../state/router';

/** The file name of a path (backups are listed by name; the folder is shown once). */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || path;
}

/**
 * This version and the newest release, the database schema, and the backups. No event announces
 * any of it, so it is asked when the page opens and replaced by the answers of Check now and
 * Back up now.
 */
export function UpgradeCard() {
  const status = useQuery('upgrade.status', {});
  const cache = useCache();
  const check = useAction('upgrade.check', { onSuccess: (answer) => cache.put('upgrade.status', {}, answer) });
  const backup = useAction('upgrade.backup', {
    onSuccess: (made) => {
      // Shown at once; asked again because the oldest beyond `upgrade.backupsKept` may be gone.
      cache.update('upgrade.status', {}, (s) => ({ ...s, backups: [made, ...s.backups.filter((b) => b.path !== made.path)] }));
      status.reload();
    },
  });
  const s = status.data;

  return (
    <section className="card" aria-labelledby="upgrade-title" data-testid="upgrade-card">
      <div className="card-header">
        <h2 id="upgrade-title">Upgrade</h2>
        <span className="muted small">This version, the newest release, the database and its backups</span>
        <div className="card-actions">
          <button type="button" className="button" onClick={() => void check.run({})} disabled={check.busy} data-testid="upgrade-check">
            <Icon name="refresh" /> {check.busy ? 'Checking…' : 'Check now'}
          </button>
        </div>
      </div>
      {status.error && <Banner tone="error">{status.error.message}</Banner>}
      {check.error && (
        <Banner
          tone={check.error.code === 'precondition_failed' ? 'info' : 'error'}
          testId="upgrade-check-error"
          action={
            check.error.code === 'precondition_failed' && (
              <a className="button small" href={hrefFor('settings')}>
                Settings
              </a>
            )
          }
        >
          {check.error.message}
        </Banner>
      )}
      {!s ? (
        !status.error && <Spinner />
      ) : (
        <>
          <Release version={s.version} feed={s.feed} />
          <Schema schema={s.schema} />
          <Backups status={s} onBackup={() => void backup.run({})} busy={backup.busy} error={backup.error?.message} />
        </>
      )}
    </section>
  );
}

function Release({ version, feed }: { version: string; feed: FeedState }) {
  const latest = feed.latest;
  return (
    <div className="upgrade-release" data-testid="upgrade-release" data-newer={feed.newer}>
      <dl className="kv upgrade-kv">
        <div data-testid="upgrade-version">
          <dt>This version</dt>
          <dd>{version}</dd>
        </div>
        <div data-testid="upgrade-latest">
          <dt>Newest release</dt>
          <dd>
            {latest ? (
              <span className="upgrade-latest">
                {latest.version}
                {feed.newer ? <Badge tone="accent">available</Badge> : <Badge tone="success">up to date</Badge>}
              </span>
            ) : (
              <span className="muted">{feed.source ? 'not asked yet' : '—'}</span>
            )}
          </dd>
        </div>
        <div data-testid="upgrade-feed">
          <dt>Release feed</dt>
          <dd>
            {feed.source ? (
              <>
                <code>{feed.source}</code>
                <span className="muted small upgrade-checked">
                  {feed.checkedAt ? <span title={formatTime(feed.checkedAt)}>checked {formatRelative(feed.checkedAt)}</span> : 'never checked'}
                </span>
              </>
            ) : (
              <span className="muted">
                none set (<a href={hrefFor('settings')}>upgrade.feed</a>)
              </span>
            )}
          </dd>
        </div>
      </dl>
      {feed.error && (
        <Banner tone="warning" testId="upgrade-feed-error">
          The last look at the feed failed: {feed.error}
        </Banner>
      )}
      {latest && (
        <div className="upgrade-notes" data-testid="upgrade-notes">
          <div className="upgrade-notes-header">
            <strong>Refine {latest.version}</strong>
            {latest.date && <span className="muted small">{latest.date}</span>}
            {latest.url && (
              <a href={latest.url} target="_blank" rel="noreferrer noopener" data-testid="upgrade-link">
                Release page ↗
              </a>
            )}
          </div>
          {latest.notes ? <MarkdownText text={latest.notes} className="markdown upgrade-notes-text" /> : <span className="muted small">No release notes.</span>}
        </div>
      )}
    </div>
  );
}

function Schema({ schema }: { schema: SchemaStatus }) {
  return (
    <dl className="kv upgrade-kv upgrade-schema" data-testid="upgrade-schema">
      <div data-testid="schema-version">
        <dt>Database schema</dt>
        <dd>
          version {schema.version}
          {schema.latestKnown !== schema.version && <span className="muted"> (this build knows {schema.latestKnown})</span>}
        </dd>
      </div>
      <div data-testid="schema-pending">
        <dt>Pending migrations</dt>
        <dd>{schema.pending.length === 0 ? <span className="muted">none</span> : schema.pending.map((v) => `v${v}`).join(', ')}</dd>
      </div>
      <div data-testid="schema-backup">
        <dt>Backup before this start’s migrations</dt>
        <dd>{schema.backupBeforeMigration ? <code>{schema.backupBeforeMigration}</code> : <span className="muted">none (nothing was migrated)</span>}</dd>
      </div>
    </dl>
  );
}

function Backups({ status, onBackup, busy, error }: { status: UpgradeStatus; onBackup: () => void; busy: boolean; error: string | undefined }) {
  return (
    <div className="upgrade-backups">
      <div className="upgrade-backups-header">
        <h3>Backups</h3>
        <span className="muted small">
          in <code>{status.backupsDir}</code>
        </span>
        <button type="button" className="button small" onClick={onBackup} disabled={busy} data-testid="backup-now">
          <Icon name="download" /> {busy ? 'Backing up…' : 'Back up now'}
        </button>
      </div>
      {error && <Banner tone="error">Could not back up: {error}</Banner>}
      {status.backups.length === 0 ? (
        <p className="muted small" data-testid="backups-empty">
          No backups yet. One is made before every migration; “Back up now” copies the database with SQLite’s online backup.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table compact-table upgrade-backup-table" data-testid="backups">
            <thead>
              <tr>
                <th>File</th>
                <th>Made</th>
                <th className="num">Schema</th>
                <th className="num">Size</th>
              </tr>
            </thead>
            <tbody>
              {status.backups.map((b) => (
                <BackupRow key={b.path} backup={b} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small upgrade-restore">
        To put a backup back, stop the daemon and run <code>refine restore FILE</code>: the file is checked first.
      </p>
    </div>
  );
}

function BackupRow({ backup }: { backup: BackupInfo }) {
  return (
    <tr data-testid="backup-row" data-path={backup.path}>
      <td className="mono" title={backup.path}>
        {baseName(backup.path)}
      </td>
      <td className="nowrap" title={formatTime(backup.createdAt)}>
        {formatRelative(backup.createdAt)}
      </td>
      <td className="num">{backup.schemaVersion === null ? '—' : `v${backup.schemaVersion}`}</td>
      <td className="num nowrap">{backup.bytes === null ? '—' : formatBytes(backup.bytes)}</td>
    </tr>
  );
}
