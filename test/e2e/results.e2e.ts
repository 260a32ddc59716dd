import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { clickContextMenuItem, contextMenuLabels, expandFolder, exportVia, findWebviewFrame, openExplorerMenu, openFromExplorer, openWorkbench, patient, runCommand, screenshot, type Workbench, waitForNotification, waitInWebview, waitUntil } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';
import { rewardsCommand } from '../../src/cli/rewards';
import type { CliIO } from '../../src/cli/io';

/**
 * Results a user can use, in a real VS Code (code-server) and Chromium: a finished
 * classification run shows its confusion matrix and per-class table in the timeline, and the
 * panel's charts and data are exported through VS Code's save dialog into files whose content
 * is checked against the run folder; the reward panel's matrix exports too (checked against the
 * CLI's). Every wait is on a condition.
 */
describe('run results and export (code-server)', { timeout: patient(10 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  let runDir: string;

  before(async () => {
    workspace = makeExamplesWorkspace('results');
    server = await startCodeServer({ workspace, trusted: true, name: 'results' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const perClassRows = (f: Frame) =>
    f.$$eval('.results table.per-class tbody tr', (rows) => rows.map((r) => Array.from(r.children).map((c) => (c.textContent ?? '').trim())));

  test('a finished run shows the confusion matrix of its final model and the per-class table', async () => {
    const { page } = wb;
    await expandFolder(page, 'iris');
    await openExplorerMenu(page, 'iris-mlp.experiment.json');
    await contextMenuLabels(page);
    await clickContextMenuItem(page, 'Run Experiment');
    const rows = await waitInWebview(page, '.cards', perClassRows, (r) => r.length === 4, 240_000);
    assert.deepEqual(rows.map((r) => r[0]), ['setosa', 'versicolor', 'virginica', 'macro average']);

    const runs = path.join(workspace, 'iris', '.model-lab', 'runs');
    runDir = path.join(runs, readdirSync(runs)[0]);
    // The report is an event written just before summary.json: wait for the run to finish writing.
    await waitInWebview(page, '.cards', (f) => f.$$eval('.card .status', (e) => e.map((x) => x.textContent)), (st) => st[0] === 'completed', 60_000);
    await waitUntil(page, () => existsSync(path.join(runDir, 'summary.json')), 'summary.json');
    const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    // The table shows summary.json's numbers.
    summary.metrics.perClass.forEach((c: { class: string; precision: number; recall: number; f1: number; support: number }, i: number) => {
      assert.deepEqual(rows[i], [c.class, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), String(c.support)]);
    });
    const frame = await findWebviewFrame(page, '.results .confusion svg');
    const matrixText = await frame.$eval('.results .confusion', (e) => e.textContent ?? '');
    for (const t of ['Confusion matrix', 'True class', 'Predicted', 'setosa', 'versicolor', 'virginica']) assert.ok(matrixText.includes(t), `the heatmap shows ${t}`);
    const cellCounts = await frame.$$eval('.results .confusion svg text', (ts) => ts.map((t) => t.textContent ?? '').filter((t) => /^\d+$/.test(t)).map(Number));
    const diagonal = summary.metrics.confusionMatrix.flat() as number[];
    assert.deepEqual([...cellCounts].sort((a, b) => a - b).slice(-diagonal.length), [...diagonal].sort((a, b) => a - b), 'each cell shows its count');
    await frame.locator('.results').scrollIntoViewIfNeeded();
    await screenshot(page, 'results-01-confusion-matrix');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
  });

  test('the confusion matrix data exports as CSV through the save dialog', async () => {
    const file = path.join(workspace, 'iris-confusion.csv');
    await exportVia(wb.page, '.results .export-bar vscode-button:nth-of-type(3)', file);
    const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    const names = summary.metrics.perClass.map((c: { class: string }) => c.class);
    const expected = [['true \\ predicted', ...names], ...summary.metrics.confusionMatrix.map((row: number[], i: number) => [names[i], ...row.map(String)])];
    assert.deepEqual(readFileSync(file, 'utf8').trimEnd().split('\r\n').map((l) => l.split(',')), expected);
    await waitForNotification(wb.page, /Exported iris-confusion\.csv/);
  });

  test('the timeline chart exports as SVG and PNG, and its epochs as CSV', async () => {
    const svg = path.join(workspace, 'timeline.svg');
    await exportVia(wb.page, '.chart-export vscode-button[data-format="svg"]', svg);
    const markup = readFileSync(svg, 'utf8');
    assert.match(markup, /^<svg[\s>]/);
    for (const t of ['Layers', 'Test accuracy', 'Loss', 'hidden', 'out']) assert.ok(markup.includes(t), `the SVG has ${t}`);

    const png = path.join(workspace, 'timeline.png');
    await exportVia(wb.page, '.chart-export vscode-button[data-format="png"]', png);
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.readUInt32BE(16) > 300 && bytes.readUInt32BE(20) > 300, 'a chart-sized image');

    const csv = path.join(workspace, 'epochs.csv');
    await exportVia(wb.page, '.chart-export vscode-button[data-format="csv"]', csv);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
    assert.equal(lines.length, 1 + summary.epochsDone);
    assert.match(lines[0], /^run,runId,policy,epoch,step,trainLoss,testLoss,testAccuracy,/);
    assert.equal(Number(lines[lines.length - 1].split(',')[7]), summary.metrics.accuracy);
    await screenshot(wb.page, 'results-02-exported');
  });

  test('the reward panel exports its distance matrix as CSV (the CLI\'s numbers) and as SVG', async () => {
    const { page } = wb;
    const rewards = path.join(workspace, 'rewards', 'gridworld.rewards.json');
    const out: string[] = [];
    const io: CliIO = { stdout: (t) => void out.push(t), stderr: () => undefined, isTTY: false, signal: new AbortController().signal, cwd: path.dirname(rewards) };
    assert.equal(await rewardsCommand(['distance', rewards, '--json'], io), 0);
    const cli = JSON.parse(out.join('')) as { names: string[]; matrix: number[][] };

    // Opened in the editor, then compared from the palette: a right-click can land on a row that
    // moves as the Explorer expands (another 4-reward file would pass the cell count below).
    await expandFolder(page, 'rewards');
    await openFromExplorer(page, 'gridworld.rewards.json');
    await runCommand(page, 'Model Lab: Compare Rewards');
    await page.locator('.tab', { hasText: 'Rewards: gridworld' }).first().waitFor({ state: 'visible', timeout: patient(60_000) });
    const cells = '.pane:first-of-type g.mark-rect.role-mark path';
    await waitInWebview(page, cells, (f) => f.$$eval(cells, (c) => c.length), (n) => n === 16, 120_000);

    const csv = path.join(workspace, 'distances.csv');
    await exportVia(page, '.pane:first-of-type .export-bar vscode-button[data-format="csv"]', csv);
    const table = readFileSync(csv, 'utf8').trimEnd().split('\r\n').map((l) => l.split(','));
    assert.deepEqual(table[0], ['reward', ...cli.names]);
    table.slice(1).forEach((row, i) => {
      assert.equal(row[0], cli.names[i]);
      row.slice(1).forEach((v, j) => assert.ok(Math.abs(Number(v) - cli.matrix[i][j]) < 1e-9, `(${i}, ${j}): ${v} vs ${cli.matrix[i][j]}`));
    });

    const svg = path.join(workspace, 'distances.svg');
    await exportVia(page, '.pane:first-of-type .export-bar vscode-button[data-format="svg"]', svg);
    const markup = readFileSync(svg, 'utf8');
    assert.match(markup, /^<svg[\s>]/);
    for (const name of cli.names) assert.ok(markup.includes(name), `the SVG names ${name}`);
    await screenshot(page, 'results-03-rewards-exported');
  });
});
