import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { rewardsCommand } from '../../src/cli/rewards';
import type { CliIO } from '../../src/cli/io';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import {
  openFromExplorer, chooseUntil, expandFolder, explorerRow, findWebviewFrame, openWorkbench, reloadWindow, runCommandUntil, screenshot, untilEffect, waitInWebview, webviewShows, patient, type Workbench,
} from './harness/workbench';
import { makeExamplesWorkspace, removeWorkspace } from './harness/workspace';

/**
 * The reward-comparison panel in a real VS Code (code-server) and Chromium, as a user does it:
 * right-click `rewards/gridworld.rewards.json` in the Explorer, choose Compare Rewards, read the
 * heatmap (every cell's value, from the tooltip, against the CLI's `rewards distance --json`
 * matrix for the same file), switch the canonicalisation picker, click a cell for the per-pair
 * difference heatmap, and reload the window. Screenshots go to test-output/e2e/.
 */
const FILE = 'gridworld.rewards.json';
const MATRIX_CELLS = '.pane:first-of-type g.mark-rect.role-mark path';
const DIFF_CELLS = '.pane:nth-of-type(2) g.mark-rect.role-mark path';

interface CliMatrix {
  names: string[];
  matrix: number[][];
}

/** The CLI's distance matrix (`model-lab rewards distance FILE --canon C --json`), run in-process. */
async function cliMatrix(file: string, canon: string): Promise<CliMatrix> {
  const out: string[] = [];
  const io: CliIO = { stdout: (s) => void out.push(s), stderr: () => undefined, isTTY: false, signal: new AbortController().signal, cwd: path.dirname(file) };
  assert.equal(await rewardsCommand(['distance', file, '--canon', canon, '--json'], io), 0);
  return JSON.parse(out.join('')) as CliMatrix;
}

describe('reward comparison panel (code-server)', { timeout: patient(3 * 60_000) }, () => {
  let server: CodeServer;
  let wb: Workbench;
  let workspace: string;
  let val: CliMatrix;
  let epic: CliMatrix;

  before(async () => {
    workspace = makeExamplesWorkspace('rewards');
    // 2,500 states: every (s, a, s') array is 200 MB, about 1.2 GB in all, above the soft limit.
    writeFileSync(path.join(workspace, 'rewards', 'big.rewards.json'), JSON.stringify({
      discount: 0.9,
      gridworld: { width: 50, height: 50, slip: 0.1, goal: [[49, 0, 1]] },
      rewards: { negated: { of: 'task', scale: -1 }, twice: { of: 'task', scale: 2 }, corner: { state: Array.from({ length: 2500 }, (_, s) => (s === 0 ? 1 : 0)) } },
    }, null, 1));
    val = await cliMatrix(path.join(workspace, 'rewards', FILE), 'val');
    epic = await cliMatrix(path.join(workspace, 'rewards', FILE), 'epic');
    server = await startCodeServer({ workspace, trusted: true, name: 'rewards' });
    wb = await openWorkbench(server);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (workspace) removeWorkspace(workspace);
  });

  const cellCount = (selector: string) => (f: Frame) => f.$$eval(selector, (cells) => cells.length);

  /** Hovers cell (i, j) of the distance heatmap and returns the tooltip's text. */
  async function hoverCell(page: Page, frame: Frame, n: number, i: number, j: number): Promise<string> {
    await frame.locator(MATRIX_CELLS).nth(i * n + j).hover();
    const tip = frame.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: patient(5000) });
    const text = (await tip.textContent()) ?? '';
    await page.mouse.move(2, 2);
    return text;
  }

  /** Every cell's tooltip shows the CLI's distance for that pair (4 decimals). */
  async function assertMatrixMatches(page: Page, expected: CliMatrix): Promise<void> {
    const frame = await findWebviewFrame(page, MATRIX_CELLS);
    const n = expected.names.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const tip = await hoverCell(page, frame, n, i, j);
        const want = expected.matrix[i][j].toFixed(4);
        assert.ok(tip.includes(want), `cell ${expected.names[i]} x ${expected.names[j]}: tooltip "${tip}" should show ${want}`);
      }
    }
  }

  test('Explorer right-click > Compare Rewards: the heatmap shows the CLI matrix', async () => {
    const { page } = wb;
    await expandFolder(page, 'rewards');
    const row = explorerRow(page, FILE);
    await row.waitFor({ state: 'visible', timeout: patient(20_000) });
    const n = val.names.length;
    assert.equal(n, 4, 'the example has task, shaped, negated, corner');
    await chooseUntil(page, () => row.click({ button: 'right' }), 'Compare Rewards', () => webviewShows(page, MATRIX_CELLS, cellCount(MATRIX_CELLS), (c) => c === n * n), 'the distance heatmap', 30_000);
    const frame = await findWebviewFrame(page, 'h1.title');
    assert.equal(await frame.$eval('h1.title', (e) => e.textContent), FILE);
    assert.match(await frame.$eval('.summary', (e) => e.textContent ?? ''), /4 rewards · 11 states × 4 actions/);
    await screenshot(page, 'rewards-01-panel');
    await assertMatrixMatches(page, val);
  });

  test('another canonicalisation in the picker recomputes the matrix', async () => {
    const { page } = wb;
    const frame = await findWebviewFrame(page, '#pick-canon');
    // The option is clicked while the dropdown does not show it chosen (opened first if closed).
    const select = frame.locator('#pick-canon');
    const option = select.getByRole('option', { name: 'EPIC', exact: true });
    const picked = async () => (await select.evaluate((e) => (e as HTMLElement & { value: string }).value)) === 'epic';
    const pick = async () => {
      if (await picked()) return false;
      if (!(await option.isVisible())) await select.click();
      await option.click();
    };
    await untilEffect(page, pick, picked, 'EPIC picked', { action: 'choosing EPIC in the dropdown' });
    const n = epic.names.length;
    // The task x corner distance differs between VAL and EPIC; wait until the panel shows EPIC's.
    const i = epic.names.indexOf('task');
    const j = epic.names.indexOf('corner');
    assert.notEqual(epic.matrix[i][j].toFixed(4), val.matrix[i][j].toFixed(4));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const f = await findWebviewFrame(page, MATRIX_CELLS);
      if ((await hoverCell(page, f, n, i, j).catch(() => '')).includes(epic.matrix[i][j].toFixed(4))) break;
      if (Date.now() > deadline) throw new Error('the matrix did not change to the EPIC distances');
      await page.waitForTimeout(500);
    }
    await assertMatrixMatches(page, epic);
    await screenshot(page, 'rewards-02-epic');
  });

  test('clicking a cell shows the per-(state, action) difference heatmap', async () => {
    const { page } = wb;
    const n = epic.names.length;
    const i = epic.names.indexOf('task');
    const j = epic.names.indexOf('negated');
    const frame = await findWebviewFrame(page, MATRIX_CELLS);
    const diffShown = () => webviewShows(page, DIFF_CELLS, cellCount(DIFF_CELLS), (c) => c === 11 * 4);
    await untilEffect(page, () => frame.locator(MATRIX_CELLS).nth(i * n + j).click(), diffShown, 'the difference heatmap', { action: 'clicking a cell', tryMs: 15_000 });
    const title = await frame.$eval('.pane:nth-of-type(2) h2', (e) => e.textContent ?? '');
    assert.match(title, /task − negated/);
    await page.mouse.move(2, 2);
    await screenshot(page, 'rewards-03-difference');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), []);
  });

  test('after a window reload the panel comes back with the file and the picked settings', async () => {
    const { page } = wb;
    await reloadWindow(wb);
    const n = epic.names.length;
    await waitInWebview(page, MATRIX_CELLS, cellCount(MATRIX_CELLS), (c) => c === n * n, 60_000);
    const frame = await findWebviewFrame(page, '#pick-canon');
    assert.equal(await frame.$eval('h1.title', (e) => e.textContent), FILE);
    assert.equal(await frame.$eval('#pick-canon', (e) => (e as HTMLElement & { value: string }).value), 'epic');
    const i = epic.names.indexOf('task');
    const j = epic.names.indexOf('corner');
    assert.ok((await hoverCell(page, frame, n, i, j)).includes(epic.matrix[i][j].toFixed(4)));
    await screenshot(page, 'rewards-04-restored-after-reload');
    assert.deepEqual(wb.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), []);
  });

  test('a comparison above the soft size limit asks first, with the estimate; declining computes nothing', async () => {
    const { page } = wb;
    await openFromExplorer(page, 'big.rewards.json');
    const dialog = page.locator('.monaco-dialog-box');
    await runCommandUntil(page, 'Model Lab: Compare Rewards', () => dialog.isVisible(), 'the size question', 30_000);
    const text = (await dialog.textContent()) ?? '';
    assert.match(text, /compare 4 rewards on 2500 states × 4 actions\?/);
    assert.match(text, /This comparison needs about 1\.\d GB of memory and .+ \(estimated\)/);
    await screenshot(page, 'rewards-05-large-comparison-dialog');
    const cancel = async () => (await dialog.isVisible()) && (await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click(), true);
    await untilEffect(page, cancel, async () => !(await dialog.isVisible()), 'the dialog closed', { action: 'clicking Cancel' });
    const shown = await waitInWebview(page, '.error-text', (f) => f.$$eval('.error-text', (els) => els.map((e) => e.textContent ?? '')), (t) => t.some((x) => /^Not computed: this comparison needs about/.test(x)), 30_000);
    assert.ok(shown.some((x) => /Change a setting or save the file to be asked again/.test(x)), JSON.stringify(shown));
    await screenshot(page, 'rewards-06-large-comparison-declined');
  });
});
