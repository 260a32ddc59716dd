import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import type { Page } from 'playwright-core';
import { chooseUntil, clickContextMenuItem, closeContextMenu, contextMenuLabels, openContextMenu, expandFolder, explorerRow, findWebviewFrame, hoverText, openExplorerMenu, openFile, openFromExplorer, openPick, openRunsView, openWorkbench, patient, reloadWindow, runCommandUntil, screenshot, showExplorer, showProblems, type Workbench, untilEffect, waitForNotification, waitInWebview, waitUntil, webviewShows } from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The training experience in a real VS Code (code-server) and a real Chromium, as a user
 * does it: right-click an experiment in the Explorer and run it, watch the timeline fill,
 * read the frozen layers inline, cancel a run, reload the window, use the Runs view.
 * Steps run in order and share one workbench; screenshots go to test-output/e2e/.
 * Nothing here depends on how fast training is: quick runs are waited for until they end,
 * `long-digits` has 100,000 epochs and is cancelled (or paused while a test does something
 * slow), and every wait is on a condition.
 */
describe('training from the Explorer (code-server)', { timeout: patient(20 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;

  before(async () => {
    workspace = makeExamplesWorkspace('train');
    server = await startCodeServer({ workspace, trusted: true, name: 'train' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const cardStatuses = (f: Frame) => f.$$eval('.card', (cards) => cards.map((c) => (c.querySelector('.status')?.textContent ?? '').trim()));
  const freezeTexts = (f: Frame) => f.$$eval('.freeze-list li.freeze', (items) => items.map((li) => (li.textContent ?? '').trim()));

  test('the Explorer context menu offers the Model Lab commands on an experiment file', async () => {
    const { page } = wb;
    await expandFolder(page, 'digits');
    const row = explorerRow(page, 'quick-digits.experiment.json');
    await row.waitFor({ state: 'visible', timeout: patient(20_000) });
    const labels = await openContextMenu(page, () => row.click({ button: 'right' }));
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
    await openFromExplorer(page, 'quick-digits.experiment.json');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ state: 'visible' });
    let text = '';
    await waitUntil(page, async () => {
      text = ((await editor.locator('.view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');
      return /frozen at epoch \d+ \(step \d+\)/.test(text);
    }, 'the inline freeze annotations').catch(() => undefined);
    await screenshot(page, '05-inline-annotations');
    assert.match(text, /❄ frozen at epoch \d+ \(step \d+\)\s*\d+% saved/);
    assert.match(text, /trained all 6 epochs/);
    let lenses = '';
    await waitUntil(page, async () => {
      lenses = (await editor.locator('.codelens-decoration').allTextContents()).join(' | ');
      return /Last run: linear · completed/.test(lenses);
    }, 'the CodeLens of the last run').catch(() => undefined);
    assert.match(lenses, /Run/);
    assert.match(lenses, /Open Freezing Timeline/);
    assert.match(lenses, /Last run: linear · completed/);
    // Hovering a layer gives the details of its freeze.
    const hover = await hoverText(page, editor.locator('.view-line', { hasText: '"fc1"' }).first(), /Frozen at epoch/);
    assert.match(hover, /Frozen at epoch \d+, step \d+ of 60/);
    await screenshot(page, '05b-layer-hover');
  });

  test('a running run can be cancelled from the timeline panel', async () => {
    const { page } = wb;
    await openExplorerMenu(page, 'long-digits.experiment.json');
    await contextMenuLabels(page);
    await clickContextMenuItem(page, 'Run Experiment');
    await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'running', 60_000);
    // The status bar shows the active run.
    await page.locator('.statusbar-item', { hasText: /long-digits · none · epoch \d+\/100000/ }).first().waitFor({ state: 'visible', timeout: patient(30_000) });
    const frame = await waitForFrameWith(page, '.card.running vscode-button');
    await waitInWebview(page, '.cards', (f) => f.$$eval('.metric-value', (m) => m.map((e) => e.textContent)), (v) => v.some((x) => /^\d+\.\d%$/.test(x ?? '')), 60_000);
    await screenshot(page, '06-long-run-live');
    // Clicked again only while the running card still offers it.
    const cancelButton = frame.locator('.card.running vscode-button');
    const cancel = async () => (await cancelButton.isVisible()) && (await cancelButton.click(), true);
    await untilEffect(page, cancel, () => webviewShows(page, '.cards', cardStatuses, (s) => s[0] === 'cancelled'), 'the card cancelled', { action: 'clicking Cancel on the card', tryMs: 20_000 });
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s[0] === 'cancelled', 60_000);
    assert.deepEqual(statuses, ['cancelled']);
    await waitForNotification(page, /was cancelled; it can be resumed/, 30_000);
    await screenshot(page, '07-run-cancelled');
  });

  test('after a window reload the timeline panel is restored with its run', async () => {
    const { page } = wb;
    await reloadWindow(wb);
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 1 && s[0] === 'cancelled', 60_000);
    assert.deepEqual(statuses, ['cancelled']);
    const frame = await findWebviewFrame(page, '.cards');
    assert.match((await frame.$eval('.title', (e) => e.textContent)) ?? '', /long-digits/);
    await screenshot(page, '08-restored-after-reload');
  });

  test('the Runs view lists both runs with status, policy and accuracy', async () => {
    const { page } = wb;
    const tree = await openRunsView(page);
    let rows: string[] = [];
    await waitUntil(page, async () => {
      rows = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
      return rows.length >= 4;
    }, 'two experiments with a run each in the Runs view', 20_000);
    const text = rows.join('\n');
    assert.match(text, /quick-digits/);
    assert.match(text, /long-digits/);
    assert.match(text, /linear/);
    assert.match(text, /\d+\.\d%/);
    await screenshot(page, '09-runs-view');
  });

  test('Prove Result... on a completed run makes a zero-knowledge proof of its accuracy; the Runs view shows it proven', async () => {
    const { page } = wb;
    const tree = await openRunsView(page);
    await runRowMenu(page, tree, /linear.*\d+\.\d%/, 'Prove Result...');
    // The claim proposed is the committed accuracy rounded down: accepted as it is.
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'test accuracy is at least' }).waitFor({ state: 'visible', timeout: patient(20_000) });
    const proposed = await input.inputValue();
    assert.match(proposed, /^0(\.\d{1,2})?$|^1$/);
    await screenshot(page, '09b-prove-claim');
    // Answered again only while the claim prompt is open.
    const claim = page.locator('.quick-input-widget', { hasText: 'test accuracy is at least' });
    const accept = async () => (await claim.isVisible()) && (await input.press('Enter'), true);
    await untilEffect(page, accept, async () => !(await claim.isVisible()), 'the claim accepted', { action: 'pressing Enter' });
    // o1js compiles (once per machine) and proves in the runner process: minutes on a busy machine.
    await waitForNotification(page, new RegExp(`proved accuracy ≥ ${proposed.replace('.', '\\.')} \\(\\d+ of 80 test examples\\)`), 600_000);
    const row = await waitForRunRow(page, tree, new RegExp(`proven ≥ ${proposed.replace('.', '\\.')}`));
    assert.match(row, /linear/);
    await screenshot(page, '09c-run-proven');
  });

  test('a cancelled run resumes from the Runs view context menu', async () => {
    const { page } = wb;
    const tree = await openRunsView(page);
    await waitForRunRow(page, tree, /cancelled/);
    const labels = await openContextMenu(page, () => tree.locator('.monaco-list-row', { hasText: 'cancelled' }).first().click({ button: 'right' }));
    for (const l of ['Open Freezing Timeline', 'Reveal Run Folder', 'Resume Run', 'Delete Run']) assert.ok(labels.includes(l), `${l} in ${JSON.stringify(labels)}`);
    await screenshot(page, '10-runs-view-context-menu');
    await closeContextMenu(page);
    // Chosen until the run runs: the view redraws as the previous test's proof lands, and a
    // redraw closes an open menu with the choice in it (e2e-loop: the run stayed cancelled).
    await runRowMenu(page, tree, /cancelled/, 'Resume Run', /epoch \d+\/100000/);
    const resumed = await waitInWebview(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.map((c) => `${c.querySelector('.status')?.textContent}|${c.querySelectorAll('.metric-value')[3]?.textContent}`)), (v) => v.length === 1 && /^running\|\d+\/100000$/.test(v[0]), 60_000);
    // It continues from its checkpoint: the epoch count does not restart at 0.
    const epochsDone = Number(resumed[0].split('|')[1].split('/')[0]);
    assert.ok(epochsDone > 0, resumed[0]);
    await runCommandUntil(page, 'Model Lab: Cancel Run', () => webviewShows(page, '.cards', cardStatuses, (s) => s[0] === 'cancelled'), 'the card cancelled');
  });

  test('a running run outlives a window reload: still running and progressing after it, and Cancel stops it', async () => {
    const { page } = wb;
    await showExplorer(page);
    await openExplorerMenu(page, 'long-digits.experiment.json');
    await clickContextMenuItem(page, 'Run Experiment');
    await waitInWebview(page, '.cards', cardEpochs, (v) => v.length === 1 && v[0].status === 'running' && v[0].done >= 1, 60_000);
    // Paused while the window reloads, so the test does not depend on how long a reload takes.
    let tree = await openRunsView(page);
    await runRowMenu(page, tree, /epoch \d+\/100000/, 'Pause Run', /paused after epoch/);
    const paused = await waitForRunRow(page, tree, /paused after epoch (\d+)\/100000/);
    const epochsBefore = Number(/paused after epoch (\d+)/.exec(paused)![1]);
    await screenshot(page, '14-run-paused-before-reload');

    await reloadWindow(wb);
    // The new window finds the run still running and follows it again.
    await waitForNotification(page, /running \(reattached\) long-digits\.experiment\.json/, 60_000);
    tree = await openRunsView(page);
    // Still paused where it paused (the row before the reload may have shown the epoch before the
    // last, read from the events a moment before the record said paused).
    const reattached = await waitForRunRow(page, tree, /paused after epoch (\d+)\/100000/, (m) => Number(m[1]) >= epochsBefore);
    const pausedAt = Number(/paused after epoch (\d+)/.exec(reattached)![1]);
    await screenshot(page, '15-run-reattached-after-reload');
    await runRowMenu(page, tree, /paused after epoch/, 'Continue Run', /^(?!.*paused).*epoch \d+\/100000/);
    // It progresses: the Runs view and the restored timeline both see new epochs.
    await waitForRunRow(page, tree, /epoch (\d+)\/100000/, (m) => Number(m[1]) > pausedAt + 1);
    await waitInWebview(page, '.cards', cardEpochs, (v) => v.some((c) => c.status === 'running' && c.done > pausedAt), 60_000);
    await page.locator('.statusbar-item', { hasText: /long-digits · none · epoch \d+\/100000/ }).first().waitFor({ state: 'visible', timeout: patient(30_000) });

    // Done when no row shows a live epoch: an earlier run of the file is already "cancelled", so
    // a cancelled row alone would not tell that this one stopped.
    await runRowMenu(page, tree, /epoch \d+\/100000/, 'Cancel Run', { holds: (rows) => !rows.some((t) => /epoch \d+\/100000/.test(t)), what: 'no Runs view row with a live epoch' });
    await waitForNotification(page, /long-digits\.experiment\.json was cancelled; it can be resumed/, 60_000);
    const row = await waitForRunRow(page, tree, /cancelled/);
    assert.match(row, /none/);
    const menu = await openContextMenu(page, () => tree.locator('.monaco-list-row', { hasText: 'cancelled' }).first().click({ button: 'right' }));
    assert.ok(menu.includes('Resume Run'), 'the cancelled run can be resumed');
    await closeContextMenu(page);
    await screenshot(page, '16-run-cancelled-after-reload');
  });

  test('a run that fails on its data stays in the Runs view as failed; the timeline and Problems show the error at its line', async () => {
    const { page } = wb;
    await showExplorer(page);
    await openExplorerMenu(page, 'too-few-outputs-digits.experiment.json');
    await clickContextMenuItem(page, 'Run Experiment');
    const error = /the data has 10 classes \(labels 0 to 9\), but the output layer "out" has 5 units/;
    await waitForNotification(page, /too-few-outputs-digits\.experiment\.json failed: the data has 10 classes .*\(line 10\)/, 60_000);
    const card = await waitInWebview(page, '.cards', (f) => f.$$eval('.card', (cs) => cs.map((c) => `${c.querySelector('.status')?.textContent}|${c.querySelector('.card-message')?.textContent}`)), (v) => v.length === 1 && v[0].startsWith('failed|'), 60_000);
    assert.match(card[0], error);
    await screenshot(page, '17-failed-run-timeline');
    const tree = await openRunsView(page);
    const row = await waitForRunRow(page, tree, /failed: the data has 10 classes/);
    assert.match(row, /none/);
    await screenshot(page, '18-failed-run-in-runs-view');
    await showProblems(page);
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'the data has 10 classes' }).first();
    await problem.waitFor({ state: 'visible', timeout: patient(30_000) });
    const label = (await problem.getAttribute('aria-label')) ?? (await problem.textContent()) ?? '';
    assert.match(label, /line 10\b/, label);
    assert.match(label, error);
    await screenshot(page, '19-failed-run-in-problems');
  });

  test('Reveal Run Folder shows the run folder in the Explorer where no OS file manager can (code-server)', async () => {
    const { page } = wb;
    const tree = await openRunsView(page);
    await runRowMenu(page, tree, /linear/, 'Reveal Run Folder');
    const selected = page.locator('.explorer-folders-view .monaco-list-row.selected').first();
    await selected.waitFor({ state: 'visible', timeout: patient(30_000) });
    assert.match((await selected.getAttribute('aria-label')) ?? '', /^\d{8}-\d{6}-quick-digits-linear-[0-9a-f]{4}/);
    assert.deepEqual((await page.locator('.notification-toast').allTextContents()).filter((t) => /revealFileInOS|not found/.test(t)), []);
    await screenshot(page, '20-reveal-run-folder');
  });

  test('Compare Policies runs two policies one after the other and overlays them', async () => {
    const { page } = wb;
    await openFile(page, 'quick-digits.experiment.json');
    // The multi-select pick starts with the baseline and the file's own policy checked: accept them.
    const pick = await openPick(page, 'Model Lab: Compare Policies...', 'linear');
    await screenshot(page, '11-compare-policies-pick');
    // Answered again only while the pick is open.
    const accept = async () => (await pick.isVisible()) && (await page.keyboard.press('Enter'), true);
    await untilEffect(page, accept, async () => !(await pick.isVisible()), 'the pick accepted', { action: 'pressing Enter' });
    const statuses = await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 2 && s.every((x) => x === 'completed'), 180_000);
    assert.deepEqual(statuses, ['completed', 'completed']);
    const frame = await findWebviewFrame(page, '.cards');
    const policies = await frame.$$eval('.card .policy', (els) => els.map((e) => e.textContent));
    assert.deepEqual(policies, ['none', 'linear']);
    const legend = await frame.$eval('.chart', (e) => e.textContent ?? '');
    assert.ok(legend.includes('none') && legend.includes('linear'), 'the charts name both runs');
    await screenshot(page, '12-compare-policies-timeline');
  });

  test('the timeline follows the theme (light), and is restored again after a reload', async () => {
    const { page } = wb;
    // Settings are read when the window loads: switch the theme, then reload.
    server.updateSettings({ 'workbench.colorTheme': 'Default Light Modern' });
    await reloadWindow(wb);
    await waitInWebview(page, '.cards', cardStatuses, (s) => s.length === 2, 60_000).catch(async (e) => {
      await screenshot(page, '13-timeline-light-theme-failed');
      throw e;
    });
    const frame = await findWebviewFrame(page, '.cards');
    const background = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
    assert.ok(r + g + b > 600, `light background in the panel, got ${background}`);
    await screenshot(page, '13-timeline-light-theme');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy|unsafe-eval/i.test(e)), [], 'no CSP violations');
  });
});

async function waitForFrameWith(page: Page, selector: string): Promise<Frame> {
  return findWebviewFrame(page, selector, 60_000);
}

/** Each timeline card's status and completed epochs. */
function cardEpochs(f: Frame): Promise<{ status: string; done: number }[]> {
  return f.$$eval('.card', (cs) => cs.map((c) => ({
    status: (c.querySelector('.status')?.textContent ?? '').trim(),
    done: Number((c.querySelectorAll('.metric-value')[3]?.textContent ?? '').split('/')[0]),
  })));
}


/** Waits until a row of the Runs tree matches `pattern` (and `accept`), and returns its text. */
async function waitForRunRow(page: Page, tree: ReturnType<Page['locator']>, pattern: RegExp, accept: (m: RegExpExecArray) => boolean = () => true): Promise<string> {
  let found = '';
  let seen: string[] = [];
  await waitUntil(page, async () => {
    seen = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    found = seen.find((t) => {
      const m = pattern.exec(t);
      return m !== null && accept(m);
    }) ?? '';
    return found !== '';
  }, `a Runs view row matching ${pattern}`, 60_000).catch((e) => {
    throw new Error(`${(e as Error).message}; rows: ${JSON.stringify(seen)}`);
  });
  return found;
}

/** What a menu choice does to the Runs view's rows as a whole (a RegExp: some row matches it). */
interface RowsEffect {
  holds: (rows: string[]) => boolean;
  what: string;
}

/**
 * Runs `item` from the context menu of the first Runs view row matching `pattern`; with `effect`,
 * until a row matches it (the menu of a live run's row is opened again if a redraw swallowed the choice).
 */
async function runRowMenu(page: Page, tree: ReturnType<Page['locator']>, pattern: RegExp, item: string, effect?: RegExp | RowsEffect): Promise<void> {
  await waitForRunRow(page, tree, pattern);
  const open = () => tree.locator('.monaco-list-row', { hasText: pattern }).first().click({ button: 'right' });
  if (effect) {
    const holds = effect instanceof RegExp ? (rows: string[]) => rows.some((t) => effect.test(t)) : effect.holds;
    const what = effect instanceof RegExp ? `a Runs view row matching ${effect}` : effect.what;
    return chooseUntil(page, open, item, async () => holds(await tree.locator('.monaco-list-row').allTextContents()), what);
  }
  const labels = await openContextMenu(page, open);
  assert.ok(labels.includes(item), `${item} in ${JSON.stringify(labels)}`);
  await clickContextMenuItem(page, item);
}
