// The real Claude Code CLI, watched in the browser: its transcript arrives live on the Goal page
// (text, tool calls, file changes, the command it ran), tokens and cost show per run and Goal, and
// a follow-up typed on the page resumes the same session. Runs inside tests/agents/offline.sh
// (loopback only) against the model-API stand-in, like tests/real.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, launchBrowser, makeGitRepo, openUi, screenshot, startDaemon } from '../browser/harness.mjs';

const run = promisify(execFile);

/** The model-API stand-in with one script; resolves once it listens. */
async function startStandin(dir, script) {
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await writeFile(join(dir, 'scripts', 'browser.json'), JSON.stringify(script));
  const log = join(dir, 'requests.jsonl');
  const child = spawn('python3', [join(REPO_ROOT, 'tests/agents/standin.py'), '--port', '0', '--scripts', join(dir, 'scripts'), '--log', log], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code})`)));
  });
  return { url, log, stop: () => child.kill('SIGTERM') };
}

describe('a real Claude Code run in the browser', () => {
  let daemon;
  let browser;
  let standin;
  let repo;

  before(async () => {
    const { stdout } = await run(join(REPO_ROOT, 'tests/agents/install.sh'), ['--paths-only']);
    const claude = /^claude=(.+)$/m.exec(stdout)?.[1];
    assert.ok(claude, `Claude Code is not installed: ${stdout}`);
    const root = await mkdtemp('/var/tmp/refine-real-browser-');
    standin = await startStandin(root, {
      phases: {
        followup: {
          match: ['# Refine: implement phase (follow-up)', 'Also add notes.md'],
          steps: [
            { write: 'notes.md', content: '# Notes\nfrom the follow-up\n' },
            { text: 'Added notes.md.', result: { summary: 'added notes.md', appliedGuidance: [] } },
          ],
        },
        plan: [{ text: 'Plan.', result: { plan: '1. Add hello.txt' } }],
        implement: [
          { write: 'hello.txt', content: 'hello from Claude Code\n', delay: 1.5 },
          { bash: 'cat hello.txt', delay: 1.5 },
          { text: 'Wrote hello.txt and checked it.', result: { summary: 'added hello.txt', appliedGuidance: [] }, delay: 1 },
        ],
      },
    });
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await makeGitRepo('greeter', { 'README.md': '# greeter\n' });
    const app = await daemon.http('POST', '/api/v1/apps', { path: repo.dir });
    await daemon.http('POST', '/api/v1/apps/select', { id: app.id });
    const profiles = await daemon.http('GET', '/api/v1/agents/profiles');
    const p = profiles.find((x) => x.name === 'claude-code');
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    await daemon.http('PUT', '/api/v1/agents/profiles', {
      profile: {
        ...p,
        name: 'claude-real',
        command: claude,
        baseUrl: standin.url,
        env: { HOME: home, ANTHROPIC_API_KEY: 'sk-standin-good', CLAUDE_CODE_MAX_RETRIES: '0' },
        builtin: false,
      },
    });
    await daemon.cli('settings', 'set', 'agents.defaultProfile', 'claude-real');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    standin?.stop();
    await repo?.cleanup();
  });

  test('the transcript arrives live, tokens and cost show, and a follow-up resumes the session', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1360, height: 1400 } });
    await daemon.http('POST', '/api/v1/runner/pause', {});
    const goal = await daemon.http('POST', '/api/v1/work/goals', { title: 'Say hello', status: 'todo', prompt: 'Write hello.txt.\nstandin-script: browser' });
    await page.goto(`${daemon.baseUrl}#/goals/${goal.id}`);
    await page.getByTestId('rounds').waitFor();
    // Note what the transcript shows while the run is still going.
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => {
        const out = document.querySelector('[data-testid="agent-output"]');
        if (!out || out.dataset.state !== 'running') return;
        for (const el of out.querySelectorAll('[data-testid="transcript-file"], [data-testid="transcript-command"]')) {
          window.seen.push(el.dataset.path ?? `exit ${el.dataset.exit}`);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await daemon.http('POST', '/api/v1/runner/resume', {});
    await page.waitForFunction(() => window.seen.includes('hello.txt'), null, { timeout: 60_000 });
    await page.getByTestId('rounds').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'real-claude-running');

    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });
    const output = page.getByTestId('agent-output');
    await output.locator('[data-testid="agent-output-run"]', { hasText: /^implement$/ }).click();
    const tools = await output.getByTestId('transcript-tool').evaluateAll((els) => els.map((e) => e.dataset.tool));
    assert.ok(tools.includes('Write') && tools.includes('Bash'), `tool calls: ${tools}`);
    assert.equal(await output.locator('[data-testid="transcript-command"]').first().getAttribute('data-exit'), '0');
    const usage = page.getByTestId('goal-usage');
    assert.ok(Number(await usage.getAttribute('data-tokens')) > 0, 'tokens on the Goal');
    assert.ok(Number(await usage.getAttribute('data-cost')) > 0, 'cost on the Goal');
    assert.match(await page.getByTestId('agent-output-usage').innerText(), /tokens · \$/);
    await screenshot(page, 'real-claude-review');

    // A follow-up, typed on the page.
    await page.getByTestId('review-tell').click();
    await page.getByTestId('review-tell-message').fill('Also add notes.md with a line from the follow-up.');
    await page.getByTestId('review-tell-submit').click();
    await page.locator('[data-testid="goal-status"][data-status="implement"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="goal-status"][data-status="review"]').waitFor({ timeout: 90_000 });
    const followUp = page.locator('[data-testid="follow-up"][data-state="handled"]');
    await followUp.waitFor();
    assert.match(await followUp.innerText(), /resumed the session/);
    const runs = await daemon.http('GET', `/api/v1/agents/runs?goalId=${goal.id}`);
    const first = runs.find((r) => r.phase === 'implement' && r.kind === 'run');
    const resumed = runs.find((r) => r.kind === 'follow-up');
    assert.ok(resumed?.resumed, 'the follow-up resumed a session');
    assert.equal(resumed.sessionId, first.sessionId, 'the same session');
    const log = (await readFile(standin.log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const fu = log.find((r) => r.phase === 'followup');
    assert.ok(fu && JSON.stringify(fu.body).includes('hello from Claude Code'), 'the stand-in saw the earlier conversation');
    await page.getByTestId('rounds').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'real-claude-follow-up');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
