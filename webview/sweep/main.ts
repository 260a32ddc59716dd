/**
 * Sweep panel (browser side): a sweep's parameters against its points' final metric. Parallel
 * coordinates (one axis per swept JSON pointer and one for the metric, one line per point,
 * coloured by the metric; points without it dashed by status), a scatter per parameter, and the
 * points as a table. Specs come from the panel contract and render with vega's expression
 * interpreter (no eval under the CSP); all text through `textContent`.
 */
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import type { View } from 'vega';
import { isHostToWebview, type SweepPanelState, type WebviewToHost } from '../../src/panels/sweep/messages';
import { parallelSpec, scatterSpec, type SweepChartTheme } from '../../src/panels/sweep/spec';
import { bestPoint, formatMetric, formatParam, metricInfo, metricNames, statusSummary, sweepCsvRows, type SweepView } from '../../src/panels/sweep/viewModel';
import { toCsv } from '../../src/panels/shared/export';
import css from './sweep.css';
import { acquireHost, baseChartTheme, el, forwardErrors, icon, injectStyles, onNextFrame } from '../shared/dom';
import { chartImage, exportBar } from '../shared/export';
import { renderVegaLite } from '../shared/rlCards';

const vscode = acquireHost<WebviewToHost, SweepPanelState>();
injectStyles(css);
forwardErrors((m) => vscode.postMessage(m));

let view: SweepView | undefined;
/** The metric the charts show (the user's pick survives live updates). */
let metric: string | undefined;
const views: { parallel?: View; scatter?: View } = {};

function theme(): SweepChartTheme {
  const { foreground, mutedForeground, grid, fontFamily, fontSize } = baseChartTheme();
  return { foreground, mutedForeground, grid, fontFamily, fontSize };
}

const app = document.getElementById('app') as HTMLElement;
const header = el('header', 'header');
const titleRow = el('div', 'title-row');
const title = el('h1', 'title', 'Sweep');
titleRow.append(icon('graph-scatter'), title);
const subtitle = el('div', 'subtitle');
const notice = el('div', 'notice');
notice.hidden = true;
const controls = el('div', 'controls');
const metricLabel = el('label', undefined, 'Metric');
const metricSelect = el('select');
metricSelect.id = 'metric';
metricLabel.htmlFor = 'metric';
metricSelect.addEventListener('change', () => {
  metric = metricSelect.value;
  render();
});
const postError = (message: string) => vscode.postMessage({ type: 'error', message: message.slice(0, 2000) });
const fileName = (what: string) => [what, view?.name ?? 'sweep', view?.sweepId ?? ''].filter(Boolean).join('-');
const drawn = (v: View | undefined): View => {
  if (!v) throw new Error('the chart is not drawn yet');
  return v;
};
const bar = exportBar([
  { format: 'svg', label: 'Parallel SVG', name: () => fileName('sweep-parallel'), content: () => chartImage(drawn(views.parallel), 'svg') },
  { format: 'png', label: 'Parallel PNG', name: () => fileName('sweep-parallel'), content: () => chartImage(drawn(views.parallel), 'png') },
  { format: 'svg', label: 'Scatter SVG', name: () => fileName('sweep-scatter'), content: () => chartImage(drawn(views.scatter), 'svg') },
  { format: 'png', label: 'Scatter PNG', name: () => fileName('sweep-scatter'), content: () => chartImage(drawn(views.scatter), 'png') },
  { format: 'csv', label: 'Points CSV', name: () => fileName('sweep-points'), content: () => { const t = sweepCsvRows(shown()); return toCsv(t.header, t.rows); } },
], (m) => vscode.postMessage(m), postError);
function shown(): SweepView {
  if (!view) throw new Error('no sweep yet');
  return view;
}
controls.append(metricLabel, metricSelect, bar);
header.append(titleRow, subtitle, notice, controls);
const empty = el('p', 'hint');
const parallelChart = el('section', 'chart parallel');
parallelChart.setAttribute('aria-label', 'Parameters against the metric: parallel coordinates');
const scatterTitle = el('h2', undefined, 'Each parameter against the metric');
const scatterChart = el('section', 'chart scatter');
scatterChart.setAttribute('aria-label', 'Each parameter against the metric');
const tableTitle = el('h2', undefined, 'Points');
const table = el('table', 'points');
app.append(header, empty, parallelChart, scatterTitle, scatterChart, tableTitle, table);

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) return;
  if (m.type === 'notice') {
    notice.hidden = false;
    notice.className = `notice ${m.level}`;
    notice.textContent = m.text;
    return;
  }
  view = m.view;
  notice.hidden = true;
  vscode.setState({ sweepDir: view.sweepDir });
  render();
});
window.addEventListener('resize', () => onNextFrame(drawCharts));
// VS Code swaps the theme by changing the body class and the CSS variables.
new MutationObserver(() => onNextFrame(drawCharts)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function render(): void {
  if (!view) return;
  const v = view;
  title.textContent = `Sweep: ${v.name}`;
  subtitle.textContent = `${statusSummary(v)} · ${v.executor === 'slurm' ? `Slurm job ${v.jobId ?? '?'}` : 'this machine'} · ${v.sweepId}`;
  const names = metricNames(v);
  if (!metric || !names.includes(metric)) metric = names[0];
  metricSelect.replaceChildren(...names.map((n) => Object.assign(el('option', undefined, metricInfo(n).label), { value: n, selected: n === metric })));
  metricLabel.hidden = metricSelect.hidden = names.length < 2;
  const waiting = v.points.every((p) => p.status === 'queued' || p.status === 'running');
  empty.hidden = names.length > 0 && v.pointers.length > 0;
  empty.textContent = v.pointers.length === 0 ? 'This sweep has no parameters.' : waiting ? 'The lines take their colour as the points complete…' : 'No point reported a final metric: the table says why.';
  renderTable(v, names);
  onNextFrame(drawCharts);
}

function renderTable(v: SweepView, names: string[]): void {
  const best = metric ? bestPoint(v, metric) : undefined;
  const head = el('tr');
  for (const h of ['#', ...v.pointers.map((p) => p), 'status', ...names.map((n) => metricInfo(n).label), '']) head.append(el('th', undefined, h));
  const rows = v.points.map((p) => {
    const tr = el('tr', p === best ? 'best' : undefined);
    tr.dataset.point = String(p.index);
    tr.append(el('td', undefined, String(p.index)), ...v.pointers.map((k) => el('td', undefined, formatParam(p.params[k] ?? null))));
    const status = el('td', `status status-${p.status}`, p.status);
    if (p.message) status.title = p.message;
    tr.append(status, ...names.map((n) => el('td', undefined, p.metrics[n] === undefined ? '—' : formatMetric(metricInfo(n), p.metrics[n]))));
    const open = el('a', undefined, 'Open run');
    open.title = p.runId;
    open.addEventListener('click', () => vscode.postMessage({ type: 'openRun', runId: p.runId }));
    const cell = el('td');
    if (p.status !== 'queued') cell.append(open);
    if (p.message && p.status !== 'completed') cell.append(el('div', 'message', p.message));
    tr.append(cell);
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

/** Before any point has a metric, the lines still show every point (dashed, by status) against an empty metric axis. */
const NO_METRIC_YET = 'final metric';

async function drawCharts(): Promise<void> {
  const v = view;
  const hasParams = !!v && v.pointers.length > 0;
  parallelChart.hidden = !hasParams;
  // The scatters plot final metrics: none before a point completes.
  const completed = !!v && !!metric && bestPoint(v, metric) !== undefined;
  scatterChart.hidden = scatterTitle.hidden = !hasParams || !completed;
  if (!v || !hasParams) return;
  try {
    const width = Math.max(360, app.clientWidth - 180);
    views.parallel = await renderVegaLite(parallelSpec(v, metric ?? NO_METRIC_YET, { width, theme: theme() }), parallelChart, views.parallel);
    if (metric && completed) views.scatter = await renderVegaLite(scatterSpec(v, metric, { width: width + 100, theme: theme() }), scatterChart, views.scatter);
  } catch (e) {
    postError(`chart: ${(e as Error).message}`);
  }
}

vscode.postMessage({ type: 'ready' });
