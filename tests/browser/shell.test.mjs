// The shell: the theme toggle persists its choice; the connection indicator follows the event stream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';

describe('shell', () => {
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

  test('the theme toggle cycles light → dark → system and survives a reload', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'light' });
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const toggle = page.getByTestId('theme-toggle');
    assert.equal(await toggle.getAttribute('data-theme-choice'), 'system');
    assert.equal(await theme(), 'light');

    await toggle.click(); // system → light
    assert.equal(await toggle.getAttribute('data-theme-choice'), 'light');
    await toggle.click(); // light → dark
    assert.equal(await toggle.getAttribute('data-theme-choice'), 'dark');
    assert.equal(await theme(), 'dark');

    await page.reload();
    await page.getByTestId('theme-toggle').waitFor();
    assert.equal(await theme(), 'dark', 'the choice is kept in localStorage');
    await page.getByTestId('theme-toggle').click(); // dark → system (light here)
    assert.equal(await theme(), 'light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test("the daemon's ui.theme setting is the default until this browser chooses", async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'light' });
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), 'light');
    await daemon.cli('settings', 'set', 'ui.theme', 'dark');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', null, { timeout: 10_000 });
    await daemon.cli('settings', 'set', 'ui.theme', 'null');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light', null, { timeout: 10_000 });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a revoked session shows how to sign in again, and a pasted link signs in', async () => {
    const { page, context } = await openUi(browser, daemon);
    await daemon.cli('sessions', 'revoke', '--all');
    await goTo(page, 'system').catch(() => {});
    const signIn = page.getByTestId('sign-in');
    await signIn.waitFor();
    assert.match(await signIn.innerText(), /refine open/);
    assert.equal(await page.evaluate(() => localStorage.getItem('refine.session')), null, 'the dead secret is forgotten');
    await screenshot(page, 'sign-in-light');
    await page.getByTestId('login-link').fill(await daemon.loginLink());
    await page.getByTestId('sign-in-submit').click();
    await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
    await goTo(page, 'system');
    await context.close();
  });

  test('the connection indicator leaves "connected" when the daemon goes away', async () => {
    const { page, context } = await openUi(browser, daemon);
    const indicator = page.getByTestId('connection');
    assert.equal(await indicator.getAttribute('data-state'), 'connected');
    await daemon.stop();
    await page.waitForFunction(
      () => ['reconnecting', 'offline'].includes(document.querySelector('[data-testid="connection"]')?.dataset.state ?? ''),
      null,
      { timeout: 15_000 },
    );
    await screenshot(page, 'connection-lost-light');
    await context.close();
  });
});
