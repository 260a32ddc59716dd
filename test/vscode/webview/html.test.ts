import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, escapeHtml, makeNonce, webviewHtml } from '../../../src/vscode/webview/html';

test('the CSP allows only nonce scripts, no eval, no inline styles without the nonce', () => {
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'abc123');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
  assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
});

test('nonces are fresh and alphanumeric', () => {
  const a = makeNonce();
  assert.match(a, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(a, makeNonce());
});

test('the HTML escapes every inserted text and tags the script with the nonce', () => {
  const html = webviewHtml({ cspSource: 'vscode-resource:', scriptUri: 'https://a/b.js?x="><script>', codiconsUri: 'https://a/c.css', title: '<img src=x onerror=alert(1)>', nonce: 'N0NCE' });
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(!html.includes('"><script>'));
  assert.match(html, /<script nonce="N0NCE" src="/);
  // The bundle, and the shell before it (it reports a failed load: see LOAD_FAILED), both with the nonce.
  assert.equal((html.match(/<script/g) ?? []).length, 2);
  assert.equal((html.match(/<script nonce="N0NCE"/g) ?? []).length, 2);
  assert.ok(html.indexOf('<script nonce="N0NCE">') < html.indexOf('<link'), 'the shell listens before the stylesheet and the script load');
  assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
});
