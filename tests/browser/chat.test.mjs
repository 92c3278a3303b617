// Chat: start a thread, send a message, watch the scripted agent's reply stream in and settle,
// turn the conversation into goals through import's preview and commit, and a goal thread. A
// plain-text agent's long reply keeps its end and links its whole output.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  test('a long plain-text reply shows its end, says so, and links the whole output', async () => {
    // A plain-text agent printing 600 KB (3,000 lines of 200 bytes, paced), then, once the test
    // has looked at the streaming reply (the gate file exists), a last line.
    const gate = join(daemon.dataDir, 'long-talker-go');
    await callCli(daemon, 'agents.profiles.save', {
      profile: {
        name: 'long-talker',
        provider: 'generic',
        command: 'sh',
        args: [
          '-c',
          `cat >/dev/null; i=0; while [ $i -lt 3000 ]; do printf 'line %05d %0190d\\n' $i 0; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.02; done; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo 'That is all.'`,
        ],
        promptDelivery: 'stdin',
      },
    });
    const thread = await callCli(daemon, 'chat.create', { kind: 'project', profile: 'long-talker', title: 'Everything at once' });
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'chat');
    await page.locator('[data-testid="chat-thread-row"]', { hasText: 'Everything at once' }).click();
    await page.getByTestId('chat-thread').waitFor();
    await page.getByTestId('chat-input').fill('Tell me everything.');
    await page.getByTestId('chat-send').click();

    // While it streams past what a reply holds, the page keeps the end and says so.
    const reply = page.locator('[data-testid="chat-message"][data-role="assistant"]');
    await reply.and(page.locator('[data-status="streaming"]')).getByTestId('chat-message-cut').waitFor({ timeout: 20_000 });
    const streamed = await reply.getByTestId('chat-message-body').innerText();
    assert.match(streamed, /^line \d{5} 0+\n/, 'from the start of a line');
    assert.ok(streamed.length <= 2 * 262_144, `the page holds the end, not all of it (${streamed.length})`);
    await writeFile(gate, '');

    await reply.and(page.locator('[data-status="done"]')).waitFor({ timeout: 30_000 });
    const body = await reply.getByTestId('chat-message-body').innerText();
    assert.ok(body.trimEnd().endsWith('That is all.'), body.slice(-200));
    assert.doesNotMatch(body, /line 00000 /);
    assert.ok(body.length <= 262_144, `${body.length}`);
    assert.match(await reply.getByTestId('chat-message-cut').innerText(), /only its end is shown here/);
    await screenshot(page, 'chat-long-reply-light');
    const row = page.locator('[data-testid="chat-thread-row"]', { hasText: 'Everything at once' });
    await eventually(async () => /line \d{5} 0+/.test(await row.innerText()), { message: 'the preview is the reply, not the note' });
    await reply.getByTestId('chat-message-cut').scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-long-reply-note-light');

    // The note and the header link to the run's process, whose log has every line.
    const stored = (await callCli(daemon, 'chat.get', { id: thread.id })).messages[1];
    assert.ok(stored.processId, 'the reply names its process');
    assert.equal(await reply.getByTestId('chat-message-log').getAttribute('href'), `#/processes/${stored.processId}`);
    await reply.getByTestId('chat-message-cut-log').click();
    await page.locator(`[data-testid="process-detail"][data-id="${stored.processId}"]`).waitFor();
    const log = await readFile(join(daemon.dataDir, 'logs/processes', `${stored.processId}.log`), 'utf8');
    assert.match(log, /line 00000 /);
    assert.match(log, /That is all\./);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
