// The System page's operating cards against a real daemon: the doctor runs only when asked and
// lists its checks with their fixes; a support bundle is written and its path, size and redactions
// shown; the Upgrade card reads a release feed file set in the settings (Check now finds 99.0.0),
// shows the schema, and Back up now adds a backup row; the Caches card shows what the daemon's
// caches hold after real lookups, and Clear and Rebuild (a long-running operation) change it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, eventually } from './work.mjs';

const run = promisify(execFile);

// Kept out of the bundle: a secret-looking env value of an agent profile, also logged (a
// reporter named after it puts it in the log and the activity).
const PLANTED_KEY = 'sk-planted-browser-key-0123456789';

describe('operate: doctor, support bundle, upgrade, caches', () => {
  let daemon;
  let browser;
  let feedDir;
  let repo;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    feedDir = await mkdtemp(join(tmpdir(), 'refine-feed-'));
    // An app with two commits: a diff between them is what `changes.diff` caches.
    repo = await addApp(daemon, 'cached');
    await writeFile(join(repo.dir, 'src/main.js'), 'console.log("hello");\n');
    const git = (...args) => run('git', ['-c', 'user.name=Refine Test', '-c', 'user.email=test@refine.invalid', ...args], { cwd: repo.dir });
    await git('commit', '-q', '-am', 'second commit');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
    if (feedDir) await rm(feedDir, { recursive: true, force: true });
  });

  const doctorRuns = async () => (await daemon.http('GET', '/api/v1/diagnostics/logs?contains=Ran%20the%20doctor')).records.length;

  test('the doctor runs on a button press and lists its checks with fixes', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'system');
    const card = page.getByTestId('doctor-card');
    await card.getByTestId('doctor-idle').waitFor();
    // Opening the page runs nothing (the checks start programs).
    await page.getByTestId('upgrade-version').waitFor();
    assert.equal(await page.getByTestId('doctor-check').count(), 0);
    assert.equal(await doctorRuns(), 0);

    await page.getByTestId('doctor-run').click();
    const report = page.getByTestId('doctor-report');
    await report.waitFor();
    assert.equal(await doctorRuns(), 1);

    const checks = await page.getByTestId('doctor-check').evaluateAll((rows) =>
      rows.map((r) => ({ id: r.dataset.id, status: r.dataset.status, badge: r.querySelector('.badge')?.textContent, fix: r.querySelector('[data-testid="doctor-fix"]')?.textContent ?? null })),
    );
    const ids = checks.map((c) => c.id);
    for (const id of ['git', 'disk', 'database', 'wal', 'permissions', 'port', 'clock']) assert.ok(ids.includes(id), `${id} is checked`);
    assert.equal(checks.find((c) => c.id === 'git').status, 'ok', 'git is installed here');
    assert.equal(checks.find((c) => c.id === 'database').status, 'ok');
    for (const c of checks) {
      assert.match(c.status, /^(ok|warn|fail|skip)$/);
      assert.equal(c.badge, c.status, `${c.id}: the badge says its status`);
      if (c.status === 'ok' || c.status === 'skip') assert.equal(c.fix, null, `${c.id}: no fix shown`);
    }
    // A warning or failure shows what to do; the worst verdict is on top.
    const worst = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'ok';
    assert.equal(await report.getAttribute('data-status'), worst);
    assert.equal(checks[0].status, worst === 'ok' ? checks[0].status : worst, 'what needs doing comes first');
    const flagged = checks.filter((c) => c.status === 'warn' || c.status === 'fail');
    for (const c of flagged) assert.match(c.fix ?? '', /^Fix: \S/, `${c.id} shows its fix`);
    assert.match(await report.innerText(), new RegExp(`${checks.filter((c) => c.status === 'ok').length} ok`));

    // Running again asks again.
    await page.getByTestId('doctor-run').click();
    await eventually(async () => (await doctorRuns()) === 2, { message: 'a second run' });
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('a support bundle is written: its path, size and the secrets redacted', async () => {
    await daemon.http('PUT', '/api/v1/agents/profiles', {
      profile: { name: 'planted', provider: 'generic', command: 'echo', args: [], env: { OPENAI_API_KEY: PLANTED_KEY }, promptDelivery: 'argument' },
    });
    await daemon.http('POST', '/api/v1/reporters', { name: `key ${PLANTED_KEY}` });

    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'system');
    await page.getByTestId('bundle-write').click();
    const result = page.getByTestId('bundle-result');
    await result.waitFor();
    const path = await result.getByTestId('bundle-path').innerText();
    assert.ok(path.startsWith(join(daemon.dataDir, 'bundles') + '/'), path);
    assert.match(path, /\.tar\.gz$/);
    const { size } = await stat(path);
    const facts = await result.getByTestId('bundle-facts').innerText();
    assert.match(facts, /^[\d.]+ (B|KiB|MiB) · \d+ files · (\d+) secrets? redacted$/);
    assert.ok(Number(/(\d+) secrets? redacted/.exec(facts)[1]) >= 1, facts);
    const kib = /^([\d.]+) KiB/.exec(facts);
    if (kib) assert.ok(Math.abs(Number(kib[1]) * 1024 - size) < 0.01 * size + 10, `${facts} vs ${size} bytes`);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('upgrade: a release feed, Check now, the schema and the backups', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'system');
    const card = page.getByTestId('upgrade-card');
    const status = await daemon.http('GET', '/api/v1/upgrade');
    await card.getByTestId('upgrade-version').waitFor();
    assert.match(await card.getByTestId('upgrade-version').innerText(), new RegExp(status.version.replace(/\./g, '\\.')));
    assert.match(await card.getByTestId('upgrade-feed').innerText(), /none set/);
    assert.match(await card.getByTestId('schema-version').innerText(), new RegExp(`version ${status.schema.version}\\b`));
    assert.match(await card.getByTestId('schema-pending').innerText(), /none/);
    assert.match(await card.getByTestId('schema-backup').innerText(), /none/);
    await card.getByTestId('backups-empty').waitFor();

    // Without a feed, Check now says so (422) and points at the settings.
    await card.getByTestId('upgrade-check').click();
    const refused = card.getByTestId('upgrade-check-error');
    await refused.waitFor();
    assert.match(await refused.innerText(), /no release feed is set/);

    // A feed file set in the settings: Check now finds the newer release.
    const feed = join(feedDir, 'releases.json');
    await writeFile(feed, JSON.stringify({ releases: [{ version: '99.0.0', date: '2030-01-02', notes: 'Faster **everything**.\n\n- one thing\n- another', url: 'https://example.invalid/99' }] }));
    const settings = await daemon.http('GET', '/api/v1/settings');
    await daemon.http('PATCH', '/api/v1/settings', { scope: 'global', revision: settings.global.revision, patch: { upgrade: { feed } } });
    await card.getByTestId('upgrade-check').click();
    await card.locator('[data-testid="upgrade-release"][data-newer="true"]').waitFor();
    assert.equal(await refused.count(), 0);
    assert.match(await card.getByTestId('upgrade-latest').innerText(), /99\.0\.0\s*available/);
    assert.match(await card.getByTestId('upgrade-feed').innerText(), new RegExp(`${feed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*checked`));
    const notes = card.getByTestId('upgrade-notes');
    assert.match(await notes.innerText(), /Refine 99\.0\.0/);
    assert.equal(await notes.locator('strong', { hasText: 'everything' }).count(), 1, 'the notes are Markdown');
    assert.equal(await notes.locator('li').count(), 2);
    assert.equal(await card.getByTestId('upgrade-link').getAttribute('href'), 'https://example.invalid/99');

    // Back up now adds a row (newest first); the file is there.
    await card.getByTestId('backup-now').click();
    await card.getByTestId('backup-row').first().waitFor();
    const first = await card.getByTestId('backup-row').first().getAttribute('data-path');
    assert.ok((await stat(first)).size > 0);
    assert.match(await card.getByTestId('backup-row').first().innerText(), /v\d+/);
    await card.getByTestId('backup-now').click();
    await eventually(async () => (await card.getByTestId('backup-row').count()) === 2, { message: 'a second backup row' });
    assert.notEqual(await card.getByTestId('backup-row').first().getAttribute('data-path'), first);
    await screenshot(page, 'system-operate-light', { fullPage: true });

    // Another visit shows the same from the daemon.
    await page.reload();
    await page.getByTestId('page-system').waitFor();
    await card.locator('[data-testid="upgrade-release"][data-newer="true"]').waitFor();
    assert.equal(await card.getByTestId('backup-row').count(), 2);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  const row = (page, name) => page.locator(`[data-testid="cache-row"][data-name="${name}"]`);
  const lookUp = async () => {
    await daemon.http('GET', '/api/v1/files/find?query=main');
    await daemon.http('GET', '/api/v1/changes/diff?from=HEAD~1&to=HEAD');
  };

  test('caches: entries and hit rate from real lookups; Clear and Rebuild change them', async () => {
    // The file list is built by the first name search; the diff is computed once, then found.
    await lookUp();
    await lookUp();
    const before = await daemon.http('GET', '/api/v1/cache');
    const diffBefore = before.find((c) => c.name === 'changes.diff');
    assert.equal(diffBefore.entries, 1);
    assert.ok(diffBefore.hits >= 1);

    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 900 } });
    await goTo(page, 'system');
    const card = page.getByTestId('cache-card');
    await row(page, 'changes.diff').waitFor();
    assert.deepEqual(await card.getByTestId('cache-row').evaluateAll((rows) => rows.map((r) => r.dataset.name)), before.map((c) => c.name));
    // The scheduler reads the kept start facts on each pass: their counters move meanwhile.
    assert.match(await row(page, 'workflow.facts').getByTestId('cache-hit-rate').innerText(), /^(\d+ %|—)/);
    for (const c of before.filter((c) => c.name !== 'workflow.facts')) {
      const r = row(page, c.name);
      assert.equal(await r.getByTestId('cache-entries').innerText(), String(c.entries));
      assert.equal(await r.getByTestId('cache-hit-rate').innerText().then((t) => t.split('\n')[0].trim()), c.hitRate === null ? '—' : `${Math.round(c.hitRate * 100)} %`);
    }
    assert.match(await row(page, 'changes.diff').getByTestId('cache-bytes').innerText(), /^\d+ B$/);
    assert.match(await row(page, 'changes.diff').getByTestId('cache-hit-rate').innerText(), /\d+ hits? · \d+ miss/);
    assert.equal(await row(page, 'files.index').getAttribute('data-entries'), '1');

    // Clear one: its entries and counts go, the other keeps its own.
    await row(page, 'changes.diff').getByTestId('cache-clear').click();
    await page.locator('[data-testid="cache-row"][data-name="changes.diff"][data-entries="0"]').waitFor();
    assert.match(await row(page, 'changes.diff').getByTestId('cache-hit-rate').innerText(), /^—/);
    assert.equal(await row(page, 'files.index').getAttribute('data-entries'), '1');
    assert.equal((await daemon.http('GET', '/api/v1/cache')).find((c) => c.name === 'changes.diff').entries, 0);

    // Look up again (the diff is computed again) and refresh: the table follows.
    await lookUp();
    await card.getByTestId('caches-refresh').click();
    await page.locator('[data-testid="cache-row"][data-name="changes.diff"][data-entries="1"]').waitFor();

    // Rebuild all: an operation followed to its end; what was kept is filled again, counts reset.
    await card.getByTestId('caches-rebuild-all').click();
    const status = card.locator('[data-testid="cache-rebuild-status"][data-target="*"]');
    await status.waitFor();
    await card.locator('[data-testid="cache-rebuild-status"][data-target="*"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    assert.equal(await status.getAttribute('data-progress'), '100');
    assert.match(await status.innerText(), /rebuild succeeded\s+every cache · 3 entries filled again/);
    const receipts = (await daemon.http('GET', '/api/v1/operations?kind=cache.rebuild')).items;
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0].status, 'succeeded');
    await page.locator('[data-testid="cache-row"][data-name="changes.diff"][data-entries="1"][data-hits="0"]').waitFor();
    assert.equal(await row(page, 'files.index').getAttribute('data-entries'), '1');
    assert.equal(await row(page, 'files.index').getAttribute('data-hits'), '0');
    await screenshot(page, 'system-caches-light');

    // Rebuild one: only that one is named.
    await row(page, 'changes.diff').getByTestId('cache-rebuild').click();
    await card.locator('[data-testid="cache-rebuild-status"][data-target="changes.diff"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    assert.match(await card.locator('[data-testid="cache-rebuild-status"][data-target="changes.diff"]').innerText(), /changes\.diff · 1 entry filled again/);

    // Clear all: both empty.
    await card.getByTestId('caches-clear-all').click();
    await page.locator('[data-testid="cache-row"][data-name="files.index"][data-entries="0"]').waitFor();
    await page.locator('[data-testid="cache-row"][data-name="changes.diff"][data-entries="0"]').waitFor();
    // Answers stay the same: the search still finds the file.
    const found = await daemon.http('GET', '/api/v1/files/find?query=main');
    assert.ok(found.items.some((f) => f.path === 'src/main.js'));
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('dark theme', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark', viewport: { width: 1280, height: 900 } });
    await goTo(page, 'system');
    await page.getByTestId('doctor-run').click();
    await page.getByTestId('doctor-report').waitFor();
    await page.getByTestId('bundle-write').click();
    await page.getByTestId('bundle-result').waitFor();
    await page.locator('[data-testid="upgrade-release"][data-newer="true"]').waitFor();
    await lookUp();
    await page.getByTestId('caches-refresh').click();
    await page.locator('[data-testid="cache-row"][data-name="changes.diff"][data-entries="1"]').waitFor();
    await page.getByTestId('caches-rebuild-all').click();
    await page.locator('[data-testid="cache-rebuild-status"][data-status="succeeded"]').waitFor({ timeout: 15_000 });
    await screenshot(page, 'system-operate-dark', { fullPage: true });
    await page.getByTestId('doctor-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'system-doctor-dark');
    await page.getByTestId('cache-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'system-caches-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
