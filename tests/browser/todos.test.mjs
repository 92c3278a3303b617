// The UI asks once who the person is (pick or create a reporter, remembered in localStorage);
// that name is the actor of every change and the default reporter of new Goals. Keyboard: `n`
// opens "New goal", `/` focuses search; palette actions. The Todos page: add, check, drag, remove.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openUi, screenshot, startDaemon, goTo } from './harness.mjs';
import { addApp, callCli, drag, eventually } from './work.mjs';

describe('identity, shortcuts and todos', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'atelier')).cleanup);
    await callCli(daemon, 'reporters.create', { name: 'Robin' });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('asked once; the name is the actor and the default reporter; `n` and `/` work', async () => {
    const { page, context } = await openUi(browser, daemon, { identity: 'ask' });
    const dialog = page.getByTestId('identity-dialog');
    await dialog.waitFor();
    // Existing reporters can be picked; here a new one is added.
    await page.locator('[data-testid="identity-option"][data-name="Robin"]').waitFor();
    await screenshot(page, 'identity-light');
    await page.getByTestId('identity-name').fill('Dana');
    await page.getByTestId('identity-create').click();
    await dialog.waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('identity-chip').innerText(), /Dana/);
    const dana = (await callCli(daemon, 'reporters.list', {})).find((r) => r.name === 'Dana');
    assert.ok(dana, 'the reporter was created');

    // Remembered: a reload does not ask again.
    await page.reload();
    await page.getByTestId('identity-chip').getByText('Dana').waitFor();
    await page.waitForTimeout(300);
    assert.equal(await page.getByTestId('identity-dialog').count(), 0);

    // `n` opens "New goal"; the reporter is Dana by default.
    await goTo(page, 'goals');
    await page.locator('body').press('n');
    const newGoal = page.getByTestId('new-goal-dialog');
    await newGoal.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'new-goal-title');
    assert.equal(await page.getByTestId('new-goal-reporter').inputValue(), dana.id);
    await page.getByTestId('new-goal-title').fill('Gift wrapping option');
    await page.getByTestId('new-goal-prompt').fill('Checkout has no gift option today.');
    await page.getByTestId('new-goal-status').selectOption('todo');
    await screenshot(page, 'new-goal-light');
    await page.getByTestId('new-goal-create').click();
    await newGoal.waitFor({ state: 'detached' });
    await page.getByTestId('goal-row').first().waitFor();
    const goal = (await callCli(daemon, 'goals.list', {})).items[0];
    assert.equal(goal.title, 'Gift wrapping option');
    assert.equal(goal.reporterName, 'Dana');
    assert.equal(goal.status, 'todo');
    // The audit log names Dana as the actor of the change made in this browser.
    const activity = await callCli(daemon, 'activity.list', { operation: 'goals.create' });
    assert.equal(activity.items[0].actor, 'Dana');
    assert.equal(activity.items[0].surface, 'browser');

    // `/` focuses the search box (typing in a field does not trigger shortcuts).
    await page.locator('body').press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'goal-search');
    await page.keyboard.type('n');
    assert.equal(await page.getByTestId('new-goal-dialog').count(), 0, '"n" typed into the search box is text');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the palette runs the new actions (pause/resume automation, go to the board, new goal)', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('pause automation');
    await page.locator('[data-testid="palette-item"][data-item="action:pause"]').waitFor();
    await screenshot(page, 'palette-actions-dark');
    await page.keyboard.press('Enter');
    await page.getByTestId('automation-paused').waitFor();
    assert.equal((await callCli(daemon, 'workflow.automation', {})).paused, true);

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('resume automation');
    await page.locator('[data-testid="palette-item"][data-item="action:resume"]').waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('automation-paused').waitFor({ state: 'detached' });

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('open the board');
    await page.keyboard.press('Enter');
    await page.getByTestId('page-board').waitFor();

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('new goal');
    await page.keyboard.press('Enter');
    await page.getByTestId('new-goal-dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('new-goal-dialog').waitFor({ state: 'detached' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('todos: add, check off, drag to reorder, remove', async () => {
    const { page, context } = await openUi(browser, daemon, { identity: 'ask' });
    await page.locator('[data-testid="identity-option"][data-name="Dana"]').click();
    await goTo(page, 'todos');
    const dana = (await callCli(daemon, 'reporters.list', {})).find((r) => r.name === 'Dana');
    await page.getByTestId('todos-empty').waitFor();
    for (const text of ['Review the gift wrapping goal', 'Ask design for icons', 'Update the changelog']) {
      await page.getByTestId('todo-input').fill(text);
      await page.getByTestId('todo-input').press('Enter');
      await page.getByTestId('todo').getByText(text).waitFor();
    }
    await page.getByTestId('todo').nth(1).getByTestId('todo-done').check();
    await eventually(async () => (await callCli(daemon, 'todos.list', { reporterId: dana.id }))[1].done === true, { message: 'todo checked' });

    // Drag the last one to the top.
    const todos = page.getByTestId('todo');
    await drag(page, todos.nth(2), todos.nth(0), { position: { x: 80, y: 4 } });
    const order = await eventually(
      async () => {
        const list = await callCli(daemon, 'todos.list', { reporterId: dana.id });
        return list[0].text === 'Update the changelog' ? list.map((t) => t.text) : null;
      },
      { message: 'the new todo order' },
    );
    assert.deepEqual(order, ['Update the changelog', 'Review the gift wrapping goal', 'Ask design for icons']);
    assert.deepEqual(await page.getByTestId('todo-text').allInnerTexts(), order);
    await screenshot(page, 'todos-light');

    await page.getByTestId('todo').nth(0).hover();
    await page.getByTestId('todo').nth(0).getByTestId('todo-remove').click();
    await eventually(async () => (await callCli(daemon, 'todos.list', { reporterId: dana.id })).length === 2, { message: 'todo removed' });
    // Another surface adds one: it appears live.
    await callCli(daemon, 'todos.add', { reporterId: dana.id, text: 'Added from the CLI' });
    await page.getByTestId('todo').getByText('Added from the CLI').waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
