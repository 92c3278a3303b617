// Being told: with notifications turned on (the browser's permission granted), a Goal reaching
// review shows a system notification that opens the Goal when clicked. Settings → Webhooks adds a
// webhook (a plain-http address off this machine is refused with the reason), shows its secret
// once, and lists its deliveries after a ping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli } from './work.mjs';

describe('notifications and webhooks', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'notified');
    const settings = await callCli(daemon, 'settings.get', {});
    await callCli(daemon, 'settings.update', { scope: 'global', revision: settings.global.revision, patch: { agents: { defaultProfile: 'scripted' }, runner: { pollSeconds: 1 } } });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('a Goal reaching review notifies, and the notification opens it', async () => {
    const { page, context } = await openUi(browser, daemon);
    await context.grantPermissions(['notifications'], { origin: daemon.baseUrl });
    // Record every notification the page shows (the real constructor still runs).
    await context.addInitScript(() => {
      const Real = window.Notification;
      window.shown = [];
      class Recorded extends Real {
        constructor(title, options) {
          super(title, options);
          window.shown.push({ title, body: options?.body, n: this });
        }
      }
      Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
      Recorded.requestPermission = (...a) => Real.requestPermission(...a);
      window.Notification = Recorded;
    });
    await page.reload();
    await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 15_000 });
    const bell = page.getByTestId('notify-toggle');
    assert.equal(await bell.getAttribute('data-on'), 'false');
    await bell.click();
    await page.locator('[data-testid="notify-toggle"][data-on="true"]').waitFor();

    const goal = await callCli(daemon, 'goals.create', { title: 'Ring the bell', status: 'todo', prompt: 'Ring.\n\n```refine-script\nimplement: write bell.txt ding\\n\n```\n' });
    await page.waitForFunction(() => window.shown.some((s) => s.title.includes('ready for review')), null, { timeout: 90_000 });
    const shown = await page.evaluate(() => window.shown.map((s) => ({ title: s.title, body: s.body })));
    const review = shown.find((s) => s.title.includes('ready for review'));
    assert.equal(review.title, '#1 is ready for review');
    assert.equal(review.body, 'Ring the bell');
    // Clicking it opens the Goal.
    await page.evaluate(() => window.shown.find((s) => s.title.includes('ready for review')).n.onclick());
    await page.locator(`[data-goal-id="${goal.id}"]`).waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('Settings → Webhooks: refused address, secret once, deliveries after a ping', async () => {
    const { page, context } = await openUi(browser, daemon);
    await page.goto(`${daemon.baseUrl}#/settings/webhooks`);
    await page.getByTestId('page-settings-webhooks').waitFor();
    const form = page.getByTestId('webhook-add');
    await form.getByTestId('webhook-url').fill('http://10.0.0.7/hook');
    await form.getByTestId('webhook-allow-http').check();
    await form.getByTestId('webhook-submit').click();
    await form.getByTestId('webhook-error').getByText(/non-loopback/).waitFor();
    assert.deepEqual(await callCli(daemon, 'webhooks.list', {}), [], 'nothing stored');

    await form.getByTestId('webhook-url').fill('http://127.0.0.1:9/hook');
    await form.getByTestId('webhook-submit').click();
    const secret = form.getByTestId('webhook-secret');
    await secret.waitFor();
    assert.match(await secret.innerText(), /whsec_[0-9a-f]{48}/);
    const card = page.getByTestId('webhook');
    await card.waitFor();
    await card.getByTestId('webhook-ping').click();
    // Port 9 answers nothing: the ping is recorded as an attempt to be retried.
    const row = card.locator('[data-testid="webhook-delivery"]');
    await row.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="webhook-delivery"]')?.textContent.includes('could not reach'), null, { timeout: 15_000 });
    assert.match(await row.first().innerText(), /webhook\.ping/);
    await screenshot(page, 'settings-webhooks-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
