import { useState, type ReactNode } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Banner, Spinner } from '../../components/Feedback';
import { formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import { StatCard } from '../../components/StatCard';
import { useToast } from '../../components/toastContext';
import type { ClusterStatus } from '../../gen/bindings';
import { LoadChart, QueueTable } from './FleetCharts';
import { JoinForm } from './JoinForm';
import { loadText, LoadMeter, NodeCard } from './NodeCard';
import { ago, useNow } from './time';
import './cluster.css';

/**
 * Membership, health and drains come as events (`cluster.changed`, `nodes.updated`); when the
 * others were last heard from and why NATS does not answer change without one, so while joined
 * the page also asks every few seconds.
 */
const POLL_MS = 5000;

function useClusterStatus() {
  const status = useQuery('cluster.status', {});
  const joined = status.data !== undefined && status.data.mode !== 'standalone';
  // A second observer of the same cached answer, polling only while joined.
  useQuery('cluster.status', {}, { enabled: joined, pollMs: POLL_MS });
  return status;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `#/cluster`: this node and, in a cluster, the others: health, load, queues, drain; join or leave. */
export function ClusterPage() {
  const status = useClusterStatus();
  const now = useNow();
  const s = status.data;
  return (
    <Page
      title="Cluster"
      subtitle="Every daemon is a node. Joined through NATS, nodes see each other’s health and load, and any node can drain another."
      testId="page-cluster"
      actions={
        <button type="button" className="button" onClick={status.reload} data-testid="cluster-refresh">
          <Icon name="refresh" /> Refresh
        </button>
      }
    >
      {status.error && <Banner tone="error">{status.error.message}</Banner>}
      {s ? <Cluster s={s} now={now} /> : !status.error && <Spinner />}
    </Page>
  );
}

function Cluster({ s, now }: { s: ClusterStatus; now: number }) {
  return (
    <div className="stack cluster-stack" data-testid="cluster" data-mode={s.mode}>
      {s.mode === 'unreachable' && (
        <Banner tone="error" testId="cluster-unreachable">
          <strong>Cluster unreachable: {s.error ?? 'no NATS server answers'}</strong>
          <p className="small">Work on this machine goes on and it reconnects by itself; until then the other nodes’ health is unknown and they cannot be drained from here.</p>
        </Banner>
      )}
      <ModeCard s={s} now={now} />
      {s.mode === 'standalone' && <JoinForm key="join" status={s} />}
      {s.rejected > 0 && <Refused s={s} />}
      <FleetStats s={s} />

      <section className="cluster-section" aria-labelledby="nodes-title">
        <div className="cluster-section-header">
          <h2 id="nodes-title">Nodes</h2>
          <span className="muted small">
            {s.mode === 'standalone' ? 'Alone, this machine is a cluster of one.' : `${plural(s.nodes.length, 'node')} · down after ${s.ttlSecs} s without a heartbeat`}
          </span>
        </div>
        <div className="node-grid" data-testid="nodes">
          {s.nodes.map((n) => (
            <NodeCard key={n.id} node={n} mode={s.mode} now={now} />
          ))}
        </div>
      </section>

      <div className={s.nodes.length > 1 ? 'cluster-grid' : 'cluster-grid single'}>
        {/* Alone, the node's card already says its load. */}
        {s.nodes.length > 1 && (
          <section className="card" aria-labelledby="load-title" data-testid="load-card">
            <div className="card-header">
              <h2 id="load-title">Load by node</h2>
              <span className="legend small">
                <span className="legend-swatch load-up" /> running <span className="legend-swatch load-draining" /> draining <span className="legend-swatch load-track" /> capacity
              </span>
            </div>
            <LoadChart nodes={s.nodes} />
          </section>
        )}
        <section className="card flush" aria-labelledby="queues-title" data-testid="queues-card">
          <div className="card-header padded">
            <h2 id="queues-title">Queues</h2>
            <span className="muted small">Goals of each app on this node</span>
          </div>
          <QueueTable queues={s.queues} now={now} />
        </section>
      </div>

      {s.mode !== 'standalone' && (
        <details className="card rejoin" data-testid="rejoin">
          <summary>Change servers, credentials, name or TTL</summary>
          <JoinForm key={s.mode} status={s} rejoin />
        </details>
      )}
    </div>
  );
}

/** How this node stands with the cluster: alone, connected (to which servers, since when), or cut off. */
function ModeCard({ s, now }: { s: ClusterStatus; now: number }) {
  const servers = plural(s.urls.length, 'server');
  const title = s.mode === 'standalone' ? 'Standalone — this machine works alone' : s.mode === 'connected' ? `Connected to ${servers}` : `Reconnecting to ${servers}`;
  return (
    <section className={`card cluster-mode mode-${s.mode}`} aria-labelledby="cluster-mode-title" data-testid="cluster-mode" data-mode={s.mode}>
      <div className="cluster-mode-header">
        <span className={`mode-icon mode-${s.mode}`} aria-hidden="true">
          <Icon name={s.mode === 'standalone' ? 'system' : s.mode === 'connected' ? 'cluster' : 'alert'} size={20} />
        </span>
        <div className="cluster-mode-text">
          <h2 id="cluster-mode-title" data-testid="cluster-mode-title">
            {title}
          </h2>
          <p className="muted small">
            {s.mode === 'standalone' ? (
              <>
                <strong>{s.nodeName}</strong> needs nothing else: it runs its own Goals. Join a cluster to see other nodes, their health and load, and drain them.
              </>
            ) : (
              <>
                This node is <strong>{s.nodeName}</strong>
                {s.mode === 'connected' ? '; it announces itself and hears the others through NATS.' : '; it keeps working and reconnects by itself.'}
              </>
            )}
          </p>
        </div>
        {s.mode !== 'standalone' && <Leave />}
      </div>
      {s.mode !== 'standalone' && (
        <dl className="cluster-facts">
          <Fact label="Servers" testId="cluster-servers">
            <ul className="cluster-urls">
              {s.urls.map((u) => (
                <li key={u}>
                  <code>{u}</code>
                </li>
              ))}
            </ul>
          </Fact>
          <Fact label="User">{s.user ?? <span className="muted">none</span>}</Fact>
          <Fact label="Heartbeat TTL" testId="cluster-ttl">
            <span title="A node not heard from for this long counts as down">{s.ttlSecs} s</span>
          </Fact>
          <Fact label={s.mode === 'connected' ? 'Connected since' : 'Last connection opened'} testId="cluster-since">
            {s.connectedSince ? <span title={formatTime(s.connectedSince)}>{ago(s.connectedSince, now)}</span> : <span className="muted">never</span>}
          </Fact>
        </dl>
      )}
    </section>
  );
}

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="cluster-fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Leave the cluster, once confirmed: standalone again, the stored servers forgotten. */
function Leave() {
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const leave = useAction('cluster.leave', {
    onSuccess: () => {
      setConfirming(false);
      toast.show('success', 'Left the cluster', 'This machine works alone again.');
    },
  });
  if (!confirming) {
    return (
      <button type="button" className="button danger-ghost" onClick={() => setConfirming(true)} data-testid="cluster-leave">
        Leave cluster
      </button>
    );
  }
  return (
    <div className="confirm cluster-leave-confirm" role="alertdialog" aria-label="Leave the cluster?" data-testid="cluster-leave-confirm">
      <span>
        Leave the cluster? This node stops announcing itself, the others see it go, and the servers and password are forgotten.
        {leave.error && (
          <span className="field-error" role="alert" data-testid="cluster-leave-error">
            {' '}
            {leave.error.message}
          </span>
        )}
      </span>
      <div className="row">
        <button type="button" className="button small" onClick={() => setConfirming(false)} autoFocus>
          Cancel
        </button>
        <button type="button" className="button small danger" onClick={() => void leave.run({})} disabled={leave.busy} data-testid="cluster-leave-confirm-button">
          {leave.busy ? 'Leaving…' : 'Leave'}
        </button>
      </div>
    </div>
  );
}

/** Messages read off the bus that were refused (never applied), and the last reasons. */
function Refused({ s }: { s: ClusterStatus }) {
  return (
    <Banner tone="warning" testId="cluster-refused">
      <strong>
        {plural(s.rejected, 'message')} from the bus {s.rejected === 1 ? 'was' : 'were'} refused
      </strong>{' '}
      — malformed, too big, under the wrong key or from a newer version; none was applied.
      {s.problems.length > 0 && (
        <ul className="cluster-problems" data-testid="cluster-problems">
          {s.problems
            .slice()
            .reverse()
            .map((p) => (
              <li key={p}>{p}</li>
            ))}
        </ul>
      )}
    </Banner>
  );
}

/** Fleet-wide counts: nodes by health, load of capacity, Goals waiting and in review. */
function FleetStats({ s }: { s: ClusterStatus }) {
  const c = s.counts;
  // Unknown: this node cannot reach the bus, so it cannot tell whether the others are up.
  const unknown = Math.max(0, c.nodes - c.up - c.down);
  return (
    <div className="cluster-stats" data-testid="fleet-counts">
      <StatCard label="Nodes" value={c.nodes} testId="stat-nodes" tone={c.down > 0 ? 'danger' : undefined}>
        <span className="stat-up">{c.up} up</span> · <span className={c.down > 0 ? 'stat-down' : undefined}>{c.down} down</span> ·{' '}
        <span className={c.draining > 0 ? 'stat-draining' : undefined}>{c.draining} draining</span>
        {unknown > 0 && <span> · {unknown} unknown</span>}
      </StatCard>
      <StatCard label="Load" value={loadText(c.load, c.capacity)} testId="stat-load" meter={<LoadMeter load={c.load} capacity={c.capacity} />}>
        Goals running, of the slots of nodes up and not draining
      </StatCard>
      <StatCard label="Queued" value={c.queued} testId="stat-queued">
        Goals waiting in todo
      </StatCard>
      <StatCard label="In review" value={c.review} testId="stat-review">
        Goals waiting for a person
      </StatCard>
    </div>
  );
}
