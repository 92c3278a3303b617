import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { toApiFailure } from '../../api/errors';
import { useLiveEvents } from '../../api/hooks';
import type { FileContent } from '../../gen/bindings';

export type OpenState =
  | { kind: 'none' }
  | { kind: 'loading'; path: string }
  | { kind: 'error'; path: string; message: string; tooLarge: boolean }
  | { kind: 'binary'; path: string; size: number }
  | { kind: 'text'; path: string };

/** Why the editor's text and the disk disagree, and what the user can do about it. */
export type Conflict =
  /** A save was refused (412): someone else wrote the file since it was read. */
  | { kind: 'stale'; currentEtag: string | null }
  /** The file changed on disk while there were unsaved edits. */
  | { kind: 'changedOnDisk' }
  /** The file was deleted or moved away on disk. */
  | { kind: 'gone' };

/**
 * The open file: its saved text and etag, the edited text, dirty state, saving with the etag,
 * and the 412 / changed-on-disk conflict flow. `generation` changes when the editor must take a
 * new document (open, reload).
 */
export function useOpenFile(appId: string, path: string | null) {
  const [state, setState] = useState<OpenState>({ kind: 'none' });
  const [generation, setGeneration] = useState(0);
  const [initial, setInitial] = useState('');
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const saved = useRef<{ text: string; etag: string }>({ text: '', etag: '' });
  const text = useRef('');
  const dirtyRef = useRef(false);

  const apply = useCallback((file: FileContent) => {
    if (file.binary || file.content === null) {
      setState({ kind: 'binary', path: file.path, size: file.size });
      return;
    }
    saved.current = { text: file.content, etag: file.etag };
    text.current = file.content;
    dirtyRef.current = false;
    setInitial(file.content);
    setDirty(false);
    setConflict(null);
    setSaveError(null);
    setGeneration((g) => g + 1);
    setState({ kind: 'text', path: file.path });
  }, []);

  const load = useCallback(
    async (p: string, quiet = false) => {
      try {
        apply(await call('files.read', { appId, path: p }));
      } catch (err) {
        const f = toApiFailure(err);
        if (quiet && f.code === 'not_found') {
          setConflict({ kind: 'gone' });
          return;
        }
        setState({ kind: 'error', path: p, message: f.message, tooLarge: f.status === 413 || f.code === 'payload_too_large' });
      }
    },
    [appId, apply],
  );

  useEffect(() => {
    // The loading state is derived below (the shown state belongs to another path).
    if (!path) return;
    let live = true;
    call('files.read', { appId, path }).then(
      (file) => live && apply(file),
      (err: unknown) => {
        const f = toApiFailure(err);
        if (live) setState({ kind: 'error', path, message: f.message, tooLarge: f.status === 413 || f.code === 'payload_too_large' });
      },
    );
    return () => {
      live = false;
    };
  }, [appId, path, apply]);

  const onChange = useCallback((next: string) => {
    text.current = next;
    const d = next !== saved.current.text;
    if (d !== dirtyRef.current) {
      dirtyRef.current = d;
      setDirty(d);
    }
  }, []);

  const write = useCallback(
    async (etag: string | null) => {
      if (!path) return;
      setSaving(true);
      setSaveError(null);
      const content = text.current;
      try {
        const info = await call('files.write', { appId, path, content, etag });
        saved.current = { text: content, etag: info.etag ?? '' };
        dirtyRef.current = text.current !== content;
        setDirty(dirtyRef.current);
        setConflict(null);
      } catch (err) {
        const f = toApiFailure(err);
        if (f.status === 412 || f.code === 'stale') {
          const details = f.details as { etag?: unknown; currentEtag?: unknown } | undefined;
          const current = typeof details?.etag === 'string' ? details.etag : typeof details?.currentEtag === 'string' ? details.currentEtag : null;
          setConflict({ kind: 'stale', currentEtag: current });
        } else {
          setSaveError(f.message);
        }
      } finally {
        setSaving(false);
      }
    },
    [appId, path],
  );

  /** Ctrl/Cmd-S: write based on the etag that was read. */
  const save = useCallback(() => {
    if (state.kind !== 'text' || saving) return;
    void write(saved.current.etag);
  }, [state.kind, saving, write]);

  /** Take the disk version, dropping the edits. */
  const reloadTheirs = useCallback(() => {
    if (!path) return;
    setState({ kind: 'loading', path });
    void load(path, false);
  }, [path, load]);

  /** Write the edits over whatever is on disk now. */
  const overwrite = useCallback(() => {
    if (conflict?.kind === 'gone' && path) {
      // Deleted on disk: put the edited text back as a new file.
      void call('files.create', { appId, path, kind: 'file', content: text.current }).then(
        (info) => {
          saved.current = { text: text.current, etag: info.etag ?? '' };
          dirtyRef.current = false;
          setDirty(false);
          setConflict(null);
        },
        (err: unknown) => setSaveError(toApiFailure(err).message),
      );
      return;
    }
    void write(conflict?.kind === 'stale' && conflict.currentEtag ? conflict.currentEtag : null);
  }, [write, conflict, appId, path]);

  const keepEditing = useCallback(() => setConflict(null), []);

  // Live: a change on disk reloads a clean file, and flags a dirty one.
  useLiveEvents((event) => {
    if (event.kind !== 'files.changed' || !path || state.kind !== 'text') return;
    const data = event.data as { paths?: unknown; kinds?: unknown } | null;
    const paths = Array.isArray(data?.paths) ? data.paths : [];
    const at = paths.indexOf(path);
    if (at < 0) return;
    void (async () => {
      try {
        const file = await call('files.read', { appId, path });
        if (file.etag === saved.current.etag) return; // our own save, or no real change
        if (dirtyRef.current) setConflict((c) => c ?? { kind: 'changedOnDisk' });
        else apply(file);
      } catch (err) {
        if (toApiFailure(err).code === 'not_found') setConflict({ kind: 'gone' });
      }
    })();
  });

  const shown: OpenState = !path ? { kind: 'none' } : state.kind === 'none' || state.path !== path ? { kind: 'loading', path } : state;
  return { state: shown, generation, initial, dirty, saving, conflict, saveError, onChange, save, reloadTheirs, overwrite, keepEditing };
}
