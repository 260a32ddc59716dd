/**
 * Diffusion results panel (browser side). diffusion-policy: data vs sampled actions with the
 * modes circled, a slider over the denoising steps of the reverse chain (the samples collapse
 * from noise onto the modes), per-mode bars and the headline numbers. diffusion (the Frido
 * miniature): per schedule the sample grid per class at each stage (coarse decode, full decode),
 * the distance and class consistency over training of both schedules overlaid, PNG export.
 * Charts are Vega-Lite specs from the panel contract, rendered with vega's expression
 * interpreter (no eval under the CSP); grids are drawn on canvases; all text via `textContent`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { expressionInterpreter } from 'vega-interpreter';
import { isHostToWebview, type DiffusionPanelState, type WebviewToHost } from '../../src/panels/diffusion/messages';
import { toCsv } from '../../src/panels/shared/export';
import {
  ACTIONS_CSV_HEADER, actionCsvRows, GENERATION_CSV_HEADER, generationCsvRows, generationCurveSpec, MODES_CSV_HEADER, modeBarsSpec, modeCsvRows, policyScatterSpec, type DiffusionTheme,
} from '../../src/panels/diffusion/spec';
import type { GenerationView, PolicyView } from '../../src/panels/diffusion/viewModel';
import css from './diffusion.css';
import { acquireHost, cssVar, el, forwardErrors, injectStyles } from '../shared/dom';
import { chartExports } from '../shared/export';

const vscode = acquireHost<WebviewToHost, DiffusionPanelState>();
injectStyles(css);
forwardErrors((m) => vscode.postMessage(m));

const app = document.getElementById('app')!;
const views = new Map<HTMLElement, View>();
/** The chain state the slider shows; undefined = the last (the final actions). */
let frame: number | undefined;

function theme(): DiffusionTheme {
  return {
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-editorWidget-border', '#454545'),
    fontFamily: cssVar('--vscode-font-family', 'sans-serif').replace(/[;{}<>\\]/g, ''),
    data: cssVar('--vscode-descriptionForeground', '#9d9d9d'),
    samples: cssVar('--vscode-charts-blue', '#3794ff'),
    arms: [cssVar('--vscode-charts-blue', '#3794ff'), cssVar('--vscode-charts-orange', '#d18616')],
  };
}

/** The export bar of the chart drawn into `target` (shown once it is drawn). */
function exportsOf(target: HTMLElement, name: () => string, csv: () => string): HTMLElement {
  const bar = chartExports(() => views.get(target), name, csv, (m) => vscode.postMessage(m), (message) => vscode.postMessage({ type: 'error', message }));
  exportBars.set(target, bar);
  return bar;
}
const exportBars = new WeakMap<HTMLElement, HTMLElement>();

async function draw(target: HTMLElement, spec: TopLevelSpec): Promise<void> {
  try {
    const next = new View(parse(compile(spec).spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'svg', hover: true });
    const host = el('div', 'chart-host');
    await next.initialize(host).runAsync();
    views.get(target)?.finalize();
    views.set(target, next);
    target.replaceChildren(host);
    const bar = exportBars.get(target);
    if (bar) bar.hidden = false;
  } catch (e) {
    vscode.postMessage({ type: 'error', message: `chart: ${(e as Error).message}`.slice(0, 2000) });
  }
}

const pct = (x: number | undefined): string => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

function metric(label: string, value: string): HTMLElement {
  const m = el('div', 'metric');
  m.append(el('div', 'metric-value', value), el('div', 'metric-label', label));
  return m;
}

function header(title: string, subtitle: string, metrics: HTMLElement[]): HTMLElement {
  const h = el('div', 'header');
  h.append(el('h1', 'title', title), el('div', 'subtitle', subtitle));
  const row = el('div', 'metrics');
  row.append(...metrics);
  h.append(row);
  return h;
}

function renderPolicy(v: PolicyView): void {
  const t = theme();
  const scatter = el('div', 'chart scatter');
  const bars = el('div', 'chart bars');
  const parts: HTMLElement[] = [
    header(`${v.experiment}`, `diffusion-policy · ${v.arm} · ${v.status}`, [
      metric('on a data mode', pct(v.onMode)),
      metric('on the best-reward mode', pct(v.bestModeShare)),
      metric('expected reward', v.expectedReward === undefined ? '—' : v.expectedReward.toFixed(2)),
      ...(v.success === undefined ? [] : [metric('goal reached (rollouts)', pct(v.success))]),
    ]),
  ];
  if (v.note) parts.push(el('p', 'note', v.note));
  const chain = v.chain;
  if (chain && chain.states.length > 1) {
    const last = chain.states.length - 1;
    const current = Math.min(frame ?? last, last);
    const slider = el('input', 'chain-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(last);
    slider.value = String(current);
    slider.setAttribute('aria-label', 'denoising step');
    const caption = el('span', 'chain-caption', chainCaption(chain.timesteps[current], chain.states[current].length / 2));
    slider.addEventListener('input', () => {
      frame = Number(slider.value);
      caption.textContent = chainCaption(chain.timesteps[frame], chain.states[frame].length / 2);
      void draw(scatter, policyScatterSpec(v, frame, t));
    });
    const row = el('div', 'chain-row');
    row.append(el('label', 'chain-label', 'Denoising step'), slider, caption);
    parts.push(row);
    void draw(scatter, policyScatterSpec(v, current, t));
  } else {
    void draw(scatter, policyScatterSpec(v, undefined, t));
  }
  const base = `${v.runId}-${v.arm}`;
  parts.push(
    scatter,
    exportsOf(scatter, () => `${base}-actions`, () => toCsv(ACTIONS_CSV_HEADER, actionCsvRows(v))),
    el('h2', 'section', 'Samples per mode'),
    bars,
    ...(v.modes.length ? [exportsOf(bars, () => `${base}-modes`, () => toCsv(MODES_CSV_HEADER, modeCsvRows(v)))] : []),
  );
  if (v.modes.length) void draw(bars, modeBarsSpec(v, t));
  app.replaceChildren(...parts);
}

function chainCaption(t: number, count: number): string {
  return t < 0 ? `x_T: ${count} samples of pure noise` : t === 0 ? `t = 0: the ${count} sampled actions` : `after denoising step t = ${t}`;
}

function renderGeneration(v: GenerationView): void {
  const t = theme();
  const metrics = v.arms.flatMap((a) => [metric(`${a.arm}: distance (ours, not FID)`, a.distance === undefined ? '—' : a.distance.toFixed(2)), metric(`${a.arm}: class consistency`, pct(a.classConsistency))]);
  if (v.classifierAccuracy !== undefined) metrics.push(metric('measuring classifier, held out', pct(v.classifierAccuracy)));
  const parts: HTMLElement[] = [header(v.experiment, `diffusion (Frido miniature) · ${v.status}`, metrics)];
  if (v.curve.length) {
    const curve = el('div', 'chart curve');
    parts.push(el('h2', 'section', 'Over training'), curve, exportsOf(curve, () => `${v.runId}-over-training`, () => toCsv(GENERATION_CSV_HEADER, generationCsvRows(v))));
    void draw(curve, generationCurveSpec(v, t));
  }
  for (const g of v.grids) {
    const section = el('div', 'grid-section');
    const title = el('div', 'grid-title');
    const button = el('vscode-button', 'export');
    button.textContent = 'Export PNG';
    button.setAttribute('secondary', '');
    button.addEventListener('click', () => vscode.postMessage({ type: 'exportGrid', arm: g.arm }));
    title.append(el('h2', 'section', `${g.arm}: coarse decode, then full decode`), button);
    section.append(title, gridTable(g, v.classNames));
    parts.push(section);
  }
  if (!v.grids.length) parts.push(el('p', 'note', v.status === 'running' ? 'sample grids appear when the run completes' : 'this run left no sample grids'));
  app.replaceChildren(...parts);
}

/** One row per class: its name, then `perClass` coarse decodes and the same samples fully decoded. */
function gridTable(g: GenerationView['grids'][number], classNames: string[]): HTMLElement {
  const bytes = Uint8Array.from(atob(g.pixels), (c) => c.charCodeAt(0));
  const table = el('div', 'grid');
  for (let c = 0; c < g.classes; c++) {
    const row = el('div', 'grid-row');
    row.append(el('div', 'grid-class', classNames[c] ?? String(c)));
    for (let stage = 0; stage < 2; stage++) {
      const canvas = el('canvas', `grid-images stage-${stage}`);
      canvas.width = 28 * g.perClass;
      canvas.height = 28;
      canvas.setAttribute('aria-label', `${classNames[c] ?? c}, ${stage === 0 ? 'coarse decode' : 'full decode'}`);
      const ctx = canvas.getContext('2d')!;
      const image = ctx.createImageData(canvas.width, 28);
      for (let k = 0; k < g.perClass; k++) {
        const base = ((stage * g.classes + c) * g.perClass + k) * 784;
        for (let y = 0; y < 28; y++) {
          for (let x = 0; x < 28; x++) {
            const v = bytes[base + y * 28 + x] ?? 0;
            const o = (y * canvas.width + k * 28 + x) * 4;
            image.data[o] = image.data[o + 1] = image.data[o + 2] = v;
            image.data[o + 3] = 255;
          }
        }
      }
      ctx.putImageData(image, 0, 0);
      row.append(canvas);
    }
    table.append(row);
  }
  return table;
}

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (!isHostToWebview(m)) return;
  if (m.type === 'notice') {
    app.replaceChildren(el('p', `notice ${m.level}`, m.text));
    return;
  }
  vscode.setState({ runDir: m.view.runDir });
  if (m.view.kind === 'diffusion-policy') renderPolicy(m.view);
  else renderGeneration(m.view);
});

vscode.postMessage({ type: 'ready' });
