import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { RunRecord } from '../../src/runner/runStore';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { chooseUntil, closeContextMenu, contextMenuLabels, openContextMenu, expandFolder, expandRow, explorerRow, untilEffect, findWebviewFrame, notificationTexts, openExplorerMenu, openRunsView, openWorkbench, patient, pointerAway, screenshot, showExplorer, type Workbench, waitForNotification, waitInWebview, waitUntil } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * Sweeps in a real VS Code (code-server): Run Sweep... from the Explorer on a file with a
 * `sweep` block, the progress of all points, and the runs grouped by sweep in the Runs view;
 * then the same on the one-node Slurm cluster when there is one (skipped, with the reason,
 * when `sinfo` is not there). Every wait is on a condition.
 */
const SWEEP_FILE = 'quick-sweep.experiment.json';
const SWEEP = {
  kind: 'train',
  name: 'quick-sweep',
  data: { format: 'csv', train: 'digits.csv.gz', label: 'last', scale: 16, testSplit: 0.2, limit: 300 },
  model: { inputShape: [64], layers: [{ name: 'fc1', type: 'dense', units: 16, activation: 'relu' }, { name: 'out', type: 'dense', units: 10, activation: 'softmax' }] },
  training: { epochs: 3, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.003 }, seed: 7 },
  freezing: { policy: 'none' },
  sweep: { grid: { '/training/optimizer/learningRate': [0.003, 0.01], '/model/layers/0/units': [8, 16] } },
};

/** Three points that do not end by themselves (100,000 epochs each: long by construction); the test cancels the sweep. */
const LONG_SWEEP_FILE = 'long-sweep.experiment.json';
const LONG_SWEEP = {
  ...SWEEP,
  name: 'long-sweep',
  // All 1,797 digits and 256 hidden units, as long-digits (training.e2e): epochs of a fraction of a
  // second, not thousands a second that would flood the window with events.
  data: { format: 'csv', train: 'digits.csv.gz', label: 'last', scale: 16, testSplit: 0.2 },
  model: { inputShape: [64], layers: [{ name: 'fc1', type: 'dense', units: 256, activation: 'relu' }, { name: 'out', type: 'dense', units: 10, activation: 'softmax' }] },
  training: { ...SWEEP.training, epochs: 100_000 },
  sweep: { grid: { '/training/optimizer/learningRate': [0.003, 0.01, 0.03] } },
};

/** Two endless points for Slurm: cancelled with scancel, resumed, cancelled again. */
const LONG_SLURM_FILE = 'long-slurm-sweep.experiment.json';
const LONG_SLURM_SWEEP = { ...LONG_SWEEP, name: 'long-slurm-sweep', sweep: { grid: { '/training/optimizer/learningRate': [0.003, 0.01] } } };

function slurmMissing(): string | false {
  try {
    execFileSync('sinfo', ['-h', '-o', '%t'], { stdio: 'pipe', timeout: 20_000 });
    return false;
  } catch (e) {
    return `no Slurm cluster here (sinfo: ${(e as Error).message.split('\n')[0]}); start one with scripts/slurm/single-node.sh start`;
  }
}

describe('sweeps (code-server)', { timeout: patient(10 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('sweep');
    writeFileSync(path.join(workspace, 'digits', SWEEP_FILE), JSON.stringify(SWEEP, null, 2));
    writeFileSync(path.join(workspace, 'digits', LONG_SWEEP_FILE), JSON.stringify(LONG_SWEEP, null, 2));
    writeFileSync(path.join(workspace, 'digits', LONG_SLURM_FILE), JSON.stringify(LONG_SLURM_SWEEP, null, 2));
    // Two points at once whatever the machine: the long sweep's third point waits for a slot.
    server = await startCodeServer({ workspace, trusted: true, name: 'sweep', settings: { 'modelLab.sweep.parallel': 2 } });
    wb = await openWorkbench(server);
  });

  after(async () => {
    // Endless tasks never outlive the test, whatever failed; only this test's own (the cluster is
    // shared: a cancel by job name also stopped another checkout's test running at the same time).
    if (!slurmMissing()) {
      const squeue = spawnSync('squeue', ['--noheader', '--format=%i %Z'], { encoding: 'utf8', timeout: 20_000 });
      const ours = (squeue.stdout ?? '').split('\n').filter((l) => l.includes(workspace)).map((l) => l.split(' ')[0]);
      if (ours.length > 0) spawnSync('scancel', ours, { stdio: 'ignore', timeout: 20_000 });
    }
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  test('Run Sweep... is on experiment files with a sweep block only', async () => {
    const { page } = wb;
    await expandFolder(page, 'digits');
    await openExplorerMenu(page, 'quick-digits.experiment.json');
    assert.ok(!(await contextMenuLabels(page)).includes('Run Sweep...'), 'not on a file without a sweep');
    await closeContextMenu(page);
    await openSweepMenu(page);
    await screenshot(page, 'sweep-01-context-menu');
    await closeContextMenu(page);
  });

  test('a sweep on this machine: progress of every point, then the runs grouped by sweep in the Runs view', async () => {
    const { page } = wb;
    await runSweepOf(page, SWEEP_FILE, 'This machine');
    await waitForNotification(page, /sweep quick-sweep \(4 points, this machine\)|queued|running|completed/, 60_000);
    await screenshot(page, 'sweep-02-progress');
    const done = await waitForNotification(page, /sweep quick-sweep: 4 completed; best \d+\.\d% \(learningRate=[\d.]+, units=\d+\)/, 240_000);
    assert.ok(done);
    let rows = await runsRows(page, (r) => r.some((t) => /^Sweep \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}4 points · 4 completed · best \d+\.\d%/.test(t)));
    // A finished sweep is shown collapsed: open it.
    if (!rows.some((t) => t.includes('units='))) {
      await expandRow(page, page.locator('.monaco-list-row', { hasText: /^Sweep \d{4}/ }).first(), 'the sweep');
      rows = await runsRows(page, (r) => r.filter((t) => t.includes('units=')).length === 4);
    }
    await screenshot(page, 'sweep-03-runs-view');
    // Its points, each labelled by its values, with status and accuracy.
    for (const label of ['learningRate=0.003, units=8', 'learningRate=0.003, units=16', 'learningRate=0.01, units=8', 'learningRate=0.01, units=16']) {
      assert.ok(rows.some((t) => t.includes(label) && /\d+\.\d%/.test(t)), `${label} in ${JSON.stringify(rows)}`);
    }
  });

  test('Open Sweep Chart on the sweep node: one line and one dot per point, the axes named by the swept pointers', async () => {
    const { page } = wb;
    await openSweepChart(page, /4 points · 4 completed/, 'quick-sweep');
    // The parallel coordinates: one solid line per completed point (Vega's SVG labels each with its datum).
    const lines = await waitInWebview(page, '.chart.parallel', (f) => markLabels(f, '.chart.parallel', 'pointLines_marks'), (l) => l.length === 4, 60_000);
    assert.deepEqual(lines.map((l) => /point: (\d+)/.exec(l)?.[1]).sort(), ['0', '1', '2', '3']);
    assert.ok(lines.every((l) => /status: completed/.test(l)), JSON.stringify(lines));
    const frame = await findWebviewFrame(page, '.chart.parallel svg');
    assert.equal((await markLabels(frame, '.chart.parallel', 'unfinishedLines_marks')).length, 0, 'no dashed line: every point has its metric');
    const axis = await frame.$eval('.chart.parallel svg [aria-roledescription="axis"]', (e) => e.getAttribute('aria-label') ?? '');
    assert.equal(axis, 'X-axis for a discrete scale with 3 values: /training/optimizer/learningRate, /model/layers/0/units, test accuracy');
    // One scatter per pointer, four dots each, the pointer as its x title.
    for (const [i, pointer] of ['/training/optimizer/learningRate', '/model/layers/0/units'].entries()) {
      await waitInWebview(page, '.chart.scatter svg', (f) => markLabels(f, '.chart.scatter', `pointDots_${i}_marks`, 'point'), (dots) => dots.length === 4, 30_000);
      assert.ok((await frame.$$eval('.chart.scatter svg .role-axis-title text', (els) => els.map((e) => e.textContent))).includes(pointer), `${pointer} titles a scatter`);
    }
    assert.equal(await frame.$$eval('table.points tr[data-point]', (rows) => rows.length), 4);
    await screenshot(page, 'sweep-04-chart');
  });

  test('Cancel Sweep... on a running sweep\'s node (confirmed) stops every point: running ones and the one never started show as cancelled', async () => {
    const { page } = wb;
    await runSweepOf(page, LONG_SWEEP_FILE, 'This machine');
    // Two points run (parallel 2) and the third waits.
    await runsRows(page, (r) => r.some((t) => /3 points · 2 running · 1 queued/.test(t)));
    await screenshot(page, 'sweep-05-long-sweep-running');
    // The chart, opened while the sweep runs: every point dashed by its status (no final metric yet).
    await openSweepChart(page, /3 points · 2 running/, 'long-sweep');
    const statuses = (labels: string[]) => labels.map((l) => /status: (\w+)/.exec(l)?.[1]).sort().join(',');
    await waitInWebview(page, '.chart.parallel', (f) => markLabels(f, '.chart.parallel', 'unfinishedLines_marks'), (l) => statuses(l) === 'queued,running,running', 60_000);
    assert.match(await cancelFromNode(page, /3 points · 2 running/), /Cancel sweep long-sweep\? 2 running, 1 queued/);
    // The running points stop at their next step (resumable); the third never starts.
    await runsRows(page, (r) => r.some((t) => /3 points · 2 cancelled · 1 not started/.test(t)));
    // The sweep's progress notification ends with it.
    await waitForNotification(page, /sweep long-sweep: 3 cancelled/, 60_000);
    let rows = await runsRows(page, () => true);
    if (!rows.some((t) => t.includes('learningRate='))) await expandRow(page, page.locator('.monaco-list-row', { hasText: /3 points · 2 cancelled/ }).first(), 'the long sweep');
    rows = await runsRows(page, (r) => r.filter((t) => /^learningRate=0\.0(03|1)cancelled/.test(t)).length === 2);
    assert.ok(!rows.some((t) => /^learningRate=0\.03(?!\d)/.test(t)), 'the third point has no run');
    await screenshot(page, 'sweep-06-long-sweep-cancelled');
    // Cancel is gone from the node; Resume Sweep is there.
    const labels = await openContextMenu(page, () => page.locator('.monaco-list-row', { hasText: /3 points · 2 cancelled/ }).first().click({ button: 'right' }));
    assert.ok(labels.includes('Resume Sweep') && !labels.includes('Cancel Sweep...'), JSON.stringify(labels));
    await closeContextMenu(page);
    // The open chart followed the sweep live, not reopened: every point dashed as cancelled (the
    // two that ran at their last accuracy, the third under "no metric").
    await waitInWebview(page, '.chart.parallel', (f) => markLabels(f, '.chart.parallel', 'unfinishedLines_marks'), (l) => statuses(l) === 'cancelled,cancelled,cancelled', 60_000);
    await screenshot(page, 'sweep-07-cancelled-chart');
  });

  const skip = slurmMissing();
  test('a sweep on Slurm: one job array from Run Sweep..., followed to the end', { skip }, async () => {
    const { page } = wb;
    await runSweepOf(page, SWEEP_FILE, 'Slurm');
    await waitForNotification(page, /sweep quick-sweep \(4 points, Slurm job \d+\)/, 60_000);
    await screenshot(page, 'sweep-08-slurm-progress');
    await waitForNotification(page, /sweep quick-sweep: 4 completed; best/, 300_000);
    await runsRows(page, (r) => r.filter((t) => /4 points · 4 completed/.test(t)).length >= 2);
    await screenshot(page, 'sweep-09-slurm-runs-view');
  });

  test('on Slurm, Cancel Sweep... is scancel (the points show cancelled) and Resume Sweep resubmits them, each continuing from its checkpoint', { skip }, async () => {
    const { page } = wb;
    await runSweepOf(page, LONG_SLURM_FILE, 'Slurm');
    const first = Number(/\(2 points, Slurm job (\d+)\)/.exec(await waitForNotification(page, /sweep long-slurm-sweep \(2 points, Slurm job \d+\)/, 60_000))![1]);
    // A task has trained an epoch (the cluster is shared: the other may still wait in Slurm's queue).
    await runsRows(page, (r) => r.some((t) => /^learningRate=0\.0(03|1)epoch ([2-9]|\d{2,})\/100000/.test(t)));
    assert.match(await cancelFromNode(page, /2 points · (\d )?running/), new RegExp(`Cancel sweep long-slurm-sweep\\? .*scancel of Slurm job ${first}`));
    await runsRows(page, (r) => r.some((t) => /2 points · (2 cancelled|1 cancelled · 1 not started)$/.test(t)));
    await screenshot(page, 'sweep-10-slurm-cancelled');
    const cancelled = longSlurmRuns().filter((r) => r.status === 'cancelled');
    assert.ok(cancelled.length >= 1 && cancelled.every((r) => r.slurm?.jobId === String(first) && r.epochsDone >= 1), JSON.stringify(cancelled));

    const resubmitted = new RegExp(`sweep long-slurm-sweep \\(2 points, Slurm job (?!${first}\\))\\d+\\)`);
    const notified = async () => (await notificationTexts(page)).some((t) => resubmitted.test(t));
    await chooseUntil(page, () => openSweepRowMenu(page, /2 points · (2 cancelled|1 cancelled · 1 not started)$/), 'Resume Sweep', notified, 'notification of the resubmitted sweep', 60_000);
    const second = Number(/Slurm job (\d+)\)/.exec(await waitForNotification(page, resubmitted))![1]);
    // The resubmitted tasks resume their runs: the same folders, the new job, no epoch lost.
    await waitUntil(page, () => cancelled.every((before) => {
      const now = longSlurmRuns().find((r) => r.runId === before.runId);
      return now?.status === 'running' && now.slurm?.jobId === String(second) && now.epochsDone >= before.epochsDone;
    }), 'the cancelled points running again under the new job, from their checkpoints', 120_000);
    await runsRows(page, (r) => r.some((t) => /2 points · (\d )?running/.test(t)));
    await screenshot(page, 'sweep-11-slurm-resumed');
    await cancelFromNode(page, /2 points · (\d )?running/);
    await runsRows(page, (r) => r.some((t) => /2 points · (2 cancelled|1 cancelled · 1 not started)$/.test(t)));
  });

  /** The long Slurm sweep's run records, from the run store on disk. */
  function longSlurmRuns(): RunRecord[] {
    const root = path.join(workspace, 'digits', '.model-lab', 'runs');
    return readdirSync(root).filter((d) => d.includes('long-slurm-sweep') && existsSync(path.join(root, d, 'run.json')))
      .map((d) => JSON.parse(readFileSync(path.join(root, d, 'run.json'), 'utf8')) as RunRecord);
  }
});

/**
 * Run Sweep... on `file` from the Explorer, on `executor`. The menu is first opened until it has
 * the entry (a context key set after activation), then the entry chosen until the executor pick
 * shows (a lost choice starts nothing; a second one only opens the pick again).
 */
async function runSweepOf(page: Page, file: string, executor: 'This machine' | 'Slurm'): Promise<void> {
  await openSweepMenu(page, file);
  await closeContextMenu(page);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: executor }).first();
  await chooseUntil(page, () => explorerRow(page, file).click({ button: 'right' }), 'Run Sweep...', () => row.isVisible(), 'the executor pick');
  await pickExecutor(page, executor);
}

/**
 * Cancel Sweep... from the sweep's node, answered "Cancel Sweep" in its confirmation; returns the
 * question. The Runs view redraws every second while points train, and a redraw can swallow
 * the menu's choice: when no dialog shows, the menu is opened again (a modal dialog that did
 * show blocks a second one, so the command never runs twice).
 */
async function cancelFromNode(page: Page, row: RegExp): Promise<string> {
  const dialog = page.locator('.monaco-dialog-box');
  await chooseUntil(page, () => openSweepRowMenu(page, row), 'Cancel Sweep...', () => dialog.isVisible(), 'Cancel Sweep dialog');
  const text = (await dialog.textContent()) ?? '';
  const answer = async () => (await dialog.isVisible()) && (await dialog.locator('.monaco-button', { hasText: 'Cancel Sweep' }).click(), true);
  await untilEffect(page, answer, async () => !(await dialog.isVisible()), 'the dialog closed', { action: 'clicking Cancel Sweep' });
  return text;
}

/**
 * Open Sweep Chart from the sweep's node, until the chart of that sweep is the active editor (a
 * swallowed choice would leave the panel showing the sweep it showed before).
 */
async function openSweepChart(page: Page, row: RegExp, name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab.active', { hasText: `Sweep: ${name}` });
  await chooseUntil(page, () => openSweepRowMenu(page, row), 'Open Sweep Chart', () => tab.isVisible(), `the chart of ${name}`);
}

/** Right-clicks the Runs view's sweep row matching `pattern`. */
async function openSweepRowMenu(page: Page, pattern: RegExp): Promise<void> {
  await runsRows(page, (r) => r.some((t) => pattern.test(t)));
  await page.locator('.monaco-list-row', { hasText: pattern }).first().click({ button: 'right' });
}

/** The aria-labels of the items of a named Vega mark (a line's paths, or a point mark's symbols) in a chart of the sweep webview. */
async function markLabels(frame: Frame, chart: string, markName: string, type: 'line' | 'point' = 'line'): Promise<string[]> {
  return frame.$$eval(`${chart} svg g.${markName} path[aria-roledescription="${type === 'line' ? 'line mark' : 'point'}"]`, (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

/** Opens the Explorer's context menu of `file`, until it has Run Sweep... (its context key is set shortly after activation). */
async function openSweepMenu(page: Page, file = SWEEP_FILE): Promise<void> {
  await showExplorer(page);
  await waitUntil(page, async () => {
    await pointerAway(page);
    await openExplorerMenu(page, file);
    const has = (await contextMenuLabels(page)).includes('Run Sweep...');
    if (!has) await closeContextMenu(page);
    return has;
  }, `Run Sweep... in the context menu of ${file}`, 60_000);
}

async function pickExecutor(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: patient(20_000) });
  // The pick closes once the executor is chosen; clicked again only while it shows.
  const click = async () => (await row.isVisible()) && (await row.click(), true);
  await untilEffect(page, click, async () => !(await row.isVisible()), 'the executor pick closed', { action: `clicking ${label}` });
}

async function runsRows(page: Page, done: (rows: string[]) => boolean): Promise<string[]> {
  const tree = await openRunsView(page);
  let rows: string[] = [];
  await waitUntil(page, async () => {
    rows = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    return done(rows);
  }, 'the sweep in the Runs view', 60_000).catch(async (e) => {
    throw new Error(`${(e as Error).message}; rows: ${JSON.stringify(rows)}; notifications: ${JSON.stringify(await notificationTexts(page))}`);
  });
  return rows;
}
