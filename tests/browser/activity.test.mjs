// (b) A change made through the CLI appears in the open page's Activity page without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from './harness.mjs';

describe('activity page', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('an app added through the CLI appears live', async () => {
    const repo = await makeGitRepo('billing', {
      'pyproject.toml': '[project]\nname = "billing"\n',
      'billing/__init__.py': '',
      'billing/invoice.py': 'def total(lines):\n    return sum(lines)\n',
    });
    cleanups.push(repo.cleanup);
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'activity');
    // Signing this browser in is on the record, as the browser's own act.
    const signedIn = page.locator('[data-testid="activity-row"][data-operation="sessions.exchange"]');
    await signedIn.first().waitFor();
    assert.equal(await signedIn.first().getAttribute('data-surface'), 'browser');
    // A marker on window proves that the page was not reloaded.
    await page.evaluate(() => {
      window.__refineMarker = 'still here';
    });

    await daemon.cli('apps', 'add', repo.dir);

    const row = page.locator('[data-testid="activity-row"][data-operation="apps.add"]');
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.getAttribute('data-surface'), 'cli');
    assert.match(await row.innerText(), /billing/);
    assert.equal(await page.evaluate(() => window.__refineMarker), 'still here');

    // The top bar's app switcher learned about the app from the same event stream.
    await page.getByTestId('app-switcher').locator('option', { hasText: 'billing' }).waitFor({ state: 'attached' });
    await screenshot(page, 'activity-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('live entries respect the filters', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'activity');
    await page.locator('[data-testid="activity-row"]').first().waitFor();

    await page.getByTestId('filter-surface').selectOption('browser');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="activity-row"]')];
      return rows.length > 0 && rows.every((r) => r.dataset.surface === 'browser');
    });

    // A CLI change does not match the "browser" filter; a browser change (here: through the UI) does.
    await daemon.cli('settings', 'set', 'runner.retryBudget', '3');
    await page.getByTestId('app-switcher').selectOption({ label: 'Detached (no app)' });
    const row = page.locator('[data-testid="activity-row"][data-operation="apps.select"]');
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.getAttribute('data-surface'), 'browser');
    assert.equal(await page.locator('[data-testid="activity-row"][data-operation="settings.update"]').count(), 0);

    await page.getByTestId('filter-surface').selectOption('');
    await page.locator('[data-testid="activity-row"][data-operation="settings.update"]').waitFor();
    await screenshot(page, 'activity-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('"load more" pages through the log with the cursor', async () => {
    // More entries than one page (50): detach repeatedly through the HTTP API, as an agent.
    for (let i = 0; i < 55; i++) await daemon.http('POST', '/api/v1/apps/select', { id: null });
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'activity');
    const rows = page.getByTestId('activity-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50);
    await page.getByTestId('activity-load-more').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-row"]').length > 50);
    const ids = await rows.evaluateAll((els) => els.length);
    assert.ok(ids >= 58, `all entries are listed after loading more (got ${ids})`);
    assert.equal(await page.getByTestId('activity-load-more').count(), 0, 'no more pages');

    await page.getByTestId('filter-actor').fill('e2e-agent');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="activity-row"]').length === 50);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
