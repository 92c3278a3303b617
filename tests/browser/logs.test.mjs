// The Logs page reads the daemon's own log file (the data dir's logs/, written by `--serve`):
// records the daemon logged show up with their level, module and fields, the level, module and
// text filters narrow them (in the address, so a reload keeps them), Follow shows what is logged
// after the page opened and stays at the end unless scrolled up, and a data dir without a log
// file shows the empty state.
import assert from 'node:assert/strict';
import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, eventually } from './work.mjs';

// The level the file keeps; an inherited REFINE_LOG (say `warn`) would leave out the INFO lines
// these tests look for. This is the daemon's own default.
process.env.REFINE_LOG = 'info,tower=warn,hyper=warn';

const ACTIVITY = 'refine_core::activity';

/** A record as the daemon's file layer writes it (one JSON line). */
const line = (level, target, fields) => `${JSON.stringify({ timestamp: new Date().toISOString(), level, fields, target })}\n`;

describe('logs', () => {
  let daemon;
  let browser;
  const repos = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repos.push(await addApp(daemon, 'logged'));
    // Nothing a test can do makes this daemon warn, so a warning and an error are added to its
    // file the way it writes them (whole lines, appended).
    const [file] = await readdir(join(daemon.dataDir, 'logs'));
    await appendFile(
      join(daemon.dataDir, 'logs', file),
      line('WARN', 'refine_core::runner', { message: 'runner step failed', goal: 'g-planted', attempt: 2 }) +
        line('ERROR', 'refine_store::disk', { message: 'WAL checkpoint failed', error: 'disk full: no space left on device' }),
    );
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    for (const repo of repos) await repo.cleanup();
  });

  const records = (page) => page.getByTestId('log-record');
  const messages = (page) => page.getByTestId('log-message').allInnerTexts();
  const withMessage = (page, text) => page.locator('[data-testid="log-record"]', { has: page.getByTestId('log-message').getByText(text) });

  test('shows the daemon’s records with levels, modules, fields and the file', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 800 } });
    await goTo(page, 'logs');
    const added = withMessage(page, /^Added app logged/);
    await added.waitFor();

    // The activity line of the app added above, with its fields shown as key=value.
    assert.equal(await added.getAttribute('data-level'), 'info');
    assert.equal(await added.getAttribute('data-target'), ACTIVITY);
    assert.equal(await added.getByTestId('log-level').innerText(), 'INFO');
    const field = added.locator('[data-testid="log-field"][data-key="operation"]');
    assert.equal(await field.innerText(), 'operation=apps.add');
    // Start-up records come first (oldest first, the newest at the bottom).
    const all = await messages(page);
    assert.ok(all.indexOf('applying database migration') < all.findIndex((m) => m.startsWith('Added app logged')), 'oldest first');
    assert.equal(await records(page).last().getAttribute('data-target'), ACTIVITY);

    // Levels are coloured, each its own, none in the text colour.
    const colourOf = (row) => row.evaluate((r) => ({ level: getComputedStyle(r.querySelector('[data-testid="log-level"]')).color, message: getComputedStyle(r.querySelector('[data-testid="log-message"]')).color }));
    const info = await colourOf(added);
    const warn = await colourOf(withMessage(page, 'runner step failed'));
    const error = await colourOf(withMessage(page, 'WAL checkpoint failed'));
    assert.notEqual(info.level, info.message);
    assert.equal(new Set([info.level, warn.level, error.level]).size, 3);

    // The file it was read from, as the daemon names it.
    const files = await readdir(join(daemon.dataDir, 'logs'));
    assert.deepEqual(await page.getByTestId('log-file').allInnerTexts(), files.sort());
    assert.match(files[0], /^refine\.\d{4}-\d{2}-\d{2}\.log$/);
    // Opened at the end.
    assert.equal(await page.getByTestId('log-list').getAttribute('data-following-end'), 'true');
    await screenshot(page, 'logs-light', { fullPage: true });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('level, module and text filters narrow the records and live in the address', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 800 } });
    await goTo(page, 'logs');
    await withMessage(page, /^Added app logged/).waitFor();

    // Warn and above: the warning and the error; error: the error alone.
    const levels = () => page.locator('[data-testid="log-record"]').evaluateAll((rows) => rows.map((r) => r.dataset.level));
    await page.getByTestId('logs-level-warn').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-record"]').length === 2);
    assert.deepEqual(await levels(), ['warn', 'error']);
    assert.match(page.url(), /#\/logs\?level=warn$/);
    assert.equal(await page.getByTestId('logs-level-warn').getAttribute('aria-checked'), 'true');
    const failure = withMessage(page, 'WAL checkpoint failed');
    assert.equal(await failure.locator('[data-testid="log-field"][data-key="error"]').innerText(), 'error="disk full: no space left on device"');
    await page.getByTestId('logs-level-error').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-record"]').length === 1);
    assert.deepEqual(await levels(), ['error']);
    await page.getByTestId('logs-level-info').click();
    await withMessage(page, /^Added app logged/).waitFor();

    // Module: a prefix of the module path; clicking a record's module sets it too.
    await page.getByTestId('logs-filter-target').fill('refine_store');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="log-record"]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-target')?.startsWith('refine_store'));
    });
    assert.ok((await messages(page)).includes('applying database migration'));
    await page.getByTestId('logs-clear').click();
    await withMessage(page, /^Added app logged/).getByTestId('log-target').click();
    await page.waitForFunction((target) => {
      const rows = [...document.querySelectorAll('[data-testid="log-record"]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-target') === target);
    }, ACTIVITY);
    assert.equal(await page.getByTestId('logs-filter-target').inputValue(), ACTIVITY);

    // Text in the message (case-insensitive, as the daemon matches it).
    await page.getByTestId('logs-filter-text').fill('added APP');
    await page.waitForFunction(() => {
      const texts = [...document.querySelectorAll('[data-testid="log-message"]')].map((m) => m.textContent ?? '');
      return texts.length > 0 && texts.every((t) => /added app/i.test(t));
    });
    await page.waitForURL(/#\/logs\?.*q=added(\+|%20)APP/);

    // A reload keeps the filters.
    await page.reload();
    await page.getByTestId('page-logs').waitFor();
    await withMessage(page, /^Added app logged/).waitFor();
    assert.equal(await page.getByTestId('logs-filter-text').inputValue(), 'added APP');
    assert.equal(await page.getByTestId('logs-level-all').getAttribute('aria-checked'), 'true', 'Clear reset the level');
    assert.deepEqual(await page.locator('[data-testid="log-record"]').evaluateAll((rows) => [...new Set(rows.map((r) => r.dataset.target))]), [ACTIVITY]);

    await page.getByTestId('logs-filter-text').fill('no such message anywhere');
    await page.getByTestId('logs-no-match').waitFor();
    assert.match(await page.getByTestId('logs-no-match').innerText(), /No record matches these filters/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('Follow shows what is logged after the page opened and keeps to the end', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    // The command palette finds the page.
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('logs');
    await page.locator('[data-testid="palette-item"][data-item="nav:logs"]').click();
    await page.getByTestId('page-logs').waitFor();
    await withMessage(page, /^Added app logged/).waitFor();

    await page.getByTestId('logs-follow').click();
    assert.equal(await page.getByTestId('logs-follow').getAttribute('aria-pressed'), 'true');
    assert.match(page.url(), /follow=1/);

    // Done after the page opened: the record arrives without a reload, at the bottom, in view.
    repos.push(await addApp(daemon, 'followed'));
    const followed = withMessage(page, /^Added app followed/);
    await followed.waitFor({ timeout: 10_000 });
    assert.equal(await records(page).last().getAttribute('data-target'), ACTIVITY);
    assert.match(await records(page).last().innerText(), /Added app followed/);
    await eventually(async () => followed.isVisible() && (await page.getByTestId('log-list').getAttribute('data-following-end')) === 'true', {
      message: 'the list to stay at the end',
    });

    // Fill the list past its height so it can scroll, then scroll up: new records wait below a button.
    for (let i = 0; i < 12; i++) await daemon.http('POST', '/api/v1/reporters', { name: `Reporter ${i}` });
    await withMessage(page, /Reporter 11/).waitFor();
    const list = page.getByTestId('log-list');
    await eventually(() => list.evaluate((el) => el.scrollHeight > el.clientHeight + 100), { message: 'a scrollable list' });
    await list.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    await page.locator('[data-testid="log-list"][data-following-end="false"]').waitFor();
    repos.push(await addApp(daemon, 'below'));
    await withMessage(page, /^Added app below/).waitFor({ state: 'attached' });
    const jump = page.getByTestId('log-jump');
    await page.waitForFunction(() => /1 newer record$/.test(document.querySelector('[data-testid="log-jump"]')?.textContent ?? ''));
    assert.equal(await list.evaluate((el) => el.scrollTop), 0, 'scrolled up stays put');
    await screenshot(page, 'logs-dark', { fullPage: true });
    await jump.click();
    await withMessage(page, /^Added app below/).waitFor({ state: 'visible' });
    assert.equal(await jump.count(), 0);

    // Following off: nothing more arrives by itself.
    await page.getByTestId('logs-follow').click();
    assert.equal(await page.getByTestId('logs-follow').getAttribute('aria-pressed'), 'false');
    const shown = Number(await list.getAttribute('data-records'));
    await daemon.http('POST', '/api/v1/reporters', { name: 'Unfollowed' });
    await page.waitForTimeout(2500);
    assert.equal(Number(await list.getAttribute('data-records')), shown);
    await page.getByTestId('logs-refresh').click();
    await withMessage(page, /Unfollowed/).waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a narrow window keeps the records readable', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 480, height: 900 } });
    await page.goto(new URL('/#/logs', daemon.baseUrl).href);
    await page.getByTestId('page-logs').waitFor();
    await withMessage(page, /^Added app logged/).waitFor();
    const overflow = await page.getByTestId('page-logs').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than its column`);
    await screenshot(page, 'logs-narrow-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('without a log file the page says where the daemon writes it', async () => {
    // The daemon keeps writing to the file it has open; the listing no longer shows one.
    for (const file of await readdir(join(daemon.dataDir, 'logs'))) await rm(join(daemon.dataDir, 'logs', file));
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'logs');
    const empty = page.getByTestId('logs-empty');
    await empty.waitFor();
    assert.match(await empty.innerText(), /No log file yet/);
    assert.match(await empty.innerText(), new RegExp(`${daemon.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/logs`));
    assert.equal(await records(page).count(), 0);
    await screenshot(page, 'logs-empty-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
