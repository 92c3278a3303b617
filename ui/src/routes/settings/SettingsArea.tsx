import { useRoute } from '../../state/router';
import { AgentsPage } from './AgentsPage';
import { GovernancePage } from './GovernancePage';
import { GuidancePage } from './GuidancePage';
import { QualityPage } from './QualityPage';
import { SessionsPage } from './SessionsPage';
import { SettingsPage } from './SettingsPage';
import { WebhooksPage } from './WebhooksPage';

/** Picks the Settings sub-page from the route (`#/settings/<tab>`). */
export function SettingsArea() {
  const { rest } = useRoute();
  switch (rest[0]) {
    case 'quality':
      return <QualityPage />;
    case 'governance':
      return <GovernancePage />;
    case 'guidance':
      return <GuidancePage />;
    case 'agents':
      return <AgentsPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'sessions':
      return <SessionsPage />;
    default:
      return <SettingsPage />;
  }
}
