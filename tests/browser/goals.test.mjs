// The Goals list: filters, search and sort live in the URL (reload and back keep them); bulk
// edits report each refused Goal; a Goal's page edits it; delete → Deleted view → restore; export.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, advanceTo, callCli, eventually } from './work.mjs';

/** The filters in the page's hash route, e.g. `{status: 'todo,review'}`. */
function hashQuery(page) {
  const hash = new URL(page.url()).hash;
  const q = hash.indexOf('?');
  return Object.fromEntries(new URLSearchParams(q >= 0 ? hash.slice(q + 1) : ''));
}

const rowCount = (page, n) => page.waitForFunction((count) => document.querySelectorAll('[data-testid="goal-row"]').length === count, n);

describe('goals', () => {
  let daemon;
  let browser;
  const cleanups = [];
  let feature;
  let review;
  let darkMode;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'catalog')).cleanup);
    feature = (await callCli(daemon, 'features.create', { name: 'Search' })).feature;
    await callCli(daemon, 'goals.create', { title: 'Prefix search for product names', status: 'todo', featureId: feature.id, prompt: 'Typing "sho" should find shoes.' });
    await callCli(daemon, 'goals.create', { title: 'Highlight matches in results', status: 'todo', featureId: feature.id, labels: ['ui'] });
    darkMode = await callCli(daemon, 'goals.create', { title: 'Dark mode', labels: ['ui'] });
    await callCli(daemon, 'goals.create', { title: 'Export the catalog to PDF', status: 'todo', priority: 2, labels: ['export'] });
    review = await callCli(daemon, 'goals.create', { title: 'Fix login redirect', status: 'todo', priority: 3 });
    await advanceTo(daemon, review.id, 'review');
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('filters, search and sort are in the URL; reload and back keep them', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'goals');
    await rowCount(page, 5);
    assert.equal(await page.getByTestId('goals-total').getAttribute('data-total'), '5');
    await screenshot(page, 'goals-light');

    // Status: a multi-select.
    await page.getByTestId('filter-status').click();
    await page.getByTestId('filter-status-review').check();
    await page.getByTestId('filter-status-todo').check();
    await screenshot(page, 'goals-status-filter-light');
    await page.keyboard.press('Escape');
    await rowCount(page, 4);
    assert.deepEqual(hashQuery(page), { status: 'todo,review' }, 'states in workflow order');
    assert.equal(await page.getByTestId('filter-status').innerText(), 'Todo, Review');

    // Full-text search (debounced into the URL).
    await page.getByTestId('goal-search').fill('shoes');
    await rowCount(page, 1);
    assert.deepEqual(hashQuery(page), { status: 'todo,review', q: 'shoes' });
    assert.equal(await page.getByTestId('goal-link').innerText(), 'Prefix search for product names');

    // A reload keeps all of it.
    await page.reload();
    await page.getByTestId('goals-table').waitFor();
    await rowCount(page, 1);
    assert.equal(await page.getByTestId('goal-search').inputValue(), 'shoes');
    assert.equal(await page.getByTestId('filter-status').innerText(), 'Todo, Review');

    // Feature and sort.
    await page.getByTestId('goal-search').fill('');
    await rowCount(page, 4);
    await page.getByTestId('filter-feature').selectOption(feature.id);
    await rowCount(page, 2);
    await page.getByTestId('goal-sort').selectOption('title');
    await page.waitForFunction(() => document.querySelector('[data-testid="goal-link"]')?.textContent === 'Highlight matches in results');
    assert.deepEqual(hashQuery(page), { status: 'todo,review', feature: feature.id, sort: 'title' });

    // Open a goal, then go back: the list comes back with its filters.
    await page.getByTestId('goal-link').first().click();
    await page.getByTestId('page-goal').waitFor();
    await page.goBack();
    await page.getByTestId('goals-table').waitFor();
    await rowCount(page, 2);
    assert.deepEqual(hashQuery(page), { status: 'todo,review', feature: feature.id, sort: 'title' });
    // "← Goals" on a goal also returns to the filtered list.
    await page.getByTestId('goal-link').first().click();
    await page.getByTestId('back-to-goals').click();
    await rowCount(page, 2);
    assert.equal(hashQuery(page).feature, feature.id);

    // Label and assignee filters; "Clear" resets the filters (sort stays).
    await page.getByTestId('filter-clear').click();
    await rowCount(page, 5);
    await page.getByTestId('filter-label').fill('ui');
    await rowCount(page, 2);
    assert.equal(hashQuery(page).label, 'ui');
    await page.getByTestId('filter-feature').selectOption('none');
    await rowCount(page, 1);
    assert.equal(await page.getByTestId('goal-link').innerText(), 'Dark mode');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('bulk edit reports each refused goal; the goal page edits; delete and restore; export', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await goTo(page, 'goals');
    await rowCount(page, 5);

    // Everything to backlog: the goal in review cannot be moved by hand.
    await page.getByTestId('select-all').check();
    await page.getByTestId('bulk-bar').waitFor();
    await page.getByTestId('bulk-action').selectOption('status');
    await page.getByTestId('bulk-value').selectOption('backlog');
    await page.getByTestId('bulk-apply').click();
    const result = page.getByTestId('bulk-result');
    await result.waitFor();
    assert.match(await result.innerText(), /4 updated, 1 refused/);
    const failure = page.getByTestId('bulk-failure');
    assert.equal(await failure.count(), 1);
    assert.match(await failure.innerText(), /#5 Fix login redirect/);
    assert.match(await failure.innerText(), /in review cannot be moved by hand/);
    await screenshot(page, 'goals-bulk-dark');
    // The refused goal stays selected for another try; the others changed.
    assert.match(await page.getByTestId('bulk-bar').innerText(), /1 selected/);
    await eventually(async () => (await callCli(daemon, 'goals.list', { status: ['backlog'] })).total === 4, { message: '4 in backlog' });

    // Add a label to two goals.
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Clear selection' }).click();
    await page.getByTestId('goal-select').nth(0).check();
    await page.getByTestId('goal-select').nth(1).check();
    await page.getByTestId('bulk-action').selectOption('addLabel');
    await page.getByTestId('bulk-value').fill('q3');
    await page.getByTestId('bulk-apply').click();
    await page.getByTestId('bulk-result').getByText('2 updated').waitFor();
    assert.equal((await callCli(daemon, 'goals.list', { label: 'q3' })).total, 2);

    // The goal page: edit fields; only what changed is sent.
    await page.getByTestId('filter-label').fill('');
    await page.goto(new URL(`/#/goals/${darkMode.id}`, daemon.baseUrl).href);
    await page.getByTestId('goal-editor').waitFor();
    await page.getByTestId('edit-title').fill('Dark mode for the storefront');
    await page.getByTestId('edit-prompt').fill('## Today\nOnly a light theme.\n\n## Wanted\nFollow the OS setting.');
    await page.getByTestId('edit-labels').fill('ui, theme');
    await page.getByTestId('edit-assignee').fill('claude');
    await page.getByTestId('edit-feature').selectOption(feature.id);
    await page.getByTestId('edit-save').click();
    await page.getByRole('heading', { name: /Dark mode for the storefront/ }).waitFor();
    const edited = await callCli(daemon, 'goals.get', { id: darkMode.id });
    assert.equal(edited.title, 'Dark mode for the storefront');
    assert.deepEqual(edited.labels, ['ui', 'theme']);
    assert.equal(edited.assignee, 'claude');
    assert.equal(edited.featureName, 'Search');
    await page.locator('[data-testid="goal-activity-entry"][data-operation="goals.update"]').waitFor();
    await screenshot(page, 'goal-detail-dark');

    // Clearing the assignee sends null.
    await page.getByTestId('edit-assignee').fill('');
    await page.getByTestId('edit-save').click();
    await eventually(async () => (await callCli(daemon, 'goals.get', { id: darkMode.id })).assignee === null, { message: 'assignee cleared' });

    // Delete (soft), find it in the Deleted view, restore it.
    await page.getByTestId('goal-delete').click();
    await page.getByTestId('goal-delete-confirm').click();
    await page.getByTestId('goal-deleted-banner').waitFor();
    await page.getByTestId('back-to-goals').click();
    await page.getByTestId('view-deleted').click();
    await rowCount(page, 1);
    assert.equal(hashQuery(page).view, 'deleted');
    await screenshot(page, 'goals-deleted-dark');
    await page.getByTestId('goal-restore').click();
    await page.getByTestId('goals-empty').waitFor();
    assert.equal((await callCli(daemon, 'goals.get', { id: darkMode.id })).deletedAt, null);

    // Export: a JSON file the import reads back.
    await page.getByTestId('view-active').click();
    await rowCount(page, 5);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    assert.match(download.suggestedFilename(), /-refine\.json$/);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(exported.format, 'refine-work');
    assert.equal(exported.goals.length, 5);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    assert.match(csv.suggestedFilename(), /\.csv$/);
    assert.match(await readFile(await csv.path(), 'utf8'), /^Issue key,Summary/);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
