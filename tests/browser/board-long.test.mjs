// A long Board column: 150 queued Goals. The column asks for its first 60 and puts only the
// cards near the screen in the page (virtualised); the next 60 come as its end scrolls into
// view, and the count always says 150.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually } from './work.mjs';

describe('board with a long column', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'long');
    const md = ['# Backlog', ...Array.from({ length: 150 }, (_, i) => `- [ ] Goal number ${i + 1}`)].join('\n');
    await callCli(daemon, 'import.commit', { format: 'markdown', content: md });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('renders the cards near the screen, and asks for more as the column scrolls', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1440, height: 900 } });
    await goTo(page, 'board');
    const column = page.getByTestId('board-column-todo');
    await column.waitFor();
    await eventually(async () => (await page.getByTestId('board-count-todo').innerText()) === '150', { message: '150 counted' });
    const list = column.getByTestId('board-cards');
    const loaded = async () => Number(await list.getAttribute('data-loaded'));
    const cards = column.locator('[data-testid="board-card"]');
    const card = (n) => column.locator(`[data-testid="board-card"][data-number="${n}"]`);
    assert.equal(await loaded(), 60, 'the first page of cards is asked for');
    const rendered = await cards.count();
    assert.ok(rendered > 0 && rendered < 60, `only the cards near the screen are in the page (${rendered} of 60)`);
    assert.equal(await card(1).count(), 1);
    const more = column.getByTestId('board-more');
    assert.match(await more.innerText(), /90 more/);

    await more.scrollIntoViewIfNeeded();
    await eventually(async () => (await loaded()) >= 120, { message: 'the next page' });
    await column.getByTestId('board-more').scrollIntoViewIfNeeded();
    await eventually(async () => (await loaded()) === 150, { message: 'every card' });
    await eventually(async () => (await column.getByTestId('board-more').count()) === 0, { message: 'nothing more to ask for' });

    // At the column's end: its last cards are in the page, its first ones are not.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await card(150).waitFor();
    await eventually(async () => (await card(1).count()) === 0, { message: 'the first card left the page' });
    assert.ok((await cards.count()) < 60, 'still only the cards near the screen');
    // And back at the top.
    await page.evaluate(() => window.scrollTo(0, 0));
    await card(1).waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
