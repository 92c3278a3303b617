// The UI's data layer: one cache keyed by operation and input, kept current by live events.
// (a) Parts of a screen showing the same Goal share one request; a dialog opened later asks for
// nothing it already has. (b) A change made through another surface refreshes every part with
// one request, and a query nobody is watching is not fetched until a screen shows it again.
// (c) A board drag moves the card at once and puts it back, with the daemon's reason, on a 409.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, drag } from './work.mjs';

/** Counts the page's API requests (not the event stream) by `METHOD /path`. */
function countRequests(page) {
  const seen = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/v1/') && url.pathname !== '/api/v1/events') seen.push(`${request.method()} ${url.pathname}`);
  });
  return {
    count: (what) => seen.filter((r) => r === what).length,
    all: () => [...seen],
  };
}

/** Waits until no API request has been made for `ms` (debounced refetches included). */
async function settle(page, ms = 600) {
  let last = Date.now();
  const mark = () => (last = Date.now());
  page.on('request', mark);
  page.on('requestfinished', mark);
  while (Date.now() - last < ms) await new Promise((r) => setTimeout(r, 50));
  page.off('request', mark);
  page.off('requestfinished', mark);
}

describe('data flow', () => {
  let daemon;
  let browser;
  const cleanups = [];
  let second;
  let goal;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'ledger')).cleanup);
    const feature = await callCli(daemon, 'features.create', { name: 'Statements' });
    await callCli(daemon, 'goals.create', { title: 'Monthly statement', status: 'todo', featureId: feature.feature.id });
    second = await callCli(daemon, 'goals.create', { title: 'Statement email', status: 'todo', featureId: feature.feature.id });
    goal = await callCli(daemon, 'goals.create', { title: 'Export to CSV', priority: 1, labels: ['export'] });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('parts of the Goal page share one request, and an event refreshes them all with one more', async () => {
    const { page, context } = await openUi(browser, daemon);
    const requests = countRequests(page);
    const goalPath = `GET /api/v1/work/goals/${goal.id}`;
    await page.goto(new URL(`/#/goals/${goal.id}`, daemon.baseUrl).href);
    await page.getByTestId('page-goal').waitFor();
    // The header, the workflow panel and the facts each ask for the Goal themselves.
    await page.getByTestId('transition-panel').waitFor();
    await page.getByTestId('goal-facts').waitFor();
    await settle(page);
    assert.equal(requests.count(goalPath), 1, `one request for the Goal (${requests.all().join(', ')})`);
    assert.equal(await page.getByTestId('transition-panel').getAttribute('data-status'), 'backlog');
    assert.equal(await page.getByTestId('goal-facts').getAttribute('data-priority'), '1');

    // "New goal" needs the Features and the reporters the page already has: nothing is asked.
    const features = requests.count('GET /api/v1/work/features');
    const reporters = requests.count('GET /api/v1/reporters');
    assert.equal(features, 1);
    assert.equal(reporters, 1);
    await page.keyboard.press('n');
    await page.getByTestId('new-goal-dialog').waitFor();
    await settle(page);
    assert.equal(requests.count('GET /api/v1/work/features'), features, 'the dialog reuses the Features');
    assert.equal(requests.count('GET /api/v1/reporters'), reporters, 'the dialog reuses the reporters');
    await page.keyboard.press('Escape');
    await page.getByTestId('new-goal-dialog').waitFor({ state: 'detached' });

    // Another surface (an agent over HTTP) edits the Goal: header and facts follow, one request.
    await daemon.http('PATCH', `/api/v1/work/goals/${goal.id}`, { title: 'Export to CSV and JSON', priority: 3 });
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent?.includes('Export to CSV and JSON'), null, { timeout: 10_000 });
    await page.locator('[data-testid="goal-facts"][data-priority="3"]').waitFor();
    await settle(page);
    assert.equal(requests.count(goalPath), 2, 'the change is fetched once for every part');

    // The CLI moves it: status badge and workflow panel follow, again with one request.
    await callCli(daemon, 'workflow.move', { goalId: goal.id, to: 'todo' });
    await page.locator('[data-testid="goal-status"][data-status="todo"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="transition-panel"][data-status="todo"]').waitFor();
    await settle(page);
    assert.equal(requests.count(goalPath), 3);
    await screenshot(page, 'dataflow-goal-light');

    // Nobody shows the Goal on the board: a change to it is not fetched there...
    await goTo(page, 'board');
    await page.locator(`[data-testid="board-card"][data-goal-id="${goal.id}"]`).waitFor();
    await settle(page);
    const beforeEdit = requests.count(goalPath);
    await daemon.http('PATCH', `/api/v1/work/goals/${goal.id}`, { priority: 5 });
    // The board puts the changed Goal in place from the event itself.
    await page.locator(`[data-testid="board-card"][data-goal-id="${goal.id}"] [title="Priority 5"]`).waitFor({ timeout: 10_000 });
    await settle(page);
    assert.equal(requests.count(goalPath), beforeEdit, 'a query nobody watches is not fetched');
    // ...until the Goal page shows it again: then it is asked once, and shows the change.
    await page.goBack();
    await page.locator('[data-testid="goal-facts"][data-priority="5"]').waitFor({ timeout: 10_000 });
    await settle(page);
    assert.equal(requests.count(goalPath), beforeEdit + 1);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a board drag moves the card at once and rolls back on a 409, with the reason', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'board');
    const card = page.locator(`[data-testid="board-card"][data-goal-id="${second.id}"]`);
    await card.waitFor();
    // Hold the daemon's answer to the move, so the card's first position can be seen.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const answers = [];
    // The moves' answers (the Board also reads from /workflow/: why Goals wait, after it painted).
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && new URL(response.url()).pathname.startsWith('/api/v1/workflow/')) answers.push(response.status());
    });
    await page.route('**/api/v1/workflow/*', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await held;
      await route.continue();
    });

    // The 2nd Goal of the Feature may not start while the 1st is in todo.
    await drag(page, card, page.getByTestId('board-column-plan'));
    const moved = page.getByTestId('board-column-plan').locator(`[data-goal-id="${second.id}"]`);
    await moved.waitFor({ timeout: 2000 });
    assert.equal(await moved.getAttribute('aria-busy'), 'true', 'shown in its new column while the daemon is asked');
    assert.equal(await page.getByTestId('board-count-plan').innerText(), '1');
    await screenshot(page, 'dataflow-board-pending-dark');

    release();
    await page.getByTestId('board-refusal').waitFor();
    assert.deepEqual(answers, [409]);
    assert.match(await page.getByTestId('board-refusal-reason').innerText(), /cannot start: waiting for #1/);
    await page.getByTestId('board-column-todo').locator(`[data-goal-id="${second.id}"]`).waitFor();
    assert.equal(await page.getByTestId('board-count-plan').innerText(), '0');
    assert.equal((await callCli(daemon, 'goals.get', { id: second.id })).status, 'todo');
    await screenshot(page, 'dataflow-board-refused-dark');
    await page.unroute('**/api/v1/workflow/*');

    // An allowed move (the highest-priority Goal in todo) lands and stays.
    await drag(page, page.locator(`[data-testid="board-card"][data-goal-id="${goal.id}"]`), page.getByTestId('board-column-plan'));
    await page.getByTestId('board-column-plan').locator(`[data-goal-id="${goal.id}"]:not([aria-busy])`).waitFor();
    assert.equal(await page.getByTestId('board-refusal').count(), 0);
    assert.equal((await callCli(daemon, 'goals.get', { id: goal.id })).status, 'plan');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
