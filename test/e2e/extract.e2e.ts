import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import {
  clickContextMenuItem, openFile as openFileInEditor, openWorkbench, reloadWindow, runCommand, screenshot, waitForNotification, waitInWebview,
  waitUntil, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace } from './harness/workspace';

/**
 * Information extraction in a real VS Code (code-server) and a real Chromium, as a user does
 * it: open a text file, select a sentence, run Model Lab: Extract Information (palette and
 * editor context menu) with the default built-in model, and read the results panel. A second
 * file holds markup that must show as text. Screenshots go to test-output/e2e/.
 */
/** The text editor of the active editor group (the results panel opens in another group). */
const ACTIVE_EDITOR = '.editor-group-container.active .monaco-editor';
const UNTRUSTED = 'Tim Cook <img src=x> works for <b>Apple</b> in Cupertino.';

describe('information extraction on selected text (code-server)', { timeout: 5 * 60_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('extract');
    writeFileSync(path.join(workspace, 'extraction', 'markup.txt'), `${UNTRUSTED}\n`);
    // The retraining example, shortened to seconds.
    writeFileSync(path.join(workspace, 'extraction', 'tiny-retrain.experiment.json'), JSON.stringify({
      kind: 'extract-train', name: 'tiny', data: { format: 'conll04', train: 'conll04-sample.json' },
      training: { taggerEpochs: 1, relationEpochs: 1, taggerEnsemble: 1, rnn: 8, minFeatureCount: 1 },
    }));
    server = await startCodeServer({ workspace, trusted: true, name: 'extract' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const marks = (f: Frame) => f.$$eval('.text mark.entity', (ms) => ms.map((m) => `${m.getAttribute('data-type')}:${m.textContent}`));
  const cells = (f: Frame, cls: string) => f.$$eval(`table.${cls} td`, (tds) => tds.map((t) => t.textContent ?? ''));

  async function openFile(page: Page, name: string): Promise<void> {
    await openFileInEditor(page, name);
    await page.locator(`${ACTIVE_EDITOR} .view-lines`).click();
  }

  /** Selects line `n` (0-based) of the active editor with the keyboard. */
  async function selectLine(page: Page, n: number): Promise<void> {
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < n; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
  }

  test('palette: a selected sentence is extracted by the built-in model and shown in the panel', async () => {
    const { page } = wb;
    await openFile(page, 'sample.txt');
    await selectLine(page, 1); // "Lee Harvey Oswald shot President John F. Kennedy in Dallas on November 22, 1963."
    await runCommand(page, 'Model Lab: Extract Information');
    const found = await waitInWebview(page, '.text mark.entity', marks, (m) => m.length >= 2, 60_000);
    assert.ok(found.some((m) => /^Peop:.*Oswald/.test(m)), JSON.stringify(found));
    assert.ok(found.some((m) => /^Loc:Dallas/.test(m)), JSON.stringify(found));
    const frame = await waitInWebview(page, '.provenance', async (f) => f, () => true, 10_000);
    assert.match(await frame.$eval('.provenance', (e) => e.textContent ?? ''), /Provider: builtin\. Grounding: \d+ exact/);
    const relations = await cells(frame, 'relations');
    assert.ok(relations.includes('Kill'), JSON.stringify(relations));
    assert.ok(await frame.$('.legend .legend-item'), 'the colour legend is shown');
    // The whole selected sentence is in the panel, spans and plain text together.
    assert.equal(await frame.$eval('.text', (e) => e.textContent), 'Lee Harvey Oswald shot President John F. Kennedy in Dallas on November 22, 1963.');
    await screenshot(page, 'extract-01-panel');
    // The editor decorates the spans (one decoration per entity, in the overview ruler too).
    assert.ok(await page.locator('.monaco-editor .view-overlays div[class*="ced-"], .monaco-editor .view-line span[class*="ced-"]').count() > 0, 'entity decorations in the editor');
  });

  test('context menu: markup in the selection is shown as text, never rendered', async () => {
    const { page } = wb;
    await openFile(page, 'markup.txt');
    await selectLine(page, 0);
    // The keyboard's context-menu key opens the editor context menu at the selection.
    await page.keyboard.press('Shift+F10');
    // (Menus live in shadow roots; a hidden host left by an earlier menu can precede the open one.)
    const item = page.locator('.monaco-menu .action-item', { hasText: 'Extract Information' }).first();
    try {
      await item.waitFor({ state: 'visible', timeout: 10_000 });
    } finally {
      await screenshot(page, 'extract-02-editor-context-menu');
    }
    await clickContextMenuItem(page, 'Extract Information');
    const text = await waitInWebview(page, '.text', (f) => f.$eval('.text', (e) => e.textContent ?? ''), (t) => t === UNTRUSTED, 60_000);
    assert.equal(text, UNTRUSTED);
    const frame = await waitInWebview(page, '.text', async (f) => f, () => true, 10_000);
    assert.equal(await frame.$$eval('.text img, .text b, img', (els) => els.length), 0, 'no element was created from the text');
    await screenshot(page, 'extract-03-markup-as-text');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
  });

  test('after a window reload the panel is restored with the last result', async () => {
    const { page } = wb;
    await reloadWindow(wb);
    const text = await waitInWebview(page, '.text', (f) => f.$eval('.text', (e) => e.textContent ?? ''), (t) => t === UNTRUSTED, 60_000);
    assert.equal(text, UNTRUSTED);
    const found = await waitInWebview(page, '.text mark.entity', marks, (m) => m.length > 0, 10_000);
    assert.ok(found.some((m) => m.startsWith('Peop:Tim Cook')), JSON.stringify(found));
    await screenshot(page, 'extract-04-restored-after-reload');
  });

  test('an extract-train experiment runs from the editor and its model becomes the built-in one', async () => {
    const { page } = wb;
    await openFile(page, 'tiny-retrain.experiment.json');
    await runCommand(page, 'Model Lab: Run Experiment');
    const done = await waitForNotification(page, /tiny-retrain\.experiment\.json \(extract-train\) completed — trained in/, 120_000);
    await screenshot(page, 'extract-05-retrained');
    assert.match(done, /completed/);
    const toast = page.locator('.notification-toast', { hasText: 'tiny-retrain.experiment.json (extract-train) completed' });
    await toast.locator('.monaco-button', { hasText: 'Use for Extraction' }).click();
    await waitForNotification(page, /Extract Information now uses .*extractor\.json/, 20_000);
    const settings = path.join(workspace, '.vscode', 'settings.json');
    await waitUntil(page, () => existsSync(settings), 'the workspace settings file', 10_000);
    const model = JSON.parse(readFileSync(settings, 'utf8'))['modelLab.extraction.builtinModel'] as string;
    assert.match(model, /\.model-lab[\\/]runs[\\/].*-tiny-extract-train-[0-9a-f]{4}[\\/]model[\\/]extractor\.json$/);
    assert.ok(existsSync(model), model);
  });
});
