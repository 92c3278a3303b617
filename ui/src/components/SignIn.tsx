import { useState, type FormEvent } from 'react';
import { exchangeLoginCode, loginCode, useSession } from '../api/session';
import { Banner } from './Feedback';

/**
 * Shown instead of the workspace while this browser is not signed in: how to get a login link,
 * and a field to paste one.
 */
export function SignIn() {
  const { loginError } = useSession();
  const [link, setLink] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const code = loginCode(link);
    if (!code) {
      setProblem('That is not a Refine login link (it ends in #login= and 64 hex digits).');
      return;
    }
    setBusy(true);
    setProblem(null);
    if (await exchangeLoginCode(code)) window.location.reload();
    setBusy(false);
  };

  return (
    <div className="page sign-in" data-testid="sign-in">
      <h1>Sign in to this Refine daemon</h1>
      <p>
        This browser has no session with the daemon (or its session ended). In a terminal, run <code>refine open</code>: it prints a login
        link that works once, for 15 minutes. Open it here, or paste it below.
      </p>
      {(problem ?? loginError) && (
        <Banner tone="error" testId="sign-in-error">
          {problem ?? loginError}
        </Banner>
      )}
      <form className="sign-in-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="login-link">Login link</label>
        <input
          id="login-link"
          value={link}
          onChange={(e) => setLink(e.target.value)}
          placeholder="http://127.0.0.1:7878/#login=…"
          autoComplete="off"
          spellCheck={false}
          data-testid="login-link"
        />
        <button type="submit" className="button primary" disabled={busy || !link.trim()} data-testid="sign-in-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        The browser keeps its own session secret, readable only by this page; the daemon&apos;s token never reaches the browser. Sessions are
        listed under Settings → Sessions and with <code>refine sessions list</code>.
      </p>
    </div>
  );
}
