import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { diffRuns } from '../../src/core/runs/compare';
import { listRunEntries, type RunEntry } from '../../src/runner/runCatalog';
import { writeSyntheticRuns } from '../runner/helpers/syntheticRuns';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { findWebviewFrame, openWorkbench, reloadWindow, runCommand, screenshot, waitInWebview, waitUntil, type Workbench } from './harness/workbench';
import { makeExamplesWorkspace } from './harness/workspace';

/**
 * The runs table in a real VS Code (code-server) and Chromium, as a user does it: a workspace
 * whose digits experiment has 200 runs (written by the run store's own functions); Open Runs
 * Table from the Runs view's title bar; sort, filter, scroll (rows are virtualised), select two
 * runs and read their configuration diff, Compare them in one timeline, rename a run (stored in
 * its folder). Expected values come from the run store, read here with
 * the same catalogue as `model-lab runs list`. Screenshots go to test-output/e2e/.
 */
const N = 200;

describe('runs table (code-server)', { timeout: 6 * 60_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  let entries: RunEntry[];

  before(async () => {
    workspace = makeExamplesWorkspace('runstable');
    const root = path.join(workspace, 'digits', '.model-lab', 'runs');
    await writeSyntheticRuns(root, N, { experimentFile: path.join(workspace, 'digits', 'digits-mlp.experiment.json') });
    entries = await listRunEntries(root);
    server = await startCodeServer({ workspace, trusted: true, name: 'runstable' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const countText = (f: Frame) => f.$eval('.count', (e) => e.textContent ?? '');
  const runCells = (f: Frame) => f.$$eval('tr.run', (rows) => rows.map((r) => ({ runDir: (r as HTMLElement).dataset.run ?? '', index: Number((r as HTMLElement).dataset.index), run: r.querySelector('td[data-col="run"]')?.textContent ?? '', accuracy: r.querySelector('td[data-col="metric:accuracy"]')?.textContent ?? '' })));
  const table = (page: Page) => findWebviewFrame(page, 'table.grid');

  test('Open Runs Table from the Runs view: one row per run, differing hyperparameters and metrics as columns, rows virtualised', async () => {
    const { page } = wb;
    await runCommand(page, 'Model Lab: Focus on Runs View');
    const action = page.locator('.action-label[aria-label="Open Runs Table"]').first();
    await action.waitFor({ state: 'visible', timeout: 20_000 });
    await action.click();
    await waitInWebview(page, 'table.grid', countText, (t) => t === `${N} runs`, 60_000);
    const frame = await table(page);
    const headers = await frame.$$eval('th[data-col]', (ths) => ths.map((t) => t.textContent ?? ''));
    for (const h of ['Status', 'Run', 'Experiment', 'Kind', 'Policy', 'training.batchSize', 'training.optimizer.learningRate', 'training.seed', 'accuracy', 'loss', 'Duration', 'Started', 'Tags']) {
      assert.ok(headers.includes(h), `column ${h} in ${JSON.stringify(headers)}`);
    }
    for (const same of ['training.epochs', 'model.layers[0].units', 'data.train']) assert.ok(!headers.includes(same), `${same} is the same in every run: no column`);
    const drawn = (await runCells(frame)).length;
    assert.ok(drawn > 5 && drawn < N / 2, `only the rows in view are drawn (${drawn} of ${N})`);
    await screenshot(page, 'runs-table-01-open');
  });

  test('sort by a metric, scroll to the end, filter by column terms', async () => {
    const { page } = wb;
    const frame = await table(page);
    await frame.locator('th[data-col="metric:accuracy"]').click();
    const best = Math.max(...entries.map((e) => e.metrics.accuracy));
    const rows = await waitInWebview(page, 'table.grid', runCells, (r) => r[0]?.accuracy === `${(best * 100).toFixed(2)}%`, 20_000);
    assert.equal(rows[0].index, 0);
    await frame.locator('.scroller').evaluate((s) => { s.scrollTop = s.scrollHeight; });
    await waitInWebview(page, 'table.grid', runCells, (r) => r.at(-1)?.index === N - 1, 20_000);
    const worst = Math.min(...entries.map((e) => e.metrics.accuracy));
    assert.equal((await runCells(frame)).at(-1)?.accuracy, `${(worst * 100).toFixed(2)}%`);

    await frame.locator('#filter').fill('policy:smartfrz accuracy>0.95');
    const expected = entries.filter((e) => e.policy === 'smartfrz' && e.metrics.accuracy > 0.95).length;
    assert.ok(expected > 0 && expected < N);
    await waitInWebview(page, 'table.grid', countText, (t) => t === `${expected} of ${N} runs`, 20_000);
    await frame.locator('#filter').fill('tags:baseline');
    await waitInWebview(page, 'table.grid', countText, (t) => t === `${entries.filter((e) => e.tags.includes('baseline')).length} of ${N} runs`, 20_000);
    await screenshot(page, 'runs-table-02-sorted-filtered');
  });

  test('two selected runs: the configuration fields that differ (only those); Compare overlays them in one timeline', async () => {
    const { page } = wb;
    const frame = await table(page);
    const shown = await runCells(frame);
    await frame.locator('tr.run').nth(0).click();
    await frame.locator('tr.run').nth(1).click({ modifiers: ['Control'] });
    await waitInWebview(page, 'table.grid', countText, (t) => t.endsWith('2 selected'), 20_000);
    const [a, b] = [shown[0], shown[1]].map((r) => entries.find((e) => e.runDir === r.runDir)!);
    const want = diffRuns(a, b).config.map((d) => d.path);
    assert.ok(want.length > 0);
    const fields = await waitInWebview(page, '#diff', (f) => f.$$eval('#diff td.path', (tds) => tds.map((t) => t.textContent ?? '')), (p) => p.length > 0, 20_000);
    assert.deepEqual(fields, want);
    await screenshot(page, 'runs-table-03-selection-diff');

    await frame.locator('#compare').click();
    const cards = await waitInWebview(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.length), (n) => n === 2, 60_000);
    assert.equal(cards, 2);
    await screenshot(page, 'runs-table-04-compare-timeline');
  });

  test('Rename stores the name in the run folder and the table shows it', async () => {
    const { page } = wb;
    const frame = await table(page);
    const first = (await runCells(frame))[0];
    await frame.locator('tr.run').nth(0).click();
    await waitInWebview(page, 'table.grid', countText, (t) => t.endsWith('1 selected'), 20_000);
    await frame.locator('#edit-name').click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    await input.fill('e2e best run');
    await page.keyboard.press('Enter');
    await waitUntil(page, () => {
      try {
        return JSON.parse(readFileSync(path.join(first.runDir, 'meta.json'), 'utf8')).name === 'e2e best run';
      } catch {
        return false;
      }
    }, 'meta.json has the new name', 20_000);
    await waitInWebview(page, 'table.grid', runCells, (r) => r.some((x) => x.runDir === first.runDir && x.run === 'e2e best run'), 20_000);

    await screenshot(page, 'runs-table-05-renamed');
  });

  test('after Reload Window the table comes back with its sort, filter and selection', async () => {
    const { page } = wb;
    // The table's editor active in its group (the timeline opened beside it), then reload.
    await page.locator('.tab', { hasText: 'Runs (' }).first().click();
    await reloadWindow(wb);
    const restored = await waitInWebview(page, 'table.grid', countText, (t) => /of 200 runs · 1 selected$/.test(t), 60_000).catch(async (e) => {
      await screenshot(page, 'runs-table-06-after-reload-failed');
      const frames = await Promise.all(page.frames().map(async (f) => `${f.url().slice(0, 160)} ${(await f.content().catch(() => '')).length}`));
      throw new Error(`${(e as Error).message}\nframes:\n${frames.join('\n')}\nconsole errors:\n${wb.consoleErrors.slice(-20).join('\n')}`);
    });
    assert.match(restored, /^10 of 200 runs/);
    const again = await table(page);
    assert.equal(await again.locator('#filter').inputValue(), 'tags:baseline');
    assert.equal(await again.locator('th[data-col="metric:accuracy"]').getAttribute('aria-sort'), 'descending');
    await screenshot(page, 'runs-table-06-after-reload');
  });
});
