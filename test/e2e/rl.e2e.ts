import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { clickContextMenuItem, contextMenuLabels, untilEffect, openContextMenu, expandFolder, explorerRow, exportVia, findWebviewFrame, hoverText, openExplorerMenu, openFile, openPick, openWorkbench, patient, screenshot, type Workbench, waitInWebview, waitUntil } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The RL lab in a real VS Code (code-server) and Chromium: run a tiny offline-gcrl experiment
 * from the Explorer and see the maze panel render (maze, value heatmap, rollout, success per
 * task), compare algorithms, read the layout's hover and CodeLens, and run a tiny skills
 * experiment into the skills panel. Screenshots go to test-output/e2e/.
 */
describe('RL lab from the editor (code-server)', { timeout: patient(8 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('rl');
    server = await startCodeServer({ workspace, trusted: true, name: 'rl' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const cardStates = (f: Frame) => f.$$eval('.card', (cards) => cards.map((c) => `${(c.querySelector('.label')?.textContent ?? '').trim()}|${(c.querySelector('.status')?.textContent ?? '').trim()}`));

  test('Run Experiment on a maze opens the offline-gcrl panel: maze, value heatmap, rollout, success per task', async () => {
    const { page } = wb;
    await expandFolder(page, 'rl');
    const row = explorerRow(page, 'tiny-maze.experiment.json');
    await row.waitFor({ state: 'visible', timeout: patient(20_000) });
    const labels = await openContextMenu(page, () => row.click({ button: 'right' }));
    for (const l of ['Run Experiment', 'Compare Algorithms...']) assert.ok(labels.includes(l), `context menu has "${l}": ${JSON.stringify(labels)}`);
    await clickContextMenuItem(page, 'Run Experiment');
    const states = await waitInWebview(page, '.maze-row', cardStates, (s) => s.length === 1 && s[0].endsWith('|completed'), 180_000);
    assert.deepEqual(states, ['hiql|completed']);
    // When the run is done the panel asks for V(., goal of the first task) and draws it.
    const svg = await waitInWebview(page, '.maze-row', (f) => f.$eval('.maze-row', (e) => e.innerHTML), (h) => /V\(s, \[1,7\]\)/.test(h) && /Success per task/.test(h), 60_000);
    assert.match(svg, />S</);
    assert.match(svg, />G</);
    const frame = await findWebviewFrame(page, '.maze-row');
    assert.match((await frame.$eval('.metric.accent .metric-value', (e) => e.textContent ?? '')) ?? '', /^\d+%$/);
    assert.deepEqual(await frame.$$eval('select option', (os) => os.map((o) => o.textContent)), ['1: [3,1]→[1,7] (12)', '2: [1,3]→[3,5] (4)']);
    await screenshot(page, 'rl-01-maze-panel');
  });

  test('the maze exports as SVG and success per task as CSV through the save dialog', async () => {
    const svg = path.join(workspace, 'maze.svg');
    await exportVia(wb.page, '.maze-row .chart-column:first-child .export-bar vscode-button[data-format="svg"]', svg);
    const markup = readFileSync(svg, 'utf8');
    assert.match(markup, /^<svg[\s>]/);
    assert.ok(markup.includes('V(s, [1,7])'), 'the SVG is the maze with its value heatmap');
    const csv = path.join(workspace, 'success.csv');
    await exportVia(wb.page, '.maze-row .chart-column:last-child .export-bar vscode-button[data-format="csv"]', csv);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    // Task labels hold commas ("1: [3,1]→[1,7] (12)"), so CSV quotes them.
    assert.deepEqual(lines, [
      'run,task,success rate',
      ...['1: [3,1]→[1,7] (12)', '2: [1,3]→[3,5] (4)'].map((t, i) => `hiql,"${t}",${lines[i + 1]?.split(',').at(-1)}`),
    ]);
    for (const l of lines.slice(1)) {
      const rate = Number(l.split(',').at(-1));
      assert.ok(l.split(',').at(-1) !== '' && rate >= 0 && rate <= 1, `a success rate in [0, 1]: ${l}`);
    }
  });

  test('Compare Algorithms runs HIQL, GCIVL and GCBC back to back into one panel', async () => {
    const { page } = wb;
    await openFile(page, 'tiny-maze.experiment.json');
    const pick = await openPick(page, 'Model Lab: Compare Algorithms...', 'gcbc');
    // Answered again only while the pick is open.
    const accept = async () => (await pick.isVisible()) && (await page.keyboard.press('Enter'), true);
    await untilEffect(page, accept, async () => !(await pick.isVisible()), 'the pick accepted', { action: 'pressing Enter' });
    const states = await waitInWebview(page, '.maze-row', cardStates, (s) => s.length === 3 && s.every((x) => x.endsWith('|completed')), 300_000);
    assert.deepEqual(states.map((s) => s.split('|')[0]), ['hiql', 'gcivl', 'gcbc']);
    const chart = await waitInWebview(page, '.maze-row', (f) => f.$eval('.maze-row', (e) => e.textContent ?? ''), (t) => t.includes('gcbc') && t.includes('gcivl'), 30_000);
    assert.match(chart, /Success per task/);
    await screenshot(page, 'rl-02-compare-algorithms');
  });

  test('the layout shows the maze on hover and each algorithm\'s success in a CodeLens', async () => {
    const { page } = wb;
    await page.keyboard.press('Escape');
    await openFile(page, 'tiny-maze.experiment.json');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    let lenses = '';
    const allThree = () => ['HIQL', 'GCIVL', 'GCBC'].every((a) => new RegExp(`success: .*${a} \\d+%`).test(lenses));
    await waitUntil(page, async () => {
      lenses = (await editor.locator('.codelens-decoration').allTextContents()).join(' | ');
      return allThree();
    }, 'a CodeLens with each algorithm\'s success');
    // Hover the text itself (a .view-line spans the editor's width; its middle is past the text).
    const text = await hoverText(page, editor.locator('.view-line span', { hasText: '#...#...#' }).last(), /cells, \d+ free/);
    assert.match(text, /5 × 9 cells, \d+ free; the longest shortest path is \d+ moves/);
    assert.ok(await page.locator('.monaco-hover:not(.hidden) img').count() >= 1, 'the maze is drawn');
    await screenshot(page, 'rl-03-layout-hover-codelens');
    await page.keyboard.press('Escape');
  });

  test('a skills experiment opens the skills panel with trajectories coloured by skill and coverage', async () => {
    const { page } = wb;
    await openExplorerMenu(page, 'tiny-skills.experiment.json');
    await contextMenuLabels(page);
    await clickContextMenuItem(page, 'Run Experiment');
    const states = await waitInWebview(page, '.cards', cardStates, (s) => s.some((x) => x === 'metra · 2-D skills|completed'), 180_000);
    assert.ok(states.includes('metra · 2-D skills|completed'));
    const html = await waitInWebview(page, '.cards', (f) => f.$eval('#app', (e) => e.innerHTML), (h) => /Coverage over training/.test(h) && /cells, final distance/.test(h), 30_000);
    assert.ok((html.match(/<path /g) ?? []).length >= 12, 'one line per evaluated skill');
    await screenshot(page, 'rl-04-skills-panel');
    const csv = path.join(workspace, 'coverage.csv');
    await exportVia(page, '#app > .export-bar:last-child vscode-button[data-format="csv"]', csv);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'run,epoch,cells covered,final distance');
    assert.ok(lines.length >= 2 && lines.slice(1).every((l) => /^metra · 2-D skills,\d+,\d+,[\d.]+$/.test(l)), `one row per evaluated epoch: ${lines.join(' | ')}`);
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy|unsafe-eval/i.test(e)), [], 'no CSP violations');
  });
});
