import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import {
  openFromExplorer, expandFolder, exportVia, findWebviewFrame, hoverText, openWorkbench, runCommandUntil, screenshot, waitForNotification, waitInWebview, waitUntil, patient, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The diffusion lab in a real VS Code (code-server): a `diffusion-policy` experiment gets editing
 * help for its own fields, and Run Experiment runs it through the runner's child process to a
 * summary in the run store and a notification with the mode table's headline. The experiment is
 * small (a few hundred steps); every wait is on a condition.
 */
describe('diffusion lab (code-server)', { timeout: patient(8 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  const FILE = 'quick-policy.experiment.json';

  before(async () => {
    workspace = makeExamplesWorkspace('diffusion');
    // `eta` has no effect with objective "bc": the editor says so (a warning that names the choice).
    writeFileSync(path.join(workspace, 'diffusion', FILE), `// A quick diffusion policy on Diffusion-QL's toy.
{
  "kind": "diffusion-policy",
  "name": "quick-policy",
  "dataset": { "toy": "four-corners", "size": 400 },
  "policy": "diffusion",
  "objective": "bc",
  "eta": 1,
  "diffusion": { "steps": 8 },
  "training": { "steps": 200, "batchSize": 32, "hidden": 32 },
  "evaluation": { "samples": 200, "every": 100, "chainSamples": 16 }
}
`);
    server = await startCodeServer({ workspace, trusted: true, name: 'diffusion' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  test('the experiment file gets diagnostics for the diffusion fields', async () => {
    const { page } = wb;
    await expandFolder(page, 'diffusion');
    await openFromExplorer(page, FILE);
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.squiggly-warning').first().waitFor({ state: 'attached', timeout: patient(60_000) });
    const target = editor.locator('.view-line', { hasText: '"eta"' }).first().locator('span', { hasText: 'eta' }).first();
    const text = await hoverText(page, target, /ignored/);
    assert.match(text, /ignored: eta weights the Q term of objective "ql"; this experiment is "bc"/);
    await screenshot(page, '60-diffusion-diagnostics');
  });

  test('Run Experiment runs it to a summary and reports the mode shares', async () => {
    const { page } = wb;
    // Tried again only when no run folder appeared: a second run would be a second run.
    const runs = path.join(workspace, 'diffusion', '.model-lab', 'runs');
    await runCommandUntil(page, 'Model Lab: Run Experiment', async () => existsSync(runs) && readdirSync(runs).length > 0, 'a run folder', 60_000);
    const message = await waitForNotification(page, /quick-policy.*completed — /, 6 * 60_000);
    assert.match(message, /completed — \d+\.\d% of samples on a data mode, \d+\.\d% on the best-reward mode/);
    await screenshot(page, '61-diffusion-completed');
    await waitUntil(page, () => existsSync(runs) && readdirSync(runs).some((r) => existsSync(path.join(runs, r, 'summary.json'))), 'the run summary');
    const [run] = readdirSync(runs);
    const summary = JSON.parse(readFileSync(path.join(runs, run, 'summary.json'), 'utf8'));
    assert.equal(summary.kind, 'diffusion-policy');
    assert.equal(summary.status, 'completed');
    assert.equal(summary.modeShares.length, 4);
    for (const f of ['samples.json', 'chain.json', 'events.jsonl']) assert.ok(existsSync(path.join(runs, run, f)), f);
  });

  test('the diffusion panel opened with the run: headline numbers, the scatter, and a slider over the reverse chain', async () => {
    const { page } = wb;
    const metrics = await waitInWebview(page, '.chain-slider', (f) => f.$$eval('.metric', (ms) => ms.map((m) => `${m.querySelector('.metric-label')?.textContent}=${m.querySelector('.metric-value')?.textContent}`)), (m) => m.length === 3, 60_000);
    const summary = JSON.parse(readFileSync(path.join(workspace, 'diffusion', '.model-lab', 'runs', readdirSync(path.join(workspace, 'diffusion', '.model-lab', 'runs'))[0], 'summary.json'), 'utf8'));
    assert.equal(metrics[0], `on a data mode=${(summary.onMode * 100).toFixed(1)}%`);
    const frame = await findWebviewFrame(page, '.chain-slider');
    assert.match(await frame.$eval('.chain-caption', (e) => e.textContent ?? ''), /^t = 0: the 16 sampled actions$/);
    assert.ok((await frame.$eval('.scatter', (e) => e.textContent ?? '')).includes('after step t = 0'), 'the scatter shows the final chain state');
    // Back to the start of the chain: pure noise.
    await frame.$eval('.chain-slider', (e) => {
      const input = e as HTMLInputElement;
      input.value = '0';
      input.dispatchEvent(new Event('input'));
    });
    await waitInWebview(page, '.chain-slider', (f) => f.$eval('.scatter', (e) => e.textContent ?? ''), (t) => t.includes('x_T (noise)'), 30_000);
    assert.match(await frame.$eval('.chain-caption', (e) => e.textContent ?? ''), /^x_T: 16 samples of pure noise$/);
    const bars = await frame.$eval('.bars', (e) => e.textContent ?? '');
    for (const label of ['top-left', 'bottom-left', 'top-right', 'bottom-right (r 5)']) assert.ok(bars.includes(label), label);
    await screenshot(page, '62-diffusion-panel');
  });

  test('the panel exports the scatter as SVG and the actions and mode shares as CSV', async () => {
    const svg = path.join(workspace, 'actions.svg');
    await exportVia(wb.page, '.scatter + .export-bar vscode-button[data-format="svg"]', svg);
    const markup = readFileSync(svg, 'utf8');
    assert.match(markup, /^<svg[\s>]/);
    assert.ok(markup.includes('x_T (noise)'), 'the SVG is the chart as shown (the slider at the start of the chain)');
    const csv = path.join(workspace, 'actions.csv');
    await exportVia(wb.page, '.scatter + .export-bar vscode-button[data-format="csv"]', csv);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'set,x,y');
    const sets = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    assert.deepEqual([...sets].sort(), ['data', 'sample']);
    assert.ok(lines.slice(1).every((l) => /^(data|sample),-?[\d.e+-]+,-?[\d.e+-]+$/.test(l)), 'numbers only');
    const modes = path.join(workspace, 'modes.csv');
    await exportVia(wb.page, '.bars + .export-bar vscode-button[data-format="csv"]', modes);
    const rows = readFileSync(modes, 'utf8').trimEnd().split('\r\n');
    assert.equal(rows[0], 'mode,x,y,reward,share');
    assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]), ['top-left', 'bottom-left', 'top-right', 'bottom-right']);
  });
});
