// Best-of-N in the browser with the scripted agent: a Goal asking for three candidates reaches
// review with them side by side (the one that failed its check says why); the reviewer looks at
// another candidate's diff, picks and approves one, and removes the others' branches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually, scripted } from './work.mjs';

describe('best-of-N', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'bestof');
    const settings = await callCli(daemon, 'settings.get', {});
    await callCli(daemon, 'settings.update', { scope: 'global', revision: settings.global.revision, patch: { agents: { defaultProfile: 'scripted' }, runner: { pollSeconds: 1, maxConcurrentGoals: 4 } } });
    await callCli(daemon, 'quality.settings.update', { revision: 0, tests: ['the greeting exists, nothing broken'], instructions: '' });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('compare three candidates, pick one, approve it, remove the others', async () => {
    const { page } = await openUi(browser, daemon, { viewport: { width: 1440, height: 1300 } });
    const goal = await callCli(daemon, 'goals.create', {
      title: 'Greet three ways',
      status: 'todo',
      candidates: 3,
      prompt: scripted([
        'implement: write greeting.txt hello\\n',
        'candidate 2 implement: write broken.txt oops\\n',
        'candidate 3 implement: write extra.txt more\\nand more\\n',
        'quality: test 1 test -f greeting.txt && test ! -f broken.txt',
      ]),
    });
    await page.goto(`${daemon.baseUrl}#/goals/${goal.id}`);
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });

    // While a pick is due the comparison replaces the review actions.
    const panel = page.locator('[data-testid="candidates"][data-deciding="true"]');
    await panel.waitFor();
    await page.getByTestId('candidates-pick-hint').waitFor();
    assert.equal(await page.getByTestId('review-actions').count(), 0, 'no approve before a pick');
    await page.getByTestId('transition-pick-first').waitFor();
    assert.equal(await page.getByTestId('edit-candidates').inputValue(), '3', 'the Goal asks for three');
    assert.equal(await page.getByTestId('transition-approve').count(), 0, 'the workflow panel waits for the pick too');
    const cards = panel.getByTestId('candidate');
    await eventually(async () => (await cards.count()) === 3, { message: 'three candidates' });
    const states = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    assert.deepEqual(states, ['passed', 'failed', 'passed']);
    const failed = panel.locator('[data-testid="candidate"][data-index="2"]');
    assert.match(await failed.getByTestId('candidate-failure').innerText(), /quality: test/);
    assert.equal(await failed.getByTestId('candidate-pick').count(), 0, 'a failed candidate cannot be picked');
    const third = panel.locator('[data-testid="candidate"][data-index="3"]');
    assert.match(await third.getByTestId('candidate-diffstat').innerText(), /2 files \+3/);

    // Candidate 1's diff shows first; "Show diff" on candidate 3 shows its own.
    const diff = page.getByTestId('candidate-compare-diff');
    await diff.locator('[data-testid="diff-file"]').first().waitFor();
    assert.equal(await diff.getAttribute('data-index'), '1');
    await third.getByTestId('candidate-show').click();
    await page.locator('[data-testid="candidate-compare-diff"][data-index="3"] [data-path="extra.txt"]').waitFor();
    await screenshot(page, 'bestof-compare-light', { fullPage: true });

    // Pick and approve candidate 3: the Goal is done with its change merged.
    await third.getByTestId('candidate-pick-approve').click();
    await page.locator('[data-testid="goal-status"][data-status="done"]').waitFor({ timeout: 30_000 });
    const work = await callCli(daemon, 'runner.rounds', { goalId: goal.id });
    assert.equal(work[0].work.picked, 3);
    assert.ok(work[0].work.integration.mergedAt);
    await page.locator('[data-testid="candidate"][data-index="3"] [data-testid="candidate-picked"]').waitFor();

    // The others' branches are kept until removed.
    const cleanup = page.getByTestId('candidates-cleanup');
    await cleanup.waitFor();
    await cleanup.click();
    await eventually(async () => {
      const w = await callCli(daemon, 'runner.rounds', { goalId: goal.id });
      return w[0].work.candidates.filter((c) => c.removedAt).length === 2;
    }, { message: 'two candidates removed' });
    await page.getByTestId('candidates-cleanup').waitFor({ state: 'detached' });
    await page.getByTestId('round-candidates').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'bestof-picked-light');
  });
});
