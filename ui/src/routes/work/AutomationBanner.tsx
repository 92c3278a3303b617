import { useState } from 'react';
import { call } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { useQuery } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { formatRelative } from '../../components/format';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import { useDebouncedRefetch } from './hooks';

const AUTOMATION_EVENTS = ['workflow.automation'] as const;

/** Pauses or resumes the app's automation. */
export async function setAutomationPaused(appId: string, paused: boolean, reason?: string): Promise<void> {
  if (paused) await call('workflow.pause', { appId, reason: reason || null });
  else await call('workflow.resume', { appId });
}

/** When the app's automation is paused: says so (who, since when, why) and offers Resume. */
export function AutomationBanner({ appId }: { appId: string }) {
  const toast = useToast();
  const state = useQuery('workflow.automation', { appId }, appId);
  useDebouncedRefetch(AUTOMATION_EVENTS, state.reload, 0);
  const [busy, setBusy] = useState(false);
  if (!state.data?.paused) return null;
  const { by, since, reason } = state.data;
  const resume = async () => {
    setBusy(true);
    try {
      await setAutomationPaused(appId, false);
      toast.show('success', 'Automation resumed');
    } catch (err) {
      toast.show('error', 'Could not resume', errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Banner
      tone="warning"
      testId="automation-paused"
      action={
        <button type="button" className="button small" onClick={resume} disabled={busy} data-testid="automation-resume">
          <Icon name="play" /> {busy ? 'Resuming…' : 'Resume'}
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
