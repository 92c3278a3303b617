import { useMemo, useState } from 'react';
import { useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { DebouncedInput } from '../../components/DebouncedInput';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import type { LogLevel } from '../../gen/bindings';
import { replaceQuery, useRoute } from '../../state/router';
import { filtersFrom, hasFilters, LEVELS, queryOf, toInput, type LogFilters } from './filters';
import { LogList } from './LogList';
import { useDaemonLog } from './useDaemonLog';

/** Records asked for at first; "Show older" doubles it up to what the daemon allows. */
const FIRST_LIMIT = 500;
const MAX_LIMIT = 5000;

/** The levels offered by the filter: "All" lets trace through too. */
const LEVEL_CHOICES: readonly (LogLevel | null)[] = [null, ...LEVELS.filter((l) => l !== 'trace')];

/** `#/logs?level=warn&target=refine_core&q=doctor&follow=1`: the daemon's log file. */
export function LogsPage() {
  const { query } = useRoute();
  const filters = useMemo(() => filtersFrom(query), [query]);
  const [limit, setLimit] = useState(FIRST_LIMIT);
  const input = useMemo(() => toInput(filters, limit), [filters, limit]);
  const log = useDaemonLog(input, filters.follow);
  const info = useQuery('system.info', {});
  const set = (change: Partial<LogFilters>) => replaceQuery(queryOf({ ...filters, ...change }));

  const targets = useMemo(() => [...new Set((log.records ?? []).map((r) => r.target))].sort(), [log.records]);
  const filtered = hasFilters(filters);

  return (
    <Page
      title="Logs"
      subtitle="The daemon’s log file: what it did and what went wrong, the newest at the bottom."
      testId="page-logs"
      actions={
        <>
          <button
            type="button"
            className={filters.follow ? 'button log-follow-toggle on' : 'button log-follow-toggle'}
            aria-pressed={filters.follow}
            onClick={() => set({ follow: !filters.follow })}
            title={filters.follow ? 'Stop following' : 'Show new records as they are written'}
            data-testid="logs-follow"
          >
            {filters.follow ? <span className="live-dot" aria-hidden="true" /> : <Icon name="play" />}
            {filters.follow ? 'Following' : 'Follow'}
          </button>
          <button type="button" className="button" onClick={log.reload} data-testid="logs-refresh">
            <Icon name="refresh" /> Refresh
          </button>
        </>
      }
    >
      <form className="filters card log-filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the log">
        <div className="field log-level-field">
          <span className="field-label" id="log-level-label">
            Level (at least)
          </span>
          <div className="segmented compact" role="radiogroup" aria-labelledby="log-level-label">
            {LEVEL_CHOICES.map((level) => (
              <button
                key={level ?? 'all'}
                type="button"
                role="radio"
                aria-checked={filters.level === level}
                className={filters.level === level ? 'segment active' : 'segment'}
                onClick={() => set({ level })}
                data-testid={`logs-level-${level ?? 'all'}`}
              >
                {level && <span className={`log-swatch level-${level}`} aria-hidden="true" />}
                {level ?? 'All'}
              </button>
            ))}
          </div>
        </div>
        <label className="field">
          <span className="field-label">Module</span>
          <DebouncedInput
            value={filters.target}
            onCommit={(target) => set({ target })}
            placeholder="refine_core::runner"
            className="mono"
            list="log-target-options"
            spellCheck={false}
            data-testid="logs-filter-target"
          />
          <datalist id="log-target-options">
            {targets.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span className="field-label">Message contains</span>
          <DebouncedInput type="search" value={filters.q} onCommit={(q) => set({ q })} placeholder="any text" data-testid="logs-filter-text" />
        </label>
        <button type="button" className="button ghost" onClick={() => set({ level: null, target: '', q: '' })} disabled={!filtered} data-testid="logs-clear">
          Clear
        </button>
      </form>

      {log.error && <Banner tone="error">{log.error.message}</Banner>}
      {log.followError && (
        <Banner tone="warning" testId="logs-follow-error">
          Could not read new records: {log.followError.message}. Trying again.
        </Banner>
      )}
      {!log.records || !log.files ? (
        !log.error && <Spinner />
      ) : log.files.length === 0 ? (
        <EmptyState title="No log file yet" testId="logs-empty">
          <p>
            The daemon writes its log to <code>{info.data ? `${info.data.dataDir}/logs` : 'logs/'}</code> in its data directory, one file per day, when it runs as a
            server (<code>refine --serve</code>) or in the desktop window. <code>REFINE_LOG</code> sets what it keeps (default: <code>info</code>).
          </p>
        </EmptyState>
      ) : (
        <section className="card flush log-card" aria-labelledby="logs-records-title">
          <div className="card-header padded log-card-header">
            <h2 id="logs-records-title">
              {log.records.length.toLocaleString('en-US')} record{log.records.length === 1 ? '' : 's'}
            </h2>
            {log.capped && (
              <span className="muted small">
                the newest {limit.toLocaleString('en-US')}
                {limit < MAX_LIMIT && (
                  <>
                    {' · '}
                    <button type="button" className="link-button" onClick={() => setLimit((l) => Math.min(MAX_LIMIT, l * 2))} data-testid="logs-older">
                      show older
                    </button>
                  </>
                )}
              </span>
            )}
            <span className="muted small log-files" data-testid="log-files" title={info.data ? `${info.data.dataDir}/logs` : undefined}>
              from {log.files.length === 1 ? 'the file' : `${log.files.length} files`}{' '}
              {log.files.map((f, i) => (
                <span key={f}>
                  {i > 0 && ', '}
                  <code className="log-file" data-testid="log-file">
                    {f}
                  </code>
                </span>
              ))}
            </span>
          </div>
          {log.records.length === 0 ? (
            <EmptyState title={filtered ? 'No record matches these filters' : 'Nothing logged yet'} testId="logs-no-match">
              {filters.follow && <p>New records show up here as they are written.</p>}
            </EmptyState>
          ) : (
            <LogList key={JSON.stringify(input)} records={log.records} onTarget={(target) => set({ target })} />
          )}
        </section>
      )}
    </Page>
  );
}
