import { useState } from 'react';
import { useAction } from '../../api/hooks';
import type { GrepResult } from '../../gen/bindings';

/** Content search (`files.grep`): results grouped by file; a line opens the file there. */
export function GrepPanel({ appId, onOpen }: { appId: string; onOpen: (path: string, line: number) => void }) {
  const [pattern, setPattern] = useState('');
  const [literal, setLiteral] = useState(true);
  const [caseInsensitive, setCaseInsensitive] = useState(true);
  const [result, setResult] = useState<GrepResult | null>(null);
  // A search is run when asked (not a cached query): its answer is shown until the next one.
  const grep = useAction('files.grep', { onSuccess: setResult, onError: () => setResult(null) });
  const busy = grep.busy;
  const error = grep.error?.message;
  const search = () => {
    if (pattern) void grep.run({ appId, pattern, fixedStrings: literal, caseInsensitive, limit: 500 });
  };

  const groups = new Map<string, GrepResult['matches']>();
  for (const m of result?.matches ?? []) groups.set(m.path, [...(groups.get(m.path) ?? []), m]);

  return (
    <div className="grep-panel" data-testid="grep-panel">
      <form
        className="stack grep-form"
        onSubmit={(e) => {
          e.preventDefault();
          search();
        }}
      >
        <input type="search" value={pattern} onChange={(e) => setPattern(e.target.value)} placeholder={literal ? 'Text to find' : 'Regular expression'} className="mono" data-testid="grep-input" aria-label="Search in files" />
        <div className="row small">
          <label className="check-inline">
            <input type="checkbox" checked={!literal} onChange={(e) => setLiteral(!e.target.checked)} data-testid="grep-regex" /> Regex
          </label>
          <label className="check-inline">
            <input type="checkbox" checked={caseInsensitive} onChange={(e) => setCaseInsensitive(e.target.checked)} /> Ignore case
          </label>
          <span className="grow" />
          <button type="submit" className="button small" disabled={!pattern || busy} data-testid="grep-submit">
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      {error && <p className="field-error small">{error}</p>}
      {result && (
        <div className="grep-results" data-testid="grep-results">
          <p className="muted small">
            {result.matches.length} match{result.matches.length === 1 ? '' : 'es'} in {groups.size} file{groups.size === 1 ? '' : 's'} ({result.filesSearched} searched)
            {result.truncated && ' — more not shown'}
          </p>
          {[...groups].map(([path, matches]) => (
            <div key={path} className="grep-file">
              <div className="grep-path mono small">{path}</div>
              {matches.map((m) => (
                <button key={m.line} type="button" className="grep-hit" onClick={() => onOpen(m.path, m.line)} data-testid="grep-hit" data-path={m.path} data-line={m.line}>
                  <span className="grep-line muted">{m.line}</span>
                  <span className="mono grep-text">{m.text.trim()}</span>
                </button>
              ))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
