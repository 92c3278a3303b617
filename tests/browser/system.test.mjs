// (d) The System page lists the operation catalogue; the command palette opens with Ctrl+K.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from './harness.mjs';

describe('system page and command palette', () => {
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

  test('lists daemon info and every operation, filterable, with schemas', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'system');
    await page.getByTestId('system-info').waitFor();
    const daemonJson = JSON.parse(await (await import('node:fs/promises')).readFile(`${daemon.dataDir}/daemon.json`, 'utf8'));
    assert.match(await page.getByTestId('info-version').innerText(), new RegExp(daemonJson.version.replace(/\./g, '\\.')));
    assert.match(await page.getByTestId('info-pid').innerText(), new RegExp(String(daemonJson.pid)));

    const rows = page.getByTestId('operation-row');
    await rows.first().waitFor();
    const names = await rows.evaluateAll((els) => els.map((e) => e.dataset.op));
    for (const name of ['system.info', 'system.operations', 'apps.add', 'apps.rescan', 'settings.update', 'activity.list']) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    await screenshot(page, 'system-light');

    await page.getByTestId('operation-filter').fill('settings');
    // The filter keeps operations whose name or doc holds "settings": settings.*, quality.settings.*
    // and those whose doc mentions settings; everything else goes.
    await page.waitForFunction(() => {
      const ops = [...document.querySelectorAll('[data-testid="operation-row"]')].map((e) => e.dataset.op ?? '');
      return ops.includes('settings.update') && ops.includes('quality.settings.get') && !ops.includes('apps.add');
    });
    const kept = await rows.evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    assert.ok(kept.every((text) => /settings/i.test(text)), `every kept row mentions settings: ${kept.join(' | ')}`);
    await page.locator('[data-testid="operation-row"][data-op="settings.update"] button').click();
    const schemas = page.getByTestId('operation-schemas');
    await schemas.waitFor();
    assert.match(await schemas.innerText(), /revision/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('Ctrl+K opens the palette; it navigates and runs operations', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'dashboard');
    await page.keyboard.press('Control+k');
    const palette = page.getByTestId('command-palette');
    await palette.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'palette-input');
    await page.locator('[data-testid="palette-item"][data-item="op:apps.add"]').waitFor();
    await screenshot(page, 'palette-dark');

    // A query without required input runs at once and shows its JSON.
    await page.keyboard.type('system.info');
    await page.keyboard.press('Enter');
    const result = page.getByTestId('palette-result');
    await result.waitFor();
    assert.match(await result.innerText(), /"apiVersion"/);

    // Escape goes back to the list, a second Escape closes.
    await page.keyboard.press('Escape');
    await page.getByTestId('palette-input').waitFor();
    await page.keyboard.press('Escape');
    await palette.waitFor({ state: 'detached' });

    // Navigation target.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('go to apps');
    await page.keyboard.press('Enter');
    await page.getByTestId('page-apps').waitFor();
    await palette.waitFor({ state: 'detached' });

    // An operation with input opens the JSON editor; the server's error is shown.
    await page.getByTestId('palette-button').click();
    await page.getByTestId('palette-input').fill('apps.get');
    await page.keyboard.press('Enter');
    const editor = page.getByTestId('palette-json');
    await editor.waitFor();
    assert.equal(await editor.inputValue(), '{}');
    await editor.fill('{"id": "no-such-app"}');
    await page.getByTestId('palette-run').click();
    const error = page.getByTestId('palette-error');
    await error.waitFor();
    assert.match(await error.innerText(), /^invalid_input: /);
    assert.equal(await editor.inputValue(), '{"id": "no-such-app"}', 'the input stays for a retry');
    await screenshot(page, 'palette-error-dark');

    // A mutation runs through the same client and its result is shown.
    await page.keyboard.press('Escape');
    await page.getByTestId('palette-input').fill('apps.select');
    await page.keyboard.press('Enter');
    await editor.fill('{"id": null}');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('palette-result').waitFor();
    assert.match(await page.getByTestId('palette-result').innerText(), /"active": null/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the dashboard shows the active app', async () => {
    const repo = await makeGitRepo('inventory', {
      'go.mod': 'module example.com/inventory\n\ngo 1.22\n',
      'main.go': 'package main\n\nfunc main() {}\n',
    });
    await daemon.cli('apps', 'add', repo.dir);
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'dashboard');
    const overview = page.getByTestId('project-overview');
    await overview.waitFor();
    assert.match(await overview.innerText(), /initial commit/);
    await screenshot(page, 'dashboard-light');
    assert.deepEqual(page.errors, []);
    await context.close();
    await repo.cleanup();
  });
});
