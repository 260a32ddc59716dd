import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { clickContextMenuItem, contextMenuLabels, expandFolder, explorerRow, openWorkbench, runCommand, screenshot, waitForNotification, waitUntil, type Workbench } from './harness/workbench';
import { makeExamplesWorkspace } from './harness/workspace';

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

function slurmMissing(): string | false {
  try {
    execFileSync('sinfo', ['-h', '-o', '%t'], { stdio: 'pipe', timeout: 20_000 });
    return false;
  } catch (e) {
    return `no Slurm cluster here (sinfo: ${(e as Error).message.split('\n')[0]}); start one with scripts/slurm/single-node.sh start`;
  }
}

describe('sweeps (code-server)', { timeout: 10 * 60_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('sweep');
    writeFileSync(path.join(workspace, 'digits', SWEEP_FILE), JSON.stringify(SWEEP, null, 2));
    server = await startCodeServer({ workspace, trusted: true, name: 'sweep' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('Run Sweep... is on experiment files with a sweep block only', async () => {
    const { page } = wb;
    await expandFolder(page, 'digits');
    await explorerRow(page, 'quick-digits.experiment.json').click({ button: 'right' });
    assert.ok(!(await contextMenuLabels(page)).includes('Run Sweep...'), 'not on a file without a sweep');
    await page.keyboard.press('Escape');
    await openSweepMenu(page);
    await screenshot(page, 'sweep-01-context-menu');
    await page.keyboard.press('Escape');
  });

  test('a sweep on this machine: progress of every point, then the runs grouped by sweep in the Runs view', async () => {
    const { page } = wb;
    await openSweepMenu(page);
    await clickContextMenuItem(page, 'Run Sweep...');
    await pickExecutor(page, 'This machine');
    await waitForNotification(page, /sweep quick-sweep \(4 points, this machine\)|queued|running|completed/, 60_000);
    await screenshot(page, 'sweep-02-progress');
    const done = await waitForNotification(page, /sweep quick-sweep: 4 completed; best \d+\.\d% \(learningRate=[\d.]+, units=\d+\)/, 240_000);
    assert.ok(done);
    let rows = await runsRows(page, (r) => r.some((t) => /^Sweep \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}4 points · 4 completed · best \d+\.\d%/.test(t)));
    // A finished sweep is shown collapsed: open it.
    if (!rows.some((t) => t.includes('units='))) {
      await page.locator('.monaco-list-row', { hasText: /^Sweep \d{4}/ }).first().click();
      rows = await runsRows(page, (r) => r.filter((t) => t.includes('units=')).length === 4);
    }
    await screenshot(page, 'sweep-03-runs-view');
    // Its points, each labelled by its values, with status and accuracy.
    for (const label of ['learningRate=0.003, units=8', 'learningRate=0.003, units=16', 'learningRate=0.01, units=8', 'learningRate=0.01, units=16']) {
      assert.ok(rows.some((t) => t.includes(label) && /\d+\.\d%/.test(t)), `${label} in ${JSON.stringify(rows)}`);
    }
  });

  const skip = slurmMissing();
  test('a sweep on Slurm: one job array from Run Sweep..., followed to the end', { skip }, async () => {
    const { page } = wb;
    await openSweepMenu(page);
    await clickContextMenuItem(page, 'Run Sweep...');
    await pickExecutor(page, 'Slurm');
    await waitForNotification(page, /sweep quick-sweep \(4 points, Slurm job \d+\)/, 60_000);
    await screenshot(page, 'sweep-04-slurm-progress');
    await waitForNotification(page, /sweep quick-sweep: 4 completed; best/, 300_000);
    await runsRows(page, (r) => r.filter((t) => /4 points · 4 completed/.test(t)).length >= 2);
    await screenshot(page, 'sweep-05-slurm-runs-view');
  });
});

async function openSweepMenu(page: Page): Promise<void> {
  await runCommand(page, 'View: Show Explorer');
  // The context key listing sweep files is set shortly after activation: retry the menu until it has the entry.
  await waitUntil(page, async () => {
    await explorerRow(page, SWEEP_FILE).click({ button: 'right' });
    const has = (await contextMenuLabels(page)).includes('Run Sweep...');
    if (!has) await page.keyboard.press('Escape');
    return has;
  }, 'Run Sweep... in the context menu of the sweep file', 60_000);
}

async function pickExecutor(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
}

async function runsRows(page: Page, done: (rows: string[]) => boolean): Promise<string[]> {
  await runCommand(page, 'Model Lab: Focus on Runs View');
  const tree = page.locator('.pane-body .monaco-list[aria-label*="Runs"], [id="workbench.view.extension.model-lab"] .monaco-list').first();
  await tree.waitFor({ state: 'visible', timeout: 20_000 });
  let rows: string[] = [];
  await waitUntil(page, async () => {
    rows = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    return done(rows);
  }, 'the sweep in the Runs view', 60_000).catch((e) => {
    throw new Error(`${(e as Error).message}; rows: ${JSON.stringify(rows)}`);
  });
  return rows;
}
