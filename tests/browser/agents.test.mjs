// Agents and the runner, end to end with the built-in scripted agent: a todo Goal is picked up by
// the runner, its agent's output streams live on the Goal page, quality evidence and the
// candidate diff are shown in review, Approve merges it into main. The Runner page shows the
// worker while a Goal runs; Settings → Agents shows which agent CLIs are installed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli, eventually, scripted } from './work.mjs';

const run = promisify(execFile);

/** A Goal prompt with instructions for the scripted agent. */
describe('agents and the runner', () => {
  let daemon;
  let browser;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'greeter');
    const settings = await callCli(daemon, 'settings.get', {});
    await callCli(daemon, 'settings.update', { scope: 'global', revision: settings.global.revision, patch: { agents: { defaultProfile: 'scripted' } } });
    await callCli(daemon, 'quality.settings.update', { revision: 0, tests: ['hello exists'], instructions: '' });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  test('a Goal runs live on its page, shows evidence and the diff in review, and Approve merges it', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1360, height: 1300 } });
    // Hold the runner so the page is open before the agent starts.
    await callCli(daemon, 'runner.pause', {});
    const goal = await callCli(daemon, 'goals.create', {
      title: 'Say hello',
      status: 'todo',
      prompt: scripted(['implement: sleep 2', 'implement: say working on it', 'implement: write hello.txt hi\\n', 'quality: test 1 test -f hello.txt']),
    });
    const base = (await run('git', ['rev-parse', 'main'], { cwd: repo.dir })).stdout.trim();
    await page.goto(`${daemon.baseUrl}#/goals/${goal.id}`);
    await page.getByTestId('page-goal').waitFor();
    await page.getByTestId('rounds').waitFor();
    // Note every line of the transcript the agent-output panel shows, with the state of its run.
    await page.evaluate(() => {
      window.seenLines = [];
      const note = () => {
        for (const el of document.querySelectorAll('[data-testid="agent-output"] [data-testid="transcript-text"]')) {
          const state = el.closest('[data-testid="agent-output"]').dataset.state;
          window.seenLines.push(`${state}|${el.textContent}`);
        }
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await callCli(daemon, 'runner.resume', {});

    // The agent's output, live: the implement run is still going when its line arrives.
    const output = page.getByTestId('agent-output');
    await page.locator('[data-testid="agent-output"][data-state="running"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('goal-worker').waitFor();
    await page.getByTestId('rounds').scrollIntoViewIfNeeded();
    await page.getByTestId('rounds').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'agents-goal-running-light');
    await page.waitForFunction(() => window.seenLines.includes('running|working on it'), null, { timeout: 30_000 });

    // Review: quality evidence per test, the governance verdict and the candidate's diff.
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 60_000 });
    const check = page.getByTestId('quality-check');
    await check.first().waitFor();
    assert.equal(await check.count(), 1);
    assert.equal(await check.getAttribute('data-passed'), 'true');
    assert.equal(await check.getByTestId('quality-command').innerText(), 'test -f hello.txt');
    assert.match(await check.innerText(), /hello exists/);
    assert.match(await check.innerText(), /exit 0/);
    await page.getByTestId('governance-verdict').waitFor();
    const diff = page.getByTestId('candidate-diff');
    await diff.locator('[data-testid="diff"]').waitFor();
    assert.match(await diff.innerText(), /hello\.txt/);
    // The implement run's transcript stays readable after it ended, and its raw log is a click away.
    await output.locator('[data-testid="agent-output-run"]', { hasText: /^implement$/ }).click();
    await output.locator('[data-testid="transcript-text"]', { hasText: 'working on it' }).waitFor();
    await output.getByTestId('agent-output-raw').click();
    await output.locator('[data-testid="log-line"]', { hasText: 'working on it' }).waitFor();
    await output.getByTestId('agent-output-raw').click();
    // The runs list: plan, implement, quality, governance each ran and finished.
    const phases = await page.getByTestId('agent-run').evaluateAll((rows) => rows.map((r) => `${r.dataset.phase}:${r.dataset.status}`));
    for (const phase of ['plan', 'implement', 'quality']) assert.ok(phases.includes(`${phase}:done`), `${phase} done in ${phases}`);
    await page.getByTestId('rounds').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'agents-goal-review-light');
    await page.getByTestId('round-quality').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'agents-goal-evidence-light');

    // Evaluate again by hand: the same check passes on the candidate.
    await page.getByTestId('evaluate-quality').click();
    await page.getByTestId('evaluation-result').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('evaluation-result').innerText(), /passed/);

    // Approve: the Goal is done and main has the file.
    await page.getByTestId('review-approve').click();
    await page.locator('[data-testid="goal-status"][data-status="done"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('integration').waitFor();
    await page.getByTestId('round-governance').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'agents-goal-done-light');
    const shown = await run('git', ['show', 'main:hello.txt'], { cwd: repo.dir });
    assert.equal(shown.stdout, 'hi\n');
    const merged = await callCli(daemon, 'changes.diff', { from: base, to: 'main' });
    assert.deepEqual(
      merged.files.map((f) => f.path),
      ['hello.txt'],
    );
    const rounds = await callCli(daemon, 'runner.rounds', { goalId: goal.id });
    assert.ok(rounds[0].work.integration?.mergedAt, 'the integration is recorded as merged');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('the Runner page shows a running worker; Settings → Agents shows what is installed', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    const goal = await callCli(daemon, 'goals.create', {
      title: 'Take a while',
      status: 'todo',
      prompt: scripted(['implement: say thinking hard', 'implement: sleep 8', 'implement: write slow.txt done\\n', 'quality: test * true']),
    });
    await goTo(page, 'runner');
    const row = page.locator(`[data-testid="runner-worker"][data-goal="${goal.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.getByTestId('runner-worker-goal').getByText('#2 Take a while').waitFor();
    await page.getByTestId('stat-workers').getByText(/^1 \/ \d+$/).waitFor();
    await screenshot(page, 'agents-runner-dark');

    // Pause and resume show on the page.
    await page.getByTestId('runner-pause').click();
    await page.getByTestId('runner-paused').waitFor();
    await page.getByTestId('runner-resume').click();
    await page.getByTestId('runner-pause').waitFor();

    // Stop the worker: the row goes; the Goal stays where it was.
    await row.getByTestId('runner-stop').click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });

    // Settings → Agents: the scripted agent works, Claude Code is not installed here.
    await goTo(page, 'settings');
    await page.getByTestId('settings-tab-agents').click();
    await page.getByTestId('page-settings-agents').waitFor();
    const scriptedCard = page.locator('[data-testid="agent-profile"][data-name="scripted"]');
    const claude = page.locator('[data-testid="agent-profile"][data-name="claude-code"]');
    await page.locator('[data-testid="agent-profile"][data-name="scripted"][data-state="installed"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="agent-profile"][data-name="claude-code"][data-state="missing"]').waitFor();
    assert.match(await claude.getByTestId('agent-state').innerText(), /not installed/);
    assert.ok((await claude.getByTestId('agent-diagnosis').innerText()).length > 0);
    await scriptedCard.getByTestId('agent-default').waitFor();
    await screenshot(page, 'agents-settings-dark', { fullPage: true });

    // Edit a profile: an env secret is stored but shown redacted; reset brings the default back.
    await claude.getByTestId('agent-edit').click();
    const form = claude.getByTestId('agent-form');
    await form.getByTestId('agent-env-add').click();
    await form.getByTestId('agent-env-key').fill('ANTHROPIC_API_KEY');
    await form.getByTestId('agent-env-value').fill('sk-test-123');
    assert.equal(await form.getByTestId('agent-env-value').getAttribute('type'), 'password');
    await form.getByTestId('agent-save').click();
    await form.waitFor({ state: 'detached' });
    const stored = (await callCli(daemon, 'agents.profiles.list', {})).find((p) => p.name === 'claude-code');
    assert.equal(stored.env.ANTHROPIC_API_KEY, '••••••');
    assert.equal(stored.builtin, false);
    await claude.getByText('edited').waitFor();
    await claude.getByTestId('agent-edit').click();
    assert.equal(await claude.getByTestId('agent-env-value').getAttribute('data-kept'), 'true');
    await screenshot(page, 'agents-settings-edit-dark', { fullPage: true });
    await claude.getByTestId('agent-remove').click();
    await claude.getByTestId('agent-remove-confirm').click();
    await eventually(async () => (await callCli(daemon, 'agents.profiles.list', {})).find((p) => p.name === 'claude-code').builtin === true, { message: 'claude-code reset' });

    // "Detect again" asks the daemon again.
    await page.getByTestId('agents-detect').click();
    await page.locator('[data-testid="agent-profile"][data-name="scripted"][data-state="installed"]').waitFor();

    // An interactive session of the scripted agent opens on the Terminal page.
    await scriptedCard.getByTestId('agent-session').click();
    await page.locator('.xterm-rows').getByText('scripted agent ready').waitFor({ timeout: 20_000 });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('hello agent\r');
    await page.locator('.xterm-rows').getByText('scripted agent heard: hello agent').waitFor();
    await screenshot(page, 'agents-session-dark');
    const sessions = await callCli(daemon, 'terminal.list', {});
    assert.ok(sessions.some((t) => t.title === 'agent: scripted'), JSON.stringify(sessions));
    await goTo(page, 'settings');
    await page.getByTestId('settings-tab-agents').click();
    await page.getByTestId('page-settings-agents').waitFor();

    // Make Claude Code the default: a todo Goal now waits, and the Runner page says why.
    await claude.getByTestId('agent-make-default').click();
    await claude.getByTestId('agent-default').waitFor();
    await page.getByTestId('agents-default').getByText(/not installed/).waitFor();
    const waiting = await callCli(daemon, 'goals.create', { title: 'Needs Claude', status: 'todo' });
    await goTo(page, 'runner');
    const wait = page.getByTestId('runner-wait');
    await wait.waitFor({ timeout: 20_000 });
    assert.match(await wait.innerText(), /agent profile claude-code: not installed/);
    await screenshot(page, 'agents-runner-waiting-dark');
    // The Goal's own page says why it does not start.
    await page.goto(`${daemon.baseUrl}#/goals/${waiting.id}`);
    await page.getByTestId('goal-waiting').getByText(/claude-code: not installed/).waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
