// (c) Settings: a saved change survives a reload; saving on a stale revision shows the conflict banner.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from './harness.mjs';

describe('settings page', () => {
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

  test('a form generated from the schema saves only what changed', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'settings');
    const form = page.getByTestId('settings-form');
    await form.waitFor();
    for (const section of ['ui', 'runner', 'processes', 'terminal', 'git', 'agents']) {
      await page.getByTestId(`settings-section-${section}`).waitFor();
    }
    const goals = page.getByTestId('setting-runner.maxConcurrentGoals');
    assert.equal(await goals.getAttribute('type'), 'number');
    assert.equal(await goals.getAttribute('min'), '1');
    assert.equal(await goals.getAttribute('max'), '32');
    assert.equal(await page.getByTestId('setting-git.integration').evaluate((el) => el.tagName), 'SELECT');
    assert.equal(await page.getByTestId('origin-runner.maxConcurrentGoals').innerText(), 'Default');
    await screenshot(page, 'settings-light');

    // Out of range: refused in the form, nothing sent.
    await goals.fill('99');
    await page.getByText('Must be at most 32.').waitFor();
    await goals.fill('4');
    await page.getByTestId('settings-save').click();
    await page.getByText('All changes saved').waitFor();
    assert.equal(await form.getAttribute('data-revision'), '1');

    await page.reload();
    await page.getByTestId('settings-form').waitFor();
    assert.equal(await page.getByTestId('setting-runner.maxConcurrentGoals').inputValue(), '4');
    assert.equal(await page.getByTestId('origin-runner.maxConcurrentGoals').innerText(), 'Set globally');

    const shown = JSON.parse(await daemon.cli('settings', 'get', '--json'));
    assert.equal(shown.effective.runner.maxConcurrentGoals, 4);
    assert.deepEqual(shown.global.values, { runner: { maxConcurrentGoals: 4 } }, 'only the changed key was stored');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('lists of words are one per line; the worktree mode is a choice', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'settings');
    await page.getByTestId('settings-form').waitFor();
    assert.equal(await page.getByTestId('setting-worktree.mode').evaluate((el) => el.tagName), 'SELECT');
    const setup = page.getByTestId('setting-worktree.setup');
    assert.equal(await setup.evaluate((el) => el.tagName), 'TEXTAREA');
    assert.equal(await setup.inputValue(), '', 'an empty list is an empty box, not []');
    await setup.fill('npm ci\n\n  make assets  \n');
    await page.getByTestId('settings-save').click();
    await page.getByText('All changes saved').waitFor();
    const shown = JSON.parse(await daemon.cli('settings', 'get', '--json'));
    assert.deepEqual(shown.effective.worktree.setup, ['npm ci', 'make assets']);
    await page.reload();
    assert.equal(await page.getByTestId('setting-worktree.setup').inputValue(), 'npm ci\nmake assets');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a stale revision shows the conflict banner', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'settings');
    const prefix = page.getByTestId('setting-git.branchPrefix');
    await prefix.fill('work/');

    // Someone else writes the same layer meanwhile.
    await daemon.cli('settings', 'set', 'runner.retryBudget', '5');

    await page.getByTestId('settings-save').click();
    const banner = page.getByTestId('settings-conflict');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Settings changed elsewhere — reload/);
    await screenshot(page, 'settings-conflict-dark');

    await page.getByTestId('settings-reload').click();
    await banner.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('setting-runner.retryBudget').inputValue(), '5');
    assert.equal(await page.getByTestId('setting-git.branchPrefix').inputValue(), 'refine/');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a change elsewhere refreshes a form without edits', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'settings');
    await page.getByTestId('settings-form').waitFor();
    await daemon.cli('settings', 'set', 'terminal.scrollbackKb', '1024');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="setting-terminal.scrollbackKb"]')?.value === '1024',
      null,
      { timeout: 10_000 },
    );
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the app layer overrides the global one and shows where values come from', async () => {
    const repo = await makeGitRepo('catalog', { 'main.py': 'print("hi")\n' });
    await daemon.cli('apps', 'add', repo.dir);
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'settings');
    await page.getByTestId('scope-app').click();
    await page.locator('[data-testid="settings-form"][data-scope="app"]').waitFor();
    // Global values written earlier are inherited in the app layer.
    assert.equal(await page.getByTestId('origin-runner.maxConcurrentGoals').innerText(), 'Inherited from global');
    assert.equal(await page.getByTestId('origin-git.integration').innerText(), 'Default');

    await page.getByTestId('setting-git.integration').selectOption('squash');
    await page.getByTestId('settings-save').click();
    await page.getByText('All changes saved').waitFor();
    assert.equal(await page.getByTestId('origin-git.integration').innerText(), 'Set for this app');
    await screenshot(page, 'settings-app-light');

    const shown = JSON.parse(await daemon.cli('settings', 'get', '--json'));
    assert.equal(shown.effective.git.integration, 'squash');
    assert.deepEqual(shown.app.values, { git: { integration: 'squash' } });
    assert.equal(shown.global.values.git, undefined, 'the global layer is untouched');

    // Back to the inherited value: the key is removed from the app layer.
    await page.getByTestId('reset-git.integration').click();
    await page.getByTestId('settings-save').click();
    await page.getByText('All changes saved').waitFor();
    assert.equal(await page.getByTestId('origin-git.integration').innerText(), 'Default');
    assert.equal(await page.getByTestId('setting-git.integration').inputValue(), '"merge"');
    assert.deepEqual(page.errors, []);
    await context.close();
    await repo.cleanup();
  });
});
