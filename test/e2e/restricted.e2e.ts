import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import {
  contextMenuLabels, expandFolder, explorerRow, hoverUntilShown, openWorkbench, runCommand, screenshot, waitForActiveEditor, waitForNotification, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace } from './harness/workspace';

/**
 * Restricted Mode: with workspace trust on and the folder not trusted, Model Lab hides its
 * run commands from the menus, and running from the palette is refused with the reason.
 * Nothing runs: no run folder appears.
 */
describe('restricted mode (untrusted workspace)', { timeout: 4 * 60_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('restricted');
    server = await startCodeServer({ workspace, trusted: false, name: 'restricted' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the Explorer context menu has no run commands', async () => {
    const { page } = wb;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await expandFolder(page, 'digits');
    await explorerRow(page, 'quick-digits.experiment.json').click({ button: 'right' });
    const labels = await contextMenuLabels(page);
    await screenshot(page, '20-restricted-context-menu');
    assert.ok(!labels.includes('Run Experiment'), JSON.stringify(labels));
    assert.ok(labels.includes('Open Timeline'), 'viewing past runs stays available');
    await page.keyboard.press('Escape');
  });

  test('running from the palette is refused with an explanation, and nothing runs', async () => {
    const { page } = wb;
    await explorerRow(page, 'quick-digits.experiment.json').click();
    await waitForActiveEditor(page, 'quick-digits.experiment.json');
    await runCommand(page, 'Model Lab: Run Experiment');
    const message = await waitForNotification(page, /Restricted Mode/, 30_000);
    assert.match(message, /does not run experiments in Restricted Mode/);
    assert.match(message, /trusted workspace/);
    await screenshot(page, '21-restricted-run-refused');
    assert.ok(!existsSync(path.join(workspace, 'digits', '.model-lab')), 'no run folder was created');
  });

  test('editing help still works: loader diagnostics point at a missing data file', async () => {
    const { page } = wb;
    await explorerRow(page, 'broken-digits.experiment.json').click();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 });
    const target = editor.locator('.view-line', { hasText: 'no-such-file.csv.gz' }).first().locator('span', { hasText: 'no-such-file' }).first();
    const hover = await hoverUntilShown(page, target);
    assert.match((await hover.textContent()) ?? '', /data file not found/);
    await screenshot(page, '22-restricted-diagnostics');
  });
});
