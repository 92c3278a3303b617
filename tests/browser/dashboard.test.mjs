// (c) Approving a Goal in review (in one window) updates the Dashboard's counts in another,
// without a reload; every element of the Dashboard links to the filtered list behind it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, advanceTo, callCli } from './work.mjs';

describe('dashboard', () => {
  let daemon;
  let browser;
  const cleanups = [];
  let reviewed;
  let failed;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'payments')).cleanup);
    const feature = await callCli(daemon, 'features.create', { name: 'Refunds' });
    reviewed = await callCli(daemon, 'goals.create', { title: 'Refund button', status: 'todo', featureId: feature.feature.id });
    await callCli(daemon, 'goals.create', { title: 'Refund email', status: 'todo', featureId: feature.feature.id });
    failed = await callCli(daemon, 'goals.create', { title: 'Currency rounding', status: 'todo', priority: 2 });
    await callCli(daemon, 'goals.create', { title: 'Receipt footer', labels: ['ui'] });
    const exports = await callCli(daemon, 'features.create', { name: 'Exports' });
    await callCli(daemon, 'goals.create', { title: 'CSV export', status: 'todo', featureId: exports.feature.id });
    await callCli(daemon, 'goals.create', { title: 'PDF export', status: 'todo', featureId: exports.feature.id });
    // Step the first one to review and let another fail, as the runner would.
    await advanceTo(daemon, failed.id, 'plan');
    await callCli(daemon, 'workflow.advance', { goalId: failed.id, to: 'failed', reason: 'tests do not pass' });
    await advanceTo(daemon, reviewed.id, 'review');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  const count = (page, state) => page.getByTestId(`state-bar-${state}`).getAttribute('data-count');

  test('approving in another window updates the counts live', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'dashboard');
    await page.getByTestId('state-chart').waitFor();
    assert.equal(await count(page, 'review'), '1');
    assert.equal(await count(page, 'done'), '0');
    assert.equal(await count(page, 'failed'), '1');
    assert.equal(await page.getByTestId('stat-total').innerText(), 'GOALS\n6');
    const attention = page.getByTestId('attention-item');
    assert.deepEqual(await attention.evaluateAll((els) => els.map((e) => e.dataset.kind)).then((k) => k.sort()), ['blocked', 'failed', 'review']);
    assert.match(await page.locator('[data-testid="attention-item"][data-kind="blocked"]').innerText(), /PDF export\s+waiting for #5 “CSV export”/);
    await screenshot(page, 'dashboard-light', { fullPage: true });
    await page.evaluate(() => {
      window.__dashboardMarker = 'not reloaded';
    });

    // Another window (same daemon, another browser context) opens the goal and approves it.
    const other = await openUi(browser, daemon, { colorScheme: 'dark' });
    await other.page.goto(new URL(`/#/goals/${reviewed.id}`, daemon.baseUrl).href);
    await other.page.getByTestId('goal-status').waitFor();
    assert.equal(await other.page.getByTestId('goal-status').getAttribute('data-status'), 'review');
    await screenshot(other.page, 'goal-review-dark');
    await other.page.getByTestId('transition-approve').click();
    await other.page.waitForFunction(() => document.querySelector('[data-testid="goal-status"]')?.getAttribute('data-status') === 'done');
    // The goal's own activity shows the approval, by this browser.
    await other.page.locator('[data-testid="goal-activity-entry"][data-operation="workflow.approve"]').waitFor();
    await other.context.close();

    // The first window follows from the event stream.
    await page.waitForFunction(() => document.querySelector('[data-testid="state-bar-done"]')?.getAttribute('data-count') === '1', null, { timeout: 10_000 });
    assert.equal(await count(page, 'review'), '0');
    assert.equal(await page.evaluate(() => window.__dashboardMarker), 'not reloaded');
    assert.equal(await page.locator('[data-testid="attention-item"][data-kind="review"]').count(), 0);
    const throughputToday = await page.getByTestId('throughput-day').last().getAttribute('data-done');
    assert.equal(throughputToday, '1');
    assert.equal(await page.getByTestId('stat-done').innerText(), 'DONE 14D\n1');
    assert.match(await page.locator('[data-testid="dash-feature"]').first().innerText(), /Refunds[\s\S]*1\/2/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('every element opens the list behind it', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'dashboard');
    await page.getByTestId('state-chart').waitFor();
    await screenshot(page, 'dashboard-dark', { fullPage: true });

    await page.getByTestId('state-bar-failed').click();
    await page.getByTestId('goals-table').waitFor();
    assert.match(page.url(), /#\/goals\?status=failed$/);
    const rows = page.getByTestId('goal-row');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="goal-row"]').length === 1);
    assert.equal(await rows.first().getAttribute('data-status'), 'failed');
    assert.equal(await page.getByTestId('filter-status').innerText(), 'Failed');

    await page.goBack();
    await page.getByTestId('state-chart').waitFor();
    await page.getByTestId('stat-running').click();
    await page.locator('[data-testid="goals-table"], [data-testid="goals-empty"]').first().waitFor();
    assert.match(page.url(), /status=plan%2Cimplement%2Cquality%2Cgovernance/);

    await page.goBack();
    await page.locator(`[data-testid="attention-item"][data-goal-id="${failed.id}"]`).click();
    await page.getByTestId('page-goal').waitFor();
    assert.match(page.url(), new RegExp(`#/goals/${failed.id}$`));
    // A failed goal offers "Retry".
    await page.getByTestId('transition-retry').click();
    await page.getByTestId('reason-input').fill('flaky test fixed');
    await page.getByTestId('reason-submit').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="goal-status"]')?.getAttribute('data-status') === 'todo');
    await page.locator('[data-testid="round"][data-round="2"]').getByText('Retry after failure: flaky test fixed').waitFor();

    await page.goBack();
    await page.locator('[data-testid="dash-feature"]').first().click();
    await page.getByTestId('page-feature').waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('pausing automation shows a banner with resume', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'dashboard');
    await page.getByTestId('automation-pause').click();
    const banner = page.getByTestId('automation-paused');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Automation is paused/);
    assert.equal((await callCli(daemon, 'workflow.automation', {})).paused, true);
    await screenshot(page, 'dashboard-paused-light');
    await page.getByTestId('automation-resume').click();
    await banner.waitFor({ state: 'detached' });
    assert.equal((await callCli(daemon, 'workflow.automation', {})).paused, false);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
