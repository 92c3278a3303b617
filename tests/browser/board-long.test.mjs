// A long Board column: 150 queued Goals paint as 60 cards, and the rest come as the
// column's end scrolls into view (the count always says 150).
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

  test('renders the first cards, then more as the column scrolls', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1440, height: 900 } });
    await goTo(page, 'board');
    const column = page.getByTestId('board-column-todo');
    await column.waitFor();
    await eventually(async () => (await page.getByTestId('board-count-todo').innerText()) === '150', { message: '150 counted' });
    const cards = column.locator('[data-testid="board-card"]');
    assert.equal(await cards.count(), 60, 'the first page of cards only');
    const more = column.getByTestId('board-more');
    assert.match(await more.innerText(), /90 more/);
    await more.scrollIntoViewIfNeeded();
    await eventually(async () => (await cards.count()) >= 120, { message: 'the next page' });
    await column.getByTestId('board-more').scrollIntoViewIfNeeded();
    await eventually(async () => (await cards.count()) === 150, { message: 'every card' });
    assert.equal(await column.getByTestId('board-more').count(), 0);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
