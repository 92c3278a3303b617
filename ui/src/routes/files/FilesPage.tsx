import { lazy, Suspense, useEffect, useState } from 'react';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import type { App, FileEntry } from '../../gen/bindings';
import { replaceQuery, useRoute } from '../../state/router';
import { RequireApp } from '../work/RequireApp';
import { EntryDialog } from './EntryDialog';
import { FileTree, type EntryAction } from './FileTree';
import { FinderDialog } from './FinderDialog';
import { GrepPanel } from './GrepPanel';
import { useOpenFile } from './useOpenFile';

const CodeEditor = lazy(() => import('../../code/CodeEditor'));
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function FilesPage() {
  return (
    <Page title="Files" subtitle="The app’s files: browse, edit and search. Changes on disk show up live." testId="page-files" wide>
      <RequireApp>{(app) => <Files key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

function Files({ app }: { app: App }) {
  const { query } = useRoute();
  const path = query.get('path');
  const lineParam = Number(query.get('line'));
  const line = Number.isFinite(lineParam) && lineParam > 0 ? lineParam : null;
  const [side, setSide] = useState<'tree' | 'search'>('tree');
  const [showIgnored, setShowIgnored] = useState(false);
  const [finder, setFinder] = useState(false);
  const [dialog, setDialog] = useState<{ action: EntryAction; entry: FileEntry | null } | null>(null);
  const file = useOpenFile(app.id, path);

  const open = (p: string, at?: number) => {
    if (p !== path && file.dirty && !window.confirm(`Discard the unsaved changes to ${path}?`)) return;
    replaceQuery({ path: p, line: at ? String(at) : null });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'p') {
        e.preventDefault();
        setFinder(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Leaving the page (or reloading) with unsaved edits asks first.
  useEffect(() => {
    if (!file.dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [file.dirty]);

  return (
    <div className="files-layout">
      <aside className="files-side card flush">
        <div className="files-side-tabs">
          <div className="segmented" role="tablist" aria-label="Side panel">
            <button type="button" role="tab" aria-selected={side === 'tree'} className={side === 'tree' ? 'segment active' : 'segment'} onClick={() => setSide('tree')} data-testid="files-tab-tree">
              Files
            </button>
            <button type="button" role="tab" aria-selected={side === 'search'} className={side === 'search' ? 'segment active' : 'segment'} onClick={() => setSide('search')} data-testid="files-tab-search">
              Search
            </button>
          </div>
          <span className="grow" />
          <button type="button" className="icon-button small" title={`Go to file (${isMac ? '⌘' : 'Ctrl'} P)`} aria-label="Go to file" onClick={() => setFinder(true)} data-testid="open-finder">
            <Icon name="search" size={14} />
          </button>
          <button type="button" className="icon-button small" title="New file" aria-label="New file" onClick={() => setDialog({ action: 'newFile', entry: null })} data-testid="new-file">
            <Icon name="plus" size={14} />
          </button>
          <button type="button" className="icon-button small" title="New folder" aria-label="New folder" onClick={() => setDialog({ action: 'newDir', entry: null })} data-testid="new-dir">
            <Icon name="folder" size={14} />
          </button>
        </div>
        {side === 'tree' ? (
          <>
            <FileTree appId={app.id} showIgnored={showIgnored} openPath={path} dirtyPath={file.dirty ? path : null} onOpen={(p) => open(p)} onAction={(action, entry) => setDialog({ action, entry })} />
            <label className="check-inline small files-ignored">
              <input type="checkbox" checked={showIgnored} onChange={(e) => setShowIgnored(e.target.checked)} data-testid="show-ignored" /> Show ignored files
            </label>
          </>
        ) : (
          <GrepPanel appId={app.id} onOpen={(p, l) => open(p, l)} />
        )}
      </aside>
      <section className="files-main card flush" data-testid="file-pane">
        {file.state.kind === 'none' ? (
          <EmptyState title="Open a file">
            Pick one in the tree, or press <kbd>{isMac ? '⌘' : 'Ctrl'} P</kbd> to find it by name.
          </EmptyState>
        ) : (
          <>
            <header className="editor-header">
              <Icon name="file" size={14} />
              <span className="mono editor-path" data-testid="editor-path">
                {file.state.path}
              </span>
              {file.dirty && (
                <span className="dirty-badge" data-testid="editor-dirty">
                  unsaved
                </span>
              )}
              <span className="grow" />
              {file.state.kind === 'text' && (
                <button type="button" className="button small primary" disabled={!file.dirty || file.saving} onClick={file.save} data-testid="editor-save" title={`Save (${isMac ? '⌘' : 'Ctrl'} S)`}>
                  {file.saving ? 'Saving…' : 'Save'}
                </button>
              )}
            </header>
            {file.conflict && <ConflictBanner conflict={file.conflict.kind} onReload={file.reloadTheirs} onOverwrite={file.overwrite} onKeep={file.keepEditing} />}
            {file.saveError && <Banner tone="error">{file.saveError}</Banner>}
            <div className="editor-body">
              {file.state.kind === 'loading' ? (
                <Spinner />
              ) : file.state.kind === 'error' ? (
                <Banner tone={file.state.tooLarge ? 'warning' : 'error'} testId="file-error">
                  {file.state.tooLarge ? 'This file is too large to open in the editor.' : file.state.message}
                </Banner>
              ) : file.state.kind === 'binary' ? (
                <EmptyState title="Binary file" testId="file-binary">
                  {file.state.size.toLocaleString()} bytes — not shown as text.
                </EmptyState>
              ) : (
                <Suspense fallback={<Spinner label="Loading the editor" />}>
                  <CodeEditor key={`${file.state.path}#${file.generation}`} path={file.state.path} initial={file.initial} onChange={file.onChange} onSave={file.save} line={line} />
                </Suspense>
              )}
            </div>
          </>
        )}
      </section>
      {finder && <FinderDialog appId={app.id} onOpen={(p) => open(p)} onClose={() => setFinder(false)} />}
      {dialog && (
        <EntryDialog
          appId={app.id}
          action={dialog.action}
          entry={dialog.entry}
          onClose={() => setDialog(null)}
          onDone={(r) => {
            if (r.action === 'newFile' && r.to) open(r.to);
            else if (r.action === 'rename' && r.from === path && r.to) replaceQuery({ path: r.to });
            else if (r.action === 'delete' && path && r.from && (path === r.from || path.startsWith(`${r.from}/`))) replaceQuery({});
          }}
        />
      )}
    </div>
  );
}

function ConflictBanner({ conflict, onReload, onOverwrite, onKeep }: { conflict: 'stale' | 'changedOnDisk' | 'gone'; onReload: () => void; onOverwrite: () => void; onKeep: () => void }) {
  const text =
    conflict === 'stale'
      ? 'Not saved: the file changed on disk since you opened it.'
      : conflict === 'changedOnDisk'
        ? 'Changed on disk while you have unsaved edits.'
        : 'The file was deleted or moved on disk.';
  return (
    <Banner
      tone="warning"
      testId="editor-conflict"
      action={
        <div className="row">
          {conflict !== 'gone' && (
            <button type="button" className="button small" onClick={onReload} data-testid="conflict-reload">
              Reload theirs
            </button>
          )}
          <button type="button" className="button small" onClick={onOverwrite} data-testid="conflict-overwrite">
            {conflict === 'gone' ? 'Save again' : 'Overwrite'}
          </button>
          <button type="button" className="button small ghost" onClick={onKeep} data-testid="conflict-keep">
            Keep editing
          </button>
        </div>
      }
    >
      <span data-conflict={conflict}>{text}</span>
    </Banner>
  );
}
