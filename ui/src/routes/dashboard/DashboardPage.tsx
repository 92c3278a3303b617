import { useQuery } from '../../api/hooks';
import { Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative } from '../../components/format';
import { Page } from '../../components/Page';
import { useApps } from '../../state/appsContext';
import { hrefFor } from '../../state/router';
import { WorkSummary } from './WorkSummary';

/** The active app's repository state (`project.overview`): real data, available today. */
function ProjectOverviewCard({ appId }: { appId: string }) {
  const overview = useQuery('project.overview', { appId });
  if (overview.error) return <Banner tone="error">{overview.error.message}</Banner>;
  if (!overview.data) return <Spinner />;
  const { app, branch, head, changedFiles, counts } = overview.data;
  return (
    <div className="card" data-testid="project-overview">
      <div className="card-header">
        <h2>{app.name}</h2>
        <span className="muted mono small">{app.path}</span>
      </div>
      <dl className="stats">
        <div>
          <dt>Branch</dt>
          <dd>{branch ?? <span className="muted">detached HEAD</span>}</dd>
        </div>
        <div>
          <dt>Uncommitted paths</dt>
          <dd>{changedFiles}</dd>
        </div>
        <div>
          <dt>Activity entries</dt>
          <dd>{counts.activity}</dd>
        </div>
        <div>
          <dt>Operations</dt>
          <dd>{counts.operations}</dd>
        </div>
      </dl>
      {head ? (
        <p className="head-commit">
          <code>{head.sha.slice(0, 10)}</code> {head.subject}{' '}
          <span className="muted">
            — {head.author}, {formatRelative(head.at)}
          </span>
        </p>
      ) : (
        <p className="muted">No commits yet.</p>
      )}
    </div>
  );
}

export function DashboardPage() {
  const { active, apps, loading } = useApps();
  return (
    <Page title="Dashboard" subtitle={active ? `The state of ${active.name} at a glance. Everything here links to the list behind it.` : 'The state of the active app at a glance'} testId="page-dashboard">
      {active ? (
        <>
          <WorkSummary appId={active.id} />
          <ProjectOverviewCard appId={active.id} />
        </>
      ) : loading ? (
        <Spinner />
      ) : (
        <EmptyState title={apps.length ? 'No active app' : 'No apps yet'}>
          {apps.length ? (
            <p>Choose an app in the switcher at the top to see its overview.</p>
          ) : (
            <p>
              Register a Git repository on the <a href={hrefFor('apps')}>Apps</a> page to get started.
            </p>
          )}
        </EmptyState>
      )}
    </Page>
  );
}
