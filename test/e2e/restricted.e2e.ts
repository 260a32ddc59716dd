import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { closeContextMenu, contextMenuLabels, expandFolder, hoverText, notificationTexts, openExplorerMenu, openFromExplorer, openWorkbench, patient, runCommandUntil, screenshot, type Workbench, waitForNotification } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * Restricted Mode: with workspace trust on and the folder not trusted, Model Lab hides its
 * run commands from the menus, and running from the palette is refused with the reason.
 * Nothing runs: no run folder appears. Files the workspace names are not looked at, and what a
 * (crafted) run folder says is shown as text.
 */
describe('restricted mode (untrusted workspace)', { timeout: patient(4 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('restricted');
    writeCraftedRun(path.join(workspace, 'digits'));
    server = await startCodeServer({ workspace, trusted: false, name: 'restricted' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  test('the Explorer context menu has no run commands', async () => {
    const { page } = wb;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: patient(30_000) });
    await expandFolder(page, 'digits');
    await openExplorerMenu(page, 'quick-digits.experiment.json');
    const labels = await contextMenuLabels(page);
    await screenshot(page, '20-restricted-context-menu');
    assert.ok(!labels.includes('Run Experiment'), JSON.stringify(labels));
    assert.ok(labels.includes('Open Freezing Timeline'), 'viewing past runs stays available');
    await closeContextMenu(page);
  });

  test('running from the palette is refused with an explanation, and nothing runs', async () => {
    const { page } = wb;
    await openFromExplorer(page, 'quick-digits.experiment.json');
    const refused = async () => (await notificationTexts(page)).some((t) => /Restricted Mode/.test(t));
    await runCommandUntil(page, 'Model Lab: Run Experiment', refused, 'notification that runs are refused in Restricted Mode');
    const message = await waitForNotification(page, /Restricted Mode/, 30_000);
    assert.match(message, /does not run experiments in Restricted Mode/);
    assert.match(message, /trusted workspace/);
    await screenshot(page, '21-restricted-run-refused');
    assert.deepEqual(readdirSync(path.join(workspace, 'digits', '.model-lab', 'runs')), [CRAFTED_RUN], 'no run folder was created');
  });

  test('editing help works, but the files an experiment names are not looked at', async () => {
    const { page } = wb;
    await openFromExplorer(page, 'broken-digits.experiment.json');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.squiggly-info').first().waitFor({ state: 'attached', timeout: patient(30_000) });
    const target = editor.locator('.view-line', { hasText: 'no-such-file.csv.gz' }).first().locator('span', { hasText: 'no-such-file' }).first();
    const text = await hoverText(page, target);
    assert.match(text, /data file not checked in Restricted Mode/);
    assert.doesNotMatch(text, /not found/, 'the file was not looked up');
    await screenshot(page, '22-restricted-diagnostics');
  });

  test('a crafted run folder cannot put links or remote images into the layer hover', async () => {
    const { page } = wb;
    await openFromExplorer(page, 'quick-digits.experiment.json');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    const target = editor.locator('.view-line', { hasText: '"fc1"' }).first().locator('span', { hasText: 'fc1' }).first();
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    const text = await hoverText(page, target, /evil\.test/);
    assert.match(text, /\[click\]\(https:\/\/evil\.test\/steal\)/, 'the markup is shown as text');
    assert.equal(await hover.locator('a[href*="evil"], img').count(), 0, 'no link or image was made from it');
    await screenshot(page, '23-restricted-crafted-run-hover');
  });
});

const CRAFTED_RUN = '20260101-000000-crafted';

/**
 * A run folder as a cloned repository could ship it: fields that should be numbers and known
 * words are markdown links and remote images.
 */
function writeCraftedRun(digitsDir: string): void {
  const link = '[click](https://evil.test/steal)';
  const image = '![](https://evil.test/pixel.png)';
  const runDir = path.join(digitsDir, '.model-lab', 'runs', CRAFTED_RUN);
  mkdirSync(runDir, { recursive: true });
  const experimentFile = path.join(digitsDir, 'quick-digits.experiment.json');
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({
    runId: `crafted ${image}`, runDir, kind: 'train', experimentFile, experiment: 'quick-digits', policy: link,
    status: `completed ${link} ${image}`, startedAt: '2026-01-01T00:00:00.000Z', epochsDone: image, epochs: link,
  }));
  const layers = ['fc1', 'fc2', 'out'].map((name, unit) => ({ name, type: `dense ${image}`, params: link, flopsForward: 1, flopsBackward: 2, unit }));
  const events = [
    { type: 'start', time: '2026-01-01T00:00:00.000Z', runId: 'crafted', experiment: 'quick-digits', policy: link, backend: image, epochs: image, stepsPerEpoch: 10, batchSize: 32, trainExamples: 320, testExamples: 80, layers },
    { type: 'epoch', epoch: 0, step: 10, loss: 1, testLoss: 1, testAccuracy: 0.5, seconds: 0.1, elapsedSeconds: 0.1, samplesPerSecond: 1, frozen: [], flopsSaved: { forward: 0, backward: 0 } },
    { type: 'freeze', layer: 'fc1', unit: 0, epoch: link, step: image, reason: `${link} ${image}`, stepSaving: { forward: 0, backward: 0.5 } },
    { type: 'end', status: `completed ${link}`, epoch: 0, step: 10, trainSeconds: 0.4 },
  ];
  writeFileSync(path.join(runDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
}
