/**
 * The reward panel's webview in a real (headless) Chromium: the page is the panel's real HTML
 * (strict CSP with a nonce), the real browser bundle, and this test plays the extension host
 * with the real computation and view-model. It checks that the distance heatmap draws one cell
 * per pair, that hovering shows the value, that a click produces the difference heatmap with
 * one cell per (state, action), that a bad file shows its error, and that no CSP violation is
 * reported; it saves screenshots in dark and light themes under test-output/rewards/.
 * Skipped when /usr/bin/chromium is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { webviewHtml } from '../../../src/vscode/webview/html';
import type { MatrixResult } from '../../../src/core/reward/comparison';
import { computation } from './computation';
import { isWebviewToHost, type CompareSettings, type HostToWebview, type PanelTheme, type WebviewToHost } from '../../../src/panels/rewards/messages';
import { differenceMessage, errorMessage, matrixMessage } from '../../../src/panels/rewards/viewModel';
import { toJobErrorInfo } from '../../../src/runner/errorInfo';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(__dirname, '../../..');
const OUT = path.join(REPO, 'test-output', 'rewards');
const GRIDWORLD = path.join(REPO, 'examples/rewards/gridworld.rewards.json');

/** A subset of VS Code's Dark Modern / Light Modern variables the panel uses. */
const THEMES: Record<'dark' | 'light', Record<string, string>> = {
  dark: {
    '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-editor-background': '#1f1f1f',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-red': '#f14c4c', '--vscode-textLink-foreground': '#4daafc',
    '--vscode-widget-border': '#313131', '--vscode-editorError-foreground': '#f85149', '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editorHoverWidget-background': '#202020',
    '--vscode-editorHoverWidget-border': '#454545', '--vscode-settings-dropdownBackground': '#313131', '--vscode-settings-dropdownForeground': '#cccccc',
    '--vscode-settings-dropdownBorder': '#3c3c3c', '--vscode-settings-dropdownListBorder': '#454545', '--vscode-focusBorder': '#0078d4', '--vscode-textBlockQuote-background': '#2b2b2b', '--vscode-inputValidation-errorBackground': '#5a1d1d',
  },
  light: {
    '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-editor-background': '#ffffff',
    '--vscode-charts-blue': '#1a85ff', '--vscode-charts-red': '#e51400', '--vscode-textLink-foreground': '#005fb8',
    '--vscode-widget-border': '#e5e5e5', '--vscode-editorError-foreground': '#e51400', '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editorHoverWidget-background': '#f8f8f8',
    '--vscode-editorHoverWidget-border': '#c8c8c8', '--vscode-settings-dropdownBackground': '#ffffff', '--vscode-settings-dropdownForeground': '#3b3b3b',
    '--vscode-settings-dropdownBorder': '#cecece', '--vscode-settings-dropdownListBorder': '#c8c8c8', '--vscode-focusBorder': '#005fb8', '--vscode-textBlockQuote-background': '#f2f2f2', '--vscode-inputValidation-errorBackground': '#f2dede',
  },
};

async function buildBundle(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rewards-webview-'));
  await esbuild.build({
    entryPoints: { rewards: path.join(REPO, 'webview/rewards/main.ts') },
    bundle: true, platform: 'browser', target: 'es2022', format: 'iife', outdir: dir, loader: { '.css': 'text' }, logLevel: 'error',
  });
  return path.join(dir, 'rewards.js');
}

function serve(bundle: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const files: Record<string, [string, string]> = {
      '/rewards.js': [bundle, 'text/javascript'],
      '/codicon.css': [path.join(REPO, 'media/codicons/codicon.css'), 'text/css'],
      '/codicon.ttf': [path.join(REPO, 'media/codicons/codicon.ttf'), 'font/ttf'],
    };
    const f = files[url.pathname];
    if (url.pathname === '/') {
      const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(webviewHtml({ cspSource: origin, scriptUri: `${origin}/rewards.js`, codiconsUri: `${origin}/codicon.css`, title: 'Rewards <test>' }));
    } else if (f && existsSync(f[0])) {
      res.writeHead(200, { 'content-type': f[1] });
      res.end(readFileSync(f[0]));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

/** Plays the extension host for one page: answers the webview's messages like RewardsPanel does. */
class FakeHost {
  readonly computation = computation();
  readonly received: WebviewToHost[] = [];
  theme: PanelTheme | undefined;
  matrix: MatrixResult | undefined;
  settings: CompareSettings = { canon: 'val', norm: '2', metric: '2' };
  constructor(private readonly page: Page, public text: string) {}

  post(m: HostToWebview): Promise<void> {
    return this.page.evaluate(`window.postMessage(${JSON.stringify(m)}, '*')`);
  }

  async onMessage(raw: unknown): Promise<void> {
    assert.ok(isWebviewToHost(raw), `the webview sent a valid message: ${JSON.stringify(raw)}`);
    const m = raw as WebviewToHost;
    this.received.push(m);
    if (m.type === 'ready' || m.type === 'theme') this.theme = m.theme;
    if (m.type === 'ready') await this.post({ type: 'init', state: { file: 'file:///gridworld.rewards.json', settings: this.settings }, fileName: 'gridworld.rewards.json' });
    if (m.type === 'settings') this.settings = m.settings;
    if (m.type === 'ready' || m.type === 'settings' || m.type === 'theme') {
      try {
        this.matrix = await this.computation.matrix({ file: GRIDWORLD, text: this.text, settings: this.settings });
        await this.post(matrixMessage(this.matrix, this.settings, 'gridworld.rewards.json', this.theme as PanelTheme));
      } catch (e) {
        await this.post(errorMessage(toJobErrorInfo(e), 'examples/rewards/gridworld.rewards.json'));
      }
    }
    if (m.type === 'selectPair' && this.matrix) {
      const diff = await this.computation.difference({ file: GRIDWORLD, text: this.text, settings: this.settings, row: m.row, col: m.col });
      await this.post(differenceMessage(diff, this.matrix, this.settings, this.theme as PanelTheme));
    }
  }
}

async function openPanel(page: Page, origin: string, theme: 'dark' | 'light', text: string): Promise<{ host: FakeHost; violations: string[] }> {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
  const host = new FakeHost(page, text);
  await page.exposeFunction('__toHost', (m: unknown) => host.onMessage(m));
  // A string, not a function: tsx's compiled functions reference helpers the page lacks.
  const vars = JSON.stringify(THEMES[theme]);
  const cls = theme === 'dark' ? 'vscode-dark' : 'vscode-light';
  await page.addInitScript(`
    document.addEventListener('securitypolicyviolation', (e) => console.error('Refused to load (CSP): ' + e.violatedDirective + ' ' + e.blockedURI));
    let saved;
    window.acquireVsCodeApi = () => {
      // VS Code sets the theme variables on <html> and the theme kind as a body class.
      for (const [k, v] of Object.entries(${vars})) document.documentElement.style.setProperty(k, v);
      document.body.classList.add(${JSON.stringify(cls)});
      return { postMessage: (m) => window.__toHost(m), getState: () => saved, setState: (s) => { saved = s; } };
    };
  `);
  await page.goto(origin + '/');
  return { host, violations };
}

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found`;

test('reward panel renders the distance and difference heatmaps under the strict CSP', { skip, timeout: 120_000 }, async () => {
  mkdirSync(OUT, { recursive: true });
  const bundle = await buildBundle();
  const { server, origin } = await serve(bundle);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const text = readFileSync(GRIDWORLD, 'utf8');
    for (const theme of ['dark', 'light'] as const) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
      const { host, violations } = await openPanel(page, origin, theme, text);
      const cells = page.locator('.pane').first().locator('g.mark-rect.role-mark path');
      await cells.first().waitFor();
      const names = host.matrix?.names ?? [];
      assert.equal(names.length, 4, 'gridworld example has task, shaped, negated, corner');
      assert.equal(await cells.count(), names.length ** 2);
      // The title is the file name (user text, set with textContent).
      assert.equal(await page.locator('h1.title').textContent(), 'gridworld.rewards.json');

      // Hover task x negated: the tooltip shows the distance with 4 decimals.
      const i = names.indexOf('task');
      const j = names.indexOf('negated');
      const cell = cells.nth(i * names.length + j);
      await cell.hover();
      const tip = page.locator('.tooltip');
      await tip.waitFor({ state: 'visible' });
      const expected = (host.matrix as MatrixResult).matrix[i][j].toFixed(4);
      assert.match((await tip.textContent()) ?? '', new RegExp(expected.replace('.', '\\.')));

      // Click it: the difference heatmap has one cell per (state, action).
      await cell.click();
      const diffCells = page.locator('.pane').nth(1).locator('g.mark-rect.role-mark path');
      await diffCells.first().waitFor();
      const m = host.matrix as MatrixResult;
      assert.equal(await diffCells.count(), m.states * m.actions);
      assert.ok(host.received.some((r) => r.type === 'selectPair' && r.row === i && r.col === j));
      assert.match((await page.locator('.pane').nth(1).locator('h2').textContent()) ?? '', /task − negated/);
      await page.mouse.move(5, 5);
      await page.screenshot({ path: path.join(OUT, `panel-${theme}.png`), fullPage: true });

      if (theme === 'dark') {
        // Pick another canonicalisation in the dropdown: the host gets the settings and recomputes.
        await page.locator('#pick-canon').click();
        await page.locator('#pick-canon').getByRole('option', { name: 'EPIC', exact: true }).click();
        await page.waitForFunction(() => document.querySelector('.summary')?.textContent?.includes('rewards'));
        await page.waitForTimeout(200);
        const sent = host.received.filter((r) => r.type === 'settings');
        assert.deepEqual(sent.at(-1), { type: 'settings', settings: { canon: 'epic', norm: '2', metric: '2' } });
        await page.waitForFunction(() => document.querySelectorAll('.pane')[1]?.querySelectorAll('g.mark-rect.role-mark path').length === 0);
        assert.equal(await cells.count(), names.length ** 2, 'matrix redrawn for the new settings');
      }
      assert.deepEqual(violations, [], `no CSP violation or page error (${theme})`);
      await page.close();
    }

    // A broken file: the error (with its line) replaces the charts' freshness, no crash.
    const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    const bad = text.replace('"slip": 0.2', '"slip": 2');
    const { violations } = await openPanel(page, origin, 'dark', bad);
    const box = page.locator('.error-box');
    await box.waitFor({ state: 'visible' });
    assert.match((await box.textContent()) ?? '', /slip/);
    assert.match((await page.locator('.error-where').textContent()) ?? '', /gridworld\.rewards\.json:\d+:\d+/);
    await page.screenshot({ path: path.join(OUT, 'panel-error.png') });
    assert.deepEqual(violations, []);
    await page.close();
  } finally {
    await browser.close();
    server.close();
  }
});
