import { ComingSoon } from '../../components/ComingSoon';
import { Page } from '../../components/Page';
import { AREAS, type AreaId } from '../areas';

export type PlannedArea = Extract<AreaId, 'changes' | 'processes' | 'files' | 'chat'>;

/** What each planned area will do, from the product description. Nothing here is live data. */
const PLANS: Record<PlannedArea, { title: string; items: string[] }> = {
  changes: {
    title: 'Changes',
    items: [
      'Git status and diffs of the app and of each Goal’s candidate branch or worktree.',
      'Commit log and churn statistics.',
      'Integrate an approved Goal (merge, squash or rebase, per settings) or revert it.',
    ],
  },
  processes: {
    title: 'Processes',
    items: [
      'Start, stop and restart the app’s dev server, build and tests as supervised processes.',
      'Status, exit codes and persisted, streamed logs, with the Goal or operation that owns each process.',
      'Health checks of the running app.',
    ],
  },
  files: {
    title: 'Files',
    items: [
      'A gitignore-aware tree of the active app, confined to its root.',
      'Read, edit (with conflict detection), create, rename and delete files; name and content search.',
      'Live updates when files change on disk.',
    ],
  },
  chat: {
    title: 'Chat',
    items: [
      'Threads with an agent provider about the project, a Goal or a plan.',
      'Persisted messages and streamed replies.',
      'Turn a plan into draft Goals.',
    ],
  },
};

/** The honest placeholder page of an area that is not built yet. */
export function ComingPage({ area }: { area: PlannedArea }) {
  const meta = AREAS.find((a) => a.id === area);
  const plan = PLANS[area];
  return (
    <Page title={meta?.label ?? area} subtitle={meta?.hint} testId={`page-${area}`}>
      <ComingSoon icon={meta?.icon ?? 'info'} title={plan.title} items={plan.items} />
    </Page>
  );
}
