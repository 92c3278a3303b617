// The Cluster page against three real nats-server processes (clustered, JetStream) and three real
// daemons joined to them (alpha, beta, gamma; a 3 s TTL), plus a standalone daemon. Standalone,
// the page says so and its join form shows a refused password inline; with the right one it joins,
// and Leave (confirmed) makes it standalone again. In the cluster, alpha's page shows three nodes
// up with load, profiles and the Goal alpha runs, queues and fleet counts, refused bus messages;
// Drain on beta drains beta through the bus; gamma killed with SIGKILL turns down, and every
// NATS server killed turns the page "unreachable" — all live, without a reload.
// Screenshots (light and dark, 1280 and 900 px wide) go to /tmp/cluster-shots/.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, goTo, launchBrowser, makeGitRepo, openUi, REFINE_BIN, REPO_ROOT, startDaemon } from './harness.mjs';
import { eventually, scripted } from './work.mjs';

const run = promisify(execFile);
const SHOTS = process.env.CLUSTER_SHOTS_DIR || '/tmp/cluster-shots';
const USER = 'refine';
const PASSWORD = 's3cret-nats';

/** Every process this file starts, killed at exit whatever happens. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const alive = (child) => child.exitCode === null && child.signalCode === null;

async function kill(child, signal = 'SIGKILL') {
  if (!alive(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}


async function natsBinary() {
  if (process.env.REFINE_NATS_SERVER) return process.env.REFINE_NATS_SERVER;
  const { stdout } = await run(join(REPO_ROOT, 'tests/cluster/install.sh'), { timeout: 300_000 });
  return stdout.trim();
}

/**
 * One request through server `port` as a plain NATS client (no Refine code): the first reply's
 * payload. Used to see JetStream ready and to put a malformed message on the bus.
 */
function natsRequest(port, subject, payload = '', timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    let sent = false;
    const done = (error, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`no reply on ${subject}`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', (error) => done(error));
    socket.on('data', (chunk) => {
      buffer += chunk;
      if (!sent) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        buffer = buffer.slice(end + 2);
        sent = true;
        const hello = JSON.stringify({ user: USER, pass: PASSWORD, verbose: false, pedantic: false, headers: true });
        socket.write(`CONNECT ${hello}\r\nSUB _INBOX.t 1\r\nPUB ${subject} _INBOX.t ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
      }
      if (buffer.includes('-ERR')) return done(new Error(buffer.trim()));
      const msg = /MSG \S+ \S+ (\d+)\r\n/.exec(buffer);
      if (msg) {
        const start = msg.index + msg[0].length;
        const size = Number(msg[1]);
        if (buffer.length >= start + size) done(null, buffer.slice(start, start + size));
      }
    });
  });
}

/** Three clustered nats-server processes with JetStream, a user and a password. */
async function startNats(dir) {
  const bin = await natsBinary();
  assert.ok(existsSync(bin), `${bin} not found: tests/cluster/install.sh installs it`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const routes = [await freePort(), await freePort(), await freePort()];
  const routeList = routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers = [];
  for (let i = 0; i < 3; i++) {
    const log = createWriteStream(join(dir, `nats${i}.log`));
    const child = track(
      spawn(
        bin,
        [
          '-a', '127.0.0.1', '-p', String(ports[i]), '-js', '-sd', join(dir, `nats${i}`),
          '--server_name', `n${i}`, '--cluster_name', 'refine-test', '--cluster', `nats://127.0.0.1:${routes[i]}`,
          '--routes', routeList, '--user', USER, '--pass', PASSWORD,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    child.stderr.pipe(log);
    servers.push(child);
  }
  // JetStream is usable once the servers elected a meta leader.
  await eventually(
    async () => {
      const reply = await natsRequest(ports[0], '$JS.API.INFO');
      return reply.includes('"memory"') && !reply.includes('"error"');
    },
    { timeout: 30_000, interval: 300, message: 'the NATS cluster to form' },
  );
  return { ports, servers, url: (i) => `nats://127.0.0.1:${ports[i]}` };
}

/**
 * `refine --serve --port 0` on a fresh data dir with extra arguments and environment (the
 * harness's `startDaemon`, for nodes): the login link, `http`/`call` with the data dir's token,
 * the CLI, `kill`, `stop`.
 */
async function startNode(dir, args = [], env = {}) {
  const node = await startDaemon({ dataDir: dir, args, env });
  track(node.child);
  return { ...node, stop: () => kill(node.child, 'SIGTERM') };
}

/** The node joins again with a 3 s TTL, so a dead node is reported soon (`short_ttl` in tests/e2e/cluster.rs). */
async function shortTtl(node) {
  const s = await node.http('GET', '/api/v1/cluster');
  await node.http('POST', '/api/v1/cluster/join', { urls: s.urls, user: USER, password: PASSWORD, name: s.nodeName, ttlSecs: 3 });
}

/** `name → {health, draining}` as `node` sees the nodes. */
async function seen(node) {
  const nodes = await node.http('GET', '/api/v1/nodes');
  return Object.fromEntries(nodes.map((n) => [n.name, { health: n.health, draining: n.draining }]));
}

/** Full-page pictures in light and dark, 1280 and 900 px wide; back to light at 1280 after. */
async function shots(page, name, ready = async () => {}) {
  await mkdir(SHOTS, { recursive: true });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 900]) {
      await page.setViewportSize({ width, height: 900 });
      await ready();
      // From the top: sticky bars are drawn where they stand when the page is scrolled.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(350);
      await page.screenshot({ path: join(SHOTS, `${name}-${scheme}-${width}.png`), fullPage: true });
      // Nothing on the page is wider than its column.
      const overflow = await page.getByTestId('page-cluster').evaluate((el) => el.scrollWidth - el.clientWidth);
      assert.ok(overflow <= 0, `${name} ${scheme} ${width}: the page is ${overflow}px wider than its column`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 900 });
}

const card = (page, name) => page.locator(`[data-testid="node-card"][data-name="${name}"]`);

describe('cluster page', () => {
  let tmp;
  let nats;
  let alpha;
  let beta;
  let gamma;
  let solo;
  let browser;
  let repo;
  let running;
  let pinned;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'refine-cluster-browser-'));
    nats = await startNats(tmp);
    const credentials = { REFINE_CLUSTER_USER: USER, REFINE_CLUSTER_PASSWORD: PASSWORD };
    const names = ['alpha', 'beta', 'gamma'];
    [alpha, beta, gamma] = await Promise.all(names.map((name, i) => startNode(join(tmp, name), ['--cluster', nats.url(i), '--node-name', name], credentials)));
    for (const node of [alpha, beta, gamma]) await shortTtl(node);
    solo = await startNode(join(tmp, 'solo'));
    browser = await launchBrowser();
    for (const node of [alpha, beta, gamma]) {
      await eventually(
        async () => {
          const s = await seen(node);
          return ['alpha', 'beta', 'gamma'].every((n) => s[n]?.health === 'up');
        },
        { timeout: 30_000, interval: 250, message: 'three nodes up' },
      );
    }

    // Alpha works on one Goal (the scripted agent sleeps in implement) and holds one pinned to beta.
    repo = await makeGitRepo('fleet', { 'README.md': '# fleet\n' });
    await alpha.cli('apps', 'add', repo.dir);
    const settings = await alpha.http('GET', '/api/v1/settings');
    await alpha.http('PATCH', '/api/v1/settings', {
      scope: 'global',
      revision: settings.global.revision,
      patch: { agents: { defaultProfile: 'scripted' }, runner: { pollSeconds: 1, maxConcurrentGoals: 2 } },
    });
    await alpha.http('POST', '/api/v1/runner/pause', { reason: null });
    running = await alpha.http('POST', '/api/v1/work/goals', { title: 'Index the catalogue', status: 'todo', prompt: scripted(['implement: sleep 600']) });
    pinned = await alpha.http('POST', '/api/v1/work/goals', { title: 'Resize the thumbnails', status: 'todo', prompt: scripted(['implement: sleep 600']) });
    await alpha.http('POST', '/api/v1/work/goals/assign', { goalId: pinned.id, nodeId: 'beta' });
    await alpha.http('POST', '/api/v1/runner/resume', { reason: null });
    await eventually(async () => (await alpha.http('GET', '/api/v1/nodes/alpha')).running.some((g) => g.goalId === running.id), {
      timeout: 30_000,
      message: 'alpha to run its Goal',
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.all([alpha, beta, gamma, solo].filter(Boolean).map((d) => d.stop()));
    await Promise.all((nats?.servers ?? []).map((s) => kill(s)));
    await repo?.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('standalone: says so; a refused password shows inline; joins, and leaves once confirmed', async () => {
    const { page, context } = await openUi(browser, solo, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'cluster');
    const mode = page.getByTestId('cluster-mode');
    await mode.waitFor();
    assert.equal(await mode.getAttribute('data-mode'), 'standalone');
    assert.equal(await page.getByTestId('cluster-mode-title').innerText(), 'Standalone — this machine works alone');
    assert.equal(await page.getByTestId('node-card').count(), 1);
    assert.equal(await page.getByTestId('node-self').count(), 1, 'the one node is marked as this one');
    assert.equal(await page.getByTestId('node-health').innerText(), 'up');
    assert.equal(await page.getByTestId('cluster-leave').count(), 0, 'nothing to leave');

    // Nothing typed: said at once, nothing sent.
    await page.getByTestId('join-submit').click();
    assert.match(await page.getByTestId('join-error').innerText(), /at least one NATS server/);

    // The wrong password: the server's 400, inline; nothing stored.
    await page.getByTestId('join-urls').fill(nats.url(0));
    await page.getByTestId('join-user').fill(USER);
    await page.getByTestId('join-password').fill('wrong');
    await page.getByTestId('join-name').fill('solo');
    await page.getByTestId('join-ttl').fill('3');
    await page.getByTestId('join-submit').click();
    const error = page.locator('[data-testid="join-error"][data-status="400"]');
    await error.waitFor({ timeout: 20_000 });
    assert.match(await error.innerText(), /refused the credentials/);
    assert.equal((await solo.http('GET', '/api/v1/cluster')).mode, 'standalone');
    assert.equal(await mode.getAttribute('data-mode'), 'standalone');
    await shots(page, 'standalone-refused');

    // The right one: connected, live; the other nodes appear.
    await page.getByTestId('join-password').fill(PASSWORD);
    await page.getByTestId('join-submit').click();
    await page.locator('[data-testid="cluster-mode"][data-mode="connected"]').waitFor({ timeout: 20_000 });
    assert.match(await page.getByTestId('cluster-mode-title').innerText(), /^Connected to 1 server$/);
    assert.match(await page.getByTestId('cluster-servers').innerText(), new RegExp(nats.url(0).replace(/[.:/]/g, '\\$&')));
    assert.match(await page.getByTestId('cluster-ttl').innerText(), /TTL\s+3 s$/);
    await card(page, 'alpha').waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('join-form').count(), 0, 'the join form is for standalone nodes');

    // Leave asks first; Cancel keeps it joined.
    await page.getByTestId('cluster-leave').click();
    assert.match(await page.getByTestId('cluster-leave-confirm').innerText(), /Leave the cluster\?/);
    await page.getByTestId('cluster-leave-confirm').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByTestId('cluster-leave-confirm').count(), 0);
    assert.equal((await solo.http('GET', '/api/v1/cluster')).mode, 'connected');
    await page.getByTestId('cluster-leave').click();
    await page.getByTestId('cluster-leave-confirm-button').click();
    await page.locator('[data-testid="cluster-mode"][data-mode="standalone"]').waitFor({ timeout: 20_000 });
    await eventually(async () => (await page.getByTestId('node-card').count()) === 1, { message: 'only this node again' });
    assert.equal((await solo.http('GET', '/api/v1/cluster')).mode, 'standalone');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('three nodes: live health and load, drain through the bus, a dead node, NATS gone', async () => {
    // Solo left (and if the test before stopped half-way, it leaves now): the others forget it.
    if ((await solo.http('GET', '/api/v1/cluster')).mode !== 'standalone') await solo.http('POST', '/api/v1/cluster/leave', {});
    await eventually(async () => Object.keys(await seen(alpha)).length === 3, { timeout: 20_000, message: 'alpha to forget solo' });

    const { page, context } = await openUi(browser, alpha, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'cluster');
    await page.locator('[data-testid="cluster-mode"][data-mode="connected"]').waitFor();
    await page.evaluate(() => {
      window.notReloaded = true;
    });
    for (const name of ['alpha', 'beta', 'gamma']) await page.locator(`[data-testid="node-card"][data-name="${name}"][data-health="up"]`).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('node-card').count(), 3);
    assert.deepEqual(await page.getByTestId('node-card').evaluateAll((cards) => cards.map((c) => c.dataset.name)), ['alpha', 'beta', 'gamma'], 'this node first');
    assert.equal(await card(page, 'alpha').getByTestId('node-self').count(), 1);
    assert.equal(await card(page, 'beta').getByTestId('node-self').count(), 0);
    assert.match(await page.getByTestId('cluster-mode-title').innerText(), /^Connected to 1 server$/);
    assert.match(await page.getByTestId('stat-nodes').innerText(), /3\s+3 up · 0 down · 0 draining/);

    // Alpha runs its Goal: load "1 of 2", a link to the Goal with its phase; the queue holds the pinned one.
    const alphaCard = card(page, 'alpha');
    await alphaCard.locator(`[data-testid="node-goal"][data-goal="${running.id}"]`).waitFor({ timeout: 20_000 });
    assert.match(await alphaCard.getByTestId('node-load').innerText(), /1 of 2/);
    const goalLink = alphaCard.locator(`[data-testid="node-goal"][data-goal="${running.id}"] a`);
    assert.equal(await goalLink.getAttribute('href'), `#/goals/${running.id}`);
    assert.match(await goalLink.innerText(), /#\d+ Index the catalogue/);
    assert.match(await alphaCard.getByTestId('node-profiles').innerText(), /scripted/);
    assert.match(await card(page, 'beta').getByTestId('node-idle').innerText(), /None running/);
    const queue = page.locator('[data-testid="queue-row"][data-app="fleet"]');
    await queue.waitFor();
    assert.equal(await queue.getAttribute('data-depth'), '1');
    assert.equal(await queue.getAttribute('data-running'), '1');
    assert.match(await page.getByTestId('stat-queued').innerText(), /^QUEUED\s+1/i);
    assert.equal(await page.locator('[data-testid="load-row"][data-name="alpha"]').getAttribute('data-load'), '1');

    // A malformed message on the bus is refused and counted (no event says so: the page asks again while joined).
    const ack = await natsRequest(nats.ports[1], '$KV.refine-nodes.01a24f3a-2397-71ca-b8c0-459ef4062889', '{not json', 5000);
    assert.match(ack, /"seq"/);
    const refused = page.getByTestId('cluster-refused');
    await refused.waitFor({ timeout: 20_000 });
    assert.match(await refused.innerText(), /\d+ messages? from the bus (was|were) refused/);
    assert.match(await page.getByTestId('cluster-problems').innerText(), /not JSON/);
    await shots(page, 'connected', () => alphaCard.locator('[data-testid="node-goal"]').first().waitFor());

    // Joining again is offered folded, filled with what is stored (never the password).
    await page.getByTestId('rejoin').locator('summary').click();
    const rejoin = page.getByTestId('rejoin-form');
    await rejoin.waitFor();
    assert.equal(await rejoin.getByTestId('join-urls').inputValue(), nats.url(0));
    assert.equal(await rejoin.getByTestId('join-user').inputValue(), USER);
    assert.equal(await rejoin.getByTestId('join-password').inputValue(), '');
    assert.equal(await rejoin.getByTestId('join-name').inputValue(), 'alpha');
    assert.equal(await rejoin.getByTestId('join-ttl').inputValue(), '3');
    await rejoin.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'rejoin-light-1280.png') });
    await page.getByTestId('rejoin').locator('summary').click();

    // Drain beta from alpha's page: asked through the bus, beta drains and says so.
    await card(page, 'beta').getByTestId('node-drain').click();
    await page.locator('[data-testid="node-card"][data-name="beta"][data-draining="true"]').waitFor({ timeout: 20_000 });
    assert.equal(await card(page, 'beta').getByTestId('node-draining').innerText(), 'draining');
    assert.equal(await card(page, 'beta').getByTestId('node-undrain').count(), 1);
    assert.equal((await beta.http('GET', '/api/v1/nodes/beta')).draining, true, 'beta itself is draining');
    assert.match(await page.getByTestId('stat-nodes').innerText(), /1 draining/);

    // Gamma dies: down after the TTL, on the open page.
    await kill(gamma.child);
    await page.locator('[data-testid="node-card"][data-name="gamma"][data-health="down"]').waitFor({ timeout: 20_000 });
    assert.equal(await card(page, 'gamma').getByTestId('node-health').innerText(), 'down');
    assert.match(await page.getByTestId('stat-nodes').innerText(), /2 up · 1 down · 1 draining/);
    await shots(page, 'gamma-down');

    // Every NATS server dies: unreachable, said in red; the others' health is unknown.
    await Promise.all(nats.servers.map((s) => kill(s)));
    await page.locator('[data-testid="cluster-mode"][data-mode="unreachable"]').waitFor({ timeout: 20_000 });
    const banner = page.getByTestId('cluster-unreachable');
    await banner.waitFor();
    assert.match(await banner.innerText(), /^Cluster unreachable: \S/);
    await page.locator('[data-testid="node-card"][data-name="beta"][data-health="unknown"]').waitFor({ timeout: 20_000 });
    assert.equal(await card(page, 'alpha').getAttribute('data-health'), 'up', 'this node is always up');
    await eventually(async () => /1 up · 0 down · 1 draining · 2 unknown/.test(await page.getByTestId('stat-nodes').innerText()), { message: 'the counts to say 2 unknown' });

    // Beta cannot be undrained from here now: the daemon's 503, inline on beta's card.
    await card(page, 'beta').getByTestId('node-undrain').click();
    const drainError = card(page, 'beta').getByTestId('node-drain-error');
    await drainError.waitFor();
    assert.match(await drainError.innerText(), /^503: .*unreachable/);
    await shots(page, 'unreachable');

    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was never reloaded');
    assert.deepEqual(page.errors, []);

    // The Goal pinned to beta says so on its page.
    await page.goto(`${alpha.baseUrl}#/goals/${pinned.id}`);
    const pin = page.getByTestId('goal-pinned');
    await pin.waitFor();
    // By name once the nodes are loaded.
    await eventually(async () => (await pin.innerText()) === 'beta', { message: 'the pin by name' });
    const worker = page.getByTestId('goal-node');
    await eventually(async () => (await worker.innerText()) === 'alpha (this node)', { message: 'the node that works it, by name' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
