// Each page is its own chunk, loaded when first shown (or ahead, when its link is pointed at).
// A page whose code cannot be loaded says so with a way out, the others still show, and it is
// asked for again when next opened.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openUi, startDaemon } from './harness.mjs';

describe('page chunks', () => {
  let daemon;
  let browser;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  test("a page whose code does not come says so, and is asked for again", async () => {
    const { page, context } = await openUi(browser, daemon);
    const failing = '**/assets/ActivityPage-*.js';
    await page.route(failing, (route) => route.abort('connectionrefused'));
    // Pointed at: its code is asked for ahead (and fails) without anything shown.
    await page.getByTestId('nav-activity').hover();
    await page.getByTestId('nav-activity').click();
    const failed = page.getByTestId('page-load-failed');
    await failed.waitFor();
    assert.match(await failed.innerText(), /could not be loaded/);
    assert.equal(await failed.getByRole('button', { name: 'Reload' }).count(), 1);

    // The others still show.
    await page.getByTestId('nav-goals').click();
    await page.getByTestId('page-goals').waitFor();
    assert.equal(await failed.count(), 0);

    // Reachable again: the page asks again for its code.
    await page.unroute(failing);
    await page.getByTestId('nav-activity').click();
    await page.getByTestId('page-activity').waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
