/**
 * Skills panel (browser side): run cards, the evaluated skills' trajectories of each run
 * coloured by skill (side by side: METRA next to DIAYN), and coverage over training overlaid.
 * Specs come from the shared pure builders; text only through `textContent`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { View } from 'vega';
import { isHostToWebview, type SkillsPanelState, type WebviewToHost } from '../../src/panels/skills/messages';
import { toCsv } from '../../src/panels/shared/export';
import { COVERAGE_CSV_HEADER, coverageCsvRows, coverageSpec, TRAJECTORY_CSV_HEADER, trajectoryCsvRows, trajectoriesSpec, type SkillsChartTheme } from '../../src/panels/skills/spec';
import { runLabels, type SkillsRunView } from '../../src/panels/skills/viewModel';
import css from '../shared/rl.css';
import { acquireHost, baseChartTheme, cssVar, el, forwardErrors, icon, injectStyles, onNextFrame } from '../shared/dom';
import { chartExports } from '../shared/export';
import { RlCards, renderVegaLite } from '../shared/rlCards';

const vscode = acquireHost<WebviewToHost, SkillsPanelState>();
injectStyles(css);

let runs: SkillsRunView[] = [];
const views: { trajectories?: View; coverage?: View } = {};

function theme(): SkillsChartTheme {
  return {
    ...baseChartTheme(),
    wall: cssVar('--vscode-editorWidget-border', '#555555'),
  };
}

const app = document.getElementById('app') as HTMLElement;
const header = el('header', 'header');
const titleRow = el('div', 'title-row');
const title = el('h1', 'title', 'Skills');
titleRow.append(icon('compass'), title);
const subtitle = el('div', 'subtitle', 'Trajectories of the evaluated skills, coloured by skill; coverage is the number of unit cells they visit.');
const notice = el('div', 'notice');
notice.hidden = true;
header.append(titleRow, subtitle, notice);
const empty = el('div', 'empty');
empty.append(el('vscode-progress-ring'), el('span', undefined, 'Waiting for the first evaluation of the skills…'));
const cardBox = el('section', 'cards');
cardBox.setAttribute('aria-label', 'Runs');
const trajectoryChart = el('section', 'chart');
trajectoryChart.setAttribute('aria-label', 'Skill trajectories');
const coverageChart = el('section', 'chart');
coverageChart.setAttribute('aria-label', 'Coverage over training');
const fileBase = (what: string) => `${runs.length === 1 ? runs[0].runId : 'skills'}-${what}`;
const exportError = (message: string) => vscode.postMessage({ type: 'error', message });
const post = (m: WebviewToHost) => vscode.postMessage(m);
const trajectoryExport = chartExports(() => views.trajectories, () => fileBase('trajectories'), () => toCsv(TRAJECTORY_CSV_HEADER, trajectoryCsvRows(runs)), post, exportError);
const coverageExport = chartExports(() => views.coverage, () => fileBase('coverage'), () => toCsv(COVERAGE_CSV_HEADER, coverageCsvRows(runs)), post, exportError);
app.append(header, empty, cardBox, trajectoryChart, trajectoryExport, coverageChart, coverageExport);

const cards = new RlCards(cardBox, {
  cancel: (runId) => vscode.postMessage({ type: 'cancelRun', runId }),
  open: (runId) => vscode.postMessage({ type: 'openExperiment', runId }),
  reveal: (runId) => vscode.postMessage({ type: 'revealRun', runId }),
});

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) return;
  if (m.type === 'notice') {
    notice.hidden = false;
    notice.className = `notice ${m.level}`;
    notice.textContent = m.text;
    return;
  }
  runs = m.runs;
  notice.hidden = true;
  title.textContent = m.title;
  vscode.setState({ runDirs: runs.map((r) => r.runDir) });
  render();
});
window.addEventListener('resize', () => onNextFrame(drawCharts));
new MutationObserver(() => onNextFrame(drawCharts)).observe(document.body, { attributes: true, attributeFilter: ['class'] });
forwardErrors((m) => vscode.postMessage(m));

function render(): void {
  const evaluated = runs.some((r) => r.evaluation);
  empty.hidden = evaluated;
  (empty.lastChild as HTMLElement).textContent = runs.length === 0 ? 'No runs to show. Run a skills experiment.' : 'Waiting for the first evaluation of the skills…';
  (empty.firstChild as HTMLElement).hidden = runs.length === 0;
  const labels = runLabels(runs);
  const colors = theme().runColors;
  cards.render(runs.map((r, i) => {
    const ev = r.evaluation;
    return {
      runId: r.runId,
      label: labels[i],
      status: r.status,
      color: colors[i % colors.length],
      showSwatch: runs.length > 1,
      metrics: [
        { label: 'cells covered', value: ev ? String(ev.coverage) : '—', accent: true },
        { label: 'final distance', value: ev ? `${ev.finalDistance.toFixed(1)} / ${ev.maxDistance.toFixed(1)}` : '—' },
        { label: 'distinct end cells', value: ev ? String(ev.finalCells) : '—' },
        { label: 'epochs', value: `${r.epochsDone}/${r.epochs}` },
      ],
      foot: r.runId,
      footTitle: r.runDir,
      message: r.message,
    };
  }));
  onNextFrame(drawCharts);
}

async function drawCharts(): Promise<void> {
  try {
    const width = Math.max(320, app.clientWidth - 20);
    const evaluated = runs.some((r) => r.evaluation);
    if (evaluated) views.trajectories = await renderVegaLite(trajectoriesSpec(runs, { width, theme: theme() }), trajectoryChart, views.trajectories);
    else trajectoryChart.replaceChildren();
    trajectoryExport.hidden = !evaluated;
    const covered = runs.some((r) => r.coverage.length > 0);
    if (covered) views.coverage = await renderVegaLite(coverageSpec(runs, { width, theme: theme() }), coverageChart, views.coverage);
    else coverageChart.replaceChildren();
    coverageExport.hidden = !covered;
  } catch (e) {
    vscode.postMessage({ type: 'error', message: `chart: ${(e as Error).message}`.slice(0, 2000) });
  }
}

vscode.postMessage({ type: 'ready' });
