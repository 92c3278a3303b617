import { ActivityPage } from './activity/ActivityPage';
import { AppsPage } from './apps/AppsPage';
import type { AreaId } from './areas';
import { ComingPage } from './coming/ComingPage';
import { DashboardPage } from './dashboard/DashboardPage';
import { SettingsPage } from './settings/SettingsPage';
import { SystemPage } from './system/SystemPage';
import { TerminalPage } from './terminal/TerminalPage';

/** Picks the page for an area. */
export function AreaPage({ area }: { area: AreaId }) {
  switch (area) {
    case 'dashboard':
      return <DashboardPage />;
    case 'apps':
      return <AppsPage />;
    case 'activity':
      return <ActivityPage />;
    case 'settings':
      return <SettingsPage />;
    case 'system':
      return <SystemPage />;
    case 'terminal':
      return <TerminalPage />;
    default:
      return <ComingPage area={area} />;
  }
}
