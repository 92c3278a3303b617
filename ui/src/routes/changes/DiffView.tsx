import { Fragment, useEffect, useMemo, useState, type ReactNode } from 'react';
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

/** Review comments in a diff: picking lines to comment on, and what shows under a line. */
export interface DiffReview {
  canComment: boolean;
  /** A line number was clicked (shift-click extends the range). */
  pick(path: string, side: 'old' | 'new', line: number, extend: boolean): void;
  selected(path: string, side: 'old' | 'new', line: number): boolean;
  /** The comments (and composer) under a line, or null. */
  below(path: string, side: 'old' | 'new', line: number): ReactNode;
}

/** Which side and number a comment on this line uses: removed lines number the old file. */
function anchorOf(line: DiffLine): { side: 'old' | 'new'; no: number } | null {
  if (line.kind === 'note') return null;
  if (line.kind === 'del') return line.oldNo === null ? null : { side: 'old', no: line.oldNo };
  return line.newNo === null ? null : { side: 'new', no: line.newNo };
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
export function DiffView({ diff, mode, empty = 'No changes.', review }: { diff: Diff; mode: DiffMode; empty?: string; review?: DiffReview }) {
  if (diff.files.length === 0) return <EmptyState title={empty} testId="diff-empty" />;
  return (
    <div className="diff" data-testid="diff" data-files={diff.filesChanged}>
      <div className="diff-summary muted small" data-testid="diff-summary">
        {diff.filesChanged} file{diff.filesChanged === 1 ? '' : 's'} changed, <span className="diff-add-count">+{diff.additions}</span> <span className="diff-del-count">−{diff.deletions}</span>
      </div>
      {diff.files.map((file) => (
        <FileSection key={`${file.oldPath ?? ''}→${file.path}`} file={file} mode={mode} review={review} />
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

function FileSection({ file, mode, review }: { file: FileDiff; mode: DiffMode; review?: DiffReview }) {
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
            <SplitTable hunks={hunks} tokens={tokens} path={file.path} review={review} />
          ) : (
            <UnifiedTable hunks={hunks} tokens={tokens} path={file.path} review={review} />
          )}
        </div>
      )}
    </section>
  );
}

const EMPTY: Hunk[] = [];

interface TableProps {
  hunks: Hunk[];
  tokens: Map<DiffLine, Token[]> | null;
  path: string;
  review?: DiffReview;
}

/** A line number a reviewer can click to comment on the line (shift-click: a range). */
function LineNo({ line, path, review, className = 'ln', shown, side }: { line: DiffLine; path: string; review?: DiffReview; className?: string; shown: number | null; side: 'old' | 'new' }) {
  const at = anchorOf(line);
  if (!review?.canComment || !at || at.side !== side || (side === 'old' && line.kind !== 'del')) return <td className={className}>{shown ?? ''}</td>;
  const picked = review.selected(path, at.side, at.no);
  return (
    <td className={`${className} commentable${picked ? ' picked' : ''}`}>
      <button
        type="button"
        className="ln-button"
        title="Comment on this line (shift-click for a range)"
        aria-label={`Comment on ${path} line ${at.no}${at.side === 'old' ? ' (removed)' : ''}`}
        onClick={(e) => review.pick(path, at.side, at.no, e.shiftKey)}
        data-testid="diff-line-comment"
        data-line={at.no}
        data-side={at.side}
      >
        {shown ?? ''}
      </button>
    </td>
  );
}

/** The comments under a line, as a full-width row. */
function BelowRow({ lines, path, review, colSpan }: { lines: (DiffLine | null)[]; path: string; review?: DiffReview; colSpan: number }) {
  if (!review) return null;
  const seen = new Set<string>();
  const nodes: ReactNode[] = [];
  for (const line of lines) {
    const at = line && anchorOf(line);
    if (!at || seen.has(`${at.side}${at.no}`)) continue;
    seen.add(`${at.side}${at.no}`);
    const node = review.below(path, at.side, at.no);
    if (node) nodes.push(<div key={`${at.side}${at.no}`}>{node}</div>);
  }
  if (nodes.length === 0) return null;
  return (
    <tr className="diff-below">
      <td colSpan={colSpan}>{nodes}</td>
    </tr>
  );
}

function UnifiedTable({ hunks, tokens, path, review }: TableProps) {
  const picked = (line: DiffLine) => {
    const at = anchorOf(line);
    return !!(review && at && review.selected(path, at.side, at.no));
  };
  return (
    <table className="diff-table unified" data-testid="diff-unified">
      <tbody>
        {hunks.map((h, hi) => (
          <HunkRows key={hi} hunk={h} colSpan={3}>
            {h.lines.map((line, li) => (
              <Fragment key={li}>
                <tr className={`diff-line ${line.kind}${picked(line) ? ' picked' : ''}`}>
                  <LineNo line={line} path={path} review={review} shown={line.oldNo} side="old" />
                  <LineNo line={line} path={path} review={review} shown={line.newNo} side="new" />
                  <td className="code">
                    <span className="sign" aria-hidden="true">
                      {SIGN[line.kind]}
                    </span>
                    <LineText line={line} tokens={tokens} />
                  </td>
                </tr>
                <BelowRow lines={[line]} path={path} review={review} colSpan={3} />
              </Fragment>
            ))}
          </HunkRows>
        ))}
      </tbody>
    </table>
  );
}

function SplitTable({ hunks, tokens, path, review }: TableProps) {
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
              <Fragment key={ri}>
                <tr className="diff-line">
                  <SplitCell line={row.left} side="old" tokens={tokens} path={path} review={review} />
                  <SplitCell line={row.right} side="new" tokens={tokens} path={path} review={review} />
                </tr>
                <BelowRow lines={[row.left, row.right]} path={path} review={review} colSpan={4} />
              </Fragment>
            ))}
          </HunkRows>
        ))}
      </tbody>
    </table>
  );
}

function SplitCell({ line, side, tokens, path, review }: { line: DiffLine | null; side: 'old' | 'new'; tokens: Map<DiffLine, Token[]> | null; path: string; review?: DiffReview }) {
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
      <LineNo line={line} path={path} review={review} className={`ln ${kind}`} shown={side === 'old' ? line.oldNo : line.newNo} side={side} />
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
