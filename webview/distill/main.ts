/**
 * Distillation panel (browser side): the run's header (teacher, student, status), per stage the
 * loss lanes on one step axis, the arms' accuracy / parameters / ms per example next to the
 * teacher (bars and a table), and for data-free arms a gallery of synthetic inputs per class and
 * the teacher's batch-norm match per layer. Charts are Vega-Lite specs from the panel contract,
 * rendered with vega's expression interpreter (no eval under the CSP); images on canvases; text
 * only through `textContent`. Export posts to the host, which asks where to save.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { View } from 'vega';
import { isHostToWebview, type DistillPanelState, type WebviewToHost } from '../../src/panels/distill/messages';
import { armsSpec, batchNormSpec, stageLanesSpec, type DistillChartTheme } from '../../src/panels/distill/spec';
import { ARM_CSV_HEADER, armCsvRows, armRows, className, galleryByClass, imageGreys, LOSS_CSV_HEADER, lossCsvRows, type DistillArmView, type DistillView } from '../../src/panels/distill/viewModel';
import { toCsv } from '../../src/panels/shared/export';
import { formatCount, formatPercent, formatSeconds } from '../../src/panels/shared/format';
import css from './distill.css';
import { acquireHost, baseChartTheme, cssVar, el, forwardErrors, icon, injectStyles, onNextFrame } from '../shared/dom';
import { chartImage, exportBar } from '../shared/export';
import { renderVegaLite } from '../shared/rlCards';

const vscode = acquireHost<WebviewToHost, DistillPanelState>();
injectStyles(css);
forwardErrors((m) => vscode.postMessage(m));

const app = document.getElementById('app') as HTMLElement;
let view: DistillView | undefined;
const views = new Map<string, View>();

function theme(): DistillChartTheme {
  return { ...baseChartTheme(), reference: cssVar('--vscode-editorWarning-foreground', '#cca700') };
}

const header = el('header', 'header');
const notice = el('div', 'notice');
notice.hidden = true;
const empty = el('div', 'empty');
empty.append(el('vscode-progress-ring'), el('span', undefined, 'Waiting for the run to start…'));
const armsSection = el('section', 'arms');
armsSection.setAttribute('aria-label', 'Arms');
const lanesSection = el('section', 'lanes');
lanesSection.setAttribute('aria-label', 'Losses');
const dataFreeSection = el('section', 'data-free');
dataFreeSection.setAttribute('aria-label', 'Data-free arms');
app.append(header, notice, empty, armsSection, lanesSection, dataFreeSection);

const post = (m: WebviewToHost) => vscode.postMessage(m);
const reportError = (message: string) => post({ type: 'error', message: message.slice(0, 2000) });
const fileBase = () => (view ? `${view.experiment}-${view.runId.slice(-4)}` : 'distill');

/** Stable containers for the charts (kept across updates, so the charts redraw in place). */
const armsChart = el('div', 'chart arms-chart');
armsChart.setAttribute('aria-label', 'Accuracy, parameters and ms per example per arm');
const armsTable = el('table', 'arms-table');
const bnChart = el('div', 'chart bn-chart');
bnChart.setAttribute('aria-label', 'Batch-norm statistics match per teacher layer');
const gallery = el('div', 'gallery');

const chartExports = (key: string, name: string) => [
  { format: 'svg' as const, label: 'SVG', name: () => `${fileBase()}-${name}`, content: () => chartImage(requireView(key), 'svg') },
  { format: 'png' as const, label: 'PNG', name: () => `${fileBase()}-${name}`, content: () => chartImage(requireView(key), 'png') },
];

function requireView(key: string): View {
  const v = views.get(key);
  if (!v) throw new Error('the chart is not drawn yet');
  return v;
}

armsSection.append(
  el('h2', 'section', 'Arms next to the teacher'),
  armsChart,
  exportBar([...chartExports('arms', 'arms'), { format: 'csv', label: 'CSV', name: () => `${fileBase()}-arms`, content: () => (view ? toCsv(ARM_CSV_HEADER, armCsvRows(view)) : '') }], post, reportError),
  armsTable,
);

function renderHeader(v: DistillView): void {
  const title = el('div', 'title-row');
  title.append(icon('beaker'), el('h1', 'title', v.experiment), el('span', `status status-${v.status}`, v.status));
  const actions = el('div', 'actions');
  if (v.status === 'running') {
    const cancel = el('vscode-button');
    cancel.setAttribute('secondary', '');
    cancel.textContent = 'Cancel run';
    cancel.addEventListener('click', () => post({ type: 'cancelRun', runId: v.runId }));
    actions.append(cancel);
  }
  const open = el('vscode-button');
  open.setAttribute('secondary', '');
  open.textContent = 'Open experiment';
  open.addEventListener('click', () => post({ type: 'openExperiment', runId: v.runId }));
  actions.append(open);
  title.append(actions);
  const facts: string[] = [];
  if (v.teacher) facts.push(`teacher ${formatCount(v.teacher.parameters)} parameters${v.teacher.accuracy !== undefined ? `, ${formatPercent(v.teacher.accuracy)} test accuracy` : ''}`);
  if (v.student) facts.push(`student ${formatCount(v.student.parameters)} parameters${v.teacher ? ` (${(v.teacher.parameters / v.student.parameters).toFixed(1)}x smaller)` : ''}`);
  facts.push(`${v.arms.filter((a) => a.state === 'done' && a.name !== 'general').length}/${v.arms.filter((a) => a.name !== 'general').length} arms done`);
  if (v.resumed) facts.push('resumed');
  if (v.backend) facts.push(`backend ${v.backend}`);
  const sub = el('div', 'subtitle', facts.join(' · '));
  sub.title = v.runDir;
  header.replaceChildren(title, sub, ...(v.message ? [el('div', 'run-message', v.message)] : []));
}

function renderTable(v: DistillView): void {
  const head = el('tr');
  for (const h of ['arm', 'method', 'test accuracy', 'of teacher', 'parameters', 'smaller', 'ms / example', 'faster', 'train time']) head.append(el('th', undefined, h));
  const rows = armRows(v).map((r) => {
    const tr = el('tr', r.teacher ? 'teacher-row' : undefined);
    tr.dataset.arm = r.name;
    const arm = v.arms.find((a) => a.name === r.name);
    const state = arm && arm.state !== 'done' ? ` (${arm.state})` : '';
    const cells = [
      `${r.name}${state}`, r.method,
      r.accuracy === undefined ? '—' : formatPercent(r.accuracy),
      r.ofTeacher === undefined ? '—' : formatPercent(r.ofTeacher),
      r.parameters === undefined ? '—' : formatCount(r.parameters),
      r.smaller === undefined ? '—' : `${r.smaller.toFixed(1)}x`,
      r.msPerExample === undefined ? '—' : String(Number(r.msPerExample.toPrecision(3))),
      r.faster === undefined ? '—' : `${r.faster.toFixed(1)}x`,
      r.trainSeconds === undefined ? '—' : formatSeconds(r.trainSeconds),
    ];
    for (const c of cells) tr.append(el('td', undefined, c));
    return tr;
  });
  armsTable.replaceChildren(head, ...rows);
}

/** The lanes: one block per stage (kept by name so charts redraw in place). */
const stageBlocks = new Map<string, HTMLElement>();

function renderLanes(v: DistillView): void {
  if (v.stages.length === 0) {
    lanesSection.replaceChildren();
    return;
  }
  const blocks = v.stages.map((s) => {
    let b = stageBlocks.get(s.name);
    if (!b) {
      b = el('div', 'chart stage-lanes');
      stageBlocks.set(s.name, b);
    }
    b.dataset.stage = s.name;
    b.dataset.lanes = String(s.lanes.length);
    b.setAttribute('aria-label', `Stage ${s.name}: ${s.lanes.join(', ')}`);
    return b;
  });
  lanesSection.replaceChildren(
    el('h2', 'section', 'Losses per stage'),
    exportBar([{ format: 'csv', label: 'CSV', name: () => `${fileBase()}-losses`, content: () => (view ? toCsv(LOSS_CSV_HEADER, lossCsvRows(view)) : '') }], post, reportError),
    ...blocks,
  );
}

function renderGallery(v: DistillView, arms: DistillArmView[]): void {
  const blocks = arms.filter((a) => (a.gallery ?? []).length > 0).map((a) => {
    const block = el('div', 'gallery-arm');
    block.dataset.arm = a.name;
    block.append(el('h3', 'gallery-title', `${a.name}: synthetic inputs per class${a.examples ? ` (of ${formatCount(a.examples)})` : ''}`));
    for (const c of galleryByClass(a)) {
      const row = el('div', 'gallery-row');
      row.dataset.label = String(c.label);
      row.append(el('div', 'gallery-class', className(v, c.label)));
      for (const values of c.images) row.append(exampleCanvas(v, values, `${a.name}, class ${className(v, c.label)}`));
      block.append(row);
    }
    return block;
  });
  gallery.replaceChildren(...blocks);
}

/** One synthetic input: an image for image data, else a strip of its values. */
function exampleCanvas(v: DistillView, values: number[], label: string): HTMLCanvasElement {
  const [h, w, c] = v.imageShape ?? [1, values.length, 1];
  const canvas = el('canvas', v.imageShape ? 'example image' : 'example strip');
  canvas.width = w;
  canvas.height = h;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const greys = imageGreys(values);
  const image = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    const o = p * 4;
    if (c >= 3) {
      image.data[o] = greys[p * c];
      image.data[o + 1] = greys[p * c + 1];
      image.data[o + 2] = greys[p * c + 2];
    } else {
      image.data[o] = image.data[o + 1] = image.data[o + 2] = greys[p * c] ?? 0;
    }
    image.data[o + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function renderDataFree(v: DistillView): void {
  const arms = v.arms.filter((a) => a.dataFree);
  if (arms.length === 0) {
    dataFreeSection.replaceChildren();
    return;
  }
  renderGallery(v, arms);
  const parts: HTMLElement[] = [el('h2', 'section', 'Data-free arms')];
  if (arms.some((a) => (a.batchNorm ?? []).length > 0)) {
    parts.push(bnChart, exportBar(chartExports('bn', 'batchnorm-match'), post, reportError));
  } else if (v.teacher && v.teacher.batchNormLayers.length === 0) {
    parts.push(el('p', 'note', 'The teacher has no batch-norm layers: there are no statistics to match.'));
  }
  parts.push(gallery);
  if (!arms.some((a) => a.state === 'done')) parts.push(el('p', 'note', 'The synthetic inputs and the batch-norm match appear when a data-free arm finishes.'));
  dataFreeSection.replaceChildren(...parts);
}

function render(): void {
  if (!view) return;
  const v = view;
  empty.hidden = v.teacher !== undefined;
  renderHeader(v);
  renderTable(v);
  renderLanes(v);
  renderDataFree(v);
  onNextFrame(drawCharts);
}

async function drawCharts(): Promise<void> {
  const v = view;
  if (!v) return;
  const t = theme();
  const width = Math.max(360, app.clientWidth - 20);
  try {
    views.set('arms', await renderVegaLite(armsSpec(v, { width, theme: t }), armsChart, views.get('arms')));
    for (const s of v.stages) {
      const block = stageBlocks.get(s.name);
      if (block) views.set(`stage:${s.name}`, await renderVegaLite(stageLanesSpec(v, s.name, { width, theme: t }), block, views.get(`stage:${s.name}`)));
    }
    if (v.arms.some((a) => a.dataFree && (a.batchNorm ?? []).length > 0)) views.set('bn', await renderVegaLite(batchNormSpec(v, { width, theme: t }), bnChart, views.get('bn')));
  } catch (e) {
    reportError(`chart: ${(e as Error).message}`);
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) return;
  if (m.type === 'notice') {
    notice.hidden = false;
    notice.className = `notice ${m.level}`;
    notice.textContent = m.text;
    return;
  }
  notice.hidden = true;
  view = m.view;
  vscode.setState({ runDir: m.view.runDir });
  render();
});
window.addEventListener('resize', () => onNextFrame(drawCharts));
new MutationObserver(() => onNextFrame(drawCharts)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

post({ type: 'ready' });
