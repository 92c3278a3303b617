import { useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge, Banner, EmptyState, Spinner } from '../../components/Feedback';
import { formatRelative, formatTime } from '../../components/format';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { EventKind, Webhook } from '../../gen/bindings';
import { eventStale } from '../../gen/events';
import { SettingsTabs } from './SettingsTabs';

/** The event kinds a webhook can receive (every declared kind but the webhooks' own). */
const KINDS = (Object.keys(eventStale) as EventKind[]).filter((k) => !k.startsWith('webhook.')).sort();
const SUGGESTED: EventKind[] = ['workflow.transitioned', 'runner.hold', 'review.comment'].filter((k): k is EventKind => (KINDS as string[]).includes(k));

/** Settings → Webhooks: signed JSON POSTs of the app's events, with delivery history. */
export function WebhooksPage() {
  const hooks = useQuery('webhooks.list', { appId: null });
  const list = hooks.data ?? [];
  return (
    <Page
      title="Settings"
      subtitle="Webhooks: a URL receives a signed JSON POST for each event of the kinds it lists; failed deliveries are retried with back-off."
      testId="page-settings-webhooks"
    >
      <SettingsTabs current="webhooks" />
      <AddWebhook />
      {hooks.error && <Banner tone="error">{hooks.error.message}</Banner>}
      {hooks.loading && !hooks.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <EmptyState title="No webhooks yet">Add one above; the daemon signs each delivery with its secret.</EmptyState>
      ) : (
        list.map((w) => <WebhookCard key={w.id} hook={w} />)
      )}
    </Page>
  );
}

function AddWebhook() {
  const toast = useToast();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<EventKind[]>(SUGGESTED.slice(0, 1));
  const [allowHttp, setAllowHttp] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const add = useAction('webhooks.create', {
    onSuccess: (made) => {
      setSecret(made.secret);
      setUrl('');
      toast.show('success', `Webhook added: ${made.webhook.url}`);
    },
  });
  const toggle = (k: EventKind) => setEvents((e) => (e.includes(k) ? e.filter((x) => x !== k) : [...e, k]));
  return (
    <form
      className="card stack"
      data-testid="webhook-add"
      onSubmit={(e) => {
        e.preventDefault();
        void add.run({ appId: null, url: url.trim(), events, allowHttp });
      }}
    >
      <h2>Add a webhook</h2>
      <label className="field">
        <span className="field-label">URL (https; plain http only to this machine)</span>
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/refine" required data-testid="webhook-url" />
      </label>
      <label className="check-item">
        <input type="checkbox" checked={allowHttp} onChange={(e) => setAllowHttp(e.target.checked)} data-testid="webhook-allow-http" />
        Allow plain http to a loopback receiver (127.0.0.1, ::1, localhost)
      </label>
      <fieldset className="webhook-kinds">
        <legend className="field-label">Events</legend>
        {KINDS.map((k) => (
          <label key={k} className="check-item mono small">
            <input type="checkbox" checked={events.includes(k)} onChange={() => toggle(k)} data-testid={`webhook-kind-${k}`} />
            {k}
          </label>
        ))}
      </fieldset>
      {add.error && (
        <Banner tone="error" testId="webhook-error">
          {add.error.message}
        </Banner>
      )}
      {secret && (
        <Banner tone="info" testId="webhook-secret">
          Its signing secret, shown only now: <code className="mono">{secret}</code>. Each delivery carries <code>X-Refine-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</code>.
        </Banner>
      )}
      <div className="row">
        <button type="submit" className="button primary" disabled={add.busy || !url.trim() || events.length === 0} data-testid="webhook-submit">
          Add webhook
        </button>
      </div>
    </form>
  );
}

const STATUS_TONE = { delivered: 'success', pending: 'warning', failed: 'danger' } as const;

function WebhookCard({ hook: w }: { hook: Webhook }) {
  const toast = useToast();
  const deliveries = useQuery('webhooks.deliveries', { id: w.id, limit: 20 });
  const act = useAction(
    async (what: 'ping' | 'toggle' | 'delete', call) => {
      if (what === 'ping') return void (await call('webhooks.ping', { id: w.id }));
      if (what === 'toggle') return void (await call('webhooks.update', { id: w.id, url: null, events: null, allowHttp: null, enabled: !w.enabled }));
      return void (await call('webhooks.delete', { id: w.id }));
    },
    { onError: (err) => toast.show('error', 'That did not work', err.message) },
  );
  const list = deliveries.data ?? [];
  return (
    <section className="card stack" data-testid="webhook" data-webhook-id={w.id}>
      <div className="row">
        <code className="mono">{w.url}</code>
        {!w.enabled && <Badge tone="neutral">disabled</Badge>}
        <span className="muted small">secret …{w.secretHint}</span>
        <span className="spacer" />
        <button type="button" className="button small" onClick={() => void act.run('ping')} disabled={act.busy} data-testid="webhook-ping">
          Ping
        </button>
        <button type="button" className="button small" onClick={() => void act.run('toggle')} disabled={act.busy}>
          {w.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" className="button small danger-ghost" onClick={() => void act.run('delete')} disabled={act.busy} data-testid="webhook-delete">
          Delete
        </button>
      </div>
      <div className="row small">
        {w.events.map((k) => (
          <Badge key={k}>{k}</Badge>
        ))}
      </div>
      {list.length === 0 ? (
        <p className="muted small">No deliveries yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Answer</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-testid="webhook-delivery" data-status={d.status}>
                  <td className="mono small">{d.eventKind}</td>
                  <td>
                    <Badge tone={STATUS_TONE[d.status as keyof typeof STATUS_TONE] ?? 'neutral'}>{d.status}</Badge>
                    {d.status === 'pending' && d.nextAttemptAt && <span className="muted small"> next {formatRelative(d.nextAttemptAt)}</span>}
                  </td>
                  <td>{d.attempts}</td>
                  <td className="small">{d.responseCode ?? d.error ?? '—'}</td>
                  <td className="small" title={formatTime(d.createdAt)}>
                    {formatRelative(d.createdAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
