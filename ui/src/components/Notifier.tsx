import { listen } from '@tauri-apps/api/event';
import { useEffect, useState } from 'react';
import { useLiveEvents } from '../api/hooks';
import { isTauri } from '../api/transport';
import type { GoalTransitioned, ProviderHold } from '../gen/bindings';
import { navigate } from '../state/router';
import { Icon } from './Icon';

const KEY = 'refine.notify';

/** Whether this browser shows system notifications (the person turned them on and allowed them). */
function wanted(): boolean {
  // Storage first: asking the browser for the permission is slower, and only matters when on.
  return localStorage.getItem(KEY) === 'on' && typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

/** What needs a person, as a notification's title and body, or null. */
export function needsYou(kind: string, data: unknown): { title: string; body: string; goalId: string | null } | null {
  if (kind === 'workflow.transitioned') {
    const t = data as GoalTransitioned;
    const g = t.goal;
    if (t.to === 'review') return { title: `#${g.number} is ready for review`, body: g.title, goalId: g.id };
    if (t.to === 'failed') return { title: `#${g.number} failed`, body: g.title, goalId: g.id };
    return null;
  }
  if (kind === 'runner.hold') {
    const h = data as ProviderHold;
    return { title: `${h.profile} is held`, body: h.reason, goalId: null };
  }
  return null;
}

/**
 * The top bar's bell: turns system notifications on (asking the browser's permission) or off.
 * While on, a Goal reaching review or failing, and a held provider, show a notification that
 * opens the Goal when clicked.
 */
export function Notifier() {
  const [on, setOn] = useState(wanted);
  // The desktop app shows native notifications itself; a click on one opens its Goal here.
  useEffect(() => {
    if (!isTauri()) return;
    let stopped = false;
    let unlisten: (() => void) | undefined;
    listen<{ goalId: string | null }>('refine://open', (e) => {
      if (e.payload.goalId) navigate('goals', [e.payload.goalId]);
      else navigate('runner');
    })
      .then((fn) => {
        if (stopped) fn();
        else unlisten = fn;
      })
      .catch((error: unknown) => console.error('cannot listen to refine://open', error));
    return () => {
      stopped = true;
      unlisten?.();
    };
  }, []);
  useLiveEvents((event) => {
    if (isTauri() || !on || !wanted()) return;
    const what = needsYou(event.kind, event.data);
    if (!what) return;
    const n = new Notification(what.title, { body: what.body, tag: `refine-${what.goalId ?? event.kind}` });
    n.onclick = () => {
      window.focus();
      if (what.goalId) navigate('goals', [what.goalId]);
      else navigate('runner');
      n.close();
    };
  });
  if (isTauri() || typeof Notification === 'undefined') return null;
  const toggle = async () => {
    if (on) {
      localStorage.setItem(KEY, 'off');
      setOn(false);
      return;
    }
    const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    localStorage.setItem(KEY, permission === 'granted' ? 'on' : 'off');
    setOn(permission === 'granted');
  };
  const denied = Notification.permission === 'denied';
  return (
    <button
      type="button"
      className={on ? 'icon-button active' : 'icon-button'}
      onClick={() => void toggle()}
      disabled={denied && !on}
      title={denied ? 'Notifications are blocked for this site in the browser' : on ? 'Notifications on: reviews, failures and held providers (turn off)' : 'Notify me when a Goal needs me'}
      aria-pressed={on}
      aria-label={on ? 'Turn notifications off' : 'Turn notifications on'}
      data-testid="notify-toggle"
      data-on={on}
    >
      <Icon name="bell" />
    </button>
  );
}
