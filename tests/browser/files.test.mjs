// The Files page: lazy tree, CodeMirror editor with Ctrl-S saves based on the etag that was read,
// the stale-write conflict (412) and its resolution, live tree refresh from files.changed, the
// Ctrl-P finder and the grep panel.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, eventually } from './work.mjs';

/** The editor's text as CodeMirror shows it (one DOM line per document line). */
const editorText = (page) => page.locator('.cm-content').evaluate((el) => [...el.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n'));

describe('files', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'notes');
    writeFileSync(join(repo.dir, 'src/util.ts'), 'export function add(a: number, b: number): number {\n  return a + b; // needle\n}\n');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('edit and save; a stale save shows the conflict; reload takes the disk version; the tree refreshes', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'files');
    await page.locator('[data-testid="tree-entry"][data-path="src"] .tree-name').click();
    await page.locator('[data-testid="tree-entry"][data-path="src/main.js"] .tree-name').click();
    await page.locator('[data-testid="code-editor"][data-path="src/main.js"] .cm-content').waitFor();
    assert.equal(await editorText(page), 'console.log("hi");\n');

    // Edit and save with Ctrl-S.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('console.log("saved");');
    await page.getByTestId('editor-dirty').waitFor();
    await page.locator('.tok-string').first().waitFor();
    await screenshot(page, 'files-editor-light');
    await page.keyboard.press('Control+s');
    await page.getByTestId('editor-dirty').waitFor({ state: 'detached' });
    assert.equal(readFileSync(join(repo.dir, 'src/main.js'), 'utf8'), 'console.log("hi");\nconsole.log("saved");');

    // Edit again, then someone else writes the file; saving from the stale editor is refused.
    await page.keyboard.type('\n// mine');
    await page.getByTestId('editor-dirty').waitFor();
    writeFileSync(join(repo.dir, 'src/main.js'), 'console.log("from disk");\n');
    await page.keyboard.press('Control+s');
    const conflict = page.getByTestId('editor-conflict');
    await conflict.waitFor();
    assert.match(await conflict.innerText(), /changed on disk/i);
    await screenshot(page, 'files-conflict-light');
    // The edits stayed in the editor; the file on disk is theirs.
    assert.match(await editorText(page), /\/\/ mine/);
    assert.equal(readFileSync(join(repo.dir, 'src/main.js'), 'utf8'), 'console.log("from disk");\n');

    // Resolve by reloading theirs.
    await page.getByTestId('conflict-reload').click();
    await conflict.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('from disk'));
    assert.equal(await editorText(page), 'console.log("from disk");\n');
    assert.equal(await page.getByTestId('editor-dirty').count(), 0);

    // A clean open file follows the disk.
    writeFileSync(join(repo.dir, 'src/main.js'), 'console.log("again");\n');
    await page.waitForFunction(() => document.querySelector('.cm-content')?.textContent?.includes('again'));

    // A file created on disk appears in the tree.
    writeFileSync(join(repo.dir, 'fresh.md'), '# Fresh\n');
    await page.locator('[data-testid="tree-entry"][data-path="fresh.md"]').waitFor({ timeout: 10_000 });
    writeFileSync(join(repo.dir, 'src/extra.js'), 'export {};\n');
    await page.locator('[data-testid="tree-entry"][data-path="src/extra.js"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('finder (Ctrl-P), grep opens at the line, create / rename / delete', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'files');
    await page.getByTestId('file-tree').waitFor();

    // Ctrl-P → fuzzy name → Enter.
    await page.keyboard.press('Control+p');
    await page.getByTestId('file-finder-input').fill('utl');
    await page.locator('[data-testid="file-finder-item"][data-path="src/util.ts"]').waitFor();
    await screenshot(page, 'files-finder-dark');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="code-editor"][data-path="src/util.ts"] .cm-content').waitFor();
    await page.locator('.tok-keyword').first().waitFor();
    await screenshot(page, 'files-editor-dark');

    // Grep → a hit opens the file at its line.
    await page.getByTestId('files-tab-search').click();
    await page.getByTestId('grep-input').fill('needle');
    await page.getByTestId('grep-submit').click();
    const hit = page.locator('[data-testid="grep-hit"][data-path="src/util.ts"]');
    await hit.waitFor();
    assert.equal(await hit.getAttribute('data-line'), '2');
    await page.getByTestId('grep-input').fill('console');
    await page.getByTestId('grep-submit').click();
    await page.locator('[data-testid="grep-hit"][data-path="src/main.js"]').click();
    await page.locator('[data-testid="code-editor"][data-path="src/main.js"]').waitFor();
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('line') === '1');
    await screenshot(page, 'files-grep-dark');

    // Create, rename, delete.
    await page.getByTestId('files-tab-tree').click();
    await page.getByTestId('new-file').click();
    await page.getByTestId('entry-path').fill('docs.txt');
    await page.getByTestId('entry-submit').click();
    await page.locator('[data-testid="code-editor"][data-path="docs.txt"]').waitFor();
    await eventually(() => readFileSync(join(repo.dir, 'docs.txt'), 'utf8') === '', { message: 'docs.txt created' });
    const row = page.locator('[data-testid="tree-entry"][data-path="docs.txt"]');
    await row.waitFor();
    await row.hover();
    await row.getByTestId('tree-rename').click();
    await page.getByTestId('entry-path').fill('guide.txt');
    await page.getByTestId('entry-submit').click();
    await page.locator('[data-testid="tree-entry"][data-path="guide.txt"]').waitFor();
    assert.equal(await page.getByTestId('editor-path').innerText(), 'guide.txt');
    // Delete through the right-click menu.
    const renamed = page.locator('[data-testid="tree-entry"][data-path="guide.txt"]');
    await renamed.click({ button: 'right' });
    await page.getByTestId('tree-context-menu').waitFor();
    await screenshot(page, 'files-context-menu-dark');
    await page.getByTestId('tree-context-menu').getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByTestId('entry-submit').click();
    await renamed.waitFor({ state: 'detached' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
