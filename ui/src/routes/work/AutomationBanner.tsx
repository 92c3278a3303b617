import { call } from '../../api/client';
import { useAction, useCache, useQuery, type Action, type Caller } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { formatRelative } from '../../components/format';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { AutomationState } from '../../gen/bindings';

/** Pauses or resumes the app's automation. */
export function setAutomationPaused(appId: string, paused: boolean, reason?: string, through: Caller = call): Promise<AutomationState> {
  return paused ? through('workflow.pause', { appId, reason: reason || null }) : through('workflow.resume', { appId });
}

/** Pauses (`true`) or resumes (`false`) the app's automation; the banner follows at once. */
export function useAutomationToggle(appId: string): Action<boolean, AutomationState> {
  const toast = useToast();
  const cache = useCache();
  return useAction((paused: boolean, through) => setAutomationPaused(appId, paused, undefined, through), {
    onSuccess: (state, paused) => {
      cache.put('workflow.automation', { appId }, state);
      if (paused) toast.show('success', 'Automation paused', 'Nothing starts by itself until you resume.');
      else toast.show('success', 'Automation resumed');
    },
    onError: (err, paused) => toast.show('error', paused ? 'Could not pause' : 'Could not resume', err.message),
  });
}

/** When the app's automation is paused: says so (who, since when, why) and offers Resume. */
export function AutomationBanner({ appId }: { appId: string }) {
  const state = useQuery('workflow.automation', { appId });
  const toggle = useAutomationToggle(appId);
  if (!state.data?.paused) return null;
  const { by, since, reason } = state.data;
  return (
    <Banner
      tone="warning"
      testId="automation-paused"
      action={
        <button type="button" className="button small" onClick={() => void toggle.run(false)} disabled={toggle.busy} data-testid="automation-resume">
          <Icon name="play" /> {toggle.busy ? 'Resuming…' : 'Resume'}
        </button>
      }
    >
      <strong>Automation is paused</strong>: nothing starts by itself.
      <span className="muted">
        {by && ` Paused by ${by}`}
        {since && ` ${formatRelative(since)}`}
        {reason && ` — “${reason}”`}.
      </span>
    </Banner>
  );
}
