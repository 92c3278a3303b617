import { useState } from 'react';
import { useAction, useQuery } from '../api/hooks';
import type { TargetState } from '../gen/bindings';
import { TargetConfigDialog } from '../routes/processes/TargetConfigDialog';
import { useApps } from '../state/appsContext';
import { navigate } from '../state/router';
import { Icon } from './Icon';
import { Popover } from './Popover';
import { useToast } from './toastContext';

type Lifecycle = 'target.start' | 'target.stop' | 'target.build' | 'target.test';
const LABEL: Record<TargetState['status'], string> = { stopped: 'stopped', running: 'running', healthy: 'healthy', failing: 'failing' };

/** The active app's lifecycle in the top bar: status and a menu (start, stop, build, test, logs, configure). */
export function TargetPill() {
  const { active } = useApps();
  if (!active) return null;
  return <Pill key={active.id} appId={active.id} />;
}

/** The app's state from `target.get`, kept current by process and `target.*` events. */
function Pill({ appId }: { appId: string }) {
  const toast = useToast();
  const target = useQuery('target.get', { appId });
  const [configuring, setConfiguring] = useState(false);
  const t = target.data;
  const status = t?.status ?? 'stopped';
  const running = status !== 'stopped';

  const lifecycle = useAction((op: Lifecycle, call) => call(op, { appId }), {
    onSuccess: (p, op) => {
      if (op === 'target.build' || op === 'target.test') toast.show('info', op === 'target.build' ? 'Build started' : 'Tests started', p.argv.join(' '));
    },
    onError: (f, op) => {
      const what = op.replace('target.', '');
      if (f.status === 422) toast.show('error', `No ${what} command`, 'Set one in “Configure…”.');
      else toast.show('error', `Could not ${what}`, f.message);
    },
  });
  const run = (op: Lifecycle) => void lifecycle.run(op);

  const logsOf = t?.process ?? t?.lastBuild ?? t?.lastTest ?? null;
  return (
    <>
      <Popover
        label={
          <>
            <span className={`target-dot status-${status}`} aria-hidden="true" />
            <span className="target-label">App</span>
            <span data-testid="target-status">{target.error ? 'unknown' : t ? LABEL[status] : '…'}</span>
          </>
        }
        buttonClass={`target-pill status-${status}`}
        ariaLabel={`The app is ${status}. Lifecycle menu`}
        title={t?.health ? `Health: ${t.health.detail}` : 'The app’s dev server'}
        align="end"
        testId="target-pill"
      >
        {(close) => (
          <div role="menu" className="menu" aria-label="App lifecycle" data-status={status}>
            <div className="menu-heading">The app · {LABEL[status]}</div>
            {t?.health && (
              <div className={t.health.ok ? 'menu-note ok' : 'menu-note bad'} data-testid="target-health">
                {t.health.detail}
              </div>
            )}
            <MenuItem icon="play" label="Start" disabled={running} onClick={() => (close(), run('target.start'))} testId="target-start" />
            <MenuItem icon="pause" label="Stop" disabled={!running} onClick={() => (close(), run('target.stop'))} testId="target-stop" />
            <MenuItem icon="refresh" label="Build" onClick={() => (close(), run('target.build'))} testId="target-build" />
            <MenuItem icon="check" label="Test" onClick={() => (close(), run('target.test'))} testId="target-test" />
            <MenuItem icon="processes" label="Logs" disabled={!logsOf} onClick={() => (close(), logsOf && navigate('processes', [logsOf.id]))} testId="target-logs" />
            <MenuItem icon="settings" label="Configure…" onClick={() => (close(), setConfiguring(true))} testId="target-configure" />
          </div>
        )}
      </Popover>
      {configuring && t && <TargetConfigDialog key={t.revision} target={t} onClose={() => setConfiguring(false)} />}
    </>
  );
}

function MenuItem({ icon, label, onClick, disabled, testId }: { icon: 'play' | 'pause' | 'refresh' | 'check' | 'processes' | 'settings'; label: string; onClick: () => void; disabled?: boolean; testId: string }) {
  return (
    <button type="button" role="menuitem" className="menu-item" disabled={disabled} onClick={onClick} data-testid={testId}>
      <Icon name={icon} size={14} />
      {label}
    </button>
  );
}
