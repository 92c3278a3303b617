import { useConnectionState } from '../api/hooks';

const LABELS = {
  connecting: 'Connecting',
  connected: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
} as const;

const TITLES = {
  connecting: 'Opening the live event stream',
  connected: 'Connected: changes appear as they happen',
  reconnecting: 'Lost the live event stream; reconnecting',
  offline: 'The daemon is not reachable; retrying',
} as const;

/** Shows the live-event connection state. */
export function ConnectionIndicator() {
  const state = useConnectionState();
  return (
    <span className={`connection connection-${state}`} title={TITLES[state]} data-testid="connection" data-state={state}>
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
