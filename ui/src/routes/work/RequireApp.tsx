import type { ReactNode } from 'react';
import { EmptyState, Spinner } from '../../components/Feedback';
import type { App } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { hrefFor } from '../../state/router';

/** Work belongs to an app: renders `children` for the active app, or says how to choose one. */
export function RequireApp({ children }: { children: (app: App) => ReactNode }) {
  const { active, apps, loading } = useApps();
  if (active) return <>{children(active)}</>;
  if (loading) return <Spinner />;
  return (
    <EmptyState title={apps.length ? 'No active app' : 'No apps yet'} testId="no-active-app">
      {apps.length ? (
        <p>Goals and Features belong to an app. Choose one in the switcher at the top.</p>
      ) : (
        <p>
          Register a Git repository on the <a href={hrefFor('apps')}>Apps</a> page to get started.
        </p>
      )}
    </EmptyState>
  );
}
