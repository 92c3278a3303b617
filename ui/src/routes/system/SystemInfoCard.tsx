import { useEffect, useState } from 'react';
import { formatDuration, formatTime } from '../../components/format';
import type { SystemInfo } from '../../gen/bindings';

/** Uptime that keeps ticking between fetches. */
function useUptime(info: SystemInfo): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const started = Date.parse(info.startedAt);
  return Number.isNaN(started) ? info.uptimeSeconds : Math.max(info.uptimeSeconds, (now - started) / 1000);
}

export function SystemInfoCard({ info }: { info: SystemInfo }) {
  const uptime = useUptime(info);
  const rows: [string, React.ReactNode, string][] = [
    ['Version', info.version, 'version'],
    ['API version', info.apiVersion, 'api-version'],
    ['Build profile', info.buildProfile, 'build-profile'],
    ['Uptime', <span title={`since ${formatTime(info.startedAt)}`}>{formatDuration(uptime)}</span>, 'uptime'],
    ['Process id', String(info.pid), 'pid'],
    ['Node id', <code>{info.nodeId}</code>, 'node-id'],
    ['Data directory', <code>{info.dataDir}</code>, 'data-dir'],
    ['URL', info.url ? <code>{info.url}</code> : <span className="muted">not listening (desktop only)</span>, 'url'],
  ];
  return (
    <div className="card" data-testid="system-info">
      <div className="card-header">
        <h2>{info.name}</h2>
        <span className="muted small">The daemon this window talks to</span>
      </div>
      <dl className="kv">
        {rows.map(([label, value, id]) => (
          <div key={id} data-testid={`info-${id}`}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
