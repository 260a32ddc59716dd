/**
 * Offline goal-conditioned RL panel (browser side): the maze with V(., goal) of the selected
 * run as a heatmap (click a free cell to make it the goal: the host answers from the run's
 * value grid), a recorded rollout of the chosen task with HIQL's subgoals, run cards (click to
 * select a run), and success per task for the algorithms compared. Text only via `textContent`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { View } from 'vega';
import { isCell, isGcrlPanelState, isHostToWebview, type GcrlPanelState, type WebviewToHost } from '../../src/panels/gcrl/messages';
import { toCsv } from '../../src/panels/shared/export';
import { MAZE_CSV_HEADER, mazeCsvRows, mazeSpec, SUCCESS_CSV_HEADER, successCsvRows, successSpec, type GcrlChartTheme } from '../../src/panels/gcrl/spec';
import { runLabels, taskLabel, type GcrlRunView } from '../../src/panels/gcrl/viewModel';
import css from '../shared/rl.css';
import { acquireHost, baseChartTheme, cssVar, el, forwardErrors, icon, injectStyles, onNextFrame } from '../shared/dom';
import { chartExports } from '../shared/export';
import { RlCards, renderVegaLite } from '../shared/rlCards';

const vscode = acquireHost<WebviewToHost, GcrlPanelState>();
injectStyles(css);

let layout: string[] = [];
let runs: GcrlRunView[] = [];
const saved = vscode.getState();
let selectedRun: string | undefined = isGcrlPanelState(saved) ? saved.selectedRun : undefined;
let goal: [number, number] | undefined = isGcrlPanelState(saved) ? saved.goal : undefined;
let task = isGcrlPanelState(saved) ? saved.task ?? 0 : 0;
let value: { runId: string; goal: [number, number]; cells: [number, number][]; values: number[] } | undefined;
const views: { maze?: View; success?: View } = {};

function theme(): GcrlChartTheme {
  return {
    ...baseChartTheme(),
    wall: cssVar('--vscode-editorWidget-border', '#555555'),
    floor: cssVar('--vscode-editorWidget-background', '#252526'),
    path: cssVar('--vscode-charts-orange', '#d18616'),
    subgoal: cssVar('--vscode-charts-purple', '#b180d7'),
    start: cssVar('--vscode-charts-green', '#89d185'),
    goal: cssVar('--vscode-charts-red', '#f14c4c'),
  };
}

const app = document.getElementById('app') as HTMLElement;
const header = el('header', 'header');
const titleRow = el('div', 'title-row');
const title = el('h1', 'title', 'Offline Goal-Conditioned RL');
titleRow.append(icon('map'), title);
const notice = el('div', 'notice');
notice.hidden = true;
header.append(titleRow, notice);
const empty = el('div', 'empty');
empty.append(el('vscode-progress-ring'), el('span', undefined, 'Waiting for the run…'));
const cardBox = el('section', 'cards');
cardBox.setAttribute('aria-label', 'Runs (click to show one in the maze)');
const controls = el('div', 'controls');
const taskLabelEl = el('label', undefined, 'Rollout of task');
const taskSelect = el('select');
taskSelect.setAttribute('aria-label', 'Task whose rollout is drawn');
taskLabelEl.append(' ', taskSelect);
const hint = el('span', 'hint', 'Click a free cell to see V(s, goal) for that goal.');
controls.append(taskLabelEl, hint);
const mazeRow = el('div', 'maze-row');
const mazeChart = el('section', 'chart');
mazeChart.setAttribute('aria-label', 'Maze with the value heatmap and a rollout');
const successChart = el('section', 'chart');
successChart.setAttribute('aria-label', 'Success per task');
const fileBase = (what: string) => `${current()?.runId ?? 'gcrl'}-${what}`;
const exportError = (message: string) => vscode.postMessage({ type: 'error', message });
const post = (m: WebviewToHost) => vscode.postMessage(m);
const shownValue = () => (value && value.runId === current()?.runId ? value : undefined);
const mazeExport = chartExports(() => views.maze, () => fileBase('maze'), () => toCsv(MAZE_CSV_HEADER, mazeCsvRows(layout, shownValue())), post, exportError);
const successExport = chartExports(() => views.success, () => fileBase('success'), () => toCsv(SUCCESS_CSV_HEADER, successCsvRows(runs)), post, exportError);
const mazeColumn = el('div', 'chart-column');
mazeColumn.append(mazeChart, mazeExport);
const successColumn = el('div', 'chart-column');
successColumn.append(successChart, successExport);
mazeRow.append(mazeColumn, successColumn);
app.append(header, empty, cardBox, controls, mazeRow);

const cards = new RlCards(cardBox, {
  cancel: (runId) => vscode.postMessage({ type: 'cancelRun', runId }),
  open: (runId) => vscode.postMessage({ type: 'openExperiment', runId }),
  reveal: (runId) => vscode.postMessage({ type: 'revealRun', runId }),
  select: (runId) => {
    selectedRun = runId;
    askValue();
    persist();
    render();
  },
});

taskSelect.addEventListener('change', () => {
  task = Number(taskSelect.value) || 0;
  persist();
  onNextFrame(drawCharts);
});

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) return;
  switch (m.type) {
    case 'notice':
      notice.hidden = false;
      notice.className = `notice ${m.level}`;
      notice.textContent = m.text;
      return;
    case 'value':
      if (m.runId === selectedRun) {
        value = m;
        onNextFrame(drawCharts);
      }
      return;
    case 'runs': {
      const first = runs.length === 0;
      runs = m.runs;
      layout = m.layout;
      notice.hidden = true;
      title.textContent = m.title;
      if (!selectedRun || !runs.some((r) => r.runId === selectedRun)) selectedRun = preferredRun();
      if (first || !value || value.runId !== selectedRun) askValue();
      persist();
      render();
    }
  }
});
window.addEventListener('resize', () => onNextFrame(drawCharts));
new MutationObserver(() => onNextFrame(drawCharts)).observe(document.body, { attributes: true, attributeFilter: ['class'] });
forwardErrors((m) => vscode.postMessage(m));

/** HIQL if present (its subgoals are the interesting picture), else the first run with a value grid. */
function preferredRun(): string | undefined {
  return (runs.find((r) => r.algo === 'hiql' && r.hasValue) ?? runs.find((r) => r.hasValue) ?? runs[0])?.runId;
}

function current(): GcrlRunView | undefined {
  return runs.find((r) => r.runId === selectedRun);
}

function askValue(): void {
  const run = current();
  if (!run?.hasValue) {
    value = undefined;
    return;
  }
  const g = goal ?? run.tasks[task]?.goal ?? run.tasks[0]?.goal;
  if (g) vscode.postMessage({ type: 'selectGoal', runId: run.runId, goal: g });
}

function persist(): void {
  vscode.setState({ runDirs: runs.map((r) => r.runDir), selectedRun, goal, task });
}

function render(): void {
  empty.hidden = runs.length > 0 && layout.length > 0;
  (empty.lastChild as HTMLElement).textContent = runs.length === 0 ? 'No runs to show. Run an offline-gcrl experiment.' : 'Waiting for the run…';
  const labels = runLabels(runs);
  const colors = theme().runColors;
  cards.render(runs.map((r, i) => ({
    runId: r.runId,
    label: labels[i],
    status: r.status,
    color: colors[i % colors.length],
    showSwatch: runs.length > 1,
    selected: r.runId === selectedRun && runs.length > 1,
    metrics: [
      { label: 'success (mean over tasks)', value: r.tasks.length ? `${Math.round(100 * (r.success[r.success.length - 1]?.successRate ?? 0))}%` : '—', accent: true },
      { label: 'tasks', value: String(r.tasks.length) },
      { label: 'epochs', value: `${r.epochsDone}/${r.epochs}` },
    ],
    foot: r.runId,
    footTitle: r.runDir,
    message: r.message,
  })));
  const run = current();
  const tasks = run?.tasks ?? [];
  if (task >= tasks.length) task = 0;
  taskSelect.replaceChildren(...tasks.map((t, k) => {
    const o = el('option', undefined, taskLabel(t, k));
    o.value = String(k);
    return o;
  }));
  taskSelect.value = String(task);
  controls.hidden = !run;
  hint.textContent = run?.hasValue ? 'Click a free cell to see V(s, goal) for that goal.' : 'The value heatmap appears when the run has finished.';
  onNextFrame(drawCharts);
}

async function drawCharts(): Promise<void> {
  try {
    const run = current();
    if (layout.length) {
      const t = run?.tasks[task];
      const size = Math.min(560, Math.max(260, app.clientWidth * 0.55));
      const spec = mazeSpec(
        {
          layout,
          value: shownValue(),
          task: t,
          rollout: run?.rollouts.find((r) => r.task === task),
          subgoalEvery: 3,
        },
        { size, theme: theme() },
      );
      views.maze = await renderVegaLite(spec, mazeChart, views.maze);
      views.maze.addEventListener('click', (_e, item) => {
        const d = item?.datum as { r?: unknown; c?: unknown; wall?: unknown } | undefined;
        const cell = [d?.r, d?.c];
        if (!d || d.wall !== false || !isCell(cell) || !run?.hasValue) return;
        goal = cell;
        persist();
        vscode.postMessage({ type: 'selectGoal', runId: run.runId, goal: cell });
      });
    }
    mazeExport.hidden = !views.maze;
    const tasked = runs.some((r) => r.tasks.length);
    if (tasked) views.success = await renderVegaLite(successSpec(runs, { width: Math.max(320, app.clientWidth * 0.4), theme: theme() }), successChart, views.success);
    else successChart.replaceChildren();
    successExport.hidden = !tasked;
  } catch (e) {
    vscode.postMessage({ type: 'error', message: `chart: ${(e as Error).message}`.slice(0, 2000) });
  }
}

vscode.postMessage({ type: 'ready' });
