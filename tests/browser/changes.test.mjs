// The Changes page: status grouped by staged/changed/untracked, stage and commit through the UI,
// the diff viewer (rename shown old → new, binary marked, unified and side by side), the log with
// filters and revert, and the churn charts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from './harness.mjs';
import { eventually } from './work.mjs';

const run = promisify(execFile);

const SOURCE = ['export function greet(name) {', '  const greeting = "Hello";', '  return `${greeting}, ${name}!`;', '}', '', 'export const answer = 42;', ''].join('\n');

describe('changes', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await makeGitRepo('shop', {
      'README.md': '# shop\n\nA small shop.\n',
      'src/greet.js': SOURCE,
      'assets/logo.bin': Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 7]),
    });
    // Commits made through the daemon need an identity in the repository.
    await run('git', ['config', 'user.name', 'Refine Test'], { cwd: repo.dir });
    await run('git', ['config', 'user.email', 'test@refine.invalid'], { cwd: repo.dir });
    await daemon.cli('apps', 'add', repo.dir);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('rename and binary change on disk → stage, diff, commit, log, revert, churn', async () => {
    // On disk: a rename with an edit, a changed binary file, an edited README.
    await rename(join(repo.dir, 'src/greet.js'), join(repo.dir, 'src/hello.js'));
    await writeFile(join(repo.dir, 'src/hello.js'), SOURCE.replace('"Hello"', '"Hi there"'));
    await writeFile(join(repo.dir, 'assets/logo.bin'), Buffer.from([0, 9, 9, 9, 0, 1, 2]));
    await writeFile(join(repo.dir, 'README.md'), '# shop\n\nA small shop that sells shoes.\n');

    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'changes');
    const untracked = page.locator('[data-testid="status-file"][data-group="untracked"][data-path="src/hello.js"]');
    await untracked.waitFor();
    assert.equal(await page.getByTestId('status-group-unstaged').getAttribute('data-count'), '3', 'deleted greet.js, README, logo.bin');

    // Stage everything through the UI.
    await page.getByTestId('stage-all-unstaged').click();
    await page.getByTestId('stage-all-untracked').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="status-group-staged"]')?.getAttribute('data-count') === '3');
    assert.match(await page.getByTestId('status-rename').innerText(), /src\/greet\.js → src\/hello\.js/);

    // The diff: the rename as old → new, the binary file marked, line numbers from the hunk headers.
    const renamed = page.locator('[data-testid="diff-file"][data-status="renamed"]');
    await renamed.waitFor();
    assert.equal((await renamed.getByTestId('diff-rename').innerText()).trim(), 'src/greet.js → src/hello.js');
    const binary = page.locator('[data-testid="diff-file"][data-path="assets/logo.bin"]');
    await binary.getByTestId('diff-binary').waitFor();
    assert.equal(await binary.getByTestId('diff-binary').innerText(), 'binary');
    const readme = page.locator('[data-testid="diff-file"][data-path="README.md"]');
    await readme.locator('tr.diff-line.add').first().waitFor();
    assert.match(await readme.locator('tr.diff-line.add').first().innerText(), /3\s+\+?\s*A small shop that sells shoes\./);
    // Syntax colours arrive for the JavaScript file.
    await renamed.locator('.tok-keyword').first().waitFor();
    await screenshot(page, 'changes-unified-light', { fullPage: true });

    await page.getByTestId('diff-mode-split').click();
    await renamed.getByTestId('diff-split').waitFor();
    const splitRow = renamed.locator('td.code.del').first();
    assert.match(await splitRow.innerText(), /"Hello"/);
    assert.match(await renamed.locator('td.code.add').first().innerText(), /"Hi there"/);
    await screenshot(page, 'changes-split-light', { fullPage: true });

    // Commit through the UI.
    await page.getByTestId('commit-message').fill('Rename greet to hello and refresh the logo');
    await page.getByTestId('commit-submit').click();
    await page.getByTestId('diff-empty').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="status-group-staged"]')?.getAttribute('data-count') === '0');

    // The log lists it; filters narrow it down.
    await page.getByTestId('changes-tab-log').click();
    const first = page.getByTestId('commit').first();
    await first.waitFor();
    assert.equal(await first.getByTestId('commit-subject').innerText(), 'Rename greet to hello and refresh the logo');
    assert.equal(await page.getByTestId('commit').count(), 2);
    await page.getByTestId('log-grep').fill('initial');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="commit"]').length === 1);
    assert.equal(await page.getByTestId('commit-subject').innerText(), 'initial commit');
    await page.getByTestId('log-grep').fill('');
    await page.getByTestId('log-path').fill('src/hello.js');
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="commit-subject"]');
      return rows.length === 1 && rows[0].textContent.startsWith('Rename greet');
    });
    // A commit opens its diff.
    await page.getByTestId('commit-subject').click();
    await page.locator('.commit-diff [data-testid="diff-file"]').first().waitFor();
    await page.getByTestId('log-path').fill('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="commit"]').length === 2);

    // Revert the commit (confirmed): a new commit undoes it.
    await page.getByTestId('commit').first().getByTestId('commit-revert').click();
    await page.getByTestId('revert-dialog').waitFor();
    await screenshot(page, 'changes-revert-light');
    await page.getByTestId('revert-confirm').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="commit"]').length === 3);
    assert.match(await page.getByTestId('commit-subject').first().innerText(), /^Revert "Rename greet/);
    await eventually(async () => {
      const { stdout } = await run('git', ['ls-files'], { cwd: repo.dir });
      return stdout.includes('src/greet.js') && !stdout.includes('src/hello.js');
    }, { message: 'the revert restored greet.js' });

    // Someone rewrites the README line the first commit changed; reverting that commit again now
    // conflicts: refused (409), nothing changes.
    await writeFile(join(repo.dir, 'README.md'), '# shop\n\nA big shop.\n');
    await run('git', ['commit', '-qam', 'Grow the shop'], { cwd: repo.dir });
    await page.getByTestId('changes-tab-working').click();
    await page.getByTestId('changes-tab-log').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="commit"]').length === 4);
    await page
      .getByTestId('commit')
      .filter({ has: page.getByTestId('commit-subject').getByText('Rename greet to hello and refresh the logo', { exact: true }) })
      .getByTestId('commit-revert')
      .click();
    await page.getByTestId('revert-confirm').click();
    const refusal = page.getByTestId('revert-refusal');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /^Refused: /);
    await screenshot(page, 'changes-revert-refused-light');
    await page.keyboard.press('Escape');
    await page.getByTestId('revert-dialog').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('commit').count(), 4);
    assert.equal((await run('git', ['status', '--porcelain'], { cwd: repo.dir })).stdout, '');

    // Churn: per-day stacked bars and the most-changed files.
    await page.getByTestId('changes-tab-churn').click();
    await page.getByTestId('churn-days-chart').waitFor();
    await page.getByTestId('churn-files-chart').waitFor();
    const today = page.locator('[data-testid="churn-day"]').last();
    assert.ok(Number(await today.getAttribute('data-added')) > 0, 'lines added today');
    assert.ok((await page.getByTestId('churn-file').count()) >= 2);
    await screenshot(page, 'changes-churn-light');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('dark theme: the log, churn and a working-tree diff', async () => {
    await writeFile(join(repo.dir, 'src/greet.js'), SOURCE.replace('42', '43'));
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'changes');
    const file = page.locator('[data-testid="diff-file"][data-path="src/greet.js"]');
    await file.waitFor();
    await file.locator('.tok-keyword').first().waitFor();
    await page.getByTestId('diff-mode-unified').click();
    await screenshot(page, 'changes-unified-dark');
    await page.getByTestId('diff-mode-split').click();
    await screenshot(page, 'changes-split-dark');
    // Compare two revisions: the last commit rewrote the README.
    await page.getByTestId('changes-tab-compare').click();
    await page.getByTestId('compare-from').fill('HEAD~1');
    await page.getByTestId('compare-to').fill('HEAD');
    await page.getByTestId('compare-go').click();
    await page.locator('[data-testid="diff-file"][data-path="README.md"]').waitFor();
    assert.equal(await page.getByTestId('diff-file').count(), 1);
    await page.getByTestId('changes-tab-churn').click();
    await page.getByTestId('churn-files-chart').waitFor();
    await screenshot(page, 'changes-churn-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
