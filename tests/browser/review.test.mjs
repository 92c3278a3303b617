// The review loop in the browser with the scripted agent: on a Goal in review the candidate and
// the review come first; a reviewer comments on a range of lines by clicking line numbers (in the
// unified and side-by-side diff) and on the whole candidate, presses `r` to request changes, sees
// Round 2 address the commented lines, resolves the comments and approves with `a`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually, scripted } from './work.mjs';

const run = promisify(execFile);

describe('review comments', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'reviewed');
    const settings = await callCli(daemon, 'settings.get', {});
    await callCli(daemon, 'settings.update', { scope: 'global', revision: settings.global.revision, patch: { agents: { defaultProfile: 'scripted' }, runner: { pollSeconds: 1 } } });
    await callCli(daemon, 'quality.settings.update', { revision: 0, tests: ['app exists'], instructions: '' });
    // Each new worktree is prepared by a setup command (shown with the Round).
    const view = await callCli(daemon, 'settings.get', {});
    await callCli(daemon, 'settings.update', { scope: 'app', revision: view.app?.revision ?? 0, patch: { worktree: { setup: ['echo dependencies ready'] } } });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
    await rm(`${repo.dir}-remote.git`, { recursive: true, force: true });
  });

  test('comment on lines, request changes, see them addressed, resolve and approve', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1360, height: 1200 } });
    const goal = await callCli(daemon, 'goals.create', {
      title: 'Tidy the app',
      status: 'todo',
      prompt: scripted([
        'round 1 implement: write app.py import os\\nx = 1\\ny = 2\\nprint(x + y)\\n',
        'round 2 implement: write app.py x = 1\\ny = 2\\nprint(x + y)\\n',
        'quality: test 1 test -f app.py',
      ]),
    });
    await page.goto(`${daemon.baseUrl}#/goals/${goal.id}`);
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });

    // Review first: the review panel sits above the (folded) edit form.
    const panel = page.getByTestId('review-actions');
    await panel.waitFor();
    const editLater = page.getByTestId('goal-edit-later');
    assert.equal(await editLater.evaluate((el) => el.open), false, 'the edit form is folded in review');
    const order = await page.evaluate(() => {
      const a = document.querySelector('[data-testid="review-actions"]');
      const b = document.querySelector('[data-testid="goal-edit-later"]');
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    assert.ok(order, 'the review comes before the edit form');

    // The worktree's setup ran before the agent, recorded with the Round.
    const envStep = page.locator('[data-testid="round-environment"] [data-testid="env-step"][data-kind="setup"]');
    await envStep.waitFor();
    assert.equal(await envStep.getAttribute('data-passed'), 'true');
    assert.match(await envStep.innerText(), /echo dependencies ready/);
    await page.getByTestId('round-environment').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'review-environment-light');

    // Lines 1-2 of the new file: click one line number, shift-click another.
    const diff = page.getByTestId('candidate-diff');
    await diff.locator('[data-testid="diff-unified"]').waitFor();
    const lineButton = (n) => diff.locator(`[data-testid="diff-line-comment"][data-side="new"][data-line="${n}"]`);
    await lineButton(1).click();
    await lineButton(2).click({ modifiers: ['Shift'] });
    assert.equal(await diff.locator('tr.diff-line.picked').count(), 2);
    const composer = diff.getByTestId('comment-composer');
    await composer.getByText('app.py:1-2').waitFor();
    await composer.getByTestId('comment-text').fill('Drop the unused import.');
    await composer.getByTestId('comment-add').click();
    const inline = diff.locator('[data-testid="review-comment"][data-status="draft"]');
    await inline.getByText('Drop the unused import.').waitFor();
    await diff.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'review-diff-comment-light');

    // A comment on the whole candidate, from the panel.
    const whole = panel.getByTestId('review-comments').getByTestId('comment-composer');
    await whole.getByTestId('comment-text').fill('Keep the print.');
    await whole.getByTestId('comment-add').click();
    await panel.locator('[data-testid="review-comment"]', { hasText: 'the whole candidate' }).waitFor();
    await page.getByTestId('review-request-changes').getByText('Request changes (2)').waitFor();

    // Side by side shows the line comment too.
    await page.getByTestId('diff-mode-split').click();
    await diff.locator('[data-testid="diff-split"]').waitFor();
    await diff.locator('[data-testid="review-comment"]', { hasText: 'Drop the unused import.' }).waitFor();
    await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'review-comments-light');
    await page.getByTestId('diff-mode-unified').click();

    // Stored as the daemon sees it.
    const stored = await callCli(daemon, 'review.comments.list', { goalId: goal.id });
    assert.equal(stored.length, 2);
    const line = stored.find((c) => c.path === 'app.py');
    assert.deepEqual([line.startLine, line.endLine, line.side, line.quote], [1, 2, 'new', '+import os\n+x = 1']);

    // `r` opens request changes; send them with a message.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('r');
    const form = page.getByTestId('review-request-form');
    await form.waitFor();
    await form.getByTestId('review-request-message').fill('Thanks!');
    await form.getByTestId('review-request-submit').click();
    await page.locator('[data-testid="round"][data-round="2"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });

    // Round 2 changed the commented lines: addressed; resolve both.
    const addressed = page.locator('[data-testid="review-actions"] [data-testid="review-comment"][data-state="addressed"]');
    await addressed.waitFor({ timeout: 30_000 });
    assert.match(await addressed.innerText(), /app\.py:1-2/);
    await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'review-addressed-light');
    for (const c of stored) {
      await page.locator(`[data-testid="review-actions"] [data-comment-id="${c.id}"] [data-testid="comment-resolve"]`).click();
      await page.locator(`[data-testid="review-actions"] [data-comment-id="${c.id}"][data-status="resolved"]`).waitFor({ state: 'attached' });
    }
    const after = await callCli(daemon, 'review.comments.list', { goalId: goal.id });
    assert.deepEqual(
      after.map((c) => c.status),
      ['resolved', 'resolved'],
    );

    // Publish: without a remote the reason says what to do; with a bare one, the branch is pushed.
    await page.getByTestId('publish-button').click();
    await page.getByText(/git remote add origin/).first().waitFor();
    const bare = `${repo.dir}-remote.git`;
    await run('git', ['init', '-q', '--bare', bare]);
    await run('git', ['remote', 'add', 'origin', bare], { cwd: repo.dir });
    await page.getByTestId('publish-button').click();
    await page.locator('[data-testid="publish"][data-published="true"]').waitFor();
    assert.match(await page.getByTestId('publish').innerText(), /refine\/1\/round-1 → origin/);
    const pushed = (await run('git', ['rev-parse', 'refs/heads/refine/1/round-1'], { cwd: bare })).stdout.trim();
    const rounds2 = await callCli(daemon, 'runner.rounds', { goalId: goal.id });
    assert.equal(pushed, rounds2.find((r) => r.number === 2).work.candidateCommit);

    // Preview the candidate: its worktree served on its own port, linked once it answers.
    const target = await callCli(daemon, 'target.get', {});
    await callCli(daemon, 'target.configure', { revision: target.revision, start: ['sh', '-c', 'exec python3 -m http.server "$PORT" --bind 127.0.0.1'] });
    await page.getByTestId('preview-start').click();
    const link = page.getByTestId('preview-link');
    await link.waitFor({ timeout: 30_000 });
    const served = await (await fetch(`${await link.getAttribute('href')}app.py`)).text();
    assert.equal(served, 'x = 1\ny = 2\nprint(x + y)\n');
    await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'review-preview-light');

    // `a` approves: the addressed candidate lands on main; the preview stops with it.

    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('a');
    await page.locator('[data-testid="goal-status"][data-status="done"]').waitFor({ timeout: 30_000 });
    const shown = await run('git', ['show', 'main:app.py'], { cwd: repo.dir });
    assert.equal(shown.stdout, 'x = 1\ny = 2\nprint(x + y)\n');
    await eventually(async () => (await callCli(daemon, 'previews.list', {})).length === 0, { message: 'the preview stopped' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('tell the agent, then decline and cancel, from the review panel', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1360, height: 1000 } });
    const goal = await callCli(daemon, 'goals.create', { title: 'Say more', status: 'todo', prompt: scripted(['implement: append notes.txt more\\n', 'quality: test 1 true']) });
    await page.goto(`${daemon.baseUrl}#/goals/${goal.id}`);
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });
    await page.getByTestId('review-tell').click();
    assert.equal(await page.getByTestId('review-tell-submit').isDisabled(), true, 'nothing to send yet');
    await page.getByTestId('review-tell-message').fill('say it twice');
    await page.getByTestId('review-tell-submit').click();
    await eventually(async () => (await callCli(daemon, 'runner.rounds', { goalId: goal.id }))[0].work.followUps.length === 1, { message: 'the follow-up is recorded' });
    // Until the follow-up has run, the status still reads "review" from before it: opening the
    // decline form then races the follow-up's start (which closes the panel). Wait for its run
    // to be over — the run is named and the Goal is back in review.
    await eventually(
      async () => {
        const followUp = (await callCli(daemon, 'runner.rounds', { goalId: goal.id }))[0].work.followUps[0];
        return Boolean(followUp.runId) && (await callCli(daemon, 'goals.get', { id: goal.id })).status === 'review';
      },
      { message: 'the follow-up ran and the Goal is back in review', timeout: 90_000 },
    );
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });
    await page.getByTestId('review-decline').click();
    await page.getByTestId('review-decline-cancel').check({ timeout: 90_000 });
    assert.equal(await page.getByTestId('review-decline-submit').innerText(), 'Decline and cancel');
    await page.getByTestId('review-decline-reason').fill('not needed after all');
    await page.getByTestId('review-decline-submit').click();
    await page.locator('[data-testid="goal-status"][data-status="cancelled"]').waitFor({ timeout: 20_000 });
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
