import { useState } from 'react';
import { useAction, useQuery } from '../../api/hooks';
import { Badge } from '../../components/Feedback';
import { formatTime } from '../../components/format';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { ClusterMode, NodeGoal, NodeHealth, NodeInfo } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { ago } from './time';

/** How long a drain asked of another node is shown as on its way before the page stops waiting. */
const ASKED_MS = 30_000;

const HEALTH_TONE = { up: 'success', down: 'danger', unknown: 'neutral' } as const satisfies Record<NodeHealth, string>;
const HEALTH_HINT: Record<NodeHealth, string> = {
  up: 'Heard from within the cluster’s TTL',
  down: 'Not heard from for longer than the TTL',
  unknown: 'This node cannot reach the cluster, so it cannot tell',
};

/** "1 of 2": Goals a node runs, of how many it runs at once. */
export function loadText(load: number, capacity: number): string {
  return `${load} of ${capacity}`;
}

/** A small bar for load against capacity (amber when it is over). */
export function LoadMeter({ load, capacity, testId }: { load: number; capacity: number; testId?: string }) {
  const share = capacity > 0 ? load / capacity : load > 0 ? 1 : 0;
  const over = load > capacity;
  return (
    <span className={over ? 'load-meter over' : 'load-meter'} aria-hidden="true" data-testid={testId}>
      <span style={{ width: `${Math.min(100, share * 100)}%` }} />
    </span>
  );
}

export function HealthBadge({ health }: { health: NodeHealth }) {
  return (
    <span title={HEALTH_HINT[health]}>
      <Badge tone={HEALTH_TONE[health]} testId="node-health">
        <span className={`health-dot ${health}`} aria-hidden="true" />
        {health}
      </Badge>
    </span>
  );
}

/**
 * One node: health, load, what it is, the Goals it runs, and Drain / Undrain. Draining another
 * node goes through the bus: it is asked, and says so itself a moment later; until then the card
 * says it was asked.
 */
export function NodeCard({ node, mode, now }: { node: NodeInfo; mode: ClusterMode; now: number }) {
  const toast = useToast();
  const [asked, setAsked] = useState<{ drain: boolean; at: number } | null>(null);
  const drain = useAction('nodes.drain', {
    onSuccess: (n, input) => {
      const wanted = input.drain ?? true;
      if (!n.isSelf) setAsked({ drain: wanted, at: Date.now() });
      toast.show(
        'success',
        n.isSelf ? (wanted ? `${n.name} is draining` : `${n.name} takes work again`) : wanted ? `Asked ${n.name} to drain` : `Asked ${n.name} to take work again`,
        wanted ? 'It finishes the Goals it runs and starts no new ones.' : undefined,
      );
    },
  });
  const waiting = asked !== null && node.draining !== asked.drain && now - asked.at < ASKED_MS;
  const busy = drain.busy || waiting;
  const wantDrain = !node.draining;
  const run = () => void drain.run({ id: node.id, drain: wantDrain });
  const label = drain.busy ? (wantDrain ? 'Draining…' : 'Undraining…') : waiting ? (asked?.drain ? 'Drain asked…' : 'Undrain asked…') : wantDrain ? 'Drain' : 'Undrain';
  const classes = ['card', 'node-card', `health-${node.health}`, node.draining ? 'draining' : '', node.isSelf ? 'self' : ''].filter(Boolean).join(' ');

  return (
    <article
      className={classes}
      aria-labelledby={`node-${node.id}`}
      data-testid="node-card"
      data-id={node.id}
      data-name={node.name}
      data-health={node.health}
      data-draining={node.draining}
      data-self={node.isSelf}
      data-load={node.load}
      data-capacity={node.capacity}
    >
      <header className="node-card-header">
        <div className="node-title">
          <h3 id={`node-${node.id}`} className="node-name" title={node.id}>
            {node.name}
          </h3>
          {node.isSelf && (
            <Badge tone="accent" testId="node-self">
              this node
            </Badge>
          )}
        </div>
        <div className="node-badges">
          <HealthBadge health={node.health} />
          {node.draining && (
            <span title="Finishes the Goals it runs and starts no new ones">
              <Badge tone="warning" testId="node-draining">
                draining
              </Badge>
            </span>
          )}
        </div>
      </header>
      <p className="node-host muted small">
        <span className="mono" title="Host">
          {node.host}
        </span>
        <span aria-hidden="true"> · </span>
        <span title="Refine version">v{node.version}</span>
      </p>

      <div className="node-load" data-testid="node-load" title="Goals it runs now, of how many it runs at once">
        <span className="node-load-label muted small">Load</span>
        <strong className="node-load-value">{loadText(node.load, node.capacity)}</strong>
        <LoadMeter load={node.load} capacity={node.capacity} />
      </div>

      <dl className="node-facts">
        <dt>Agent profiles</dt>
        <dd className="chips" data-testid="node-profiles">
          {node.profiles.length ? (
            node.profiles.map((p) => (
              <span className="chip mono" key={p}>
                {p}
              </span>
            ))
          ) : (
            <span className="muted">none installed</span>
          )}
        </dd>
        <dt>Last seen</dt>
        <dd data-testid="node-last-seen" title={formatTime(node.lastSeen)}>
          {node.isSelf ? <span className="muted">now (this node)</span> : ago(node.lastSeen, now)}
        </dd>
        <dt>Started</dt>
        <dd title={formatTime(node.startedAt)}>{ago(node.startedAt, now)}</dd>
      </dl>

      <div className="node-goals">
        <h4 className="node-goals-title">Goals</h4>
        {node.running.length === 0 ? (
          <p className="muted small" data-testid="node-idle">
            None running
          </p>
        ) : (
          <ul className="node-goal-list">
            {node.running.map((g) => (
              <NodeGoalRow key={g.goalId} goal={g} node={node} now={now} />
            ))}
          </ul>
        )}
      </div>

      <footer className="node-actions">
        <button
          type="button"
          className={wantDrain ? 'button small' : 'button small primary'}
          onClick={run}
          disabled={busy}
          title={wantDrain ? 'Finish the Goals it runs and start no new ones' : 'Take work again'}
          data-testid={wantDrain ? 'node-drain' : 'node-undrain'}
        >
          <Icon name={wantDrain ? 'pause' : 'play'} size={14} /> {label}
        </button>
        {waiting && (
          <span className="muted small" data-testid="node-drain-asked">
            Asked through the cluster; waiting for {node.name} to answer
          </span>
        )}
        {!node.isSelf && mode === 'unreachable' && !drain.error && <span className="muted small">Needs the cluster to reach {node.name}</span>}
        {drain.error && (
          <p className="field-error node-error" role="alert" data-testid="node-drain-error">
            {drain.error.status ? `${drain.error.status}: ` : ''}
            {drain.error.message}
          </p>
        )}
      </footer>
    </article>
  );
}

function NodeGoalRow({ goal: g, node, now }: { goal: NodeGoal; node: NodeInfo; now: number }) {
  const title = `#${g.number} ${g.title}`;
  // Another node's Goal has a page here only when its app is shared with this node (the Goal,
  // under the same id, is then in this node's database too).
  const here = useQuery('goals.get', { id: g.goalId }, { enabled: !node.isSelf }).data !== undefined;
  return (
    <li className="node-goal" data-testid="node-goal" data-goal={g.goalId} data-phase={g.phase}>
      {node.isSelf || here ? (
        <a href={hrefFor('goals', [g.goalId])} className="node-goal-title" title={node.isSelf ? title : `${title} — on ${node.name}`}>
          {title}
        </a>
      ) : (
        <span className="node-goal-title" title={`${title} — on ${node.name}; its app is not shared with this node`}>
          {title}
        </span>
      )}
      <span className="node-goal-meta">
        <Badge tone="accent">
          <span className="live-dot" aria-hidden="true" /> {g.phase}
        </Badge>
        <span className="muted small nowrap" title={`Started ${formatTime(g.startedAt)}`}>
          started {ago(g.startedAt, now)}
        </span>
      </span>
    </li>
  );
}
