// Helpers for the work-area browser tests (Goals, Board, Features, Import, Dashboard, Todos).
import { makeGitRepo } from './harness.mjs';

/** Registers a fresh Git repository (the first app added becomes the active one). */
export async function addApp(daemon, name = 'shop') {
  const repo = await makeGitRepo(name, { 'README.md': `# ${name}\n`, 'src/main.js': 'console.log("hi");\n' });
  await daemon.cli('apps', 'add', repo.dir);
  return repo;
}

/** A Goal prompt carrying instructions for the scripted agent (`refine agent-script`). */
export function scripted(lines) {
  return ['Make the change below.', '', '```refine-script', ...lines, '```', ''].join('\n');
}

/** `refine call OP INPUT` against the test's daemon (REFINE_HOME = its data dir); parsed JSON. */
export async function callCli(daemon, op, input = {}) {
  const out = await daemon.cli('call', op, JSON.stringify(input));
  return JSON.parse(out);
}

/** Steps a Goal through the automated states to `to` (as the runner would), through the CLI. */
export async function advanceTo(daemon, goalId, to) {
  const path = ['plan', 'implement', 'quality', 'governance', 'review'];
  for (const state of path) {
    await callCli(daemon, 'workflow.advance', { goalId, to: state });
    if (state === to) return;
  }
}

/** Waits until `check()` is truthy (polling a test-side condition, not the UI). */
export async function eventually(check, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const until = Date.now() + timeout;
  let last;
  while (Date.now() < until) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** The titles of the locator's elements, in order (text of `[data-title]` children or links). */
export async function texts(locator) {
  return locator.evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
}

/**
 * Runs `gesture` (a drag and drop) until the page receives a `drop`, at most three times.
 *
 * Playwright emulates HTML5 drag and drop in Chromium by intercepting the drag its mouse move
 * starts, and it decides whether one started from a listener it puts on that move. When the page
 * is busy (several browsers and daemons on two cores), that check can miss a drag Chromium did
 * start: the page sees `dragstart` and then nothing, no dragover, no drop. That is the emulation
 * failing, not the page, so only then is the gesture repeated. A page that refuses the drop (its
 * dragover not accepting) gets no `drop` either, and still fails the test on what it shows.
 */
async function untilDropped(page, gesture) {
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(() => {
      if (!window.__dropsSeen) addEventListener('drop', () => (window.__dropsSeen.count += 1), true);
      window.__dropsSeen = { count: 0 };
    });
    await gesture();
    if ((await page.evaluate(() => window.__dropsSeen.count)) > 0 || attempt === 3) return;
    console.warn(`drag and drop: the page received no drop (attempt ${attempt}); dragging again`);
  }
}

/**
 * HTML5 drag and drop as a person does it: press on `source`, move over `target` and let go.
 * `position` is a point in the target, as `locator.hover` takes it.
 */
export async function drag(page, source, target, { position } = {}) {
  await untilDropped(page, async () => {
    await source.hover();
    await page.mouse.down();
    await target.hover({ position });
    await target.hover({ position });
    await page.mouse.up();
  });
}

/**
 * HTML5 drag and drop from `source` to `target` when the target is scrolled out of view (board
 * columns): the drag starts on the source first, then the target is scrolled to and dropped on.
 * (`locator.dragTo` scrolls the target into view before the drag starts, which moves the source
 * out from under the pointer.)
 */
export async function dragAcross(page, source, target) {
  await untilDropped(page, async () => {
    await source.scrollIntoViewIfNeeded();
    await source.hover();
    await page.mouse.down();
    const from = await source.boundingBox();
    await page.mouse.move(from.x + from.width / 2 + 12, from.y + from.height / 2 + 12, { steps: 2 });
    await target.scrollIntoViewIfNeeded();
    const to = await target.boundingBox();
    await page.mouse.move(to.x + to.width / 2, to.y + Math.min(60, to.height / 2), { steps: 4 });
    await page.mouse.up();
  });
}
