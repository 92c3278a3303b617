import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Dialog } from '../../components/Dialog';
import { Banner } from '../../components/Feedback';
import type { FileEntry } from '../../gen/bindings';
import type { EntryAction } from './FileTree';
import { join, parentOf } from './paths';

/** Create a file or folder, rename or move an entry, or delete it. */
export function EntryDialog({ appId, action, entry, onDone, onClose }: { appId: string; action: EntryAction; entry: FileEntry | null; onDone: (result: { action: EntryAction; from?: string; to?: string }) => void; onClose: () => void }) {
  const dir = entry ? (entry.kind === 'dir' ? entry.path : parentOf(entry.path)) : '';
  const [value, setValue] = useState(action === 'rename' && entry ? entry.path : action === 'delete' ? '' : join(dir, ''));
  const title = { newFile: 'New file', newDir: 'New folder', rename: `Rename or move ${entry?.name ?? ''}`, delete: `Delete ${entry?.name ?? ''}?` }[action];
  type Done = { action: EntryAction; from?: string; to?: string };
  const change = useAction(
    async (target: string, call): Promise<Done> => {
      if (action === 'newFile') await call('files.create', { appId, path: target, kind: 'file', content: '' });
      else if (action === 'newDir') await call('files.create', { appId, path: target, kind: 'dir' });
      else if (action === 'rename' && entry) await call('files.rename', { appId, from: entry.path, to: target });
      else if (action === 'delete' && entry) await call('files.delete', { appId, path: entry.path, recursive: entry.kind === 'dir' });
      if (action === 'rename') return { action, from: entry?.path, to: target };
      return action === 'delete' ? { action, from: entry?.path } : { action, to: target };
    },
    {
      onSuccess: (done) => {
        onDone(done);
        onClose();
      },
    },
  );
  const busy = change.busy;
  const error = change.error?.message;
  const submit = () => void change.run(value.trim().replace(/^\/+/, ''));

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
          <button type="button" className={action === 'delete' ? 'button danger' : 'button primary'} disabled={busy || (action !== 'delete' && !value.trim())} onClick={submit} data-testid="entry-submit">
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
            submit();
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
