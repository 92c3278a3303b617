import type { ChangeEvent } from 'react';
import { useApps, useSelectApp } from '../state/appsContext';
import { Icon } from './Icon';
import { useToast } from './toastContext';

const DETACHED = '';

/** Chooses the active app (`apps.select`); "Detached" selects no app. */
export function AppSwitcher() {
  const { apps, active } = useApps();
  const toast = useToast();
  const select = useSelectApp({
    onSuccess: (selection) => toast.show('success', selection.active ? `Active app: ${selection.active.name}` : 'Detached: no active app'),
    onError: (error) => toast.show('error', 'Could not switch app', error.message),
  });
  const busy = select.busy;

  const onChange = (e: ChangeEvent<HTMLSelectElement>) => void select.run(e.target.value === DETACHED ? null : e.target.value);

  return (
    <label className="app-switcher" title="Active app">
      <Icon name="apps" />
      <span className="sr-only">Active app</span>
      <select value={active?.id ?? DETACHED} onChange={onChange} disabled={busy} data-testid="app-switcher">
        <option value={DETACHED}>Detached (no app)</option>
        {apps.map((app) => (
          <option key={app.id} value={app.id}>
            {app.name}
          </option>
        ))}
      </select>
      <Icon name="chevronDown" className="select-caret" />
    </label>
  );
}
