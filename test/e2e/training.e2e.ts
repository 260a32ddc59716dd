import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Frame } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import {
  clickContextMenuItem, contextMenuLabels, expandFolder, explorerRow, findWebviewFrame, openWorkbench, reloadWindow, runCommand,
  screenshot, waitForNotification, waitInWebview, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace } from './harness/workspace';

/**
 * The training experience in a real VS Code (code-server) and a real Chromium, as a user
 * does it: right-click an experiment in the Explorer and run it, watch the timeline fill,
 * read the frozen layers inline, cancel a run, reload the window, use the Runs view.
 * Steps run in order and share one workbench; screenshots go to test-output/e2e/.
 */
describe('training from the Explorer (code-server)', { timeout: 8 * 60_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('train');
    server = await startCodeServer({ workspace, trusted: true, name: 'train' });
    wb = await openWorkbench(server.url);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const cardStatuses = (f: Frame) => f.$$eval('.card', (cards) => cards.map((c) => (c.querySelector('.status')?.textContent ?? '').trim()));
  const freezeTexts = (f: Frame) => f.$$eval('.freeze-list li.freeze', (items) => items.map((li) => (li.textContent ?? '').trim()));

  test('the Explorer context menu offers the Model Lab commands on an experiment file', async () => {
    const { page } = wb;
    await expandFolder(page, 'digits');
    const row = explorerRow(page, 'quick-digits.experiment.json');
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click({ button: 'right' });
    const labels = await contextMenuLabels(page);
    await screenshot(page, '01-explorer-context-menu');
    for (const l of ['Run Experiment', 'Run with Policy...', 'Compare Policies...', 'Open Freezing Timeline']) {
      assert.ok(labels.includes(l), `context menu has "${l}": ${JSON.stringify(labels)}`);
    }
    // VS Code's own "Open Timeline" (file history) is the only entry of that name.
    assert.ok(labels.filter((l) => l === 'Open Timeline').length <= 1, JSON.stringify(labels));
  });

  test('Run Experiment starts a run; the timeline panel fills with freeze events live', async () => {
    const { page } = wb;
    await clickContextMenuItem(page, 'Run Experiment');
    // The cancellable progress notification and the status bar item show the live run.
    await waitForNotification(page, /epoch|starting/, 60_000);
    await screenshot(page, '02-run-started');
    const frozen = await waitInWebview(page, '.cards', freezeTexts, (t) => t.length >= 2, 120_000);
    assert.ok(frozen.some((t) => /fc1 frozen at epoch \d+ \(step \d+\)/.test(t)), JSON.stringify(frozen));
    assert.ok(frozen.some((t) => /fc2 frozen at epoch \d+ \(step \d+\)/.test(t)), JSON.stringify(frozen));
    await screenshot(page, '03-timeline-freeze-events');
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'completed', 120_000);
    assert.deepEqual(statuses, ['completed']);
    const frame = await findWebviewFrame(page, '.cards');
    const chartText = await frame.$eval('.chart', (e) => e.textContent ?? '');
    for (const t of ['Layers', 'Test accuracy', 'Loss', 'Backward FLOPs saved', 'fc1', 'fc2', 'out']) assert.ok(chartText.includes(t), `chart shows ${t}`);
    const accuracy = await frame.$eval('.metric.accent .metric-value', (e) => e.textContent ?? '');
    assert.match(accuracy, /^\d+\.\d%$/);
    // The card states the saving as the chart does: a positive share saved.
    const metrics = await frame.$$eval('.metric', (ms) => ms.map((m) => `${m.querySelector('.metric-label')?.textContent}=${m.querySelector('.metric-value')?.textContent}`));
    assert.ok(metrics.some((m) => /^backward FLOPs saved=[1-9]\d*%$/.test(m)), JSON.stringify(metrics));
    await waitForNotification(page, /completed — \d+\.\d% test accuracy/, 30_000);
    await screenshot(page, '04-timeline-completed');
  });

  test('the experiment file shows frozen layers inline and a Run CodeLens', async () => {
    const { page } = wb;
    await explorerRow(page, 'quick-digits.experiment.json').click();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ state: 'visible' });
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      text = ((await editor.locator('.view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
      if (/frozen at epoch \d+ \(step \d+\)/.test(text)) break;
      await page.waitForTimeout(500);
    }
    await screenshot(page, '05-inline-annotations');
    assert.match(text, /❄ frozen at epoch \d+ \(step \d+\)\s*\d+% saved/);
    assert.match(text, /trained all 6 epochs/);
    const lenses = (await editor.locator('.codelens-decoration').allTextContents()).join(' | ');
    assert.match(lenses, /Run/);
    assert.match(lenses, /Open Freezing Timeline/);
    assert.match(lenses, /Last run: linear · completed/);
    // Hovering a layer gives the details of its freeze.
    await editor.locator('.view-line', { hasText: '"fc1"' }).first().hover();
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await hover.textContent()) ?? '', /Frozen at epoch \d+, step \d+ of 60/);
    await screenshot(page, '05b-layer-hover');
  });

  test('a running run can be cancelled from the timeline panel', async () => {
    const { page } = wb;
    await explorerRow(page, 'long-digits.experiment.json').click({ button: 'right' });
    await contextMenuLabels(page);
    await clickContextMenuItem(page, 'Run Experiment');
    await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'running', 60_000);
    // The status bar shows the active run.
    await page.locator('.statusbar-item', { hasText: /long-digits · none · epoch \d+\/1000/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const frame = await waitForFrameWith(page, '.card.running vscode-button');
    await waitInWebview(page, '.cards', (f) => f.$$eval('.metric-value', (m) => m.map((e) => e.textContent)), (v) => v.some((x) => /^\d+\.\d%$/.test(x ?? '')), 60_000);
    await screenshot(page, '06-long-run-live');
    await frame.click('.card.running vscode-button');
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'cancelled', 60_000);
    assert.deepEqual(statuses, ['cancelled']);
    await waitForNotification(page, /was cancelled; it can be resumed/, 30_000);
    await screenshot(page, '07-run-cancelled');
  });

  test('after a window reload the timeline panel is restored with its run', async () => {
    const { page } = wb;
    await reloadWindow(page);
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 1 && s[0] === 'cancelled', 60_000);
    assert.deepEqual(statuses, ['cancelled']);
    const frame = await findWebviewFrame(page, '.cards');
    assert.match((await frame.$eval('.title', (e) => e.textContent)) ?? '', /long-digits/);
    await screenshot(page, '08-restored-after-reload');
  });

  test('the Runs view lists both runs with status, policy and accuracy', async () => {
    const { page } = wb;
    await page.locator('.activitybar .action-item a[aria-label^="Model Lab"]').first().click();
    const tree = page.locator('.pane-body .monaco-list[aria-label*="Runs"], [id="workbench.view.extension.model-lab"] .monaco-list').first();
    await tree.waitFor({ state: 'visible', timeout: 20_000 });
    const deadline = Date.now() + 20_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
      if (rows.length >= 4) break;
      await page.waitForTimeout(500);
    }
    const text = rows.join('\n');
    assert.match(text, /quick-digits/);
    assert.match(text, /long-digits/);
    assert.match(text, /linear/);
    assert.match(text, /\d+\.\d%/);
    await screenshot(page, '09-runs-view');
  });

  test('a cancelled run resumes from the Runs view context menu', async () => {
    const { page } = wb;
    const row = page.locator('.monaco-list-row', { hasText: 'cancelled' }).first();
    await row.click({ button: 'right' });
    const labels = await contextMenuLabels(page);
    for (const l of ['Open Freezing Timeline', 'Reveal Run Folder', 'Resume Run', 'Delete Run']) assert.ok(labels.includes(l), `${l} in ${JSON.stringify(labels)}`);
    await screenshot(page, '10-runs-view-context-menu');
    await clickContextMenuItem(page, 'Resume Run');
    const resumed = await waitInWebview(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.map((c) => `${c.querySelector('.status')?.textContent}|${c.querySelectorAll('.metric-value')[3]?.textContent}`)), (v) => v.length === 1 && /^running\|\d+\/1000$/.test(v[0]), 60_000);
    // It continues from its checkpoint: the epoch count does not restart at 0.
    const epochsDone = Number(resumed[0].split('|')[1].split('/')[0]);
    assert.ok(epochsDone > 0, resumed[0]);
    await runCommand(page, 'Model Lab: Cancel Run');
    await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'cancelled', 60_000);
  });

  test('Compare Policies runs two policies one after the other and overlays them', async () => {
    const { page } = wb;
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    await explorerRow(page, 'quick-digits.experiment.json').click();
    await page.waitForTimeout(800);
    await runCommand(page, 'Model Lab: Compare Policies...');
    // The multi-select pick starts with the baseline and the file's own policy checked: accept them.
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'linear' }).first();
    await pick.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, '11-compare-policies-pick');
    await page.keyboard.press('Enter');
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 2 && s.every((x) => x === 'completed'), 180_000);
    assert.deepEqual(statuses, ['completed', 'completed']);
    const frame = await findWebviewFrame(page, '.cards');
    const policies = await frame.$$eval('.card .policy', (els) => els.map((e) => e.textContent));
    assert.deepEqual(policies, ['none', 'linear']);
    const legend = await frame.$eval('.chart', (e) => e.textContent ?? '');
    assert.ok(legend.includes('none') && legend.includes('linear'), 'the charts name both runs');
    await page.waitForTimeout(800);
    await screenshot(page, '12-compare-policies-timeline');
  });

  test('the timeline follows the theme (light), and is restored again after a reload', async () => {
    const { page } = wb;
    // Settings are read when the window loads: switch the theme, then reload.
    server.updateSettings({ 'workbench.colorTheme': 'Default Light Modern' });
    await reloadWindow(page);
    await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 2, 60_000).catch(async (e) => {
      await screenshot(page, '13-timeline-light-theme-failed');
      throw e;
    });
    const frame = await findWebviewFrame(page, '.cards');
    const background = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
    assert.ok(r + g + b > 600, `light background in the panel, got ${background}`);
    await page.waitForTimeout(1000);
    await screenshot(page, '13-timeline-light-theme');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy|unsafe-eval/i.test(e)), [], 'no CSP violations');
  });
});

async function waitForFrameWith(page: import('playwright-core').Page, selector: string): Promise<Frame> {
  return findWebviewFrame(page, selector, 60_000);
}
