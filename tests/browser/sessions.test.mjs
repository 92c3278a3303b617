// Browser sessions and what another local server gets: the browser holds a session secret of
// its own in origin-scoped storage (never the data dir's token, never a cookie), a page served
// on another port of 127.0.0.1 (the target app, anything an agent starts) gets nothing from the
// daemon through that browser, and sessions are listed and revocable in Settings and the CLI.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';

/** A plain local web server on another port that records every request it receives. */
async function startOtherServer(pageHtml) {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pageHtml);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('browser sessions', () => {
  let daemon;
  let browser;
  let token;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    token = (await readFile(join(daemon.dataDir, 'token'), 'utf8')).trim();
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  test('the browser keeps its own session secret, never the token or a cookie', async () => {
    const { page, context } = await openUi(browser, daemon);
    const secret = await page.evaluate(() => localStorage.getItem('refine.session'));
    assert.match(secret, /^rs_[0-9a-f]{64}$/);
    assert.notEqual(secret, token);
    assert.deepEqual(await context.cookies(), [], 'no cookie at all');
    assert.equal(await page.evaluate(() => document.cookie), '');
    const html = await page.content();
    assert.ok(!html.includes(token), 'the token is nowhere in the page');
    assert.ok(!page.url().includes('login='), 'the login code left the address bar');
    await context.close();
  });

  test('a login link works once', async () => {
    const link = await daemon.loginLink();
    const first = await browser.newContext();
    const a = await first.newPage();
    await a.goto(link);
    await a.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
    const second = await browser.newContext();
    const b = await second.newPage();
    await b.goto(link);
    await b.getByTestId('sign-in-error').waitFor();
    assert.match(await b.getByTestId('sign-in-error').innerText(), /used already|expired/);
    await screenshot(b, 'sign-in-used-link');
    await first.close();
    await second.close();
  });

  test('a page on another local port gets nothing: no cookie, no GET with effects, no WebSocket', async () => {
    const target = new URL(daemon.baseUrl);
    const port = target.port;
    // A terminal to aim at, and the state before the attempts.
    const { page: ui, context: uiContext } = await openUi(browser, daemon);
    const before = await daemon.http('GET', '/api/v1/activity?limit=200');
    const processesBefore = await daemon.http('GET', '/api/v1/processes');
    const hostile = `<!doctype html><title>other app</title><body>
      <img id="img" src="http://127.0.0.1:${port}/api/v1/agents/detect">
      <img src="http://127.0.0.1:${port}/api/v1/work/export?format=json">
      <img src="http://127.0.0.1:${port}/api/v1/dashboard">
      <form id="f" method="POST" action="http://127.0.0.1:${port}/api/v1/processes" enctype="text/plain">
        <input name='{"argv":["touch","/tmp/refine-pwned-${port}"],"x":"' value='"}'>
      </form>
      <script>
        window.results = {};
        window.results.storage = localStorage.getItem('refine.session');
        fetch('http://127.0.0.1:${port}/api/v1/apps', { credentials: 'include' })
          .then(r => { window.results.fetch = r.status; }, () => { window.results.fetch = 'blocked'; });
        fetch('http://127.0.0.1:${port}/api/v1/processes', { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ argv: ['touch', '/tmp/refine-pwned-${port}'] }) })
          .then(() => { window.results.post = 'sent'; }, () => { window.results.post = 'blocked'; });
        const ws = new WebSocket('ws://127.0.0.1:${port}/api/v1/terminal/x/ws', ['refine']);
        ws.onopen = () => { window.results.ws = 'open'; };
        ws.onerror = () => { window.results.ws = 'refused'; };
      </script></body>`;
    const other = await startOtherServer(hostile);
    const page = await uiContext.newPage();
    await page.goto(other.url);
    await page.waitForFunction(() => window.results && window.results.ws && window.results.fetch && window.results.post, null, { timeout: 10_000 });
    const results = await page.evaluate(() => window.results);
    assert.equal(results.storage, null, "another origin cannot read the daemon's session");
    assert.equal(results.ws, 'refused');
    assert.equal(results.fetch, 'blocked', 'no CORS: the answer is unreadable');
    await page.evaluate(() => document.getElementById('f').submit());
    await page.waitForLoadState('load');
    await ui.waitForTimeout(500);

    // What the other server received from this browser: no credentials of the daemon's.
    for (const r of other.seen) {
      const all = JSON.stringify(r.headers);
      assert.ok(!all.includes(token), 'the token never reaches another port');
      assert.ok(!/rs_[0-9a-f]{64}/.test(all), 'nor the session secret');
      assert.equal(r.headers.cookie, undefined, 'no cookie at all');
    }
    // The daemon did nothing for those requests.
    const processesAfter = await daemon.http('GET', '/api/v1/processes');
    assert.equal(processesAfter.length, processesBefore.length, 'no process was started');
    const after = await daemon.http('GET', '/api/v1/activity?limit=200');
    const fresh = after.items.filter((a) => !before.items.some((b) => b.id === a.id));
    assert.deepEqual(fresh.map((a) => a.operation), [], 'no mutation ran');
    await other.close();
    await uiContext.close();
  });

  test('Settings → Sessions lists this browser; revoking it from the CLI signs it out', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'settings');
    await page.getByTestId('settings-tab-sessions').click();
    await page.getByTestId('page-settings-sessions').waitFor();
    const mine = page.getByTestId('session-row').filter({ hasText: 'this browser' });
    await mine.waitFor();
    assert.match(await mine.innerText(), /Chrome/);
    await screenshot(page, 'settings-sessions');
    const id = await mine.getAttribute('data-session');

    const listed = JSON.parse(await daemon.cli('sessions', 'list', '--json'));
    assert.ok(listed.some((s) => s.id === id && s.revokedAt === null));
    await daemon.cli('sessions', 'revoke', id);
    // The event stream of that session ends; the next request is refused: the page says so.
    await page.reload();
    await page.getByTestId('sign-in').waitFor();
    const after = JSON.parse(await daemon.cli('sessions', 'list', '--json'));
    assert.ok(after.find((s) => s.id === id).revokedAt, 'revoked, kept for the record');
    await context.close();
  });
});
