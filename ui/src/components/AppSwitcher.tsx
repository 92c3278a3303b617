import { useState, type ChangeEvent } from 'react';
import { errorMessage } from '../api/errors';
import { useApps } from '../state/appsContext';
import { Icon } from './Icon';
import { useToast } from './toastContext';

const DETACHED = '';

/** Chooses the active app (`apps.select`); "Detached" selects no app. */
export function AppSwitcher() {
  const { apps, active, select } = useApps();
  const toast = useToast();
  const [busy, setBusy] = useState(false);

  const onChange = async (e: ChangeEvent<HTMLSelectElement>) => {
    const id = e.target.value === DETACHED ? null : e.target.value;
    setBusy(true);
    try {
      await select(id);
      const app = apps.find((a) => a.id === id);
      toast.show('success', app ? `Active app: ${app.name}` : 'Detached: no active app');
    } catch (error) {
      toast.show('error', 'Could not switch app', errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

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
