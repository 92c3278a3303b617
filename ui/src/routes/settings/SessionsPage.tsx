import { useAction, useQuery } from '../../api/hooks';
import { signOut } from '../../api/session';
import { isTauri } from '../../api/transport';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { BrowserSession } from '../../gen/bindings';
import { SettingsTabs } from './SettingsTabs';

/** Settings → Sessions: the browsers signed in to this daemon, and revoking them. */
export function SessionsPage() {
  const sessions = useQuery('sessions.list', {});
  const toast = useToast();
  const revoking = useAction((s: BrowserSession, call) => call('sessions.revoke', { id: s.id }), {
    onSuccess: (_, s) => {
      toast.show('success', s.current ? 'Signed out: this browser’s session is revoked' : `Revoked the session of ${s.label}`);
      if (s.current) signOut();
    },
    onError: (err) => toast.show('error', 'Could not revoke the session', err.message),
  });
  const revoke = (s: BrowserSession) => void revoking.run(s);

  const list = sessions.data ?? [];
  const live = list.filter((s) => !s.revokedAt);
  const ended = list.filter((s) => s.revokedAt);
  return (
    <Page
      title="Settings"
      subtitle="Browsers signed in to this daemon. Each holds a session of its own, never the daemon's token; a session ends after 30 days unused, or when revoked here."
      testId="page-settings-sessions"
    >
      <SettingsTabs current="sessions" />
      {isTauri() && (
        <Banner tone="info">The desktop window talks to the daemon directly and needs no session; these are the browsers.</Banner>
      )}
      {sessions.error && <Banner tone="error">{sessions.error.message}</Banner>}
      {sessions.loading && !sessions.data ? (
        <Spinner />
      ) : live.length === 0 ? (
        <EmptyState title="No browser is signed in">
          Run <code>refine open</code> for a one-time login link.
        </EmptyState>
      ) : (
        <div className="table-wrap card flush">
          <table className="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Browser</th>
                <th>Signed in</th>
                <th>Last used</th>
                <th>Expires</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {live.map((s) => (
                <tr key={s.id} data-testid="session-row" data-session={s.id}>
                  <td>
                    {s.label} {s.current && <Badge tone="accent">this browser</Badge>}
                  </td>
                  <td title={s.createdAt}>{formatTime(s.createdAt)}</td>
                  <td title={s.lastUsedAt}>{formatRelative(s.lastUsedAt)}</td>
                  <td title={s.expiresAt}>{formatTime(s.expiresAt)}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="button danger small"
                      disabled={revoking.pending.some((r) => r.id === s.id)}
                      onClick={() => revoke(s)}
                      data-testid="session-revoke"
                    >
                      {s.current ? 'Sign out' : 'Revoke'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {ended.length > 0 && (
        <p className="muted" data-testid="sessions-ended">
          {ended.length} ended session{ended.length === 1 ? '' : 's'} kept for the record (<code>refine sessions list</code> shows them).
        </p>
      )}
    </Page>
  );
}
