// Settings → Guidance, Governance and Quality: entries with stable ids edited in place, one
// revision per collection; a change made elsewhere while editing shows the conflict and a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually, texts } from './work.mjs';

async function openTab(page, tab) {
  await goTo(page, 'settings');
  await page.getByTestId(`settings-tab-${tab}`).click();
  await page.getByTestId(`page-settings-${tab}`).waitFor();
}

const entry = (page, id) => page.locator(`[data-testid="guidance-entry"][data-entry-id="${id}"]`);

describe('quality, governance and guidance settings', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'teashop')).cleanup);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('guidance: add, edit, switch off, reorder, remove; a concurrent change shows the conflict', async () => {
    const { page, context } = await openUi(browser, daemon);
    await openTab(page, 'guidance');
    await page.getByTestId('guidance-empty').waitFor();

    await page.getByTestId('guidance-add-title').fill('Prefer small commits');
    await page.getByTestId('guidance-add-body').fill('One concern per commit.\nWrite the why in the message.');
    await page.getByTestId('guidance-add-submit').click();
    await entry(page, 'G1').waitFor();
    assert.equal(await page.getByTestId('guidance-add-title').inputValue(), '', 'the form is cleared');
    await page.getByTestId('guidance-add-title').fill('Use the design tokens');
    await page.getByTestId('guidance-add-submit').click();
    await entry(page, 'G2').waitFor();

    // Edit in place.
    await entry(page, 'G2').getByTestId('guidance-edit').click();
    await entry(page, 'G2').getByTestId('guidance-title-input').fill('Colours come from the design tokens');
    await entry(page, 'G2').getByTestId('guidance-body-input').fill('See src/tokens.css.');
    await entry(page, 'G2').getByTestId('guidance-save').click();
    await entry(page, 'G2').getByTestId('guidance-title').getByText('Colours come from the design tokens').waitFor();

    // Switch one off, and move the other first.
    await entry(page, 'G1').getByTestId('guidance-enabled').click();
    await page.locator('[data-testid="guidance-entry"][data-entry-id="G1"][data-enabled="false"]').waitFor();
    await entry(page, 'G2').getByTestId('guidance-up').click();
    await eventually(async () => (await texts(page.getByTestId('guidance-title'))).join('|') === 'Colours come from the design tokens|Prefer small commits', {
      message: 'the new order',
    });
    let stored = await callCli(daemon, 'guidance.list', {});
    assert.deepEqual(
      stored.entries.map((e) => [e.id, e.enabled]),
      [
        ['G2', true],
        ['G1', false],
      ],
    );
    assert.equal(stored.entries[0].body, 'See src/tokens.css.');
    assert.equal(stored.revision, 5);
    assert.equal(await page.getByTestId('guidance').getAttribute('data-revision'), '5');
    assert.equal(await page.getByTestId('guidance-conflict').count(), 0, 'our own writes are not a conflict');
    await screenshot(page, 'guidance-light');

    // Someone else adds an entry while an edit is open: the page says so and reloads on request.
    await entry(page, 'G1').getByTestId('guidance-edit').click();
    await entry(page, 'G1').getByTestId('guidance-title-input').fill('Prefer very small commits');
    await daemon.cli('guidance', 'add', 'Name things plainly');
    const banner = page.getByTestId('guidance-conflict');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Guidance changed elsewhere — reload/);
    assert.equal(await entry(page, 'G1').getByTestId('guidance-save').isDisabled(), true, 'saving waits for a reload');
    await screenshot(page, 'guidance-conflict-light');
    await page.getByTestId('guidance-conflict-reload').click();
    await banner.waitFor({ state: 'detached' });
    await entry(page, 'G3').waitFor();
    assert.equal(await page.getByTestId('guidance-title-input').count(), 0, 'the unsaved edit was dropped');
    stored = await callCli(daemon, 'guidance.list', {});
    assert.equal(stored.entries.find((e) => e.id === 'G1').title, 'Prefer small commits');

    // Remove: gone from the page and the daemon; the audit log names the browser.
    await entry(page, 'G3').getByTestId('guidance-remove').click();
    await entry(page, 'G3').waitFor({ state: 'detached' });
    stored = await callCli(daemon, 'guidance.list', {});
    assert.deepEqual(
      stored.entries.map((e) => e.id),
      ['G2', 'G1'],
    );
    const activity = await callCli(daemon, 'activity.list', { operation: 'guidance', limit: 50 });
    assert.ok(activity.items.some((a) => a.operation === 'guidance.delete' && a.surface === 'browser'));
    assert.ok(activity.items.some((a) => a.operation === 'guidance.add' && a.surface === 'cli'));
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a save on a stale revision is refused with a conflict; reload brings the current values', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await openTab(page, 'guidance');
    await entry(page, 'G2').waitFor();
    await entry(page, 'G2').getByTestId('guidance-edit').click();
    await entry(page, 'G2').getByTestId('guidance-title-input').fill('Tokens only');
    // Someone else writes between this page's read and its save.
    await page.route('**/api/v1/guidance/G2', async (route) => {
      if (route.request().method() === 'PATCH') {
        const { revision } = await callCli(daemon, 'guidance.list', {});
        await callCli(daemon, 'guidance.update', { id: 'G1', enabled: true, revision });
      }
      await route.continue();
    });
    await entry(page, 'G2').getByTestId('guidance-save').click();
    const banner = page.getByTestId('guidance-conflict');
    await banner.waitFor();
    assert.match(await banner.innerText(), /changed since you read it/);
    await screenshot(page, 'guidance-conflict-dark');
    const stored = await callCli(daemon, 'guidance.list', {});
    assert.equal(stored.entries[0].title, 'Colours come from the design tokens', 'nothing was overwritten');
    await page.unroute('**/api/v1/guidance/G2');
    await page.getByTestId('guidance-conflict-reload').click();
    await banner.waitFor({ state: 'detached' });
    await page.locator('[data-testid="guidance-entry"][data-entry-id="G1"][data-enabled="true"]').waitFor();
    assert.equal(await page.getByTestId('guidance-title-input').count(), 0);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('governance: statement, constitution and rules; quality: tests and instructions', async () => {
    const { page, context } = await openUi(browser, daemon);
    await openTab(page, 'governance');
    await page.getByTestId('governance-statement').fill('A tea shop for people who care about provenance.');
    await page.getByTestId('governance-constitution').fill('# Principles\n\n- No dark patterns.\n- Prices are honest.');
    await page.getByTestId('governance-save').click();
    await page.getByText('Saved · revision 1').waitFor();
    await page.getByTestId('rule-add-title').fill('No new dependencies');
    await page.getByTestId('rule-add-body').fill('Ask the owner first.');
    await page.getByTestId('rule-add-submit').click();
    await page.locator('[data-testid="rule-entry"][data-entry-id="R1"]').waitFor();
    await page.getByTestId('rule-add-title').fill('Prices are integer cents');
    await page.getByTestId('rule-add-submit').click();
    await page.locator('[data-testid="rule-entry"][data-entry-id="R2"]').waitFor();
    const gov = await callCli(daemon, 'governance.get', {});
    assert.equal(gov.statement, 'A tea shop for people who care about provenance.');
    assert.deepEqual(
      gov.rules.map((r) => [r.id, r.title]),
      [
        ['R1', 'No new dependencies'],
        ['R2', 'Prices are integer cents'],
      ],
    );
    assert.equal(gov.revision, 3);
    await page.waitForTimeout(300);
    assert.equal(await page.getByTestId('governance-conflict').count(), 0, 'our own writes are not a conflict');
    await page.getByTestId('governance-rules').scrollIntoViewIfNeeded();
    await screenshot(page, 'governance-light');

    await page.getByTestId('settings-tab-quality').click();
    await page.getByTestId('page-settings-quality').waitFor();
    await page.getByTestId('quality-no-tests').waitFor();
    await page.getByTestId('quality-add-test').click();
    await page.getByTestId('quality-test-input').nth(0).fill('A coupon code lowers the total once');
    await page.getByTestId('quality-add-test').click();
    await page.getByTestId('quality-test-input').nth(1).fill('The cart survives a reload');
    await page.getByTestId('quality-instructions').fill('Run npm test, then open /cart in a browser.');
    await page.getByTestId('quality-save').click();
    await page.getByText('All changes saved · revision 1').waitFor();
    let q = await callCli(daemon, 'quality.settings.get', {});
    assert.deepEqual(q.tests, ['A coupon code lowers the total once', 'The cart survives a reload']);
    assert.equal(q.instructions, 'Run npm test, then open /cart in a browser.');

    // Edited elsewhere while typing here.
    await page.getByTestId('quality-instructions').fill('Something else');
    await daemon.cli('quality', 'set-tests', 'Only this one');
    await page.getByTestId('quality-conflict').waitFor();
    assert.equal(await page.getByTestId('quality-save').isDisabled(), true, 'saving waits for a reload');
    q = await callCli(daemon, 'quality.settings.get', {});
    assert.equal(q.instructions, 'Run npm test, then open /cart in a browser.', 'the stale save stored nothing');
    await page.getByTestId('quality-conflict-reload').click();
    await page.getByTestId('quality-conflict').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('quality-test-input').count(), 1);
    assert.equal(await page.getByTestId('quality-test-input').inputValue(), 'Only this one');
    await screenshot(page, 'quality-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
