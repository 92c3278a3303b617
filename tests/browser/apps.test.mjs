// (a) Adding an app through the UI: it is listed with its detected language; a folder that is not
// a Git repository shows the server's error. Also: rescan progress, select, remove with confirm.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, makePlainDir, openUi, screenshot, startDaemon } from './harness.mjs';

describe('apps page', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('adds a Git repository and shows what was detected', async () => {
    const repo = await makeGitRepo('shop-api', {
      'Cargo.toml': '[package]\nname = "shop-api"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/main.rs': 'fn main() {\n    println!("hello");\n}\n',
      'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n',
      'README.md': '# shop-api\n',
    });
    cleanups.push(repo.cleanup);
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'apps');
    await page.getByTestId('apps-empty').waitFor();
    await screenshot(page, 'apps-empty-light');

    await page.getByTestId('add-app-path').fill(repo.dir);
    await page.getByTestId('add-app-submit').click();

    const card = page.locator('[data-testid="app-card"][data-app-name="shop-api"]');
    await card.waitFor();
    const languages = card.getByTestId('app-languages');
    await languages.getByText('Rust').waitFor();
    assert.match(await languages.innerText(), /Rust\s*2/, 'two Rust files are counted');
    assert.match(await card.innerText(), /main/, 'the default branch is shown');
    assert.match(await card.innerText(), /cargo/i, 'the package manager or command is shown');
    // The first app added becomes active; the top bar switcher follows.
    await card.getByTestId('active-badge').waitFor();
    assert.equal(await page.getByTestId('app-switcher').locator('option:checked').innerText(), 'shop-api');
    await screenshot(page, 'apps-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('adding a folder that is not a Git repository shows the error', async () => {
    const plain = await makePlainDir('just-a-folder');
    cleanups.push(plain.cleanup);
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'apps');
    await page.getByTestId('add-app-path').fill(plain.dir);
    await page.getByTestId('add-app-submit').click();
    const error = page.getByTestId('add-app-error');
    await error.waitFor();
    const text = await error.innerText();
    assert.ok(text.length > 10, `an explanatory message is shown, got "${text}"`);
    assert.match(text, /git|repositor/i, `the message says why: "${text}"`);
    assert.equal(await page.locator('[data-testid="app-card"][data-app-name="just-a-folder"]').count(), 0);

    // A relative path is refused too, with the server's message.
    await page.getByTestId('add-app-path').fill('relative/path');
    await page.getByTestId('add-app-submit').click();
    await page.waitForFunction((previous) => document.querySelector('[data-testid="add-app-error"]')?.textContent !== previous, text);
    await screenshot(page, 'apps-error-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('rescan shows live progress; select and remove work', async () => {
    const second = await makeGitRepo('web-client', {
      'package.json': '{\n  "name": "web-client",\n  "scripts": { "build": "vite build", "test": "vitest" }\n}\n',
      'package-lock.json': '{\n  "lockfileVersion": 3\n}\n',
      'src/index.ts': 'export const answer = 42;\n',
      'src/app.tsx': 'export function App() { return null; }\n',
    });
    cleanups.push(second.cleanup);
    await daemon.cli('apps', 'add', second.dir);

    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'apps');
    const card = page.locator('[data-testid="app-card"][data-app-name="web-client"]');
    await card.waitFor();

    await card.getByTestId('app-rescan').click();
    const status = card.locator('[data-testid="rescan-progress"][data-status="succeeded"]');
    await status.waitFor({ timeout: 15_000 });

    await card.getByTestId('app-select').click();
    await card.getByTestId('active-badge').waitFor();
    assert.equal(await page.getByTestId('app-switcher').locator('option:checked').innerText(), 'web-client');
    await screenshot(page, 'apps-dark');

    // Detach through the switcher, then remove with confirmation.
    await page.getByTestId('app-switcher').selectOption({ label: 'Detached (no app)' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="active-badge"]').length === 0);
    await card.getByTestId('app-remove').click();
    await card.getByTestId('remove-confirm').waitFor();
    await card.getByTestId('remove-confirm-button').click();
    await card.waitFor({ state: 'detached' });
    const names = await page.locator('[data-testid="app-card"]').evaluateAll((els) => els.map((e) => e.dataset.appName));
    assert.deepEqual(names, ['shop-api']);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
