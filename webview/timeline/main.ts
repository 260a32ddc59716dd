/**
 * Freezing timeline panel (browser side). Receives run timelines from the extension host,
 * draws per-run summary cards, the charts (a Vega-Lite spec from the shared pure builder,
 * rendered by vega with its expression interpreter: the CSP forbids eval) and the list of
 * freeze events. All text goes through `textContent`, never `innerHTML`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import { expressionInterpreter } from 'vega-interpreter';
import { isHostToWebview, type ConfigDiffRow, type TimelineState, type WebviewToHost } from '../../src/panels/timeline/messages';
import type { TimelineRun } from '../../src/panels/timeline/viewModel';
import { configDiffTable, latestSaving } from '../../src/panels/timeline/viewModel';
import { confusionMatrixSpec, runLabels, timelineSpec, type ChartTheme } from '../../src/panels/timeline/spec';
import { formatPercent, formatSaving, formatSeconds } from '../../src/panels/shared/format';
import css from './timeline.css';
import { acquireHost, baseChartTheme, cssVar, el, forwardErrors, icon, injectStyles, onNextFrame } from '../shared/dom';
import { chartImage, exportBar } from '../shared/export';
import { confusionMatrixCsv, epochsCsv, layersCsv, perClassCsv } from '../../src/panels/timeline/csv';

const vscode = acquireHost<WebviewToHost, TimelineState>();

let runs: TimelineRun[] = [];
let view: View | undefined;

function currentTheme(): ChartTheme {
  return {
    ...baseChartTheme(),
    laneColors: {
      training: cssVar('--vscode-charts-orange', '#d18616'),
      frozen: cssVar('--vscode-charts-blue', '#3794ff'),
      pending: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    },
  };
}

const app = document.getElementById('app') as HTMLElement;
injectStyles(css);

const header = el('header', 'header');
const titleRow = el('div', 'title-row');
titleRow.append(icon('graph-line'), el('h1', 'title', 'Freezing Timeline'));
const notice = el('div', 'notice');
notice.hidden = true;
header.append(titleRow, notice);
const cards = el('section', 'cards');
cards.setAttribute('aria-label', 'Runs');
const chart = el('section', 'chart');
chart.setAttribute('aria-label', 'Timeline charts');
const postError = (message: string) => vscode.postMessage({ type: 'error', message: message.slice(0, 2000) });
/** File names say what is in them: the experiment(s) shown. */
const exportName = (what: string, run?: TimelineRun) => [what, ...(run ? [run.experiment, run.runId] : [...new Set(runs.map((r) => r.experiment))])].join('-');
const chartExport = exportBar([
  { format: 'svg', label: 'SVG', name: () => exportName('timeline'), content: () => chartImage(requireView(), 'svg') },
  { format: 'png', label: 'PNG', name: () => exportName('timeline'), content: () => chartImage(requireView(), 'png') },
  { format: 'csv', label: 'Epochs CSV', name: () => exportName('timeline-epochs'), content: () => epochsCsv(runs) },
  { format: 'csv', label: 'Layers CSV', name: () => exportName('timeline-layers'), content: () => layersCsv(runs) },
], (m) => vscode.postMessage(m), postError);
chartExport.classList.add('chart-export');
chartExport.hidden = true;

function requireView(): View {
  if (!view) throw new Error('the chart is not drawn yet');
  return view;
}
const freezeSection = el('section', 'freezes');
const freezeTitle = el('h2', undefined, 'Freeze events');
const freezeList = el('ul', 'freeze-list');
freezeSection.append(freezeTitle, freezeList);
const results = el('section', 'results');
results.setAttribute('aria-label', 'Test-set results per class');
const empty = el('div', 'empty');
empty.append(el('vscode-progress-ring'), el('span', undefined, 'Waiting for the run to report its first events…'));
// Overlaid runs: the configuration fields in which they differ (only those).
const configDiff = el('section', 'config-diff');
configDiff.id = 'config-diff';
configDiff.hidden = true;
let diffRows: ConfigDiffRow[] | undefined;
app.append(header, empty, cards, configDiff, chartExport, chart, results, freezeSection);

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) {
    // Only the host can post here; anything else (or a malformed message) is dropped.
    return;
  }
  if (m.type === 'notice') {
    notice.hidden = false;
    notice.className = `notice ${m.level}`;
    notice.textContent = m.text;
    return;
  }
  runs = m.runs;
  diffRows = m.configDiff;
  notice.hidden = true; // the host re-sends a notice that still applies right after the runs
  (header.querySelector('.title') as HTMLElement).textContent = m.title;
  vscode.setState({ runDirs: runs.map((r) => r.runDir) });
  renderAll();
});

window.addEventListener('resize', () => onNextFrame(drawCharts));
// VS Code swaps the theme by changing the body class and the CSS variables on <html>.
new MutationObserver(() => {
  resultsKey = '';
  onNextFrame(drawCharts);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });
forwardErrors((m) => vscode.postMessage(m));

const emptyRing = empty.firstChild as HTMLElement;
const emptyText = empty.lastChild as HTMLElement;

function renderAll(): void {
  // Nothing to chart: no runs at all, runs that have not reported their layers yet, or runs
  // that ended before training began (a failed run: its card says why).
  const noLayers = runs.every((r) => r.layers.length === 0);
  const waiting = runs.length > 0 && noLayers && runs.some((r) => r.status === 'running');
  empty.hidden = !noLayers;
  emptyRing.hidden = !waiting;
  emptyText.textContent = waiting
    ? 'Waiting for the run to report its first events…'
    : runs.length > 0
      ? 'The run ended before training began: its card says why.'
      : 'No runs to show. Run an experiment, or open a run from the Model Lab view.';
  renderCards();
  renderConfigDiff();
  renderFreezes();
  onNextFrame(drawCharts);
}

function renderConfigDiff(): void {
  configDiff.hidden = runs.length < 2 || diffRows === undefined;
  if (configDiff.hidden || !diffRows) return;
  // The runs' labels, or their ids where two labels read the same.
  const labels = runLabels(runs);
  const { header: head, rows } = configDiffTable(diffRows, new Set(labels).size === labels.length ? labels : runs.map((r) => r.runId));
  const h = el('h2', undefined, rows.length ? 'Configuration differences' : `The ${runs.length} runs have the same configuration`);
  if (!rows.length) {
    configDiff.replaceChildren(h);
    return;
  }
  const table = el('table', 'diff-table');
  const thead = el('thead');
  const hr = el('tr');
  hr.append(...head.map((t) => el('th', undefined, t)));
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    tr.append(el('td', 'path', r[0]), ...r.slice(1).map((t) => el('td', undefined, t)));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  configDiff.replaceChildren(h, table);
}

/** What the results section shows now: it is rebuilt only when this changes (a report arrives once, at a run's end). */
let resultsKey = '';
let resultViews: View[] = [];

/**
 * Per run with a report: the confusion matrix (a heatmap) and the per-class table, side by
 * side. Reports come from the run's final model on the test split (`evaluation` events).
 */
async function renderResults(): Promise<void> {
  const labels = runLabels(runs);
  const shown = runs.map((run, i) => ({ run, label: labels[i] })).filter(({ run }) => run.evaluation || run.evaluationClasses);
  const key = JSON.stringify([Math.round(results.clientWidth / 50), shown.map(({ run, label }) => [run.runId, label, run.evaluationClasses, run.evaluation?.confusionMatrix])]);
  if (key === resultsKey) return;
  resultsKey = key;
  for (const v of resultViews) v.finalize();
  resultViews = [];
  results.hidden = shown.length === 0;
  if (shown.length === 0) {
    results.replaceChildren();
    return;
  }
  const blocks = await Promise.all(shown.map(async ({ run, label }) => {
    const block = el('article', 'result');
    block.dataset.runId = run.runId;
    block.append(el('h2', undefined, runs.length > 1 ? `Test-set results per class · ${label}` : 'Test-set results per class'));
    const report = run.evaluation;
    if (!report) {
      block.append(el('p', 'muted', `${run.evaluationClasses} classes: too many to show here; the per-class scores and the confusion matrix are in summary.json of the run folder.`));
      return block;
    }
    const body = el('div', 'result-body');
    const matrix = el('div', 'confusion');
    body.append(matrix, perClassTable(report));
    let matrixView: View | undefined;
    const image = (format: 'svg' | 'png') => {
      if (!matrixView) throw new Error('the confusion matrix is not drawn');
      return chartImage(matrixView, format);
    };
    block.append(exportBar([
      { format: 'svg', label: 'SVG', name: () => exportName('confusion-matrix', run), content: () => image('svg') },
      { format: 'png', label: 'PNG', name: () => exportName('confusion-matrix', run), content: () => image('png') },
      { format: 'csv', label: 'Matrix CSV', name: () => exportName('confusion-matrix', run), content: () => confusionMatrixCsv(report) },
      { format: 'csv', label: 'Per-class CSV', name: () => exportName('per-class', run), content: () => perClassCsv(report) },
    ], (m) => vscode.postMessage(m), postError), body);
    try {
      const spec = confusionMatrixSpec(report, { width: Math.min(520, Math.max(160, results.clientWidth - 420)), theme: currentTheme() });
      matrixView = new View(parse(compile(spec).spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'svg', hover: true });
      await matrixView.initialize(matrix).runAsync();
      resultViews.push(matrixView);
    } catch (e) {
      postError(`confusion matrix: ${(e as Error).message}`);
    }
    return block;
  }));
  results.replaceChildren(...blocks);
}

function perClassTable(report: NonNullable<TimelineRun['evaluation']>): HTMLElement {
  const table = el('table', 'per-class');
  const head = el('tr');
  for (const h of ['Class', 'Precision', 'Recall', 'F1', 'Support']) head.append(el('th', undefined, h));
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  const score = (x: number) => x.toFixed(3);
  const row = (cells: string[], cls?: string) => {
    const tr = el('tr', cls);
    cells.forEach((c, i) => tr.append(el(i === 0 ? 'th' : 'td', undefined, c)));
    (tr.firstChild as HTMLElement).setAttribute('scope', 'row');
    return tr;
  };
  for (const c of report.perClass) table.tBodies[0].append(row([c.class, score(c.precision), score(c.recall), score(c.f1), String(c.support)]));
  const total = report.perClass.reduce((a, c) => a + c.support, 0);
  table.tBodies[0].append(row(['macro average', score(report.macro.precision), score(report.macro.recall), score(report.macro.f1), String(total)], 'total'));
  return table;
}

function statusIcon(run: TimelineRun): HTMLElement {
  const names: Record<TimelineRun['status'], string> = {
    running: 'sync', completed: 'pass', cancelled: 'circle-slash', failed: 'error', interrupted: 'debug-pause', diverged: 'warning',
  };
  const i = icon(names[run.status], run.status === 'running');
  i.classList.add('status-icon', run.status);
  return i;
}

interface CardView {
  root: HTMLElement;
  swatch: HTMLElement;
  icon: HTMLElement;
  policy: HTMLElement;
  status: HTMLElement;
  cancel: HTMLElement;
  values: Record<string, HTMLElement>;
  foot: HTMLElement;
  classes: HTMLElement;
  message: HTMLElement;
}

/** Cards are kept per run and updated in place, so buttons survive live updates. */
const cardViews = new Map<string, CardView>();
const METRICS: [key: string, label: string, accent?: boolean][] = [
  ['accuracy', 'test accuracy', true], ['saved', 'backward FLOPs saved'], ['frozen', 'layers frozen'], ['epochs', 'epochs'], ['time', 'train time'],
];

function createCard(run: TimelineRun): CardView {
  const root = el('article', 'card');
  root.dataset.runId = run.runId;
  const head = el('div', 'card-head');
  const swatch = el('span', 'swatch');
  const iconHolder = el('span', 'status-icon-holder');
  const policy = el('span', 'policy');
  const status = el('span', 'status');
  const actions = el('div', 'actions');
  const cancel = document.createElement('vscode-button');
  cancel.setAttribute('secondary', '');
  cancel.setAttribute('icon', 'debug-stop');
  cancel.className = 'cancel';
  cancel.textContent = 'Cancel';
  cancel.title = 'Cancel this run (it can be resumed later)';
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancelRun', runId: run.runId }));
  actions.append(
    cancel,
    actionIcon('go-to-file', 'Open experiment file', () => vscode.postMessage({ type: 'openExperiment', runId: run.runId })),
    actionIcon('folder-opened', 'Reveal run folder', () => vscode.postMessage({ type: 'revealRun', runId: run.runId })),
  );
  head.append(swatch, iconHolder, policy, status, actions);
  const body = el('div', 'metrics');
  const values: Record<string, HTMLElement> = {};
  for (const [key, label, accent] of METRICS) {
    const m = el('div', accent ? 'metric accent' : 'metric');
    values[key] = el('span', 'metric-value');
    m.append(values[key], el('span', 'metric-label', label));
    body.append(m);
  }
  const foot = el('div', 'card-foot');
  const classes = el('div', 'card-classes');
  const message = el('div', 'card-message');
  root.append(head, body, foot, classes, message);
  return { root, swatch, icon: iconHolder, policy, status, cancel, values, foot, classes, message };
}

function renderCards(): void {
  const labels = runLabels(runs);
  const colors = currentTheme().runColors;
  const keep = new Set(runs.map((r) => r.runId));
  for (const id of [...cardViews.keys()]) if (!keep.has(id)) cardViews.delete(id);
  const ordered = runs.map((run, i) => {
    let v = cardViews.get(run.runId);
    if (!v) {
      v = createCard(run);
      cardViews.set(run.runId, v);
    }
    v.root.className = `card ${run.status}`;
    v.swatch.hidden = runs.length === 1;
    v.swatch.style.setProperty('background-color', colors[i % colors.length]);
    if (v.icon.dataset.status !== run.status) {
      v.icon.dataset.status = run.status;
      v.icon.replaceChildren(statusIcon(run));
    }
    v.policy.textContent = labels[i];
    v.status.textContent = run.status;
    v.cancel.hidden = run.status !== 'running';
    const last = run.epochPoints[run.epochPoints.length - 1];
    const saving = latestSaving(run);
    const units = run.layers.filter((l) => l.unit >= 0);
    v.values.accuracy.textContent = last && last.testAccuracy !== null ? formatPercent(last.testAccuracy) : '—';
    v.values.saved.textContent = formatSaving(saving.backward);
    v.values.frozen.textContent = `${units.filter((l) => l.frozenAtStep !== undefined).length}/${units.length}`;
    v.values.epochs.textContent = `${run.epochsDone}/${run.epochs || '?'}`;
    v.values.time.textContent = run.trainSeconds !== undefined ? formatSeconds(run.trainSeconds) : last ? formatSeconds(last.elapsedSeconds) : '—';
    v.foot.textContent = `${run.runId}${run.backend ? ` · ${run.backend} backend` : ''}`;
    v.foot.title = run.runDir;
    // Text labels: which output unit (class index) is which class.
    const mapping = (run.classNames ?? []).map((n, i) => `${i} ${n}`);
    v.classes.textContent = mapping.length ? `classes: ${mapping.slice(0, 12).join(' · ')}${mapping.length > 12 ? ` · … (${mapping.length})` : ''}` : '';
    v.classes.title = mapping.join('\n');
    v.classes.hidden = mapping.length === 0;
    v.message.textContent = run.message ?? '';
    v.message.hidden = !run.message;
    return v.root;
  });
  const current = Array.from(cards.children);
  if (current.length !== ordered.length || current.some((c, i) => c !== ordered[i])) cards.replaceChildren(...ordered);
}

function actionIcon(name: string, label: string, onClick: () => void): HTMLElement {
  const i = icon(name);
  i.setAttribute('action-icon', '');
  i.setAttribute('label', label);
  i.title = label;
  i.addEventListener('click', onClick);
  return i;
}

function renderFreezes(): void {
  const labels = runLabels(runs);
  const items = runs.flatMap((run, ri) =>
    run.layers
      .filter((l) => l.unit >= 0 && l.frozenAtStep !== undefined)
      .map((l) => ({ run: labels[ri], layer: l, step: l.frozenAtStep as number })),
  );
  items.sort((a, b) => a.step - b.step);
  // Only once a run has layers (a run that failed before training has none).
  freezeSection.hidden = runs.every((r) => r.layers.length === 0);
  if (items.length === 0) {
    freezeList.replaceChildren(el('li', 'muted', runs.some((r) => r.status === 'running') ? 'No layer frozen yet.' : 'No layer was frozen.'));
    return;
  }
  freezeList.replaceChildren(
    ...items.map(({ run, layer, step }) => {
      const li = el('li', 'freeze');
      li.append(
        el('span', 'flake', '❄'),
        el('span', 'layer', layer.name),
        el('span', undefined, ` frozen at epoch ${layer.frozenAtEpoch} (step ${step})`),
      );
      if (layer.backwardSaving !== undefined) li.append(el('span', 'muted', ` · ${formatSaving(layer.backwardSaving)} backward saved per step`));
      if (layer.reason) li.append(el('span', 'muted', ` · ${layer.reason}`));
      if (runs.length > 1) li.append(el('span', 'run-tag', run));
      return li;
    }),
  );
}

let drawing: Promise<unknown> | undefined;
let drawAgain = false;

/**
 * One drawing at a time: a live run posts new data several times a second, and a chart of a long
 * run can take longer than that to draw on a busy machine. What arrives meanwhile is drawn once,
 * with the latest data, when the drawing in progress is done.
 */
function drawCharts(): void {
  if (drawing) {
    drawAgain = true;
    return;
  }
  drawing = Promise.all([renderChart(), renderResults()]).finally(() => {
    drawing = undefined;
    if (drawAgain) {
      drawAgain = false;
      onNextFrame(drawCharts);
    }
  });
}

async function renderChart(): Promise<void> {
  const drawable = runs.filter((r) => r.layers.length > 0);
  if (drawable.length === 0) {
    view?.finalize();
    view = undefined;
    chart.replaceChildren();
    chartExport.hidden = true;
    return;
  }
  try {
    const width = Math.max(200, chart.clientWidth - 170);
    const spec = timelineSpec(drawable, { width, theme: currentTheme() });
    const compiled = compile(spec).spec;
    const next = new View(parse(compiled, undefined, { ast: true }), {
      expr: expressionInterpreter as never,
      renderer: 'svg',
      hover: true,
    });
    const host = el('div', 'chart-host');
    await next.initialize(host).runAsync();
    view?.finalize();
    view = next;
    chart.replaceChildren(host);
    chartExport.hidden = false;
  } catch (e) {
    vscode.postMessage({ type: 'error', message: `chart: ${(e as Error).message}`.slice(0, 2000) });
  }
}

vscode.postMessage({ type: 'ready' });
