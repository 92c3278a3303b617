import { useCallback, useState } from 'react';
import { call } from '../../api/client';
import { RESYNC } from '../../api/events';
import { useAction, useLiveEvents } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { App, OperationReceipt } from '../../gen/bindings';
import { useApps, useSelectApp } from '../../state/appsContext';
import { AddAppForm } from './AddAppForm';
import { AppCard } from './AppCard';

const RESCAN = 'apps.rescan';

/** Keeps the newer of two receipts of the same app's rescans. */
function newer(current: OperationReceipt | undefined, next: OperationReceipt): boolean {
  if (!current) return true;
  if (current.id !== next.id) return next.createdAt >= current.createdAt;
  return next.updatedAt >= current.updatedAt || next.progress >= current.progress || next.status !== 'running';
}

/** Rescan receipts per app, followed from `operations.updated` events (progress as it comes). */
function useRescans() {
  const toast = useToast();
  const [byApp, setByApp] = useState<Record<string, OperationReceipt>>({});

  const track = useCallback((receipt: OperationReceipt) => {
    const appId = receipt.appId;
    if (!appId) return;
    setByApp((map) => (newer(map[appId], receipt) ? { ...map, [appId]: receipt } : map));
  }, []);

  useLiveEvents((event) => {
    if (event.kind === 'operations.updated') {
      const receipt = event.data as OperationReceipt;
      if (receipt.kind !== RESCAN) return;
      const before = receipt.appId ? byApp[receipt.appId] : undefined;
      track(receipt);
      if (before?.id === receipt.id && before.status === 'running' && receipt.status !== 'running') {
        if (receipt.status === 'succeeded') toast.show('success', 'Rescan finished', receipt.message ?? undefined);
        else toast.show('error', `Rescan ${receipt.status}`, receipt.error?.message);
      }
    } else if (event.kind === RESYNC) {
      for (const receipt of Object.values(byApp)) {
        if (receipt.status === 'running') void call('operations.get', { id: receipt.id }).then(track, () => undefined);
      }
    }
  });

  return { byApp, track };
}

export function AppsPage() {
  const { apps, loading, error } = useApps();
  const toast = useToast();
  const rescans = useRescans();
  const rescan = useAction((id: string, call) => call('apps.rescan', { id }), {
    onSuccess: rescans.track,
    onError: (err) => toast.show('error', 'Rescan failed to start', err.message),
  });
  const remove = useAction((app: App, call) => call('apps.delete', { id: app.id }), {
    onSuccess: (_, app) => toast.show('success', `Removed ${app.name}`),
    onError: (err, app) => toast.show('error', `Could not remove ${app.name}`, err.message),
  });
  const select = useSelectApp({
    onSuccess: (selection) => selection.active && toast.show('success', `Active app: ${selection.active.name}`),
    onError: (err) => toast.show('error', 'Could not select app', err.message),
  });

  return (
    <Page title="Apps" subtitle="Git repositories Refine works on. One of them is active at a time." testId="page-apps">
      <AddAppForm />
      {error && <Banner tone="error">{error.message}</Banner>}
      {loading && apps.length === 0 ? (
        <Spinner />
      ) : apps.length === 0 ? (
        <EmptyState title="No apps registered" testId="apps-empty">
          <p>Add the path of a Git repository above. Refine detects its languages, package managers and likely commands.</p>
        </EmptyState>
      ) : (
        <div className="app-list" data-testid="app-list">
          {apps.map((app) => (
            <AppCard
              key={app.id}
              app={app}
              rescan={rescans.byApp[app.id]}
              onSelect={() => void select.run(app.id)}
              onRescan={() => void rescan.run(app.id)}
              onRemove={() => void remove.run(app)}
              removing={remove.pending.includes(app)}
            />
          ))}
        </div>
      )}
    </Page>
  );
}
