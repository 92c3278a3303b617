import { useAction, useCache, useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, ProgressBar, Spinner } from '../../components/Feedback';
import { formatBytes } from '../../components/format';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { CacheInfo, OperationReceipt } from '../../gen/bindings';
import { ALL, cachesOf, useRebuilds } from './useRebuilds';

/** Hit counts change with every lookup and no event says so: asked again while shown. */
const POLL_MS = 10_000;

function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)} %`;
}

/** "3 hits · 1 miss" */
function lookups(c: CacheInfo): string {
  if (c.hits === null || c.misses === null) return '';
  return `${c.hits} hit${c.hits === 1 ? '' : 's'} · ${c.misses} miss${c.misses === 1 ? '' : 'es'}`;
}

/**
 * Every cache the daemon keeps, with entries, size and hit rate; cleared at once (an answer never
 * changes, it is only slower at first) or rebuilt as a long-running operation with progress.
 */
export function CacheCard() {
  const list = useQuery('cache.list', {}, { pollMs: POLL_MS });
  const cache = useCache();
  const toast = useToast();
  const rebuilds = useRebuilds((receipt) => {
    const caches = receipt.status === 'succeeded' ? cachesOf(receipt) : null;
    if (caches) cache.put('cache.list', {}, caches);
    else list.reload();
    if (receipt.status === 'failed') toast.show('error', 'Rebuild failed', receipt.error?.message);
  });
  const clear = useAction((name: string | null, call) => call('cache.clear', name === null ? {} : { name }), {
    onSuccess: (cleared, name) => {
      cache.put('cache.list', {}, cleared.caches);
      toast.show('success', `Cleared ${name ?? 'every cache'}`, `${cleared.dropped} entr${cleared.dropped === 1 ? 'y' : 'ies'} dropped`);
    },
    onError: (err) => toast.show('error', 'Could not clear', err.message),
  });
  const rebuild = useAction((name: string | null, call) => call('cache.rebuild', name === null ? {} : { name }), {
    onSuccess: (receipt, name) => rebuilds.track(name ?? ALL, receipt),
    onError: (err) => toast.show('error', 'Could not start the rebuild', err.message),
  });

  const running = (name: string | null) => rebuilds.byTarget[name ?? ALL]?.status === 'running' || rebuild.pending.includes(name);
  const busy = (name: string | null) => running(name) || running(null) || clear.pending.includes(name) || clear.pending.includes(null);
  const caches = list.data;
  const statuses = Object.entries(rebuilds.byTarget).sort(([a], [b]) => (a === ALL ? -1 : b === ALL ? 1 : a.localeCompare(b)));

  return (
    <section className="card flush" aria-labelledby="caches-title" data-testid="cache-card">
      <div className="card-header padded">
        <h2 id="caches-title">Caches</h2>
        <span className="muted small">Clearing never changes an answer, only how fast the next one comes</span>
        <div className="card-actions">
          <button type="button" className="icon-button" onClick={list.reload} title="Refresh" aria-label="Refresh the caches" data-testid="caches-refresh">
            <Icon name="refresh" />
          </button>
          <button type="button" className="button" onClick={() => void clear.run(null)} disabled={busy(null)} data-testid="caches-clear-all">
            <Icon name="trash" /> Clear all
          </button>
          <button type="button" className="button" onClick={() => void rebuild.run(null)} disabled={busy(null)} data-testid="caches-rebuild-all">
            <Icon name="restore" /> Rebuild all
          </button>
        </div>
      </div>
      {list.error && <Banner tone="error">{list.error.message}</Banner>}
      {statuses.length > 0 && (
        <div className="cache-rebuilds">
          {statuses.map(([target, receipt]) => (
            <RebuildStatus key={target} target={target} receipt={receipt} />
          ))}
        </div>
      )}
      {!caches ? (
        !list.error && (
          <div className="cache-loading">
            <Spinner />
          </div>
        )
      ) : caches.length === 0 ? (
        <EmptyState title="This daemon keeps no caches" />
      ) : (
        <div className="table-wrap">
          <table className="table cache-table" data-testid="caches">
            <thead>
              <tr>
                <th>Cache</th>
                <th className="num">Entries</th>
                <th className="num">Size</th>
                <th className="num">Hit rate</th>
                <th className="cache-actions-col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {caches.map((c) => (
                <tr key={c.name} data-testid="cache-row" data-name={c.name} data-entries={c.entries} data-hits={c.hits ?? ''}>
                  <td>
                    <code className="cache-name">{c.name}</code>
                    <span className="cache-doc muted small">{c.doc}</span>
                  </td>
                  <td className="num" data-testid="cache-entries">
                    {c.entries.toLocaleString('en-US')}
                  </td>
                  <td className="num nowrap" data-testid="cache-bytes">
                    {c.bytes === null ? '—' : formatBytes(c.bytes)}
                  </td>
                  <td className="num nowrap" data-testid="cache-hit-rate" title={lookups(c)}>
                    <span className="cache-rate">
                      {c.hitRate !== null && (
                        <span className="cache-meter" aria-hidden="true">
                          <span style={{ width: `${Math.max(2, c.hitRate * 100)}%` }} />
                        </span>
                      )}
                      {percent(c.hitRate)}
                    </span>
                    <span className="muted small cache-lookups">{lookups(c) || '—'}</span>
                  </td>
                  <td className="cache-actions">
                    <button type="button" className="button small" onClick={() => void clear.run(c.name)} disabled={busy(c.name)} data-testid="cache-clear">
                      Clear
                    </button>
                    <button type="button" className="button small" onClick={() => void rebuild.run(c.name)} disabled={busy(c.name)} data-testid="cache-rebuild">
                      {running(c.name) ? 'Rebuilding…' : 'Rebuild'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RebuildStatus({ target, receipt }: { target: string; receipt: OperationReceipt }) {
  const what = target === ALL ? 'every cache' : target;
  const result = receipt.result as { rebuilt?: unknown } | null;
  const rebuilt = typeof result?.rebuilt === 'number' ? result.rebuilt : null;
  return (
    <div className="cache-rebuild" data-testid="cache-rebuild-status" data-target={target} data-status={receipt.status} data-progress={receipt.progress}>
      {receipt.status === 'running' ? (
        <>
          <span className="small">
            Rebuilding {what} · {receipt.progress}%{receipt.message && <span className="muted"> · {receipt.message}</span>}
          </span>
          <ProgressBar value={receipt.progress} label={`Rebuild of ${what}`} />
        </>
      ) : (
        <span className="small">
          <Badge tone={receipt.status === 'succeeded' ? 'success' : receipt.status === 'cancelled' ? 'neutral' : 'danger'}>rebuild {receipt.status}</Badge>{' '}
          {what}
          {receipt.status === 'succeeded' && rebuilt !== null && <span className="muted"> · {rebuilt} entr{rebuilt === 1 ? 'y' : 'ies'} filled again</span>}
          {receipt.error && <span className="field-error"> · {receipt.error.message}</span>}
        </span>
      )}
    </div>
  );
}
