import { randomBytes } from 'node:crypto';

/**
 * The HTML shell of a webview panel. Security (see the webview guide in VS Code's docs):
 * a fresh nonce per render, a CSP that allows only our nonce'd script and styles, fonts and
 * styles from the extension's own resource roots, and no inline event handlers or `eval`
 * (vega runs with its expression interpreter). Every text that reaches the HTML is escaped.
 */
export interface WebviewHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Webview URIs (as strings) of the script bundle and the codicon stylesheet. */
  scriptUri: string;
  codiconsUri: string;
  title: string;
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * The message the page's shell sends when its script or stylesheet failed to load. In a browser
 * (code-server) every webview shares one origin and one service worker, which each webview
 * registers again as it loads: two panels restored side by side after a reload can switch the
 * worker while the other's page is fetching, and that page's bundle fails (a network error) and
 * never runs, so it never says 'ready' and stays blank. The host sets the page again
 * (`panelHost.ts`), which then loads under the settled worker.
 */
export const LOAD_FAILED = 'modelLab.webviewLoadFailed';

/**
 * Runs first in the page: reports a failed load of the page's own script or stylesheet (error
 * events of elements do not bubble, so it listens in the capture phase) through the VS Code API,
 * which it shares with the bundle (`acquireVsCodeApi` may be called once per page).
 */
const SHELL_SCRIPT = `(() => {
  const acquire = window.acquireVsCodeApi;
  if (typeof acquire !== 'function') return;
  let api;
  window.acquireVsCodeApi = () => (api ??= acquire());
  let reported = false;
  window.addEventListener('error', (e) => {
    const t = e.target;
    if (reported || !(t instanceof HTMLScriptElement || t instanceof HTMLLinkElement)) return;
    reported = true;
    window.acquireVsCodeApi().postMessage({ type: '${LOAD_FAILED}', url: String(t.src || t.href).slice(-200) });
  }, true);
})();`;

export function webviewHtml(o: WebviewHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<script nonce="${nonce}">${SHELL_SCRIPT}</script>
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${escapeHtml(o.codiconsUri)}" nonce="${nonce}">
<title>${escapeHtml(o.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}
