import { useEffect, useMemo, useState } from 'react';
import { call } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { useLiveEvents } from '../../api/hooks';
import { Badge, Banner, Spinner } from '../../components/Feedback';
import type { TranscriptEntry, TranscriptItem, TranscriptPage, Usage } from '../../gen/bindings';

/** `1,234` */
export function formatTokens(n: number): string {
  return n.toLocaleString('en-US');
}

/** "$0.0902", or nothing when the CLI reports no cost. */
export function formatCost(usd: number | null | undefined): string | null {
  if (usd === null || usd === undefined) return null;
  return `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(usd < 10 ? 3 : 2)}`;
}

/** Tokens (and cost) in one short line. */
export function UsageLine({ usage, testId }: { usage: Usage; testId?: string }) {
  const tokens = usage.inputTokens + usage.outputTokens;
  const cost = formatCost(usage.costUsd);
  if (tokens === 0 && cost === null) {
    return (
      <span className="usage-line small" data-testid={testId} data-tokens={0} title="This agent reports no token usage">
        —
      </span>
    );
  }
  return (
    <span className="usage-line small" data-testid={testId} data-tokens={tokens} data-cost={usage.costUsd ?? ''} title={`${formatTokens(usage.inputTokens)} in, ${formatTokens(usage.outputTokens)} out, ${formatTokens(usage.cachedTokens)} cached`}>
      {formatTokens(tokens)} tokens{cost && <> · {cost}</>}
    </span>
  );
}

/** The entries of one run: the stored pages, then what arrives live. */
function useTranscript(runId: string) {
  const [entries, setEntries] = useState<TranscriptEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

  // The component is keyed by run: a new run starts with fresh state.
  useEffect(() => {
    let live = true;
    (async () => {
      const all: TranscriptEntry[] = [];
      let after: number | null = null;
      for (;;) {
        const page: TranscriptPage = await call('agents.transcript', { runId, afterSeq: after, limit: 2000 });
        all.push(...page.entries);
        if (page.nextSeq === null) break;
        after = page.nextSeq;
      }
      if (!live) return;
      // Live entries may have arrived while the pages loaded: merge by sequence number.
      setEntries((now) => merge(all, now));
      setLoaded(true);
    })().catch((err: unknown) => {
      if (live) {
        setError(errorMessage(err));
        setLoaded(true);
      }
    });
    return () => {
      live = false;
    };
  }, [runId]);

  useLiveEvents((event) => {
    if (event.kind !== 'agents.transcript') return;
    const data = event.data as { runId?: string; entries?: TranscriptEntry[] };
    if (data.runId !== runId || !data.entries) return;
    const fresh = data.entries;
    setEntries((now) => merge(now, fresh));
  });

  return { entries, error, loaded };
}

function merge(a: TranscriptEntry[], b: TranscriptEntry[]): TranscriptEntry[] {
  const bySeq = new Map<number, TranscriptEntry>();
  for (const e of a) bySeq.set(e.seq, e);
  for (const e of b) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

type Row =
  | { kind: 'call'; seq: number; call: Extract<TranscriptItem, { kind: 'tool_call' }>; result: Extract<TranscriptItem, { kind: 'tool_result' }> | null }
  | { kind: 'item'; seq: number; item: TranscriptItem };

/** Tool calls with their results side by side; everything else as it came. */
function rows(entries: TranscriptEntry[]): Row[] {
  const out: Row[] = [];
  const open = new Map<string, number>();
  for (const e of entries) {
    const item = e.item;
    if (item.kind === 'tool_call') {
      out.push({ kind: 'call', seq: e.seq, call: item, result: null });
      if (item.id) open.set(item.id, out.length - 1);
      continue;
    }
    if (item.kind === 'tool_result' && item.id && open.has(item.id)) {
      const at = open.get(item.id)!;
      const row = out[at];
      if (row.kind === 'call') row.result = item;
      open.delete(item.id);
      continue;
    }
    out.push({ kind: 'item', seq: e.seq, item });
  }
  return out;
}

/**
 * One agent run as a person reads it: what it said, the tools it used (collapsible, with their
 * input and result), the files it changed (linking to the candidate diff), the commands it ran
 * with their exit codes, denied actions highlighted, errors, tokens and cost.
 */
export function Transcript({ runId, onFile }: { runId: string; onFile?: (path: string) => void }) {
  const { entries, error, loaded } = useTranscript(runId);
  const list = useMemo(() => rows(entries), [entries]);
  if (error) return <Banner tone="error">{error}</Banner>;
  if (!loaded && entries.length === 0) return <Spinner label="Loading the transcript" />;
  if (entries.length === 0) {
    return (
      <p className="muted small" data-testid="transcript-empty">
        Nothing yet: the agent has not said anything.
      </p>
    );
  }
  return (
    <ol className="transcript" data-testid="transcript" data-run={runId}>
      {list.map((r) => (r.kind === 'call' ? <ToolCallRow key={r.seq} call={r.call} result={r.result} /> : <ItemRow key={r.seq} item={r.item} onFile={onFile} />))}
    </ol>
  );
}

function ToolCallRow({ call: c, result }: { call: Extract<TranscriptItem, { kind: 'tool_call' }>; result: Extract<TranscriptItem, { kind: 'tool_result' }> | null }) {
  const state = result === null ? 'pending' : result.ok ? 'ok' : 'error';
  return (
    <li className={`t-row t-tool t-${state}`} data-testid="transcript-tool" data-tool={c.name} data-state={state}>
      <details>
        <summary>
          <span className="t-tag">{c.name}</span> <span className="mono small t-summary">{c.summary}</span>
          {result === null ? <span className="live-dot" aria-label="running" /> : !result.ok && <Badge tone="danger">error</Badge>}
        </summary>
        <pre className="t-pre">{JSON.stringify(c.input, null, 2)}</pre>
        {result && result.excerpt && <pre className="t-pre t-result">{result.excerpt}</pre>}
      </details>
    </li>
  );
}

function ItemRow({ item, onFile }: { item: TranscriptItem; onFile?: (path: string) => void }) {
  switch (item.kind) {
    case 'session_started':
      return (
        <li className="t-row t-meta muted small" data-testid="transcript-session">
          Session {item.sessionId ? <code>{item.sessionId}</code> : 'started'}
          {item.model && <> · {item.model}</>}
        </li>
      );
    case 'text':
      return (
        <li className="t-row t-text" data-testid="transcript-text">
          {item.text}
        </li>
      );
    case 'thinking':
      return (
        <li className="t-row t-thinking muted small">
          <details>
            <summary>Thinking</summary>
            <div className="t-text">{item.text}</div>
          </details>
        </li>
      );
    case 'file_change':
      return (
        <li className="t-row t-file" data-testid="transcript-file" data-path={item.path} data-change={item.change}>
          <Badge tone={item.change === 'delete' ? 'danger' : item.change === 'add' ? 'success' : 'accent'}>{item.change}</Badge>{' '}
          {onFile ? (
            <button type="button" className="link-button mono small" onClick={() => onFile(item.path)} title="Show this file in the candidate diff">
              {item.path}
            </button>
          ) : (
            <span className="mono small">{item.path}</span>
          )}
        </li>
      );
    case 'command':
      return (
        <li className={`t-row t-command ${item.exitCode === 0 ? 't-ok' : 't-error'}`} data-testid="transcript-command" data-exit={item.exitCode ?? ''}>
          <details>
            <summary>
              <span className="mono small">$ {item.command}</span>{' '}
              <Badge tone={item.exitCode === 0 ? 'success' : 'danger'}>{item.exitCode === null ? 'no exit code' : `exit ${item.exitCode}`}</Badge>
            </summary>
            {item.output && <pre className="t-pre">{item.output}</pre>}
          </details>
        </li>
      );
    case 'permission_denied':
      return (
        <li className="t-row t-denied" data-testid="transcript-denied">
          <strong>Denied:</strong> {item.tool} — {item.detail}
        </li>
      );
    case 'notice':
      return <li className="t-row t-meta muted small">{item.message}</li>;
    case 'error':
      return (
        <li className="t-row t-error-row" data-testid="transcript-error">
          <strong>Error{item.status ? ` (HTTP ${item.status})` : ''}:</strong> {item.message}
        </li>
      );
    case 'usage':
      return (
        <li className="t-row t-meta muted small" data-testid="transcript-usage">
          <UsageLine usage={{ inputTokens: item.inputTokens, outputTokens: item.outputTokens, cachedTokens: item.cachedTokens, costUsd: item.costUsd }} />
        </li>
      );
    case 'finished':
      return (
        <li className="t-row t-meta small" data-testid="transcript-finished">
          <Badge tone={item.ok ? 'success' : 'danger'}>{item.ok ? 'finished' : 'failed'}</Badge>
          {item.turns !== null && <span className="muted"> after {item.turns} turn(s)</span>}
        </li>
      );
    case 'truncated':
      return <li className="t-row t-meta muted small">{item.dropped} more entries were not kept; the raw log has everything.</li>;
    case 'raw':
      return <li className="t-row t-raw mono small muted">{item.line}</li>;
    default:
      return null;
  }
}
