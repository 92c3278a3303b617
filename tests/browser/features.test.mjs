// (a) A Feature with three Goals made through the UI; dragging the third before the first
// reorders it (features.reorder), and the order persists (reload, and the CLI agrees).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, drag, eventually } from './work.mjs';

describe('features', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'storefront')).cleanup);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  const goalTitles = (page) => page.locator('[data-testid="feature-goal"] .feature-goal-title a').allInnerTexts();

  test('create a feature with three goals, drag the third before the first, the order persists', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'features');
    await page.getByTestId('features-empty').waitFor();
    await page.getByTestId('feature-name').fill('Checkout v2');
    await page.getByTestId('feature-description').fill('One-page checkout with saved cards');
    await page.getByTestId('feature-create').click();
    await page.getByTestId('page-feature').waitFor();
    await page.getByTestId('feature-goals-empty').waitFor();

    for (const [i, title] of ['Basket total with tax', 'Saved cards', 'One-click pay'].entries()) {
      await page.getByTestId('feature-new-goal-title').fill(title);
      await page.getByTestId('feature-new-goal-add').click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="feature-goal"]').length === n, i + 1);
    }
    assert.deepEqual(await goalTitles(page), ['Basket total with tax', 'Saved cards', 'One-click pay']);
    const featureId = await page.locator('[data-feature-id]').first().getAttribute('data-feature-id');
    assert.ok(featureId);
    await screenshot(page, 'feature-detail-light');

    // Drag the third row onto the upper half of the first: it goes before it.
    const rows = page.getByTestId('feature-goal');
    await drag(page, rows.nth(2), rows.nth(0), { position: { x: 60, y: 5 } });
    await page.waitForFunction(() => document.querySelector('[data-testid="feature-goal"] .feature-goal-title a')?.textContent === 'One-click pay');
    assert.deepEqual(await goalTitles(page), ['One-click pay', 'Basket total with tax', 'Saved cards']);

    // The daemon has the new order (through the CLI, as another surface would see it).
    const detail = await eventually(
      async () => {
        const d = await callCli(daemon, 'features.get', { id: featureId });
        return d.goals[0].title === 'One-click pay' ? d : null;
      },
      { message: 'the reorder to reach the daemon' },
    );
    assert.deepEqual(
      detail.goals.map((g) => g.title),
      ['One-click pay', 'Basket total with tax', 'Saved cards'],
    );
    assert.deepEqual(
      detail.goals.map((g) => g.position),
      [0, 1, 2],
    );

    // After a reload the page shows the stored order.
    await page.reload();
    await page.getByTestId('page-feature').waitFor();
    await page.getByTestId('feature-goal').nth(2).waitFor();
    assert.deepEqual(await goalTitles(page), ['One-click pay', 'Basket total with tax', 'Saved cards']);

    // The keyboard alternative: move the last goal up one place.
    await page.getByTestId('feature-goal').nth(2).getByTestId('feature-goal-up').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="feature-goal"] .feature-goal-title a')[1]?.textContent === 'Saved cards');
    await eventually(async () => (await callCli(daemon, 'features.get', { id: featureId })).goals[1].title === 'Saved cards', { message: 'arrow reorder' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the list shows progress; rename, take a goal out, delete (goals stay)', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'features');
    const card = page.locator('[data-testid="feature-card"][data-feature-name="Checkout v2"]');
    await card.waitFor();
    assert.match(await card.innerText(), /0\/3 done/);
    await screenshot(page, 'features-dark');

    await card.click();
    await page.getByTestId('page-feature').waitFor();
    await page.getByTestId('feature-rename').click();
    await page.getByTestId('feature-rename-input').fill('Checkout v3');
    await page.getByTestId('feature-rename-save').click();
    await page.getByRole('heading', { name: 'Checkout v3' }).waitFor();

    // Take the first goal out: it stays a goal, without a feature.
    const first = page.getByTestId('feature-goal').first();
    const goalId = await first.getAttribute('data-goal-id');
    await first.getByTestId('feature-goal-remove').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="feature-goal"]').length === 2);
    const goal = await callCli(daemon, 'goals.get', { id: goalId });
    assert.equal(goal.featureId, null);
    // …and can be put back in from the "existing goal" picker.
    await page.getByTestId('feature-add-existing').selectOption(goalId);
    await page.getByTestId('feature-add-existing-submit').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="feature-goal"]').length === 3);
    await screenshot(page, 'feature-detail-dark');

    await page.getByTestId('feature-delete').click();
    await page.getByTestId('feature-delete-confirm').click();
    await page.getByTestId('page-features').waitFor();
    await page.getByTestId('features-empty').waitFor();
    const goals = await callCli(daemon, 'goals.list', {});
    assert.equal(goals.total, 3, 'the goals stay');
    assert.ok(goals.items.every((g) => g.featureId === null));
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
