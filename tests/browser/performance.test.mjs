// The Performance page draws its charts from live data: calls made through the API show up as
// latency and call bars (a failed call in red), a process started through the API shows up as a
// child in the process table, the resource history grows with the daemon's samples, and the page
// follows new calls without a reload (it polls `performance.summary`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, eventually } from './work.mjs';

describe('performance', () => {
  let daemon;
  let browser;
  let repo;
  let sleeper;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    repo = await addApp(daemon, 'perf');
    for (let i = 0; i < 5; i++) await daemon.http('GET', '/api/v1/system/info');
    await daemon.http('GET', '/api/v1/apps');
    await daemon.http('GET', '/api/v1/work/goals?limit=5');
    // One call that fails: an id that is not a UUID.
    await assert.rejects(daemon.http('GET', '/api/v1/work/goals/not-a-goal'), /→ 4\d\d/);
    sleeper = await daemon.http('POST', '/api/v1/processes', { argv: ['sleep', '300'], label: 'perf sleeper' });
    assert.ok(sleeper.pid, 'the process has a pid');
  });

  after(async () => {
    if (sleeper) await daemon.http('POST', `/api/v1/processes/${sleeper.id}/stop`, {}).catch(() => {});
    await browser?.close();
    await daemon?.stop();
    await repo?.cleanup();
  });

  const row = (page, testId, operation) => page.locator(`[data-testid="${testId}"][data-operation="${operation}"]`);

  test('charts, stats and processes come from the daemon’s live numbers', async () => {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1280, height: 800 } });
    await goTo(page, 'performance');
    await page.getByTestId('latency-chart').waitFor();

    // Latency: a bar per operation called, labelled with its name and percentiles.
    const info = row(page, 'latency-row', 'system.info');
    await info.waitFor();
    assert.ok(Number(await info.getAttribute('data-count')) >= 5);
    assert.match(await info.getAttribute('aria-label'), /^system\.info: p50 .+, p90 .+, p99 .+ \(\d+ calls\)$/);
    assert.ok(Number(await info.getAttribute('data-p99')) >= Number(await info.getAttribute('data-p50')));
    assert.equal(await info.locator('rect.perf-p50').count(), 1);
    assert.equal(await page.getByTestId('latency-chart').getAttribute('role'), 'list');
    assert.ok((await page.getByTestId('latency-row').count()) <= 12);

    // Busiest: the failed call is counted and drawn in red.
    const failed = row(page, 'busy-row', 'goals.get');
    assert.equal(await failed.getAttribute('data-errors'), '1');
    assert.equal(await failed.getByTestId('busy-errors').count(), 1);
    assert.match(await failed.getAttribute('aria-label'), /goals\.get: 1 call, 1 error \(invalid_input × 1\)/);
    assert.equal(await row(page, 'busy-row', 'system.info').getByTestId('busy-errors').count(), 0);

    // Processes: the daemon first, then the child started above.
    const processes = page.getByTestId('perf-process');
    assert.equal(await processes.first().getAttribute('data-kind'), 'daemon');
    const child = page.locator(`[data-testid="perf-process"][data-id="${sleeper.id}"]`);
    await child.waitFor();
    assert.equal(await child.getAttribute('data-kind'), 'process');
    assert.equal(await child.getAttribute('data-pid'), String(sleeper.pid));
    assert.match(await child.innerText(), /perf sleeper/);

    // Stats.
    assert.match(await page.getByTestId('stat-connections').innerText(), /1 event stream/);
    assert.match(await page.getByTestId('stat-database').innerText(), /WAL/);
    assert.match(await page.getByTestId('stat-queue').innerText(), /0 waiting/);
    assert.match(await page.getByTestId('stat-bus').innerText(), /subscriber/);

    // History: the daemon's memory is drawn; the next sample (every 10 s) arrives by polling.
    const rss = page.getByTestId('history-rss');
    assert.ok(Number(await rss.getAttribute('data-samples')) >= 1);
    assert.match(await rss.getAttribute('aria-label'), /^Memory over the last .+: daemon \d/);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="history-rss"]')?.getAttribute('data-samples')) >= 2, null, { timeout: 25_000 });
    const line = await page.getByTestId('history-rss-daemon').getAttribute('d');
    assert.match(line, /^M[\d.]+,[\d.]+L[\d.]+,[\d.]+/);
    assert.match(await page.getByTestId('history-cpu-total').getAttribute('d'), /^M[\d.]+,[\d.]+L/);

    // New calls show up without a reload.
    const before = Number(await info.getAttribute('data-count'));
    for (let i = 0; i < 3; i++) await daemon.http('GET', '/api/v1/system/info');
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="latency-row"][data-operation="system.info"]')?.getAttribute('data-count')) >= n,
      before + 3,
      { timeout: 15_000 },
    );

    // Hovering the history shows the sample under the pointer.
    const box = await rss.boundingBox();
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    await page.getByTestId('history-rss-tooltip').waitFor();
    assert.match(await page.getByTestId('history-rss-tooltip').innerText(), /daemon .*iB/);
    await screenshot(page, 'performance-light', { fullPage: true });
    await page.mouse.move(0, 0);

    // The last 5 minutes: kept in the address.
    await page.getByTestId('latency-range-recent').click();
    await page.locator('[data-testid="latency-chart"][data-range="recent"]').waitFor();
    assert.match(page.url(), /#\/performance\?range=recent$/);
    await row(page, 'latency-row', 'system.info').waitFor();
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('dark theme, a narrow window, and the command palette', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('performance');
    await page.locator('[data-testid="palette-item"][data-item="nav:performance"]').click();
    await page.getByTestId('page-performance').waitFor();
    await row(page, 'latency-row', 'system.info').waitFor();
    await page.locator(`[data-testid="perf-process"][data-id="${sleeper.id}"]`).waitFor();
    await screenshot(page, 'performance-dark', { fullPage: true });

    // Narrow: labels move above their bars, the charts are drawn at the width they get.
    await page.setViewportSize({ width: 480, height: 900 });
    await eventually(async () => Number(await page.getByTestId('latency-chart').getAttribute('width')) < 480, { message: 'the chart to follow the width' });
    await screenshot(page, 'performance-narrow-dark', { fullPage: true });
    // Nothing on the page is wider than it (the process table scrolls inside its card).
    const overflow = await page.getByTestId('page-performance').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than its column`);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
