import { navigate } from '../../state/router';

export type SettingsTab = 'general' | 'quality' | 'governance' | 'guidance' | 'agents' | 'webhooks' | 'sessions';

const TABS: { id: SettingsTab; label: string }[] = [
  { id: 'general', label: 'General' },
  { id: 'quality', label: 'Quality' },
  { id: 'governance', label: 'Governance' },
  { id: 'guidance', label: 'Guidance' },
  { id: 'agents', label: 'Agents' },
  { id: 'webhooks', label: 'Webhooks' },
  { id: 'sessions', label: 'Sessions' },
];

/** The Settings sub-pages: `#/settings`, `#/settings/quality`, `#/settings/governance`, `#/settings/guidance`. */
export function SettingsTabs({ current }: { current: SettingsTab }) {
  return (
    <div className="segmented tabs" role="tablist" aria-label="Settings sections" data-testid="settings-tabs">
      {TABS.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          aria-selected={current === t.id}
          className={current === t.id ? 'segment active' : 'segment'}
          onClick={() => navigate('settings', t.id === 'general' ? [] : [t.id])}
          data-testid={`settings-tab-${t.id}`}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
