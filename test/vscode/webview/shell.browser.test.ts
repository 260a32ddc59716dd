import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium } from 'playwright-core';
import { LOAD_FAILED, webviewHtml } from '../../../src/vscode/webview/html';

/**
 * The page shell of every panel in a real browser, under its CSP: when the panel's script does
 * not load (a network error, as when code-server's shared service worker is switched while the
 * page fetches), the shell reports it once through the VS Code API, so the host can set the page
 * again; when it loads, the bundle still acquires the (one) VS Code API itself.
 */
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found`;

const BUNDLE = `const api = acquireVsCodeApi(); api.postMessage({ type: 'ready' }); document.getElementById('app').textContent = 'rendered';`;

async function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/ok' || url.pathname === '/broken') {
      res.writeHead(200, { 'content-type': 'text/html' });
      // /broken: the script's host does not exist (a network error, like an uncontrolled fetch of a webview resource).
      const scriptUri = url.pathname === '/ok' ? `${origin}/bundle.js` : 'http://127.0.0.1:1/bundle.js';
      res.end(webviewHtml({ cspSource: `${origin} http://127.0.0.1:1`, scriptUri, codiconsUri: `${origin}/codicon.css`, title: 'shell' }));
    } else if (url.pathname === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(BUNDLE);
    } else if (url.pathname === '/codicon.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end('body { margin: 0 }');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

test('the page shell reports a script that failed to load, and leaves the VS Code API to the bundle when it loads', { skip, timeout: 120_000 }, async () => {
  const { server, origin } = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    for (const [route, expected] of [['/broken', LOAD_FAILED], ['/ok', 'ready']] as const) {
      const page = await browser.newPage();
      const received: { type: string; url?: string }[] = [];
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (/Content Security Policy|Refused/i.test(m.text())) errors.push(m.text());
      });
      await page.exposeFunction('__toHost', (m: { type: string; url?: string }) => received.push(m));
      // Like VS Code's: callable once per page.
      await page.addInitScript(`
        let acquired = false;
        window.acquireVsCodeApi = () => {
          if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
          acquired = true;
          return { postMessage: (m) => window.__toHost(m), getState: () => undefined, setState: () => {} };
        };
      `);
      await page.goto(origin + route);
      for (let i = 0; i < 200 && received.length === 0; i++) await page.waitForTimeout(50);
      assert.equal(received[0]?.type, expected, `${route}: ${JSON.stringify(received)}`);
      if (expected === LOAD_FAILED) {
        assert.match(received[0].url ?? '', /bundle\.js$/);
        assert.equal(await page.locator('#app').textContent(), '');
      } else {
        assert.equal(await page.locator('#app').textContent(), 'rendered');
      }
      assert.equal(received.length, 1, JSON.stringify(received));
      assert.deepEqual(errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)), []);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
});
