// Processes and the app's lifecycle: the start form splits a command line into argv (shown before
// running) and streams the output; the top-bar pill configures a start command and a health URL,
// starts the app, turns "healthy", opens its logs, and stops it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli } from './work.mjs';


describe('processes', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'site');
  });

  after(async () => {
    // Whatever a failed test left running.
    try {
      await callCli(daemon, 'target.stop', {});
    } catch {
      // not running
    }
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('start form: quote-aware argv preview, live output, exit code', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'processes');
    await page.getByTestId('processes-empty').waitFor();
    await page.getByTestId('start-command').fill(`printf '%s|%s\\n' "hello world" 'a "quoted" word'`);
    const words = await page.getByTestId('argv-word').allInnerTexts();
    assert.deepEqual(words, ['printf', '%s|%s\\n', 'hello world', 'a "quoted" word']);
    await page.getByTestId('start-label').fill('greeting');
    await screenshot(page, 'processes-start-form-light');
    await page.getByTestId('start-submit').click();
    const detail = page.getByTestId('process-detail');
    await page.locator('[data-testid="process-detail"][data-status="exited"]').waitFor();
    await page.locator('[data-testid="log-line"]', { hasText: 'hello world|a "quoted" word' }).waitFor();
    assert.equal(await detail.getByTestId('process-exit').innerText(), 'exit 0');

    // "Run in bash" sends one shell line; stderr is tinted.
    await page.getByTestId('start-command').fill('echo out; echo err >&2; exit 3');
    await page.getByTestId('start-bash').check();
    assert.deepEqual(await page.getByTestId('argv-word').allInnerTexts(), ['bash', '-lc', 'echo out; echo err >&2; exit 3']);
    await page.getByTestId('start-submit').click();
    await page.locator('[data-testid="process-detail"][data-status="failed"]').waitFor();
    await page.locator('[data-testid="log-line"][data-stream="stderr"]', { hasText: 'err' }).waitFor();
    assert.equal(await page.getByTestId('process-exit').innerText(), 'exit 3');
    assert.equal(await page.getByTestId('process-row').count(), 2);
    await screenshot(page, 'processes-failed-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the top-bar pill: configure, start → healthy, logs, stop → stopped', async () => {
    const port = await freePort();
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    const status = page.getByTestId('target-status');
    await page.waitForFunction(() => document.querySelector('[data-testid="target-status"]')?.textContent === 'stopped');

    // Configure the start command and the health URL.
    await page.getByTestId('target-pill').click();
    await page.getByTestId('target-configure').click();
    await page.getByTestId('target-config').waitFor();
    await page.getByTestId('target-field-start').fill(`python3 -m http.server ${port} --bind 127.0.0.1`);
    await page.getByTestId('target-field-healthUrl').fill(`http://127.0.0.1:${port}/`);
    await screenshot(page, 'target-configure-dark');
    await page.getByTestId('target-config-save').click();
    await page.getByTestId('target-config').waitFor({ state: 'detached' });
    const target = await callCli(daemon, 'target.get', {});
    assert.deepEqual(target.lifecycle.start, ['python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1']);
    assert.equal(target.lifecycle.healthUrl, `http://127.0.0.1:${port}/`);

    // Start from the pill; it turns healthy once the server answers.
    await page.getByTestId('target-pill').click();
    await page.getByTestId('target-start').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="target-status"]')?.textContent === 'healthy', null, { timeout: 30_000 });
    await page.getByTestId('target-pill').click();
    await page.getByTestId('target-health').waitFor();
    await screenshot(page, 'target-healthy-dark');

    // Logs: the start process on the Processes page, with the health probes' request lines.
    await page.getByTestId('target-logs').click();
    await page.getByTestId('page-processes').waitFor();
    const detail = page.locator('[data-testid="process-detail"][data-status="running"]');
    await detail.waitFor();
    assert.match(await detail.innerText(), /http\.server/);
    await page.locator('[data-testid="log-line"]', { hasText: 'GET / HTTP' }).first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'processes-logs-dark');

    // Stop from the pill.
    await page.getByTestId('target-pill').click();
    await page.getByTestId('target-stop').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="target-status"]')?.textContent === 'stopped', null, { timeout: 15_000 });
    await page.locator('[data-testid="process-detail"][data-status="stopped"]').waitFor();
    assert.equal(await status.innerText(), 'stopped');
    await screenshot(page, 'processes-stopped-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
