import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { REPO, startCodeServer, type CodeServer } from './harness/codeServer';
import {
  openRunsView, openFromExplorer, expandFolder, findWebviewFrame, hoverText, openWorkbench, reloadWindow, runCommandUntil, screenshot, untilEffect, waitInWebview, waitUntil, webviewShows, patient, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The distillation lab in a real VS Code (code-server), issue 14: a tiny distill experiment on
 * the shipped digits (a batch-norm MLP teacher trained first with the bundled CLI; arms kd and
 * deepinversion) runs through Run Experiment; the distillation panel draws a lane per loss of
 * each stage, one bar per arm, the synthetic inputs per class and the batch-norm match; the
 * experiment file and the teacher's file show the hints; a data-free arm on a teacher without
 * batch norm is an error at the arm; the panel reopens from the file's CodeLens and comes back
 * after a window reload, and from the Runs view. Small settings; every wait is on a condition.
 */
describe('distillation lab (code-server)', { timeout: patient(10 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  const TEACHER = 'digits-bn-teacher.experiment.json';
  const FILE = 'tiny-distill.experiment.json';
  const NO_BN = 'no-bn-distill.experiment.json';
  const digits = () => path.join(workspace, 'digits');
  const runsDir = () => path.join(digits(), '.model-lab', 'runs');
  /** Whether the panel is open (a frame with its arms table). */
  const panelOpen = () => webviewShows(wb.page, '.arms-table', async () => true, () => true);
  /** Closes every editor until the panel is gone. */
  const closeAll = () => runCommandUntil(wb.page, 'View: Close All Editors', async () => !(await panelOpen()), 'the panel closed');

  before(async () => {
    workspace = makeExamplesWorkspace('distill');
    writeFileSync(path.join(digits(), TEACHER), JSON.stringify({
      kind: 'train', name: 'digits-bn-teacher',
      data: { format: 'csv', train: 'digits.csv.gz', label: 'last', scale: 16, testSplit: 0.2 },
      model: {
        inputShape: [64],
        layers: [
          { name: 'fc1', type: 'dense', units: 64, activation: 'relu' },
          { name: 'bn1', type: 'batchNormalization' },
          { name: 'fc2', type: 'dense', units: 64, activation: 'relu' },
          { name: 'bn2', type: 'batchNormalization' },
          { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
        ],
      },
      training: { epochs: 4, batchSize: 32, seed: 1 },
      freezing: { policy: 'none' },
    }, null, 2));
    writeFileSync(path.join(digits(), FILE), `// A tiny distillation: KD on real data next to DeepInversion without it.
{
  "kind": "distill",
  "name": "tiny-distill",
  "teacher": "${TEACHER}",
  "student": {
    "layers": [
      { "name": "s1", "type": "dense", "units": 12, "activation": "relu" },
      { "name": "sout", "type": "dense", "units": 10, "activation": "softmax" }
    ]
  },
  "arms": ["kd", "deepinversion"],
  "training": { "epochs": 2, "batchSize": 32, "seed": 3, "temperature": 4 },
  "synthesis": { "samples": 128, "batchSize": 64, "steps": 15, "learningRate": 0.05 }
}
`);
    // DeepInversion inverts batch-norm statistics: digits-mlp has no batch norm.
    writeFileSync(path.join(digits(), NO_BN), `{
  "kind": "distill",
  "name": "no-bn",
  "teacher": "digits-mlp.experiment.json",
  "student": { "layers": [{ "type": "dense", "units": 10, "activation": "softmax" }] },
  "arms": ["kd", "deepinversion"],
  "training": { "epochs": 1, "batchSize": 32 }
}
`);
    // The teacher, trained with the bundled CLI (the same runner and run store as the editor).
    execFileSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'run', path.join(digits(), TEACHER)], { stdio: 'ignore' });
    server = await startCodeServer({ workspace, trusted: true, name: 'distill' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const editor = () => wb.page.locator('.editor-instance .monaco-editor').first();

  test('a data-free arm on a teacher without batch norm is an error at the arm', async () => {
    const { page } = wb;
    await expandFolder(page, 'digits');
    await openFromExplorer(page, NO_BN);
    await editor().locator('.squiggly-error').first().waitFor({ state: 'attached', timeout: patient(60_000) });
    const target = editor().locator('.view-line', { hasText: '"arms"' }).first().locator('span', { hasText: 'deepinversion' }).first();
    const text = await hoverText(page, target, /batch-norm/);
    assert.match(text, /deepinversion inverts the teacher's batch-norm statistics, but the teacher \(digits-mlp\.experiment\.json\) has no batchNormalization layer/);
    await screenshot(page, '70-distill-no-bn-diagnostic');
  });

  /**
   * What the panel draws, read from its DOM and its Vega SVGs. (No named functions inside: the
   * test's transpiler would wrap them in a helper the page does not have.)
   */
  const panelState = (f: Frame) => f.evaluate(() => {
    const lanes: Record<string, string> = {};
    document.querySelectorAll<HTMLElement>('.stage-lanes').forEach((b) => { lanes[b.dataset.stage ?? ''] = b.querySelector('svg')?.textContent ?? ''; });
    const bars = Array.from(document.querySelectorAll('.arms-chart path[aria-roledescription="bar"]')).map((p) => p.getAttribute('aria-label') ?? '');
    const gallery: Record<string, number[]> = {};
    document.querySelectorAll<HTMLElement>('.gallery-arm').forEach((g) => {
      gallery[g.dataset.arm ?? ''] = Array.from(g.querySelectorAll('.gallery-row')).map((r) => r.querySelectorAll('canvas.example.image').length);
    });
    return { status: document.querySelector('.status')?.textContent ?? '', lanes, bars, gallery, bn: document.querySelector('.bn-chart svg')?.textContent ?? '', table: document.querySelectorAll('.arms-table tr[data-arm]').length };
  });

  test('Run Experiment runs it; the panel draws the loss lanes, one bar per arm, the gallery and the BN match', async () => {
    const { page } = wb;
    await openFromExplorer(page, FILE);
    // Tried again only when no run folder appeared: a second run would be a second run.
    const started = async () => existsSync(runsDir()) && readdirSync(runsDir()).some((r) => r.includes('tiny-distill'));
    await runCommandUntil(page, 'Model Lab: Run Experiment', started, 'a tiny-distill run folder', 60_000);
    // Until every chart is drawn: the panel draws its charts one after another (s29e: the ms per
    // example bars came after the other charts had been read).
    const s = await waitInWebview(page, '.arms-table', panelState, (v) => v.status === 'completed' && v.bn.length > 0 && Object.keys(v.lanes).length >= 3 && v.bars.length >= 6, 6 * 60_000);
    await screenshot(page, '71-distill-panel');
    const [run] = readdirSync(runsDir()).filter((r) => r.includes('tiny-distill'));
    const summary = JSON.parse(readFileSync(path.join(runsDir(), run, 'summary.json'), 'utf8'));
    assert.equal(summary.kind, 'distill');
    assert.deepEqual(summary.arms.map((a: { name: string }) => a.name), ['kd', 'deepinversion']);
    // A lane per loss of each stage, on the stage's step axis.
    assert.deepEqual(Object.keys(s.lanes).sort(), ['distillation', 'prediction', 'synthesis']);
    for (const lane of ['KD (soft cross-entropy)', 'student test accuracy']) assert.ok(s.lanes.prediction.includes(lane) && s.lanes.distillation.includes(lane), lane);
    for (const lane of ['total', 'class cross-entropy', 'BN statistics', 'total variation']) assert.ok(s.lanes.synthesis.includes(lane), `synthesis lane ${lane}`);
    // One bar per arm in each of accuracy, parameters and ms per example; the accuracies are the summary's.
    const accuracyBars = s.bars.filter((b) => b.includes('test accuracy:'));
    assert.equal(accuracyBars.length, 2, JSON.stringify(s.bars));
    assert.equal(s.bars.length, 6, JSON.stringify(s.bars));
    for (const a of summary.arms) assert.ok(accuracyBars.some((b) => b.includes(`arm: ${a.name}`) && b.includes(`${(a.accuracy * 100).toFixed(1)}%`)), a.name);
    assert.equal(s.table, 3, 'teacher and the two arms in the table');
    // The gallery: a row per class, as many images as the run recorded for that class.
    const arm = readFileSync(path.join(runsDir(), run, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'distill-arm' && e.arm === 'deepinversion');
    const perClass = new Map<number, number>();
    for (const g of arm.gallery) perClass.set(g.label, (perClass.get(g.label) ?? 0) + 1);
    assert.deepEqual(s.gallery.deepinversion, [...perClass.keys()].sort((a, b) => a - b).map((k) => perClass.get(k)));
    assert.equal(s.gallery.deepinversion.length, 10);
    assert.equal(s.gallery.kd, undefined, 'kd learns from real data: no gallery');
    for (const t of ['bn1', 'bn2', 'Gaussian noise (before)', 'synthetic (after)']) assert.ok(s.bn.includes(t), t);
  });

  test('the experiment file shows the teacher layer and final loss on student layers; the teacher file the BN match', async () => {
    const { page } = wb;
    await openFromExplorer(page, FILE);
    let text = '';
    await waitUntil(page, async () => {
      text = ((await editor().locator('.view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
      return text.includes('⇐ teacher layer 5 (out)') && /BN μ/.test(text);
    }, 'the distill hints', 60_000).catch(() => undefined);
    await screenshot(page, '72-distill-hints');
    // The output layer: the teacher layer it learns from, and the final KD loss of kd and deepinversion.
    assert.match(text, /"sout".*\}\s*⇐ teacher layer 5 \(out\)\s*KD [\d.e-]+\/[\d.e-]+/);
    // Each arm's accuracy; the data-free arm's batch-norm gap.
    assert.match(text, /"kd"\s*\d+\.\d%, "deepinversion"\s*\d+\.\d%\s*BN μ [\d.e-]+ σ² [\d.e-]+/);
    assert.match(text, /"teacher": "digits-bn-teacher\.experiment\.json"\s*teacher \d+\.\d%/);
    await openFromExplorer(page, TEACHER);
    await waitUntil(page, async () => {
      text = ((await editor().locator('.view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
      return /BN μ/.test(text);
    }, 'the teacher\'s batch-norm hints', 60_000).catch(() => undefined);
    await screenshot(page, '73-distill-teacher-hints');
    // On the two batch-norm layers only (the file is pretty-printed: one property per line).
    assert.equal(text.match(/"batchNormalization"\s*\}\s*trained all 4 epochs\s*BN μ [\d.e-]+ σ² [\d.e-]+/g)?.length, 2, text);
    assert.equal(text.match(/BN μ/g)?.length, 2, text);
  });

  test('the panel reopens for the finished run from the experiment file', async () => {
    const { page } = wb;
    await closeAll();
    await openFromExplorer(page, FILE);
    const lens = editor().locator('.codelens-decoration a', { hasText: 'Show Last Results' }).first();
    await lens.waitFor({ state: 'visible', timeout: patient(60_000) });
    await untilEffect(page, () => lens.click(), panelOpen, 'the panel', { action: 'clicking Show Last Results', tryMs: 20_000 });
    const s = await waitInWebview(page, '.arms-table', panelState, (v) => v.status === 'completed' && v.bars.length === 6 && (v.gallery.deepinversion ?? []).length === 10, 60_000);
    assert.deepEqual(Object.keys(s.lanes).sort(), ['distillation', 'prediction', 'synthesis']);
    const frame = await findWebviewFrame(page, '.gallery');
    await frame.$eval('.data-free', (e) => e.scrollIntoView());
    await screenshot(page, '74-distill-panel-reopened-gallery');
  });

  test('after a window reload the panel is restored with the same run', async () => {
    const { page } = wb;
    await reloadWindow(wb);
    const s = await waitInWebview(page, '.arms-table', panelState, (v) => v.status === 'completed' && v.bars.length === 6 && (v.gallery.deepinversion ?? []).length === 10 && v.bn.length > 0, 90_000);
    assert.deepEqual(Object.keys(s.lanes).sort(), ['distillation', 'prediction', 'synthesis']);
    await screenshot(page, '75-distill-panel-after-reload');
  });

  test('the panel reopens from the Runs view (a click on the run)', async () => {
    const { page } = wb;
    await closeAll();
    const tree = await openRunsView(page);
    // The run's row is labelled with its policy, "distill" (the experiment's row reads "tiny-distill").
    const row = tree.locator('.monaco-list-row', { hasText: /^distill/ }).first();
    await row.waitFor({ state: 'visible', timeout: patient(60_000) });
    await untilEffect(page, () => row.click(), panelOpen, 'the panel', { action: 'clicking the run', tryMs: 20_000 });
    const s = await waitInWebview(page, '.arms-table', panelState, (v) => v.status === 'completed' && v.bars.length === 6 && (v.gallery.deepinversion ?? []).length === 10, 60_000);
    assert.deepEqual(Object.keys(s.lanes).sort(), ['distillation', 'prediction', 'synthesis']);
    await screenshot(page, '76-distill-panel-from-runs-view');
  });
});
