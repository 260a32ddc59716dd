import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { diffRuns } from '../../src/core/runs/compare';
import { PROVENANCE_COLUMNS } from '../../src/panels/runsTable/viewModel';
import { listRunEntries, type RunEntry } from '../../src/runner/runCatalog';
import { writeSyntheticRuns } from '../runner/helpers/syntheticRuns';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { openRunsView, exportVia, findWebviewFrame, openWorkbench, reloadWindow, screenshot, untilEffect, waitInWebview, webviewShows, patient, type Workbench } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The runs table in a real VS Code (code-server) and Chromium, as a user does it: a workspace
 * whose digits experiment has 200 runs (written by the run store's own functions); Open Runs
 * Table from the Runs view's title bar; sort, filter, scroll (rows are virtualised), select two
 * runs and read their configuration diff, Compare them in one timeline, show provenance columns
 * from the column chooser, export the rows shown as CSV and JSON through the save dialog, find a
 * proven run by its badge, rename a run (stored in its folder), and reload the window. Expected
 * values come from the run store, read here with
 * the same catalogue as `model-lab runs list`. Screenshots go to test-output/e2e/.
 */
const N = 200;

describe('runs table (code-server)', { timeout: patient(6 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  let entries: RunEntry[];

  before(async () => {
    workspace = makeExamplesWorkspace('runstable');
    const root = path.join(workspace, 'digits', '.model-lab', 'runs');
    await writeSyntheticRuns(root, N, { experimentFile: path.join(workspace, 'digits', 'digits-mlp.experiment.json') });
    // A proof's public claim in one run (the badge reads claims; making a real proof takes minutes:
    // results.e2e.ts does that once).
    const proofDir = path.join(root, 'run-0007-linear', 'proofs', 'accuracy-0.9');
    mkdirSync(proofDir, { recursive: true });
    writeFileSync(path.join(proofDir, 'claim.json'), JSON.stringify({
      statement: 'e2e', scheme: 'model-lab/accuracy/1', proofSystem: { library: 'o1js', version: '2.15.0', proof: 'Kimchi' }, metric: 'accuracy',
      min: 0.9, n: 80, minCorrect: 72, circuitSize: 128, commitments: { predictions: '1', labels: '2' }, testSet: { sha256: 'a'.repeat(64) }, createdAt: '2026-12-07T00:00:00Z',
    }));
    entries = await listRunEntries(root);
    server = await startCodeServer({ workspace, trusted: true, name: 'runstable' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const countText = (f: Frame) => f.$eval('.count', (e) => e.textContent ?? '');
  const runCells = (f: Frame) => f.$$eval('tr.run', (rows) => rows.map((r) => ({ runDir: (r as HTMLElement).dataset.run ?? '', index: Number((r as HTMLElement).dataset.index), run: r.querySelector('td[data-col="run"]')?.textContent ?? '', accuracy: r.querySelector('td[data-col="metric:accuracy"]')?.textContent ?? '' })));
  const table = (page: Page) => findWebviewFrame(page, 'table.grid');
  const countShows = (page: Page, want: (t: string) => boolean) => () => webviewShows(page, 'table.grid', countText, want);
  const cardsShown = (page: Page, n: number) => () => webviewShows(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.length), (c) => c === n);
  /**
   * Types `terms` into the filter until the count reads as `want`: a fill is keyboard input into
   * the webview, which a focus taken by the workbench meanwhile sends elsewhere.
   */
  const filterTo = (page: Page, frame: Frame, terms: string, want: (t: string) => boolean) =>
    untilEffect(page, () => frame.locator('#filter').fill(terms), countShows(page, want), `the count after filtering by ${terms}`, { action: `typing ${terms} into the filter`, tryMs: 20_000 });
  /** Clicks the first row (and for two, the second with Control held) until the count shows `selected`. */
  const selectRows = (page: Page, frame: Frame, selected: string) =>
    untilEffect(page, async () => {
      await frame.locator('tr.run').nth(0).click();
      if (selected === '2 selected') await frame.locator('tr.run').nth(1).click({ modifiers: ['Control'] });
    }, countShows(page, (t) => t.endsWith(selected)), selected, { action: 'clicking the first rows', tryMs: 20_000 });

  test('Open Runs Table from the Runs view: one row per run, differing hyperparameters and metrics as columns, rows virtualised', async () => {
    const { page } = wb;
    await openRunsView(page);
    const action = page.locator('.action-label[aria-label="Open Runs Table"]').first();
    await action.waitFor({ state: 'visible', timeout: patient(20_000) });
    await untilEffect(page, () => action.click(), countShows(page, (t) => t === `${N} runs`), `a table of ${N} runs`, { action: 'clicking Open Runs Table', tryMs: 30_000 });
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
    // Sorting toggles the direction: clicked again only while the header does not show it sorted.
    const header = frame.locator('th[data-col="metric:accuracy"]');
    const sorted = async () => (await header.getAttribute('aria-sort')) === 'descending';
    await untilEffect(page, async () => !(await sorted()) && (await header.click(), true), sorted, 'a descending sort by accuracy', { action: 'clicking the accuracy header' });
    const best = Math.max(...entries.map((e) => e.metrics.accuracy));
    const rows = await waitInWebview(page, 'table.grid', runCells, (r) => r[0]?.accuracy === `${(best * 100).toFixed(2)}%`, 20_000);
    assert.equal(rows[0].index, 0);
    await frame.locator('.scroller').evaluate((s) => { s.scrollTop = s.scrollHeight; });
    await waitInWebview(page, 'table.grid', runCells, (r) => r.at(-1)?.index === N - 1, 20_000);
    const worst = Math.min(...entries.map((e) => e.metrics.accuracy));
    assert.equal((await runCells(frame)).at(-1)?.accuracy, `${(worst * 100).toFixed(2)}%`);

    const expected = entries.filter((e) => e.policy === 'smartfrz' && e.metrics.accuracy > 0.95).length;
    assert.ok(expected > 0 && expected < N);
    await filterTo(page, frame, 'policy:smartfrz accuracy>0.95', (t) => t === `${expected} of ${N} runs`);
    await filterTo(page, frame, 'tags:baseline', (t) => t === `${entries.filter((e) => e.tags.includes('baseline')).length} of ${N} runs`);
    await screenshot(page, 'runs-table-02-sorted-filtered');
  });

  test('two selected runs: the configuration fields that differ (only those); Compare overlays them in one timeline', async () => {
    const { page } = wb;
    const frame = await table(page);
    const shown = await runCells(frame);
    await selectRows(page, frame, '2 selected');
    const [a, b] = [shown[0], shown[1]].map((r) => entries.find((e) => e.runDir === r.runDir)!);
    // Configuration fields, then the provenance fields with a table column (as `runs diff` finds them).
    const d = diffRuns(a, b);
    const want = [...d.config.map((x) => x.path), ...d.provenance.filter((x) => x.path in PROVENANCE_COLUMNS).map((x) => `provenance: ${PROVENANCE_COLUMNS[x.path]}`)];
    assert.ok(want.length > 0);
    const fields = await waitInWebview(page, '#diff', (f) => f.$$eval('#diff td.path', (tds) => tds.map((t) => t.textContent ?? '')), (p) => p.length > 0, 20_000);
    assert.deepEqual(fields, want);
    await screenshot(page, 'runs-table-03-selection-diff');

    await untilEffect(page, () => frame.locator('#compare').click(), cardsShown(page, 2), 'a timeline of 2 runs', { action: 'clicking Compare', tryMs: 30_000 });
    // The timeline shows the configuration fields in which the overlaid runs differ (only those).
    const timelineDiff = await waitInWebview(page, '#config-diff', (f) => f.$$eval('#config-diff td.path', (tds) => tds.map((t) => t.textContent ?? '')), (p) => p.length > 0, 30_000);
    assert.deepEqual(timelineDiff, d.config.map((x) => x.path));
    await screenshot(page, 'runs-table-04-compare-timeline');

    // One run in the timeline (double-click), then the comparison again from the table's list.
    const status = frame.locator('tr.run').nth(2).locator('td[data-col="status"]');
    await untilEffect(page, () => status.dblclick(), cardsShown(page, 1), 'a timeline of 1 run', { action: 'double-clicking a run', tryMs: 30_000 });
    const options = await frame.locator('#reopen option').allTextContents();
    assert.equal(options.length, 2, JSON.stringify(options));
    assert.match(options[1], /^2 runs: /);
    await frame.locator('#reopen').selectOption({ index: 1 });
    await waitInWebview(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.length), (n) => n === 2, 60_000);
    await waitInWebview(page, '#config-diff', (f) => f.$$eval('#config-diff td.path', (tds) => tds.length), (n) => n === d.config.length, 30_000);
  });

  test('provenance columns from the column chooser: commit, dirty flag and data hash as provenance.json has them', async () => {
    const { page } = wb;
    const frame = await table(page);
    assert.equal(await frame.locator('th[data-col="prov:git.commit"]').count(), 0, 'hidden until chosen');
    const chooser = frame.locator('#column-chooser');
    await untilEffect(page, async () => !(await chooser.isVisible()) && (await frame.locator('#columns').click(), true), () => chooser.isVisible(), 'the column chooser', { action: 'clicking Columns' });
    // A box is clicked only while it is not as wanted (a second click would undo the first).
    for (const [col, on] of [['prov:git.commit', true], ['prov:git.dirty', true], ['prov:data.sha256', true], ['note', false]] as const) {
      const box = chooser.locator(`input[data-col="${col}"]`);
      const set = async () => (await box.isChecked()) === on;
      await untilEffect(page, async () => !(await set()) && (await box.click(), true), set, `${col} ${on ? 'checked' : 'unchecked'}`, { action: `clicking its box` });
    }
    const cells = (f: Frame) => f.$$eval('tr.run', (rows) => rows.map((r) => ({
      runDir: (r as HTMLElement).dataset.run ?? '',
      commit: r.querySelector('td[data-col="prov:git.commit"]')?.textContent ?? '',
      dirty: r.querySelector('td[data-col="prov:git.dirty"]')?.textContent ?? '',
      data: r.querySelector('td[data-col="prov:data.sha256"]')?.textContent ?? '',
      note: r.querySelector('td[data-col="note"]') !== null,
    })));
    const rows = await waitInWebview(page, 'table.grid', cells, (r) => r.length > 0 && r.every((x) => x.commit !== '' && !x.note), 20_000);
    for (const r of rows) {
      const p = entries.find((e) => e.runDir === r.runDir)!.provenance!;
      assert.equal(r.commit, String(p['git.commit']).slice(0, 8));
      assert.equal(r.dirty, p['git.dirty'] ? 'dirty' : 'clean');
      assert.equal(r.data, String(p['data.sha256']).slice(0, 12));
    }
    // A column term reaches provenance: the runs made from a dirty tree (among those shown).
    const dirty = entries.filter((e) => e.tags.includes('baseline') && e.provenance?.['git.dirty'] === true).length;
    await filterTo(page, frame, 'tags:baseline git.dirty:true', (t) => t.startsWith(`${dirty} of ${N} runs`));
    await filterTo(page, frame, 'tags:baseline', (t) => t.startsWith(`10 of ${N} runs`));
    await screenshot(page, 'runs-table-05-provenance-columns');
  });

  test('Export saves the rows and columns shown as CSV and JSON through the save dialog', async () => {
    const { page } = wb;
    const frame = await table(page);
    const shown = await waitInWebview(page, 'table.grid', runCells, (r) => r.length === 10, 20_000);
    const headers = await frame.$$eval('th[data-col]', (ths) => ths.map((t) => t.textContent ?? ''));
    // In the folder the save dialog opens in (typing another folder makes it list that one first).
    const csvFile = path.join(workspace, 'runs-export.csv');
    const jsonFile = path.join(workspace, 'runs-export.json');
    await exportVia(page, '#export vscode-button[data-format="csv"]', csvFile);
    const lines = parseCsv(readFileSync(csvFile, 'utf8'));
    assert.deepEqual(lines[0], ['Run folder', ...headers]);
    assert.equal(lines.length, 1 + 10, 'the 10 rows the filter shows');
    assert.deepEqual(lines.slice(1).map((l) => l[0]), shown.map((r) => r.runDir), 'in the order shown');
    const commitAt = headers.indexOf('Git commit') + 1;
    assert.equal(lines[1][commitAt], String(entries.find((e) => e.runDir === shown[0].runDir)!.provenance!['git.commit']).slice(0, 8));
    assert.equal(lines[1][headers.indexOf('Tags') + 1], entries.find((e) => e.runDir === shown[0].runDir)!.tags.join(', '), 'a quoted field');

    await exportVia(page, '#export vscode-button[data-format="json"]', jsonFile);
    const records = JSON.parse(readFileSync(jsonFile, 'utf8')) as Record<string, unknown>[];
    assert.deepEqual(records.map((r) => r.runDir), shown.map((r) => r.runDir));
    for (const r of records) {
      const e = entries.find((x) => x.runDir === r.runDir)!;
      assert.equal(r.accuracy, e.metrics.accuracy, 'metrics as numbers');
      assert.equal(r['Git commit'], e.provenance!['git.commit'], 'full commit');
      assert.ok(!('Note' in r), 'a hidden column is not exported');
    }
    await screenshot(page, 'runs-table-06-exported');
  });

  test('a run with a proof shows its "proven ≥" badge, and the Proven column filters', async () => {
    const { page } = wb;
    const frame = await table(page);
    await filterTo(page, frame, 'proven>=0.5', (t) => t.startsWith(`1 of ${N} runs`));
    const badge = await frame.locator('tr.run td[data-col="proven"] .tag.proven').textContent();
    assert.equal(badge, 'proven ≥ 0.9');
    assert.equal(await frame.locator('tr.run').first().getAttribute('data-run'), path.join(workspace, 'digits', '.model-lab', 'runs', 'run-0007-linear'));
    await screenshot(page, 'runs-table-07-proven');
    await filterTo(page, frame, 'tags:baseline', (t) => t.startsWith(`10 of ${N} runs`));
  });

  test('Rename stores the name in the run folder and the table shows it', async () => {
    const { page } = wb;
    const frame = await table(page);
    const first = (await runCells(frame))[0];
    await selectRows(page, frame, '1 selected');
    const input = page.locator('.quick-input-widget input');
    await untilEffect(page, () => frame.locator('#edit-name').click(), () => input.isVisible(), 'the name prompt', { action: 'clicking Rename', tryMs: 20_000 });
    const renamed = async () => {
      try {
        return JSON.parse(readFileSync(path.join(first.runDir, 'meta.json'), 'utf8')).name === 'e2e best run';
      } catch {
        return false;
      }
    };
    // Answered again only while the prompt is open.
    const answer = async () => (await input.isVisible()) && (await input.fill('e2e best run'), await page.keyboard.press('Enter'), true);
    await untilEffect(page, answer, renamed, 'the new name in meta.json', { action: 'answering the name prompt', tryMs: 20_000 });
    await waitInWebview(page, 'table.grid', runCells, (r) => r.some((x) => x.runDir === first.runDir && x.run === 'e2e best run'), 20_000);

    await screenshot(page, 'runs-table-08-renamed');
  });

  test('after Reload Window the table comes back with its sort, filter and selection', async () => {
    const { page } = wb;
    // The table's editor active in its group (the timeline opened beside it), then reload.
    const tab = page.locator('.tab', { hasText: 'Runs (' }).first();
    const tabActive = async () => (await tab.getAttribute('class'))?.split(' ').includes('active') ?? false;
    await untilEffect(page, () => tab.click(), tabActive, 'the table\'s tab active', { action: 'clicking the tab' });
    await reloadWindow(wb);
    // Which tab of a group the workbench brings back in front is VS Code's (its layout is saved
    // as the window unloads); what is tested is the table's own state: bring its tab to the front.
    await tab.waitFor({ state: 'visible', timeout: patient(60_000) });
    await untilEffect(page, () => tab.click(), tabActive, 'the table\'s tab active', { action: 'clicking the tab' });
    const restored = await waitInWebview(page, 'table.grid', countText, (t) => /of 200 runs · 1 selected$/.test(t), 60_000).catch(async (e) => {
      await screenshot(page, 'runs-table-09-after-reload-failed');
      const frames = await Promise.all(page.frames().map(async (f) => `${f.url().slice(0, 160)} ${(await f.content().catch(() => '')).length}`));
      const tabs = await page.locator('.tab').evaluateAll((ts) => ts.map((t) => `${t.textContent?.trim()}${t.classList.contains('active') ? ' (active)' : ''}`));
      const log = server.modelLabLog().split('\n').filter((l) => /warn|error/i.test(l)).slice(-20);
      throw new Error(`${(e as Error).message}\ntabs: ${tabs.join(' | ')}\nframes:\n${frames.join('\n')}\nconsole errors:\n${wb.consoleErrors.slice(-20).join('\n')}\nModel Lab log (warnings, errors):\n${log.join('\n')}`);
    });
    assert.match(restored, /^10 of 200 runs/);
    const again = await table(page);
    assert.equal(await again.locator('#filter').inputValue(), 'tags:baseline');
    assert.equal(await again.locator('th[data-col="metric:accuracy"]').getAttribute('aria-sort'), 'descending');
    assert.equal(await again.locator('th[data-col="prov:git.commit"]').count(), 1, 'the chosen columns too');
    assert.equal(await again.locator('th[data-col="note"]').count(), 0);
    await screenshot(page, 'runs-table-09-after-reload');
  });
});

/** RFC 4180 CSV (what the table exports: quoted fields may hold commas, quotes doubled) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
