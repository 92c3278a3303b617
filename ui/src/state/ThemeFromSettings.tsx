import { useEffect } from 'react';
import { useQuery } from '../api/hooks';
import { useApps } from './appsContext';
import { setSettingsTheme } from './theme';

/** Follows the effective `ui.theme` setting (the default when this browser has no choice of its own). */
export function ThemeFromSettings() {
  const { active, loading } = useApps();
  // The same input as the pages that show settings, so they share the answer.
  const settings = useQuery('settings.get', { appId: active?.id ?? null }, { enabled: !loading });
  const theme = settings.data?.effective.ui?.theme;
  useEffect(() => {
    if (theme) setSettingsTheme(theme);
  }, [theme]);
  return null;
}
