// Chat: start a thread, send a message, watch the scripted agent's reply stream in and settle,
// turn the conversation into goals through import's preview and commit, and a goal thread.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually } from './work.mjs';

// The scripted agent follows the refine-script block of the conversation: what it says while
// working, its reply, and the goal draft it writes when asked for one.
const MESSAGE = [
  'Let us plan coupons for the checkout.',
  '```refine-script',
  'chat: say Looking at the cart…',
  'chat: sleep 1.5',
  'chat: reply Two goals: a coupon field in the cart, then a coupon API.',
  'draft: reply # Checkout\\n- [ ] Coupon field\\n    Shoppers enter a code in the cart; the total drops.\\n- [ ] Coupon API\\n    POST /coupons checks a code.',
  '```',
].join('\n');

describe('chat', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'teashop')).cleanup);
    await daemon.cli('settings', 'set', 'agents.defaultProfile', 'scripted');
    // Keep the runner from starting the goals this test creates.
    await daemon.cli('call', 'runner.pause', '{"reason":"browser test"}');
    await callCli(daemon, 'goals.create', { title: 'Gift wrapping', prompt: 'Offer gift wrapping at checkout.' });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('a reply streams in, stays after a reload, and the thread becomes goals', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'chat');
    await page.getByTestId('chat-empty').waitFor();
    await page.getByTestId('chat-threads-empty').waitFor();

    await page.getByTestId('chat-new').click();
    await page.getByTestId('chat-new-dialog').waitFor();
    await page.getByTestId('chat-kind-plan').check();
    await eventually(async () => (await page.getByTestId('chat-profile').locator('option').first().innerText()).includes('scripted'), {
      message: 'the default agent is named',
    });
    await page.getByTestId('chat-title').fill('Coupons');
    await page.getByTestId('chat-create').click();
    const thread = page.getByTestId('chat-thread');
    await thread.waitFor();
    assert.equal(await page.getByTestId('chat-thread-title').innerText(), 'Coupons');
    await page.locator('[data-testid="chat-thread-row"]', { hasText: 'Coupons' }).waitFor();

    await page.getByTestId('chat-input').fill(MESSAGE);
    await page.getByTestId('chat-send').click();
    await eventually(async () => (await page.getByTestId('chat-input').inputValue()) === '', { message: 'the composer is cleared' });

    // While the agent works its words appear (before the reply is stored).
    const reply = page.locator('[data-testid="chat-message"][data-role="assistant"]');
    await page.locator('[data-testid="chat-message"][data-role="assistant"][data-status="streaming"]', { hasText: 'Looking at the cart…' }).waitFor({ timeout: 10_000 });
    assert.equal(await thread.getAttribute('data-replying'), 'true');
    assert.equal(await page.getByTestId('chat-send').isDisabled(), true, 'one reply at a time');
    await screenshot(page, 'chat-streaming-light');

    await page.locator('[data-testid="chat-message"][data-role="assistant"][data-status="done"]').waitFor({ timeout: 15_000 });
    assert.equal(await reply.getByTestId('chat-message-body').innerText(), 'Two goals: a coupon field in the cart, then a coupon API.');
    assert.equal(await thread.getAttribute('data-replying'), 'false');
    await page.locator('[data-testid="chat-thread-row"]', { hasText: 'Two goals: a coupon field' }).waitFor();
    await screenshot(page, 'chat-light');

    // Stored: a reload shows the same conversation.
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('chat-thread').waitFor();
    await page.locator('[data-testid="chat-message"]').nth(1).waitFor();
    assert.equal(await page.locator('[data-testid="chat-message"]').count(), 2);
    assert.match(await page.locator('[data-testid="chat-message"][data-role="user"]').innerText(), /Let us plan coupons/);

    // The conversation becomes goals: the agent's draft in import's preview, then created.
    await page.getByTestId('chat-draft').click();
    const dialog = page.getByTestId('chat-draft-dialog');
    await dialog.waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('chat-draft-create-count').innerText(), '2');
    assert.deepEqual(await dialog.locator('[data-testid="import-row"] .preview-title').allInnerTexts(), ['Coupon field', 'Coupon API']);
    assert.match(await dialog.innerText(), /Checkout \(new\)/);
    await screenshot(page, 'chat-draft-light');
    await page.getByTestId('chat-draft-create').click();
    await page.getByTestId('chat-draft-done').waitFor({ timeout: 15_000 });
    const goals = await callCli(daemon, 'goals.list', { sort: 'number' });
    assert.deepEqual(
      goals.items.map((g) => [g.title, g.featureName]),
      [
        ['Gift wrapping', null],
        ['Coupon field', 'Checkout'],
        ['Coupon API', 'Checkout'],
      ],
    );
    await page.getByTestId('chat-draft-see-goals').click();
    await page.getByTestId('page-goals').waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a thread about a goal, in the dark theme', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'chat');
    await page.getByTestId('chat-new').click();
    await page.getByTestId('chat-kind-goal').check();
    await eventually(async () => (await page.getByTestId('chat-goal').locator('option').count()) > 1, { message: 'the goals to choose from' });
    await page.getByTestId('chat-goal').selectOption({ label: '#1 Gift wrapping' });
    await page.getByTestId('chat-create').click();
    await page.getByTestId('chat-thread').waitFor();
    assert.equal(await page.getByTestId('chat-thread-title').innerText(), '#1 Gift wrapping');
    await page.getByTestId('chat-input').fill('What does this goal need?\n```refine-script\nchat: reply It needs a checkbox and a fee line.\n```');
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid="chat-message"][data-role="assistant"][data-status="done"]', { hasText: 'It needs a checkbox and a fee line.' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('chat-thread-row').count(), 2);
    await screenshot(page, 'chat-goal-dark');

    // Rename, then delete.
    await page.getByTestId('chat-rename').click();
    await page.getByTestId('chat-rename-input').fill('Gift wrap questions');
    await page.getByTestId('chat-rename-input').press('Enter');
    await page.locator('[data-testid="chat-thread-row"]', { hasText: 'Gift wrap questions' }).waitFor();
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('chat-delete').click();
    await eventually(async () => (await page.getByTestId('chat-thread-row').count()) === 1, { message: 'the thread is gone' });
    const threads = await callCli(daemon, 'chat.list', {});
    assert.deepEqual(
      threads.map((t) => t.title),
      ['Coupons'],
    );
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
