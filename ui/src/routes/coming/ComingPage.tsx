import { ComingSoon } from '../../components/ComingSoon';
import { Page } from '../../components/Page';
import { AREAS, type AreaId } from '../areas';

export type PlannedArea = Extract<AreaId, 'chat'>;

/** What each planned area will do, from the product description. Nothing here is live data. */
const PLANS: Record<PlannedArea, { title: string; items: string[] }> = {
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
