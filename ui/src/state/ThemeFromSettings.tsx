import { useEffect } from 'react';
import { useQuery, useRefetchOn } from '../api/hooks';
import { setSettingsTheme } from './theme';

const SETTINGS_EVENTS = ['settings.updated', 'apps.selected'] as const;

/** Follows the effective `ui.theme` setting (the default when this browser has no choice of its own). */
export function ThemeFromSettings() {
  const settings = useQuery('settings.get', {});
  useRefetchOn(SETTINGS_EVENTS, settings.reload);
  const theme = settings.data?.effective.ui?.theme;
  useEffect(() => {
    if (theme) setSettingsTheme(theme);
  }, [theme]);
  return null;
}
