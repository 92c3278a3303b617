import { useState } from 'react';
import { call } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { Dialog } from '../../components/Dialog';
import { Banner } from '../../components/Feedback';
import type { FileEntry } from '../../gen/bindings';
import type { EntryAction } from './FileTree';
import { join, parentOf } from './paths';

/** Create a file or folder, rename or move an entry, or delete it. */
export function EntryDialog({ appId, action, entry, onDone, onClose }: { appId: string; action: EntryAction; entry: FileEntry | null; onDone: (result: { action: EntryAction; from?: string; to?: string }) => void; onClose: () => void }) {
  const dir = entry ? (entry.kind === 'dir' ? entry.path : parentOf(entry.path)) : '';
  const [value, setValue] = useState(action === 'rename' && entry ? entry.path : action === 'delete' ? '' : join(dir, ''));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const title = { newFile: 'New file', newDir: 'New folder', rename: `Rename or move ${entry?.name ?? ''}`, delete: `Delete ${entry?.name ?? ''}?` }[action];

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const target = value.trim().replace(/^\/+/, '');
      if (action === 'newFile') {
        await call('files.create', { appId, path: target, kind: 'file', content: '' });
        onDone({ action, to: target });
      } else if (action === 'newDir') {
        await call('files.create', { appId, path: target, kind: 'dir' });
        onDone({ action, to: target });
      } else if (action === 'rename' && entry) {
        await call('files.rename', { appId, from: entry.path, to: target });
        onDone({ action, from: entry.path, to: target });
      } else if (action === 'delete' && entry) {
        await call('files.delete', { appId, path: entry.path, recursive: entry.kind === 'dir' });
        onDone({ action, from: entry.path });
      }
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId="entry-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className={action === 'delete' ? 'button danger' : 'button primary'} disabled={busy || (action !== 'delete' && !value.trim())} onClick={() => void submit()} data-testid="entry-submit">
            {action === 'delete' ? 'Delete' : action === 'rename' ? 'Rename' : 'Create'}
          </button>
        </>
      }
    >
      {action === 'delete' ? (
        <p className="dialog-lead">
          <code>{entry?.path}</code> {entry?.kind === 'dir' ? 'and everything in it ' : ''}will be deleted from disk.
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label className="field">
            <span className="field-label">Path from the app root</span>
            <input className="mono" autoFocus value={value} onChange={(e) => setValue(e.target.value)} data-testid="entry-path" />
          </label>
        </form>
      )}
      {error && <Banner tone="error">{error}</Banner>}
    </Dialog>
  );
}
