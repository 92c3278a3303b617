import { useId, useState, type FormEvent } from 'react';
import { useAction } from '../../api/hooks';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/toastContext';
import type { ClusterStatus, JoinInput } from '../../gen/bindings';

const TTL_MIN = 3;
const TTL_MAX = 300;
const TTL_DEFAULT = 15;

/** URLs typed one per line, or separated by commas or spaces. */
function parseUrls(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/**
 * `cluster.join`: the NATS servers, credentials, this node's name and the heartbeat TTL. The
 * daemon connects before it saves anything, so refused credentials (400) and servers that do not
 * answer (503) come back here, next to the form. The password is sent once and never shown again.
 */
export function JoinForm({ status, rejoin = false }: { status: ClusterStatus; rejoin?: boolean }) {
  const toast = useToast();
  const id = useId();
  const [urls, setUrls] = useState(() => status.urls.join(', '));
  const [user, setUser] = useState(() => status.user ?? '');
  const [password, setPassword] = useState('');
  const [name, setName] = useState(() => (rejoin ? status.nodeName : ''));
  const [ttl, setTtl] = useState(() => (rejoin ? String(status.ttlSecs) : ''));
  const [invalid, setInvalid] = useState<string | null>(null);
  const join = useAction('cluster.join', {
    onSuccess: (m) => {
      setPassword('');
      toast.show('success', `Joined the cluster as ${m.nodeName || status.nodeName}`, `${m.urls.length} server${m.urls.length === 1 ? '' : 's'}: ${m.urls.join(', ')}`);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const list = parseUrls(urls);
    const ttlText = ttl.trim();
    const ttlSecs = ttlText === '' ? null : Number(ttlText);
    if (list.length === 0) {
      setInvalid('Enter the URL of at least one NATS server, e.g. nats://127.0.0.1:4222.');
      return;
    }
    if (ttlSecs !== null && !(Number.isInteger(ttlSecs) && ttlSecs >= TTL_MIN && ttlSecs <= TTL_MAX)) {
      setInvalid(`The TTL is a whole number of seconds from ${TTL_MIN} to ${TTL_MAX}.`);
      return;
    }
    setInvalid(null);
    const input: JoinInput = {
      urls: list,
      user: user.trim() || null,
      password: password === '' ? null : password,
      name: name.trim() || null,
      ttlSecs,
    };
    void join.run(input);
  };

  const error = invalid ?? join.error?.message;
  const hint =
    invalid === null && join.error?.status === 503
      ? 'No server answered: is nats-server running, and reachable from this machine?'
      : invalid === null && join.error?.status === 400 && /credential|password|authoriz/i.test(join.error.message)
        ? 'Check the user and password the NATS servers expect.'
        : null;
  const errorId = `${id}-error`;

  return (
    <form className={rejoin ? 'join-form' : 'card join-form'} onSubmit={submit} noValidate aria-labelledby={`${id}-title`} data-testid={rejoin ? 'rejoin-form' : 'join-form'}>
      {!rejoin && (
        <div className="card-header">
          <h2 id={`${id}-title`}>Join a cluster</h2>
          <span className="muted small">Through NATS JetStream. Servers off this machine must use tls://; nothing is saved unless the servers accept.</span>
        </div>
      )}
      {rejoin && (
        <p className="muted small" id={`${id}-title`}>
          Join again with other servers, credentials, name or TTL. The password is never shown: enter it again.
        </p>
      )}
      <div className="join-fields">
        <label className="field join-urls">
          <span className="field-label">NATS servers</span>
          <input
            value={urls}
            onChange={(e) => setUrls(e.target.value)}
            placeholder="nats://127.0.0.1:4222, nats://127.0.0.1:4223"
            spellCheck={false}
            autoComplete="off"
            className="mono"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            data-testid="join-urls"
          />
        </label>
        <label className="field">
          <span className="field-label">
            User <span className="muted">(optional)</span>
          </span>
          <input value={user} onChange={(e) => setUser(e.target.value)} autoComplete="username" spellCheck={false} data-testid="join-user" />
        </label>
        <label className="field">
          <span className="field-label">
            Password <span className="muted">(optional)</span>
          </span>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" data-testid="join-password" />
        </label>
        <label className="field">
          <span className="field-label">This node’s name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder={status.nodeName} spellCheck={false} data-testid="join-name" />
        </label>
        <label className="field join-ttl">
          <span className="field-label">TTL (s)</span>
          <input
            type="number"
            min={TTL_MIN}
            max={TTL_MAX}
            step={1}
            value={ttl}
            onChange={(e) => setTtl(e.target.value)}
            placeholder={String(TTL_DEFAULT)}
            title={`Seconds without a heartbeat before a node counts as down (${TTL_MIN}–${TTL_MAX}, default ${TTL_DEFAULT})`}
            data-testid="join-ttl"
          />
        </label>
      </div>
      <div className="join-footer">
        {error ? (
          <div className="join-error" id={errorId} role="alert" data-testid="join-error" data-status={join.error?.status ?? ''}>
            <p className="field-error">{error}</p>
            {hint && <p className="muted small">{hint}</p>}
          </div>
        ) : (
          <span className="muted small">A node not heard from for the TTL counts as down. Default {TTL_DEFAULT} s.</span>
        )}
        <button type="submit" className="button primary" disabled={join.busy} data-testid="join-submit">
          <Icon name="cluster" /> {join.busy ? 'Connecting…' : rejoin ? 'Join again' : 'Join cluster'}
        </button>
      </div>
    </form>
  );
}
