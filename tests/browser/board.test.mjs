// (b) The Board moves Goals by drag and drop through the workflow operations; a move the daemon
// refuses (the 2nd goal of a Feature may not start while the 1st is in todo) shows its reason.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, drag, dragAcross, eventually } from './work.mjs';

describe('board', () => {
  let daemon;
  let browser;
  const cleanups = [];
  let first;
  let second;
  let loose;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'onboarding')).cleanup);
    const feature = await callCli(daemon, 'features.create', { name: 'Sign-up' });
    first = await callCli(daemon, 'goals.create', { title: 'Sign-up form', status: 'todo', featureId: feature.feature.id });
    second = await callCli(daemon, 'goals.create', { title: 'Welcome email', status: 'todo', featureId: feature.feature.id, labels: ['email'] });
    loose = await callCli(daemon, 'goals.create', { title: 'Dark mode toggle', priority: 1 });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  const card = (page, goal) => page.locator(`[data-testid="board-card"][data-goal-id="${goal.id}"]`);
  const column = (page, state) => page.getByTestId(`board-column-${state}`);

  test('a refused start shows the reason; an allowed one moves the card', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'board');
    await card(page, second).waitFor();
    assert.equal(await card(page, second).getAttribute('data-status'), 'todo');
    // The card already says why it waits.
    assert.match(await card(page, second).getByTestId('card-blocked').innerText(), /waiting for #1/);

    // Drag the 2nd goal of the feature to "plan" while the 1st is still in todo.
    await drag(page, card(page, second), column(page, 'plan'));
    const refusal = page.getByTestId('board-refusal');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /#2 “Welcome email” was not moved to plan/);
    assert.match(
      await page.getByTestId('board-refusal-reason').innerText(),
      /Goal #2 cannot start: waiting for #1 “Sign-up form” \(earlier in Feature “Sign-up”\) to reach review; it is in todo/,
    );
    // The card stays where it was, and the daemon did not move it.
    await column(page, 'todo').locator(`[data-goal-id="${second.id}"]`).waitFor();
    assert.equal((await callCli(daemon, 'goals.get', { id: second.id })).status, 'todo');
    await screenshot(page, 'board-refused-light');

    // The 1st goal may start: it lands in "plan".
    await drag(page, card(page, first), column(page, 'plan'));
    await column(page, 'plan').locator(`[data-goal-id="${first.id}"]`).waitFor();
    await eventually(async () => (await callCli(daemon, 'goals.get', { id: first.id })).status === 'plan', { message: '#1 in plan' });
    assert.equal(await page.getByTestId('board-refusal').count(), 0, 'a successful move clears the old refusal');
    assert.equal(await page.getByTestId('board-count-plan').innerText(), '1');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('"Move to…" is the keyboard alternative; cancelling asks first; other surfaces move cards live', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'board');
    await card(page, loose).waitFor();
    assert.equal(await card(page, loose).getAttribute('data-status'), 'backlog');

    // Keyboard: focus the card's menu button, open it, choose "Move to todo".
    await card(page, loose).getByTestId('card-move').focus();
    await page.keyboard.press('Enter');
    const item = card(page, loose).locator('[data-testid="card-move-to"][data-to="todo"]');
    await item.waitFor();
    await screenshot(page, 'board-menu-dark');
    await item.focus();
    await page.keyboard.press('Enter');
    // The card moves at once (pending) and takes the daemon's answer when it comes.
    await column(page, 'todo').locator(`[data-goal-id="${loose.id}"][data-status="todo"]`).waitFor();
    assert.equal((await callCli(daemon, 'goals.get', { id: loose.id })).status, 'todo');

    // Dropping on "cancelled" asks for confirmation (a cancelled goal cannot come back).
    await dragAcross(page, card(page, loose), column(page, 'cancelled'));
    const dialog = page.getByTestId('move-dialog');
    await dialog.waitFor();
    await page.getByTestId('move-dialog-reason').fill('Not needed this quarter');
    await page.getByTestId('move-dialog-confirm').click();
    await column(page, 'cancelled').locator(`[data-goal-id="${loose.id}"][data-status="cancelled"]`).waitFor();
    const cancelled = await callCli(daemon, 'goals.get', { id: loose.id });
    assert.equal(cancelled.status, 'cancelled');
    assert.match(cancelled.rounds.at(-1).outcome, /cancelled: Not needed this quarter/);

    // A move made elsewhere (the CLI) moves the card here without a reload.
    await page.evaluate(() => {
      window.__boardMarker = 'same page';
    });
    await callCli(daemon, 'workflow.advance', { goalId: first.id, to: 'implement' });
    await column(page, 'implement').locator(`[data-goal-id="${first.id}"][data-status="implement"]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => window.__boardMarker), 'same page');
    await screenshot(page, 'board-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('every column fits at 1280 and 1920 px without scrolling sideways; folding is remembered', async () => {
    const open = {};
    for (const width of [1280, 1920]) {
      const { page, context } = await openUi(browser, daemon, { viewport: { width, height: 900 } });
      await goTo(page, 'board');
      await column(page, 'review').waitFor();
      const board = page.getByTestId('board');
      const { scroll, client } = await board.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(scroll <= client + 1, `no sideways scrolling at ${width}px: ${scroll} > ${client}`);
      const review = await column(page, 'review').boundingBox();
      assert.ok(review.x + review.width <= width, `the review column is on screen at ${width}px`);
      assert.equal(await column(page, 'review').getAttribute('data-folded'), null, 'review is never folded by itself');
      open[width] = await page.locator('[data-testid^="board-column-"]:not([data-folded])').count();
      // Columns with cards stay open before empty ones fold away.
      assert.equal(await column(page, 'todo').getAttribute('data-folded'), null);
      await screenshot(page, `board-${width}-light`);
      await context.close();
    }
    assert.ok(open[1920] > open[1280], `more columns open at 1920 px (${open[1920]}) than at 1280 (${open[1280]})`);

    // A person folds the review column; the board remembers it after a reload.
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'board');
    await page.getByTestId('board-fold-review').click();
    assert.equal(await column(page, 'review').getAttribute('data-folded'), 'true');
    await page.reload();
    await column(page, 'review').waitFor();
    assert.equal(await column(page, 'review').getAttribute('data-folded'), 'true');
    await page.getByTestId('board-fold-review').click();
    assert.equal(await column(page, 'review').getAttribute('data-folded'), null);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
