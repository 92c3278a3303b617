// The import wizard: paste a Markdown task list → preview (one row has an error) → import (a
// long-running operation with live progress) → the goals are listed. Also: CSV column mapping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goTo, launchBrowser, openUi, screenshot, startDaemon } from './harness.mjs';
import { addApp, callCli } from './work.mjs';

const PLAN = `# Billing
- [ ] Show invoice totals with tax
  Totals ignore VAT today; show net, VAT and gross.
- [ ]
- [ ] Email the invoice as PDF

# Onboarding
- [ ] Welcome email
- [x] Sign-up form
`;

describe('import', () => {
  let daemon;
  let browser;
  const cleanups = [];

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
    cleanups.push((await addApp(daemon, 'ledger')).cleanup);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await Promise.all(cleanups.map((c) => c()));
  });

  test('markdown: preview shows the row error, commit shows progress, the goals are listed', async () => {
    const { page, context } = await openUi(browser, daemon);
    await goTo(page, 'goals');
    await page.getByTestId('goals-import').click();
    await page.getByTestId('page-import').waitFor();
    await page.getByTestId('import-text').fill(PLAN);
    // The format is recognised from the content.
    assert.equal(await page.getByTestId('import-format').inputValue(), 'markdown');
    assert.match(await page.getByTestId('import-format').locator('option:checked').innerText(), /detected/);
    await page.getByTestId('import-next').click();

    await page.getByTestId('import-preview-step').waitFor();
    const errors = page.getByTestId('import-row-error');
    assert.equal(await errors.count(), 1);
    assert.equal(await errors.first().getAttribute('data-row'), '4');
    assert.match(await errors.first().innerText(), /a task item without a title/);
    assert.equal(await page.getByTestId('import-row').count(), 4);
    assert.equal(await page.locator('[data-testid="import-row"][data-action="create"]').count(), 4);
    assert.match(await page.getByTestId('count-create').innerText(), /4/);
    assert.match(await page.getByTestId('count-errors').innerText(), /1/);
    // Nothing is stored by a preview.
    assert.equal((await callCli(daemon, 'goals.list', {})).total, 0);
    await screenshot(page, 'import-preview-light');

    await page.getByTestId('import-commit').click();
    const progress = page.getByTestId('import-progress');
    await progress.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="import-progress"]')?.getAttribute('data-status') === 'succeeded', null, { timeout: 15_000 });
    assert.equal(await page.getByTestId('import-progress-bar').getAttribute('aria-valuenow'), '100');
    assert.match(await page.getByTestId('import-summary').innerText(), /4 created · 0 updated · 0 unchanged · 2 new features · 1 row skipped/);
    await screenshot(page, 'import-done-light');

    await page.getByTestId('import-see-goals').click();
    await page.getByTestId('goals-table').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="goal-row"]').length === 4);
    const titles = await page.getByTestId('goal-link').allInnerTexts();
    assert.deepEqual([...titles].sort(), ['Email the invoice as PDF', 'Show invoice totals with tax', 'Sign-up form', 'Welcome email']);
    assert.equal(await page.locator('[data-testid="goal-row"][data-status="done"]').count(), 1, '“- [x]” is imported as done');
    const features = await callCli(daemon, 'features.list', {});
    assert.deepEqual(features.map((f) => f.name).sort(), ['Billing', 'Onboarding']);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('importing the same list again updates nothing; CSV asks which column is what', async () => {
    const { page, context } = await openUi(browser, daemon, { colorScheme: 'dark' });
    await page.goto(new URL('/#/import', daemon.baseUrl).href);
    await page.getByTestId('import-text').fill(PLAN);
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-preview-step').waitFor();
    assert.equal(await page.locator('[data-testid="import-row"][data-action="unchanged"]').count(), 4);
    assert.equal(await page.getByTestId('import-commit').isDisabled(), true);

    // CSV: the header row gives the columns; the mapping decides what they mean.
    await page.getByRole('button', { name: '← Back' }).click();
    await page.getByTestId('import-text').fill('Ref,What,Details,Tags,Prio\nR-1,Audit log export,"Export the audit log, as CSV",compliance;export,High\nR-2,,missing title,,Low\n');
    assert.equal(await page.getByTestId('import-format').inputValue(), 'csv');
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-mapping').waitFor();
    await page.getByTestId('mapping-title').selectOption('What');
    await page.getByTestId('mapping-prompt').selectOption('Details');
    await page.getByTestId('mapping-labels').selectOption('Tags');
    await page.getByTestId('mapping-priority').selectOption('Prio');
    await page.getByTestId('mapping-externalId').selectOption('Ref');
    await screenshot(page, 'import-mapping-dark');
    await page.getByTestId('import-preview').click();
    await page.getByTestId('import-preview-step').waitFor();
    const row = page.getByTestId('import-row');
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Audit log export/);
    assert.match(await row.innerText(), /compliance/);
    assert.equal(await page.getByTestId('import-row-error').count(), 1);
    await screenshot(page, 'import-preview-dark');
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  test('an uploaded file: the format is guessed from its name and content (GitHub issues JSON)', async () => {
    const { page, context } = await openUi(browser, daemon);
    await page.goto(new URL('/#/import', daemon.baseUrl).href);
    const issues = [
      { number: 12, title: 'Crash on empty cart', body: 'Steps: open the cart with nothing in it.', labels: [{ name: 'bug' }], state: 'OPEN', url: 'https://github.com/acme/shop/issues/12' },
      { number: 13, title: '', body: '', labels: [], state: 'OPEN', url: 'https://github.com/acme/shop/issues/13' },
    ];
    await page.getByTestId('import-file').setInputFiles({ name: 'issues.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(issues)) });
    await page.getByText('issues.json').waitFor();
    assert.equal(await page.getByTestId('import-format').inputValue(), 'github');
    await page.getByTestId('import-next').click();
    await page.getByTestId('import-preview-step').waitFor();
    assert.match(await page.getByTestId('import-row').innerText(), /Crash on empty cart/);
    assert.match(await page.getByTestId('import-row-error').innerText(), /issue #13 has no title/);
    await page.getByTestId('import-commit').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="import-progress"]')?.getAttribute('data-status') === 'succeeded', null, { timeout: 15_000 });
    const imported = (await callCli(daemon, 'goals.list', { q: 'crash' })).items[0];
    assert.equal(imported.external.url, 'https://github.com/acme/shop/issues/12');
    assert.deepEqual(imported.labels, ['bug']);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});
