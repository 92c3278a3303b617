import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Badge, EmptyState } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import type { Diff, FileDiff } from '../../gen/bindings';
import type { Token } from '../../code/highlight';
import { parsePatch, splitRows, type DiffLine, type Hunk } from './diffParse';

export type DiffMode = 'unified' | 'split';

const MODE_KEY = 'refine.diffMode';
/** Files with more lines than this are shown without syntax colours. */
const HIGHLIGHT_MAX_LINES = 4000;
/** Files with more lines than this start collapsed. */
const COLLAPSE_OVER = 600;

/** The unified/side-by-side choice, remembered in this browser. */
export function useDiffMode(): [DiffMode, (mode: DiffMode) => void] {
  const [mode, setMode] = useState<DiffMode>(() => (localStorage.getItem(MODE_KEY) === 'split' ? 'split' : 'unified'));
  return [
    mode,
    (next) => {
      localStorage.setItem(MODE_KEY, next);
      setMode(next);
    },
  ];
}

export function DiffModeToggle({ mode, onChange }: { mode: DiffMode; onChange: (mode: DiffMode) => void }) {
  return (
    <div className="segmented" role="radiogroup" aria-label="Diff layout" data-testid="diff-mode">
      {(['unified', 'split'] as const).map((m) => (
        <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? 'segment active' : 'segment'} onClick={() => onChange(m)} data-testid={`diff-mode-${m}`}>
          {m === 'unified' ? 'Unified' : 'Side by side'}
        </button>
      ))}
    </div>
  );
}

const STATUS_TONE: Record<string, 'success' | 'danger' | 'accent' | 'warning' | 'neutral'> = {
  added: 'success',
  deleted: 'danger',
  renamed: 'accent',
  copied: 'accent',
  type_changed: 'warning',
  modified: 'neutral',
};

/** The files of a diff, each a collapsible section with its stats. */
export function DiffView({ diff, mode, empty = 'No changes.' }: { diff: Diff; mode: DiffMode; empty?: string }) {
  if (diff.files.length === 0) return <EmptyState title={empty} testId="diff-empty" />;
  return (
    <div className="diff" data-testid="diff" data-files={diff.filesChanged}>
      <div className="diff-summary muted small" data-testid="diff-summary">
        {diff.filesChanged} file{diff.filesChanged === 1 ? '' : 's'} changed, <span className="diff-add-count">+{diff.additions}</span> <span className="diff-del-count">−{diff.deletions}</span>
      </div>
      {diff.files.map((file) => (
        <FileSection key={`${file.oldPath ?? ''}→${file.path}`} file={file} mode={mode} />
      ))}
    </div>
  );
}

/** Tokens for each line of the hunks (old side for deleted lines, new side otherwise). */
function useTokens(path: string, hunks: Hunk[]): Map<DiffLine, Token[]> | null {
  const [tokens, setTokens] = useState<Map<DiffLine, Token[]> | null>(null);
  useEffect(() => {
    let live = true;
    const all = hunks.flatMap((h) => h.lines).filter((l) => l.kind !== 'note');
    if (all.length === 0 || all.length > HIGHLIGHT_MAX_LINES) return;
    const oldSide = all.filter((l) => l.kind !== 'add');
    const newSide = all.filter((l) => l.kind !== 'del');
    const highlighter = import('../../code/highlight');
    Promise.all([highlighter.then((h) => h.highlightLines(path, oldSide.map((l) => l.text).join('\n'))), highlighter.then((h) => h.highlightLines(path, newSide.map((l) => l.text).join('\n')))]).then(
      ([oldTokens, newTokens]) => {
        if (!live || !oldTokens || !newTokens) return;
        const map = new Map<DiffLine, Token[]>();
        oldSide.forEach((l, i) => map.set(l, oldTokens[i] ?? []));
        newSide.forEach((l, i) => map.set(l, newTokens[i] ?? []));
        setTokens(map);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [path, hunks]);
  return tokens;
}

function LineText({ line, tokens }: { line: DiffLine; tokens: Map<DiffLine, Token[]> | null }) {
  const parts = tokens?.get(line);
  if (!parts) return <>{line.text}</>;
  return (
    <>
      {parts.map((t, i) =>
        t.cls ? (
          <span key={i} className={t.cls}>
            {t.text}
          </span>
        ) : (
          t.text
        ),
      )}
    </>
  );
}

const SIGN: Record<DiffLine['kind'], string> = { add: '+', del: '−', context: ' ', note: '' };

function FileSection({ file, mode }: { file: FileDiff; mode: DiffMode }) {
  const hunks = useMemo(() => parsePatch(file.patch), [file.patch]);
  const lineCount = useMemo(() => hunks.reduce((n, h) => n + h.lines.length, 0), [hunks]);
  const [open, setOpen] = useState(lineCount <= COLLAPSE_OVER);
  const tokens = useTokens(file.path, open ? hunks : EMPTY);
  const renamed = file.oldPath && file.oldPath !== file.path;
  return (
    <section className="diff-file card flush" data-testid="diff-file" data-path={file.path} data-status={file.status} data-binary={file.binary}>
      <header className="diff-file-header">
        <button type="button" className="icon-button small" aria-expanded={open} aria-label={open ? 'Collapse' : 'Expand'} onClick={() => setOpen((o) => !o)} data-testid="diff-file-toggle">
          <Icon name={open ? 'chevronDown' : 'chevronRight'} size={14} />
        </button>
        <Badge tone={STATUS_TONE[file.status] ?? 'neutral'}>{file.status.replace('_', ' ')}</Badge>
        <span className="diff-file-path mono" title={file.path}>
          {renamed ? (
            <span data-testid="diff-rename">
              {file.oldPath} → {file.path}
            </span>
          ) : (
            file.path
          )}
        </span>
        <span className="grow" />
        {file.binary && (
          <Badge tone="warning" testId="diff-binary">
            binary
          </Badge>
        )}
        {file.truncated && <Badge tone="warning">too large to show</Badge>}
        {!file.binary && (
          <span className="diff-stat mono small">
            <span className="diff-add-count">+{file.additions}</span> <span className="diff-del-count">−{file.deletions}</span>
          </span>
        )}
      </header>
      {open && (
        <div className="diff-body">
          {file.binary ? (
            <p className="diff-note muted">Binary file — no text diff.</p>
          ) : file.truncated ? (
            <p className="diff-note muted">The patch is too large to show here.</p>
          ) : hunks.length === 0 ? (
            <p className="diff-note muted">{renamed ? 'Renamed without changes.' : 'No text changes.'}</p>
          ) : mode === 'split' ? (
            <SplitTable hunks={hunks} tokens={tokens} />
          ) : (
            <UnifiedTable hunks={hunks} tokens={tokens} />
          )}
        </div>
      )}
    </section>
  );
}

const EMPTY: Hunk[] = [];

function UnifiedTable({ hunks, tokens }: { hunks: Hunk[]; tokens: Map<DiffLine, Token[]> | null }) {
  return (
    <table className="diff-table unified" data-testid="diff-unified">
      <tbody>
        {hunks.map((h, hi) => (
          <HunkRows key={hi} hunk={h} colSpan={3}>
            {h.lines.map((line, li) => (
              <tr key={li} className={`diff-line ${line.kind}`}>
                <td className="ln">{line.oldNo ?? ''}</td>
                <td className="ln">{line.newNo ?? ''}</td>
                <td className="code">
                  <span className="sign" aria-hidden="true">
                    {SIGN[line.kind]}
                  </span>
                  <LineText line={line} tokens={tokens} />
                </td>
              </tr>
            ))}
          </HunkRows>
        ))}
      </tbody>
    </table>
  );
}

function SplitTable({ hunks, tokens }: { hunks: Hunk[]; tokens: Map<DiffLine, Token[]> | null }) {
  return (
    <table className="diff-table split" data-testid="diff-split">
      <colgroup>
        <col className="ln-col" />
        <col />
        <col className="ln-col" />
        <col />
      </colgroup>
      <tbody>
        {hunks.map((h, hi) => (
          <HunkRows key={hi} hunk={h} colSpan={4}>
            {splitRows(h.lines).map((row, ri) => (
              <tr key={ri} className="diff-line">
                <SplitCell line={row.left} side="old" tokens={tokens} />
                <SplitCell line={row.right} side="new" tokens={tokens} />
              </tr>
            ))}
          </HunkRows>
        ))}
      </tbody>
    </table>
  );
}

function SplitCell({ line, side, tokens }: { line: DiffLine | null; side: 'old' | 'new'; tokens: Map<DiffLine, Token[]> | null }) {
  if (!line) {
    return (
      <>
        <td className="ln empty" />
        <td className="code empty" />
      </>
    );
  }
  const kind = line.kind === 'context' || line.kind === 'note' ? line.kind : side === 'old' ? 'del' : 'add';
  return (
    <>
      <td className={`ln ${kind}`}>{side === 'old' ? (line.oldNo ?? '') : (line.newNo ?? '')}</td>
      <td className={`code ${kind}`}>
        <LineText line={line} tokens={tokens} />
      </td>
    </>
  );
}

function HunkRows({ hunk, colSpan, children }: { hunk: Hunk; colSpan: number; children: ReactNode }) {
  return (
    <>
      <tr className="diff-hunk">
        <td colSpan={colSpan}>
          <span className="mono">{hunk.header.replace(/ @@.*$/, ' @@')}</span>
          {hunk.section && <span className="muted"> {hunk.section}</span>}
        </td>
      </tr>
      {children}
    </>
  );
}
