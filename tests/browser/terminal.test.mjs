// The Terminal page: open a session, type into xterm.js over the session's WebSocket, see the
// output; reload the page and the daemon replays the scrollback; a second tab, rename, close.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from './harness.mjs';

/** The terminal's visible rows as lines of text. */
async function screenLines(page) {
  const text = await page.locator('[data-testid="terminal-host"] .xterm-rows').innerText();
  return text.split('\n').map((l) => l.replace(/\u00a0/g, ' ').trimEnd());
}

async function waitForLine(page, line) {
  await page.waitForFunction(
    (want) => {
      const rows = document.querySelector('[data-testid="terminal-host"] .xterm-rows');
      return !!rows && rows.innerText.split('\n').some((l) => l.replace(/\u00a0/g, ' ').trim() === want);
    },
    line,
    { timeout: 15_000 },
  );
}

describe('terminal page', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await makeGitRepo('term-app', { 'README.md': '# term-app\n' });
    await daemon.cli('apps', 'add', repo.dir);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('types into a session, survives a reload, tabs rename and close', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'terminal');
    await page.getByTestId('terminal-empty').waitFor();
    await page.getByTestId('terminal-new').click();
    await page.locator('[data-testid="terminal-view"][data-link="open"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="terminal-host"] .xterm').click();
    await page.keyboard.type('echo h""i');
    await page.keyboard.press('Enter');
    await waitForLine(page, 'hi');
    await page.keyboard.type('pwd');
    await page.keyboard.press('Enter');
    await waitForLine(page, repo.dir);
    await screenshot(page, 'terminal');

    // The session belongs to the daemon: a reload replays its scrollback.
    await page.reload();
    await page.getByTestId('page-terminal').waitFor();
    await page.locator('[data-testid="terminal-view"][data-link="open"]').waitFor({ timeout: 15_000 });
    await waitForLine(page, 'hi');
    const sessions = await daemon.http('GET', '/api/v1/terminal');
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].clients, 1, 'the reloaded page is the one client');

    // A second tab; rename it; close it.
    await page.getByTestId('terminal-new').click();
    await page.locator('[data-testid="terminal-tab"]').nth(1).waitFor();
    await page.locator('[data-testid="terminal-view"][data-link="open"]').waitFor({ timeout: 15_000 });
    const second = page.locator('[data-testid="terminal-tab"]').nth(1);
    await second.locator('.terminal-tab-title').dblclick();
    await page.getByTestId('terminal-rename').fill('server');
    await page.getByTestId('terminal-rename').press('Enter');
    await second.getByText('server').waitFor();
    await second.getByTestId('terminal-close').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="terminal-tab"]').length === 1);
    // Back on the first session: still there.
    await waitForLine(page, 'hi');
    assert.ok((await screenLines(page)).includes('hi'));
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
