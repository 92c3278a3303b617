// How fast the UI paints and answers with 10,000 Goals: the Goals page and the Board from a
// full navigation to their first complete paint (rows / every column counted, one frame later),
// and the Goals page's answer to a filter (a status checkbox; a keystroke in the search box,
// echoed and then answered after its debounce). Prints figures; asserts nothing.
//
//   REFINE_BIN=$PWD/target/release/refine node tests/bench/ui-paint.mjs
import { launchBrowser, openUi, startDaemon } from '../browser/harness.mjs';
import { addApp, callCli } from '../browser/work.mjs';

const GOALS = Number(process.env.REFINE_BENCH_UI_GOALS ?? 10_000);
const ROUNDS = 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

/** Milliseconds since the navigation started, once `selector` is there and a frame has painted. */
async function paintedAt(page, selector) {
  await page.locator(selector).first().waitFor({ timeout: 60_000 });
  return page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())))));
}

/** Runs `act` and resolves with the milliseconds until `changed()` holds in the page, a frame later. */
async function answerTime(page, act, changed) {
  await page.evaluate(() => {
    window.__t0 = performance.now();
  });
  await act();
  await page.waitForFunction(changed, undefined, { timeout: 30_000, polling: 'raf' });
  return page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done(performance.now() - window.__t0))));
}

const daemon = await startDaemon();
const browser = await launchBrowser();
const repo = await addApp(daemon, 'paint');
try {
  const started = Date.now();
  // Half queued (todo), half done: both columns are long.
  const lines = ['# Work'];
  for (let i = 1; i <= GOALS; i++) lines.push(i % 2 ? `- [ ] Goal ${i} about the checkout flow` : `- [x] Goal ${i} about the search page`);
  await callCli(daemon, 'import.commit', { format: 'markdown', content: lines.join('\n') });
  // A large import finishes in the background: wait for every Goal.
  let total = 0;
  for (let i = 0; i < 600 && total < GOALS; i++) {
    total = (await callCli(daemon, 'goals.list', { limit: 1 })).total;
    if (total < GOALS) await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`UI paint benchmark: ${total} Goals (seeded through import.commit in ${((Date.now() - started) / 1000).toFixed(1)} s), chromium ${browser.version()}`);

  const goals = [];
  const board = [];
  const statusFilter = [];
  const echo = [];
  const search = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1440, height: 900 } });
    await page.goto(`${daemon.baseUrl}#/goals`);
    goals.push(await paintedAt(page, '[data-testid="goal-row"]'));

    // A status checkbox (in the status popover): the table answers with only done Goals.
    await page.getByTestId('filter-status').click();
    statusFilter.push(
      await answerTime(
        page,
        () => page.getByTestId('filter-status-done').check(),
        () => {
          const rows = [...document.querySelectorAll('[data-testid="goal-row"]')];
          return rows.length > 0 && rows.every((r) => r.getAttribute('data-status') === 'done');
        },
      ),
    );
    await page.getByTestId('filter-status-done').uncheck();
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    // A keystroke in the search box: echoed at once, answered once the debounce lets it go.
    const box = page.getByTestId('goal-search');
    echo.push(await answerTime(page, () => box.press('c'), () => document.querySelector('[data-testid="goal-search"]')?.value === 'c'));
    await box.fill('');
    await page.waitForTimeout(600);
    search.push(
      await answerTime(
        page,
        () => box.fill('checkout'),
        () => {
          const rows = [...document.querySelectorAll('[data-testid="goal-row"]')];
          return rows.length > 0 && rows.every((r) => /checkout flow/.test(r.textContent ?? ''));
        },
      ).catch(() => Number.NaN),
    );

    await page.goto(`${daemon.baseUrl}#/board`);
    board.push(await paintedAt(page, '[data-testid="board-column-todo"] [data-testid="board-card"]'));
    await context.close();
  }
  const bundle = await fetch(new URL('/', daemon.baseUrl)).then((r) => r.text());
  const scripts = [...bundle.matchAll(/src="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]);
  let gz = 0;
  for (const s of scripts) {
    const body = Buffer.from(await fetch(new URL(s, daemon.baseUrl)).then((r) => r.arrayBuffer()));
    gz += (await import('node:zlib')).gzipSync(body).length;
  }
  console.log(`Goals page, navigation → first complete paint: median ${ms(median(goals))} (aim < 300 ms)`);
  console.log(`Board, navigation → first complete paint:      median ${ms(median(board))} (aim < 300 ms)`);
  console.log(`Goals page, status filter → rows answered:     median ${ms(median(statusFilter))} (aim < 50 ms)`);
  console.log(`Goals page, search keystroke → echoed:         median ${ms(median(echo))} (aim < 50 ms)`);
  const answered = search.filter((x) => !Number.isNaN(x));
  console.log(
    `Goals page, search typed → rows answered:      ${answered.length ? `median ${ms(median(answered))} (includes the 250 ms debounce)` : 'not measured (the rows did not settle)'}`,
  );
  console.log(`first page's JavaScript (index.html's scripts): ${(gz / 1024).toFixed(0)} KB gzipped (aim < 250 KB)`);
} finally {
  await browser.close();
  await daemon.stop();
  await repo.cleanup();
}
