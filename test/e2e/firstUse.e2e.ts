import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO, startCodeServer, type CodeServer } from './harness/codeServer';
import { removeWorkspace } from './harness/workspace';
import { showProblems, openPick, findWebviewFrame, openWorkbench, runCommand, screenshot, waitForNotification, waitInWebview, patient, type Workbench } from './harness/workbench';

/**
 * A new user in a new, empty folder, in a real VS Code (code-server) and Chromium: no Model Lab
 * file exists when the window opens, so nothing has started Model Lab yet. Creating the first
 * experiment file must start it (diagnostics, CodeLens); the JSON Schema's completion works in
 * it; a rewards file gets its diagnostics without the panel; Run with Policy -> static asks for
 * what the file does not say; a CSV with a header and text labels trains, and the timeline
 * shows which output is which class. Screenshots go to test-output/e2e/.
 */
const IRIS_EXPERIMENT = `{
  "kind": "train",
  "name": "iris",
  "data": { "format": "csv", "train": "iris.csv", "header": true },
  "model": { "inputShape": [4], "layers": [
    { "name": "hidden", "type": "dense", "units": 16, "activation": "relu" },
    { "name": "out", "type": "dense", "units": 3, "activation": "softmax" }
  ] },
  "training": { "epochs": 40, "batchSize": 16, "optimizer": { "type": "adam", "learningRate": 0.01 }, "seed": 3 },
  "freezing": { "policy": "smartfrz" }
}
`;

describe('first use in an empty folder (code-server)', { timeout: patient(5 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'model-lab-ws-first-use-'));
    // Text is typed in one go: no auto-closing, surrounding or indenting that would add brackets.
    const typing = {
      'editor.autoClosingBrackets': 'never', 'editor.autoClosingQuotes': 'never', 'editor.autoSurround': 'never',
      'editor.autoIndent': 'none', 'editor.acceptSuggestionOnEnter': 'off',
    };
    server = await startCodeServer({ workspace, trusted: true, name: 'first-use', settings: typing });
    // Nothing in the empty folder starts Model Lab: the workbench is ready without it.
    wb = await openWorkbench(server, { activates: false });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  /** Creates a file from the Explorer (File: New File...), as a user does, and types `text` into it. */
  async function createFile(page: Page, name: string, text: string): Promise<void> {
    await runCommand(page, 'File: New File...');
    const input = page.locator('.explorer-folders-view .monaco-inputbox input');
    await input.waitFor({ state: 'visible', timeout: patient(20_000) });
    await input.fill(name);
    await page.keyboard.press('Enter');
    await editorFor(page, name).waitFor({ state: 'visible', timeout: patient(20_000) });
    await replaceText(page, text);
  }

  function editorFor(page: Page, name: string) {
    return page.locator('.tabs-container .tab.active', { hasText: name });
  }

  /** Replaces the active editor's text (typed at once: no auto-closing brackets). */
  async function replaceText(page: Page, text: string): Promise<void> {
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  /** The Problems view's rows (file and message), once `predicate` holds for them. */
  async function waitForProblems(page: Page, predicate: (rows: string[]) => boolean, timeoutMs = 60_000): Promise<string[]> {
    await showProblems(page);
    const deadline = Date.now() + timeoutMs;
    let rows: string[] = [];
    for (;;) {
      rows = (await page.locator('.markers-panel .monaco-list-row').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      if (predicate(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`Problems view condition not met within ${timeoutMs} ms; rows: ${JSON.stringify(rows)}`);
      await page.waitForTimeout(500);
    }
  }

  test('creating the first experiment file starts Model Lab: every problem at once, and the Run CodeLens', async () => {
    const { page } = wb;
    assert.deepEqual(readdirSync(workspace), [], 'the folder starts empty');
    // A schema error (epochs as text) and what the schema cannot say (the data file is missing).
    await createFile(page, 'iris.experiment.json', IRIS_EXPERIMENT.replace('"epochs": 40', '"epochs": "40"'));
    const rows = await waitForProblems(page, (r) => r.some((t) => /data file not found/.test(t)) && r.some((t) => /epochs must be an integer/.test(t)));
    await screenshot(page, 'first-use-01-diagnostics');
    assert.ok(rows.some((t) => /data file not found: .*iris\.csv/.test(t)), JSON.stringify(rows));
    // VS Code asks for CodeLenses while the editor has focus (the Problems view took it), and
    // keeps line 1 in place when they arrive, which can leave them just above the viewport:
    // back in the editor, scroll to the very top to see them.
    const lens = page.locator('.editor-instance .codelens-decoration', { hasText: 'Run' }).first();
    const lensDeadline = Date.now() + 30_000;
    for (;;) {
      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.mouse.wheel(0, -2000);
      if (await lens.isVisible()) break;
      if (Date.now() > lensDeadline) throw new Error('no Run CodeLens within 30 s');
      await page.waitForTimeout(500);
    }
    await screenshot(page, 'first-use-01b-codelens');
    // The data arrives: with the epochs fixed the file is clean.
    copyFileSync(path.join(REPO, 'examples', 'iris', 'iris.csv'), path.join(workspace, 'iris.csv'));
    await replaceText(page, IRIS_EXPERIMENT);
    await page.keyboard.press('ControlOrMeta+S');
    await waitForProblems(page, (r) => !r.some((t) => /iris\.experiment\.json|data file not found|epochs/.test(t)));
  });

  test('the schema\'s completion works in experiment files: reward-compare offers the panel\'s norm names', async () => {
    const { page } = wb;
    await createFile(page, 'compare.experiment.json', '{\n  "kind": "reward-compare",\n  "name": "c",\n  "rewards": "grid.rewards.json",\n  "norm": ""\n}\n');
    // Caret inside the empty string of "norm".
    await page.locator('.editor-instance .view-line', { hasText: '"norm"' }).first().click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    const suggestions = page.locator('.suggest-widget .monaco-list-row');
    const deadline = Date.now() + 30_000;
    let labels: string[] = [];
    while (!(labels.includes('L2') && labels.includes('weighted L∞') && labels.includes('2'))) {
      if (Date.now() > deadline) throw new Error(`no norm completions; saw ${JSON.stringify(labels)}`);
      await page.keyboard.press('ControlOrMeta+Space');
      await suggestions.first().waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      labels = (await page.locator('.suggest-widget .monaco-list-row .label-name').allTextContents()).map((t) => t.trim().replace(/^"|"$/g, ''));
    }
    await screenshot(page, 'first-use-02-norm-completion');
    await page.keyboard.press('Escape');
  });

  test('a rewards file gets diagnostics when opened and edited, without the panel, and they clear when fixed', async () => {
    const { page } = wb;
    const bad = '{\n  "discount": 0.9,\n  "transitions": [[[0.5, 0.6]], [[0, 1]]],\n  "rewards": { "r": { "state": [1, 2] } }\n}\n';
    await createFile(page, 'two.rewards.json', bad);
    await waitForProblems(page, (r) => r.some((t) => /two\.rewards\.json/.test(t)) && r.some((t) => /sum to 1/.test(t)));
    await screenshot(page, 'first-use-03-rewards-diagnostic');
    await replaceText(page, bad.replace('0.6', '0.5'));
    await waitForProblems(page, (r) => !r.some((t) => /two\.rewards\.json/.test(t)));
  });

  test('Run with Policy -> static asks which layers and when; the run freezes them and the timeline names the classes', async () => {
    const { page } = wb;
    await page.locator('.tabs-container .tab', { hasText: 'iris.experiment.json' }).click();
    await editorFor(page, 'iris.experiment.json').waitFor({ state: 'visible' });
    await openPick(page, 'Model Lab: Run with Policy...', 'static');
    const pick = async (label: string) => {
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: patient(20_000) });
      await row.click();
    };
    await pick('static');
    await pick('Freeze hidden');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'After how many epochs' }).waitFor({ state: 'visible', timeout: patient(20_000) });
    await screenshot(page, 'first-use-04-static-when');
    await input.fill('10');
    await page.keyboard.press('Enter');
    await waitForNotification(page, /iris\.experiment\.json \(static\) completed/, 120_000);
    const runs = path.join(workspace, '.model-lab', 'runs');
    const [runId] = readdirSync(runs);
    const summary = JSON.parse(readFileSync(path.join(runs, runId, 'summary.json'), 'utf8'));
    assert.equal(summary.policy, 'static');
    assert.deepEqual(summary.freezeEvents.map((f: { layer: string; epoch: number }) => [f.layer, f.epoch]), [['hidden', 10]]);
    assert.deepEqual(summary.classNames, ['setosa', 'versicolor', 'virginica']);
    const classes = await waitInWebview(page, '.cards', (f) => f.$eval('.card-classes', (e) => e.textContent ?? ''), (t) => t.length > 0, 30_000);
    assert.equal(classes, 'classes: 0 setosa · 1 versicolor · 2 virginica');
    await findWebviewFrame(page, '.card-classes');
    await screenshot(page, 'first-use-05-timeline-classes');
    assert.ok(existsSync(path.join(runs, runId, 'model')));
  });
});
