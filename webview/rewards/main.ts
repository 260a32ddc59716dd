/**
 * Reward-comparison panel (browser side). Shows the pairwise distance heatmap with pickers for
 * canonicalisation, normalisation and metric, and, for a clicked cell, the per-(state, action)
 * difference heatmap. The specs come from the host (built by the panel contract's builders,
 * `src/panels/rewards/spec.ts`, with the colours this page reports); vega renders them with its expression interpreter (the CSP
 * forbids eval). All text goes through `textContent`, never `innerHTML`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import { parse, View, type TooltipHandler } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { expressionInterpreter } from 'vega-interpreter';
import {
  CANON_OPTIONS,
  METRIC_OPTIONS,
  NORM_OPTIONS,
  isCompareSettings,
  isHostToWebview,
  type CompareSettings,
  type HostToWebview,
  type PanelTheme,
  type RewardsPanelState,
  type WebviewToHost,
} from '../../src/panels/rewards/messages';
import css from './rewards.css';
import { acquireHost, cssVar, el, forwardErrors, icon, injectStyles } from '../shared/dom';
import { chartImage, exportBar } from '../shared/export';

const vscode = acquireHost<WebviewToHost, RewardsPanelState>();

type MatrixMsg = Extract<HostToWebview, { type: 'matrix' }>;
type DifferenceMsg = Extract<HostToWebview, { type: 'difference' }>;

let state: RewardsPanelState | undefined;
let matrix: MatrixMsg | undefined;
let difference: DifferenceMsg | undefined;
const views: { matrix?: View; difference?: View } = {};

/**
 * Resolved theme colours: vega draws SVG attributes, which cannot use `var(...)`. The distance
 * matrix runs from the editor background to a blend of charts-blue (not the full colour, so
 * the cell labels, drawn in the foreground colour, stay readable in light and dark themes);
 * the difference is diverging blue / background / red.
 */
function currentTheme(): PanelTheme {
  const foreground = cssVar('--vscode-foreground', '#cccccc');
  const background = cssVar('--vscode-editor-background', '#1e1e1e');
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  const red = cssVar('--vscode-charts-red', '#f14c4c');
  const font = cssVar('--vscode-font-family', 'sans-serif').replace(/[;{}<>\\]/g, '');
  const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
  return {
    distance: { foreground, font, low: mix(background, foreground, 0.06), high: mix(blue, background, dark ? 0.25 : 0.45) },
    difference: { foreground, font, low: blue, mid: background, high: red },
  };
}

/** `a` blended with `b` (weight t of b), for #rgb / #rrggbb colours; `a` unchanged otherwise. */
function mix(a: string, b: string, t: number): string {
  const pa = parseHex(a);
  const pb = parseHex(b);
  if (!pa || !pb) return a;
  return '#' + pa.map((x, i) => Math.round(x * (1 - t) + pb[i] * t).toString(16).padStart(2, '0')).join('');
}

function parseHex(c: string): [number, number, number] | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c.trim());
  if (!m) return undefined;
  const h = m[1].length === 3 ? [...m[1]].map((x) => x + x).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

injectStyles(css);

// ---- layout ---------------------------------------------------------------------------------
const app = document.getElementById('app') as HTMLElement;
const header = el('header', 'header');
const titleRow = el('div', 'title-row');
const title = el('h1', 'title', 'Reward comparison');
const openButton = iconAction('go-to-file', 'Open the rewards file', () => vscode.postMessage({ type: 'openFile' }));
titleRow.append(icon('symbol-color'), title, openButton);
const summary = el('div', 'summary muted');

const toolbar = el('div', 'toolbar');
const pickers = {
  canon: picker('canon', 'Canonicalisation', CANON_OPTIONS, {
    val: 'VAL (STARC)', epic: 'EPIC', dard: 'DARD', minimal: 'minimal', none: 'none',
  }),
  norm: picker('norm', 'Normalisation', NORM_OPTIONS, normNames()),
  metric: picker('metric', 'Metric', METRIC_OPTIONS, normNames()),
};
const busy = el('div', 'busy');
busy.append(el('vscode-progress-ring'), el('span', 'busy-text'));
busy.hidden = true;
toolbar.append(pickers.canon.root, pickers.norm.root, pickers.metric.root, busy);

const errorBox = el('div', 'error-box');
errorBox.setAttribute('role', 'alert');
errorBox.hidden = true;
const errorWhere = el('div', 'error-where');
const errorText = el('div', 'error-text');
const errorOpen = document.createElement('vscode-button');
errorOpen.setAttribute('secondary', '');
errorOpen.setAttribute('icon', 'go-to-file');
errorOpen.textContent = 'Show in file';
errorOpen.addEventListener('click', () => vscode.postMessage({ type: 'openFile' }));
const errorHead = el('div', 'error-head');
errorHead.append(icon('error'), el('strong', undefined, 'The rewards file cannot be compared'));
errorBox.append(errorHead, errorWhere, errorText, errorOpen);
header.append(titleRow, summary, toolbar, errorBox);

const panes = el('main', 'panes');
const matrixPane = el('section', 'pane');
matrixPane.setAttribute('aria-label', 'Pairwise distances');
const matrixTitle = el('h2', undefined, 'Pairwise distances');
const matrixHint = el('p', 'hint muted', 'Hover a cell for its value; click it to see where the two rewards differ.');
const matrixChart = el('div', 'chart');
const trivialNote = el('p', 'note muted');
trivialNote.hidden = true;
const postError = (message: string) => vscode.postMessage({ type: 'error', message: message.slice(0, 2000) });
const baseName = () => (state?.file.split('/').pop() ?? 'rewards').replace(/\.rewards\.json$/, '');
/** An export of one heatmap: its view as an image, its data (from the host) as CSV. */
function heatmapExport(key: 'matrix' | 'difference', name: () => string, csv: () => string | undefined): HTMLElement {
  const image = (format: 'svg' | 'png') => {
    const v = views[key];
    if (!v) throw new Error('nothing drawn yet');
    return chartImage(v, format);
  };
  const bar = exportBar([
    { format: 'svg', label: 'SVG', name, content: () => image('svg') },
    { format: 'png', label: 'PNG', name, content: () => image('png') },
    { format: 'csv', label: 'CSV', name, content: () => csv() ?? '' },
  ], (m) => vscode.postMessage(m), postError);
  bar.hidden = true;
  return bar;
}
const matrixExport = heatmapExport('matrix', () => `reward-distances-${baseName()}`, () => matrix?.csv);
matrixPane.append(matrixTitle, matrixHint, matrixExport, matrixChart, trivialNote);

const diffPane = el('section', 'pane');
diffPane.setAttribute('aria-label', 'Difference of the selected pair');
const diffTitle = el('h2', undefined, 'Difference by state and action');
const diffHint = el('p', 'hint muted', 'Click a cell of the distance matrix.');
const diffChart = el('div', 'chart');
const diffExport = heatmapExport('difference', () => `reward-difference-${baseName()}-${difference?.title ?? ''}`, () => difference?.csv);
diffPane.append(diffTitle, diffHint, diffExport, diffChart);
panes.append(matrixPane, diffPane);

const tooltip = el('div', 'tooltip');
tooltip.hidden = true;
tooltip.setAttribute('role', 'tooltip');
app.append(header, panes, tooltip);

function normNames(): Record<string, string> {
  return { '1': 'L1', '2': 'L2', inf: 'L∞', weighted_1: 'weighted L1', weighted_2: 'weighted L2', weighted_inf: 'weighted L∞', none: 'none' };
}

function picker(key: keyof CompareSettings, label: string, options: readonly string[], names: Record<string, string>): { root: HTMLElement; select: HTMLElement & { value: string } } {
  const root = el('div', 'picker');
  const id = `pick-${key}`;
  const lab = document.createElement('vscode-label');
  lab.setAttribute('for', id);
  lab.textContent = label;
  const select = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  select.id = id;
  select.setAttribute('aria-label', label);
  for (const o of options) {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', o);
    opt.textContent = names[o] ?? o;
    select.append(opt);
  }
  select.addEventListener('change', () => onPick());
  root.append(lab, select);
  return { root, select };
}

function iconAction(name: string, label: string, onClick: () => void): HTMLElement {
  const i = icon(name);
  i.setAttribute('action-icon', '');
  i.setAttribute('label', label);
  i.title = label;
  i.addEventListener('click', onClick);
  return i;
}

function onPick(): void {
  if (!state) return;
  const settings = { canon: pickers.canon.select.value, norm: pickers.norm.select.value, metric: pickers.metric.select.value };
  if (!isCompareSettings(settings)) return;
  state = { ...state, settings };
  vscode.setState(state);
  vscode.postMessage({ type: 'settings', settings });
}

function showSettings(s: CompareSettings): void {
  pickers.canon.select.value = s.canon;
  pickers.norm.select.value = s.norm;
  pickers.metric.select.value = s.metric;
}

// ---- messages -------------------------------------------------------------------------------
window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  // Only the host posts here; anything else (or a malformed message) is dropped.
  if (!isHostToWebview(m)) return;
  switch (m.type) {
    case 'init':
      state = m.state;
      vscode.setState(state);
      title.textContent = m.fileName;
      showSettings(m.state.settings);
      return;
    case 'busy':
      busy.hidden = false;
      (busy.querySelector('.busy-text') as HTMLElement).textContent = m.text;
      return;
    case 'error':
      busy.hidden = true;
      errorBox.hidden = false;
      errorWhere.textContent = m.where ?? '';
      errorWhere.hidden = !m.where;
      errorText.textContent = m.text;
      panes.classList.add('stale');
      return;
    case 'matrix':
      busy.hidden = true;
      errorBox.hidden = true;
      panes.classList.remove('stale');
      if (difference && (!matrix || matrix.names.join('\u0000') !== m.names.join('\u0000') || !sameSettings(matrix.settings, m.settings))) difference = undefined;
      matrix = m;
      showSettings(m.settings);
      renderSummary(m);
      void renderMatrix();
      if (!difference) void renderDifference();
      return;
    case 'difference':
      busy.hidden = true;
      difference = m;
      void renderDifference();
      return;
  }
});

function sameSettings(a: CompareSettings, b: CompareSettings): boolean {
  return a.canon === b.canon && a.norm === b.norm && a.metric === b.metric;
}

function renderSummary(m: MatrixMsg): void {
  const s = m.summary;
  const ms = s.seconds * 1000;
  const time = ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${s.seconds.toFixed(2)} s`;
  summary.textContent = `${s.rewards} rewards · ${s.states} states × ${s.actions} actions · discount ${s.discount} · computed in ${time}`;
  trivialNote.hidden = s.trivial.length === 0;
  trivialNote.textContent = s.trivial.length
    ? `Trivial (a constant plus potential shaping, canonicalised to zero): ${s.trivial.join(', ')}. Their standardised reward is 0.`
    : '';
}

// ---- charts ---------------------------------------------------------------------------------
const showTooltip: TooltipHandler = (_handler, event, _item, value) => {
  if (value === undefined || value === null || value === '') {
    tooltip.hidden = true;
    return;
  }
  const rows = typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [['', value]];
  tooltip.replaceChildren(
    ...rows.map(([k, v]) => {
      const row = el('div', 'tip-row');
      if (k) row.append(el('span', 'tip-key', k));
      row.append(el('span', 'tip-value', String(v)));
      return row;
    }),
  );
  tooltip.hidden = false;
  const e = event as MouseEvent;
  const pad = 14;
  const { width, height } = tooltip.getBoundingClientRect();
  const x = e.clientX + pad + width > window.innerWidth ? e.clientX - pad - width : e.clientX + pad;
  const y = e.clientY + pad + height > window.innerHeight ? e.clientY - pad - height : e.clientY + pad;
  tooltip.style.left = `${Math.max(0, x)}px`;
  tooltip.style.top = `${Math.max(0, y)}px`;
};

async function renderSpec(spec: Record<string, unknown>, host: HTMLElement, key: 'matrix' | 'difference'): Promise<View | undefined> {
  try {
    const compiled = compile(spec as unknown as TopLevelSpec).spec;
    const view = new View(parse(compiled, undefined, { ast: true }), {
      expr: expressionInterpreter as never,
      renderer: 'svg',
      hover: true,
      tooltip: showTooltip,
    });
    const target = el('div', 'chart-host');
    await view.initialize(target).runAsync();
    views[key]?.finalize();
    views[key] = view;
    host.replaceChildren(target);
    return view;
  } catch (e) {
    vscode.postMessage({ type: 'error', message: `${key} chart: ${(e as Error).message}`.slice(0, 2000) });
    return undefined;
  }
}

async function renderMatrix(): Promise<void> {
  if (!matrix) return;
  const view = await renderSpec(matrix.spec, matrixChart, 'matrix');
  matrixExport.hidden = !view;
  view?.addEventListener('click', (_event, item) => {
    const d = (item as { datum?: { i?: unknown; j?: unknown } } | null | undefined)?.datum;
    if (typeof d?.i !== 'number' || typeof d?.j !== 'number') return;
    vscode.postMessage({ type: 'selectPair', row: d.i, col: d.j });
  });
  matrixChart.dataset.cells = String(matrix.names.length ** 2);
}

async function renderDifference(): Promise<void> {
  if (!difference || !matrix) {
    views.difference?.finalize();
    views.difference = undefined;
    diffChart.replaceChildren();
    diffExport.hidden = true;
    diffTitle.textContent = 'Difference by state and action';
    diffHint.textContent = 'Click a cell of the distance matrix to compare two rewards per state and action.';
    return;
  }
  diffTitle.textContent = `Difference: ${difference.title}`;
  diffHint.textContent = `Standardised rewards s(R) = c(R) / n(c(R)) (${pickerText()}), difference averaged over s' ~ T(s, a); largest |difference| ${difference.maxAbs.toPrecision(3)}.`;
  diffExport.hidden = !(await renderSpec(difference.spec, diffChart, 'difference'));
}

function pickerText(): string {
  if (!matrix) return '';
  const n = normNames();
  return `${matrix.settings.canon}, ${n[matrix.settings.norm]} normalisation`;
}

function rerenderForTheme(): void {
  tooltip.hidden = true;
  vscode.postMessage({ type: 'theme', theme: currentTheme() });
}

// VS Code swaps the theme by changing the body class and the CSS variables on <html>.
new MutationObserver(() => rerenderForTheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
document.addEventListener('scroll', () => (tooltip.hidden = true), true);
forwardErrors((m) => vscode.postMessage(m));

// Restore the pickers from saved state at once (the host confirms with `init`).
const saved = vscode.getState();
if (saved && typeof saved === 'object' && isCompareSettings((saved as RewardsPanelState).settings)) showSettings((saved as RewardsPanelState).settings);
void renderDifference();
vscode.postMessage({ type: 'ready', theme: currentTheme() });
