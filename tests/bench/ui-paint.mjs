// How fast the UI paints and answers with 10,000 Goals: the Goals page and the Board from a
// full navigation (a new document, not a change of the address's #fragment) to their first
// complete paint (rows / every column counted, one frame later), and the pages' answers to a
// filter (a status checkbox; a keystroke in the search box, echoed and then answered after its
// debounce; the Board's filter box). Prints figures; asserts nothing.
//
// Every time is taken in the page itself: paints from the navigation's start (performance.now()
// of the new document), answers from the input event's own timestamp to the frame after the
// answer shows — Playwright's own round trips (actionability checks, polling) are not counted.
//
//   REFINE_BIN=$PWD/target/release/refine node tests/bench/ui-paint.mjs
import { gzipSync } from 'node:zlib';
import { launchBrowser, openUi, startDaemon } from '../browser/harness.mjs';
import { addApp } from '../browser/work.mjs';

const GOALS = Number(process.env.REFINE_BENCH_UI_GOALS ?? 10_000);
const ROUNDS = 3;

const GOAL_ROW = '[data-testid="goal-row"]';
const TODO_CARD = '[data-testid="board-column-todo"] [data-testid="board-card"]';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

/**
 * Runs in every new document before its own scripts: notes when each selector first matches
 * (two frames later: the frame that paints it, then the next one), and answers `__arm(event,
 * condition)`: the time from the next `event`'s timestamp to the frame after `condition` holds.
 */
function probes(selectors) {
  window.__paintedAt = {};
  const waiting = new Set(selectors);
  const look = () => {
    for (const s of [...waiting]) {
      if (!document.querySelector(s)) continue;
      waiting.delete(s);
      requestAnimationFrame(() => requestAnimationFrame(() => (window.__paintedAt[s] = performance.now())));
    }
    if (waiting.size === 0) seen.disconnect();
  };
  const seen = new MutationObserver(look);
  seen.observe(document, { childList: true, subtree: true });

  const rows = () => [...document.querySelectorAll('[data-testid="goal-row"]')];
  const cards = (state) => [...document.querySelectorAll(`[data-testid="board-column-${state}"] [data-testid="board-card"]`)];
  const conditions = {
    onlyDone: () => rows().length > 0 && rows().every((r) => r.getAttribute('data-status') === 'done'),
    echoed: () => document.querySelector('[data-testid="goal-search"]')?.value === 'c',
    checkoutRows: () => rows().length > 0 && rows().every((r) => /checkout flow/.test(r.textContent ?? '')),
    checkoutCards: () =>
      cards('todo').length > 0 && cards('todo').every((c) => /checkout flow/.test(c.textContent ?? '')) && cards('done').length === 0,
  };
  window.__arm = (event, condition) => {
    window.__answer = undefined;
    let t0;
    document.addEventListener(event, (e) => (t0 = e.timeStamp), { capture: true, once: true });
    const tick = () => {
      if (t0 !== undefined && conditions[condition]()) requestAnimationFrame(() => (window.__answer = performance.now() - t0));
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
}

// Waiting polls what the page noted now and then, not every frame: the page's own work is timed,
// and a locator's queries (every frame) would run in the frames being timed.
const POLL_MS = 100;

/** A full navigation to `url`; milliseconds from its start to the frame after `selector` painted. */
async function paintTime(page, url, selector) {
  await page.goto('about:blank');
  await page.goto(url);
  const handle = await page.waitForFunction((s) => window.__paintedAt?.[s], selector, { timeout: 60_000, polling: POLL_MS });
  return handle.jsonValue();
}

/** Milliseconds from the `event` that `act` causes to the frame after `condition` holds. */
async function answerTime(page, event, condition, act) {
  await page.evaluate(([e, c]) => window.__arm(e, c), [event, condition]);
  await act();
  const handle = await page.waitForFunction(() => window.__answer, undefined, { timeout: 30_000, polling: POLL_MS });
  return handle.jsonValue();
}

/** The JavaScript files the document loaded so far, gzipped, in bytes. */
async function loadedScripts(page, baseUrl) {
  const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\.js(\?|$)/.test(n)));
  let gz = 0;
  for (const url of new Set(urls)) {
    const body = Buffer.from(await fetch(new URL(url, baseUrl)).then((r) => r.arrayBuffer()));
    gz += gzipSync(body).length;
  }
  return { files: new Set(urls).size, gz };
}

const daemon = await startDaemon();
const browser = await launchBrowser();
const repo = await addApp(daemon, 'paint');
try {
  const started = Date.now();
  // Half queued (todo), half done: both columns are long.
  const lines = ['# Work'];
  for (let i = 1; i <= GOALS; i++) lines.push(i % 2 ? `- [ ] Goal ${i} about the checkout flow` : `- [x] Goal ${i} about the search page`);
  // Over HTTP: the file is too long for a command-line argument (`refine call` says E2BIG).
  await daemon.http('POST', '/api/v1/import', { format: 'markdown', content: lines.join('\n') });
  // A large import finishes in the background: wait for every Goal.
  let total = 0;
  while (total < GOALS && Date.now() - started < 900_000) {
    total = (await daemon.http('GET', '/api/v1/work/goals?limit=1')).total;
    if (total < GOALS) await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`UI paint benchmark: ${total} Goals (seeded through import.commit in ${((Date.now() - started) / 1000).toFixed(1)} s), chromium ${browser.version()}`);

  const goals = [];
  const board = [];
  const statusFilter = [];
  const echo = [];
  const search = [];
  const boardSearch = [];
  let goalsJs;
  let boardJs;
  for (let r = 0; r < ROUNDS; r++) {
    const { page, context } = await openUi(browser, daemon, { viewport: { width: 1440, height: 900 } });
    await context.addInitScript(probes, [GOAL_ROW, TODO_CARD]);
    goals.push(await paintTime(page, `${daemon.baseUrl}#/goals`, GOAL_ROW));
    goalsJs ??= await loadedScripts(page, daemon.baseUrl);

    // A status checkbox (in the status popover): the table answers with only done Goals.
    await page.getByTestId('filter-status').click();
    statusFilter.push(await answerTime(page, 'click', 'onlyDone', () => page.getByTestId('filter-status-done').check()));
    await page.getByTestId('filter-status-done').uncheck();
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    // A keystroke in the search box: echoed at once, answered once the debounce lets it go.
    const box = page.getByTestId('goal-search');
    echo.push(await answerTime(page, 'keydown', 'echoed', () => box.press('c')));
    await box.fill('');
    await page.waitForTimeout(600);
    search.push(await answerTime(page, 'input', 'checkoutRows', () => box.fill('checkout')).catch(() => Number.NaN));

    board.push(await paintTime(page, `${daemon.baseUrl}#/board`, TODO_CARD));
    boardJs ??= await loadedScripts(page, daemon.baseUrl);
    await page.waitForTimeout(300);
    boardSearch.push(await answerTime(page, 'input', 'checkoutCards', () => page.getByTestId('board-search').fill('checkout')).catch(() => Number.NaN));
    await context.close();
  }
  const answered = (xs, note) => {
    const ok = xs.filter((x) => !Number.isNaN(x));
    return ok.length ? `median ${ms(median(ok))} (${note})` : 'not measured (it did not settle)';
  };
  console.log(`Goals page, navigation → first complete paint: median ${ms(median(goals))} (aim < 300 ms)`);
  console.log(`Board, navigation → first complete paint:      median ${ms(median(board))} (aim < 300 ms)`);
  console.log(`Goals page, status filter → rows answered:     median ${ms(median(statusFilter))} (aim < 50 ms)`);
  console.log(`Goals page, search keystroke → echoed:         median ${ms(median(echo))} (aim < 50 ms)`);
  console.log(`Goals page, search typed → rows answered:      ${answered(search, 'includes the 250 ms debounce')}`);
  console.log(`Board, filter typed → cards answered:          ${answered(boardSearch, 'includes the 250 ms debounce')}`);
  const kb = (x) => `${(x.gz / 1024).toFixed(0)} KB gzipped in ${x.files} files`;
  console.log(`JavaScript the first page loads: Goals page ${kb(goalsJs)}, Board ${kb(boardJs)} (aim < 250 KB)`);
} finally {
  await browser.close();
  await daemon.stop();
  await repo.cleanup();
}
