// Requests the UI makes per page load and per live event, for the Goal page and the Dashboard.
// Prints figures; asserts nothing. Uses the browser-test harness (a real daemon on a temp data
// dir, Debian's chromium through playwright-core):
//
//   REFINE_BIN=$PWD/target/debug/refine node tests/bench/ui-requests.mjs
//
// A "page load" is a full navigation to the page, counted until the network has been quiet for
// QUIET_MS. A "live event" is one mutation made by another surface (the HTTP API, as an agent
// would); the daemon publishes one or more events for it, counted on a second SSE connection, so
// the figures are requests per mutation and per event received. A "return visit" goes to another
// page and back through the app, without reloading it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchBrowser, openUi, startDaemon } from '../browser/harness.mjs';
import { addApp, callCli } from '../browser/work.mjs';

const QUIET_MS = 1000;
const ROUNDS = 3;

/** Counts `/api/v1/` requests (not the event stream) and tells when the page went quiet. */
function requestCounter(page) {
  const seen = [];
  let pending = 0;
  let last = Date.now();
  const isApi = (request) => {
    const url = new URL(request.url());
    return url.pathname.startsWith('/api/v1/') && url.pathname !== '/api/v1/events';
  };
  page.on('request', (request) => {
    if (!isApi(request)) return;
    const url = new URL(request.url());
    seen.push(`${request.method()} ${url.pathname}`);
    pending++;
    last = Date.now();
  });
  const settle = (request) => {
    if (!isApi(request)) return;
    pending--;
    last = Date.now();
  };
  page.on('requestfinished', settle);
  page.on('requestfailed', settle);
  return {
    /** Requests since the last `take()`, once the page has been quiet for QUIET_MS. */
    async take() {
      const start = Date.now();
      while (pending > 0 || Date.now() - Math.max(last, start) < QUIET_MS) await new Promise((r) => setTimeout(r, 50));
      return seen.splice(0);
    },
  };
}

/** A second live connection that only counts events (what one more UI window would receive). */
async function eventCounter(daemon) {
  const token = (await readFile(join(daemon.dataDir, 'token'), 'utf8')).trim();
  const controller = new AbortController();
  const response = await fetch(new URL('/api/v1/events', daemon.baseUrl), {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const kinds = [];
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (data) kinds.push(JSON.parse(data).kind);
        }
      }
    } catch {
      // Aborted at the end.
    }
  })();
  return { take: () => kinds.splice(0), stop: () => controller.abort() };
}

function tally(list) {
  const counts = new Map();
  for (const item of list) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
}

async function measurePage(page, requests, events, { name, url, ready, away, mutations }) {
  console.log(`\n## ${name}`);
  await page.goto('about:blank');
  await page.goto(url);
  await page.locator(ready).first().waitFor({ timeout: 15_000 });
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
  const load = await requests.take();
  events.take();
  console.log(`page load: ${load.length} requests`);
  for (const line of tally(load)) console.log(`    ${line}`);
  let totalRequests = 0;
  let totalEvents = 0;
  for (const [label, mutate] of mutations) {
    const perRound = [];
    for (let i = 0; i < ROUNDS; i++) {
      await mutate(i);
      const made = await requests.take();
      const got = events.take();
      perRound.push({ made, got });
      totalRequests += made.length;
      totalEvents += got.length;
    }
    const made = perRound.reduce((n, r) => n + r.made.length, 0) / ROUNDS;
    const got = perRound.reduce((n, r) => n + r.got.length, 0) / ROUNDS;
    console.log(`${label}: ${made.toFixed(1)} requests per mutation, ${got.toFixed(1)} events (${tally(perRound.flatMap((r) => r.got)).join(', ')})`);
    for (const line of tally(perRound.flatMap((r) => r.made))) console.log(`    ${line}`);
  }
  console.log(`per live event: ${(totalRequests / Math.max(totalEvents, 1)).toFixed(2)} requests (${totalRequests} requests / ${totalEvents} events)`);

  // Away to another page and back through the app (no reload): what the page asks for again.
  await page.getByTestId(`nav-${away}`).click();
  await page.getByTestId(`page-${away}`).waitFor();
  await requests.take();
  await page.goBack();
  await page.locator(ready).first().waitFor();
  const back = await requests.take();
  console.log(`return visit (${away} and back): ${back.length} requests`);
  for (const line of tally(back)) console.log(`    ${line}`);
}

const daemon = await startDaemon();
const browser = await launchBrowser();
const repo = await addApp(daemon, 'bench');
let events;
try {
  const feature = await callCli(daemon, 'features.create', { name: 'Checkout' });
  const goal = await callCli(daemon, 'goals.create', { title: 'Pay by card', status: 'todo', featureId: feature.feature.id });
  const other = await callCli(daemon, 'goals.create', { title: 'Receipts', status: 'todo' });
  for (let i = 0; i < 5; i++) await callCli(daemon, 'goals.create', { title: `Filler ${i + 1}` });

  const { page, context } = await openUi(browser, daemon);
  const requests = requestCounter(page);
  events = await eventCounter(daemon);
  await requests.take();

  const patch = (id, body) => daemon.http('PATCH', `/api/v1/work/goals/${id}`, body);
  const retitle = (id) => (i) => patch(id, { title: `Retitled ${Date.now()} ${i}` });
  const create = (i) => daemon.http('POST', '/api/v1/work/goals', { title: `New ${Date.now()} ${i}` });
  let otherState = 'todo';
  const toggleOther = () => {
    otherState = otherState === 'todo' ? 'backlog' : 'todo';
    return daemon.http('POST', '/api/v1/workflow/move', { goalId: other.id, to: otherState });
  };

  await measurePage(page, requests, events, {
    name: `Goal page (#/goals/${goal.id})`,
    url: new URL(`/#/goals/${goal.id}`, daemon.baseUrl).href,
    ready: '[data-testid="page-goal"]',
    away: 'board',
    mutations: [
      ['this goal retitled', retitle(goal.id)],
      ['another goal moved', toggleOther],
      ['another goal created', create],
    ],
  });
  await measurePage(page, requests, events, {
    name: 'Dashboard (#/dashboard)',
    url: new URL('/#/dashboard', daemon.baseUrl).href,
    ready: '[data-testid="state-chart"]',
    away: 'goals',
    mutations: [
      ['a goal retitled', retitle(goal.id)],
      ['a goal moved', toggleOther],
      ['a goal created', create],
    ],
  });
  await context.close();
} finally {
  events?.stop();
  await browser.close();
  await daemon.stop();
  await repo.cleanup();
}
