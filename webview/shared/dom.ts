/**
 * Browser-side plumbing shared by the Model Lab webviews: the typed VS Code API, the panel
 * stylesheet injected under the page's CSP nonce, small DOM builders (text only through
 * `textContent`, never `innerHTML`), theme variables, and forwarding uncaught errors to the
 * extension host's log. Each panel's `main.ts` keeps only its own rendering and messages.
 */

export interface VsCodeApi<Out, State> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): VsCodeApi<never, never>;

/** The VS Code API (callable once per page), typed with the panel's message and state types. */
export function acquireHost<Out, State>(): VsCodeApi<Out, State> {
  return acquireVsCodeApi() as unknown as VsCodeApi<Out, State>;
}

/** Adds the panel's CSS as a <style> carrying the nonce of the page's script (the CSP allows only that). */
export function injectStyles(css: string): void {
  const style = document.createElement('style');
  style.nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
  style.textContent = css;
  document.head.appendChild(style);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A codicon (`vscode-icon` element). */
export function icon(name: string, spin = false): HTMLElement {
  const i = document.createElement('vscode-icon');
  i.setAttribute('name', name);
  if (spin) i.setAttribute('spin', '');
  return i;
}

/** A theme variable's resolved value (vega draws SVG attributes, which cannot use `var(...)`). */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * The colours and font every chart takes from the VS Code theme: text, muted text, grid lines,
 * font, and one colour per run (VS Code's chart palette). Panels add their own on top.
 */
export function baseChartTheme(): { foreground: string; mutedForeground: string; grid: string; fontFamily: string; fontSize: number; runColors: string[] } {
  return {
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    mutedForeground: cssVar('--vscode-descriptionForeground', '#9d9d9d'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    fontFamily: cssVar('--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(cssVar('--vscode-font-size', '13')) || 13,
    runColors: ['blue', 'orange', 'green', 'purple', 'red', 'yellow'].map((c, i) =>
      cssVar(`--vscode-charts-${c}`, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i]),
    ),
  };
}

/** Sends uncaught errors of the page to the host, which logs them. */
export function forwardErrors(post: (message: { type: 'error'; message: string }) => void): void {
  window.addEventListener('error', (e) => post({ type: 'error', message: String(e.message).slice(0, 2000) }));
}

const nextFrame = new Set<() => unknown>();

/**
 * Runs `fn` on the next animation frame, once however often it is asked for before then: a
 * resize, a theme change and new data in the same frame draw the charts once.
 */
export function onNextFrame(fn: () => unknown): void {
  if (nextFrame.has(fn)) return;
  nextFrame.add(fn);
  requestAnimationFrame(() => {
    nextFrame.delete(fn);
    void fn();
  });
}
