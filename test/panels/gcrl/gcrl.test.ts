import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/core/train/events';
import { isGcrlPanelState, isHostToWebview, isWebviewToHost } from '../../../src/panels/gcrl/messages';
import { cellRows, mazeCsvRows, mazeSpec, successCsvRows, successRows, successSpec, type GcrlChartTheme } from '../../../src/panels/gcrl/spec';
import { gcrlRunView, runLabels, taskLabel, valuesForGoal, type GcrlRunInfo } from '../../../src/panels/gcrl/viewModel';
import { renderSvg } from '../rlRender';

const theme: GcrlChartTheme = {
  foreground: '#ccc', mutedForeground: '#999', grid: '#333', wall: '#555', floor: '#222', path: '#d18616', subgoal: '#b180d7',
  start: '#89d185', goal: '#f14c4c', fontFamily: 'sans-serif', fontSize: 13, runColors: ['#3794ff', '#d18616', '#89d185'],
};
const layout = ['#####', '#...#', '#.#.#', '#####'];
const tasks = [{ start: [1, 1] as [number, number], goal: [2, 3] as [number, number], shortestPath: 3, successRate: 0.5 }];

function info(algo: string, runId: string): GcrlRunInfo {
  return {
    runId, runDir: `/runs/${runId}`, experiment: 'maze', algo, status: 'completed', epochs: 4, hasValue: true,
    rollouts: [{ task: 0, success: true, positions: [[1.5, 1.5], [2.5, 1.5], [3.5, 1.5], [3.5, 2.5]], subgoals: [[3.5, 2.5], [3.5, 2.5], [3.5, 2.5]] }],
  };
}

const events = (rate: number): RunEvent[] => [
  { type: 'rl-epoch', kind: 'offline-gcrl', epoch: 2, epochs: 4, metrics: {} },
  { type: 'gcrl-eval', epoch: 2, algo: 'hiql', successRate: rate / 2, tasks: tasks.map((t) => ({ ...t, successRate: rate / 2 })) },
  { type: 'rl-epoch', kind: 'offline-gcrl', epoch: 4, epochs: 4, metrics: {} },
  { type: 'gcrl-eval', epoch: 4, algo: 'hiql', successRate: rate, tasks: tasks.map((t) => ({ ...t, successRate: rate })) },
];

describe('offline-gcrl panel contract', () => {
  it('folds events into success over training and per task', () => {
    const v = gcrlRunView(info('hiql', 'r-hiql-aaaa'), events(0.8));
    assert.deepEqual(v.success, [{ epoch: 2, successRate: 0.4 }, { epoch: 4, successRate: 0.8 }]);
    assert.equal(v.tasks[0].successRate, 0.8);
    assert.equal(v.epochsDone, 4);
    assert.equal(taskLabel(v.tasks[0], 0), '1: [1,1]→[2,3] (3)');
  });

  it('lays out cells with values where given, and picks one goal out of a value grid', () => {
    const rows = cellRows(layout, { cells: [[1, 1], [1, 2]], values: [-3, -2] });
    assert.equal(rows.length, 20);
    assert.deepEqual(rows.filter((r) => r.v !== null).map((r) => [r.r, r.c, r.v]), [[1, 1, -3], [1, 2, -2]]);
    assert.ok(rows.filter((r) => r.wall).every((r) => r.v === null));
    assert.deepEqual(valuesForGoal({ cells: [[1, 1]], goals: [[1, 1], [2, 3]], values: [[0], [-4]] }, [2, 3]), [-4]);
    assert.equal(valuesForGoal({ cells: [[1, 1]], goals: [[1, 1]], values: [[0]] }, [0, 0]), undefined);
  });

  it('renders the maze with the heatmap, the rollout and HIQL\'s subgoals, and success per algorithm (SVG)', async () => {
    const hiql = gcrlRunView(info('hiql', 'r-hiql-aaaa'), events(0.8));
    const flat = gcrlRunView(info('gcivl', 'r-gcivl-bbbb'), events(0.3));
    const svg = await renderSvg(mazeSpec({ layout, value: { cells: [[1, 1], [1, 2], [1, 3], [2, 1], [2, 3]], values: [-4, -3, -2, -5, 0], goal: [2, 3] }, task: tasks[0], rollout: hiql.rollouts[0] }, { size: 300, theme }));
    assert.match(svg, /V\(s, \[2,3\]\)/, 'the legend names the goal');
    assert.match(svg, />S</);
    assert.match(svg, />G</);
    assert.equal(successRows([hiql, flat]).length, 2);
    assert.deepEqual(successCsvRows([hiql, flat]).map((r) => r[0]), ['hiql', 'gcivl']);
    const cells = mazeCsvRows(layout, { cells: [[1, 1]], values: [-3] });
    assert.equal(cells.length, layout.length * layout[0].length);
    assert.deepEqual(cells.find((c) => c[0] === 1 && c[1] === 1), [1, 1, 0, -3]);
    const bars = await renderSvg(successSpec([hiql, flat], { width: 500, theme }));
    assert.match(bars, /Success per task/);
    assert.match(bars, /gcivl/);
  });

  it('validators accept what the host sends and drop what does not fit', () => {
    const run = gcrlRunView(info('hiql', 'r-hiql-aaaa'), events(0.8));
    assert.ok(isHostToWebview({ type: 'runs', title: 't', layout, runs: [run] }));
    assert.ok(!isHostToWebview({ type: 'runs', title: 't', layout: ['#<script>'], runs: [run] }), 'a layout is # and . only');
    assert.ok(!isHostToWebview({ type: 'runs', title: 't', layout, runs: [{ ...run, tasks: [{ ...run.tasks[0], start: [1, -1] }] }] }));
    assert.ok(isHostToWebview({ type: 'value', runId: 'r', goal: [1, 1], cells: [[1, 1]], values: [-1] }));
    assert.ok(!isHostToWebview({ type: 'value', runId: 'r', goal: [1, 1], cells: [[1, 1]], values: [-1, 2] }), 'one value per cell');
    assert.ok(isWebviewToHost({ type: 'selectGoal', runId: 'r', goal: [3, 4] }));
    assert.ok(!isWebviewToHost({ type: 'selectGoal', runId: 'r', goal: [3.5, 4] }));
    assert.ok(isWebviewToHost({ type: 'export', format: 'png', name: 'maze', content: 'data:image/png;base64,AAAA' }));
    assert.ok(!isWebviewToHost({ type: 'export', format: 'exe', name: 'maze', content: '' }));
    assert.ok(isGcrlPanelState({ runDirs: ['/a'], goal: [1, 2], task: 0 }));
    assert.ok(!isGcrlPanelState({ runDirs: ['/a'], goal: 'x' }));
    assert.deepEqual(runLabels([{ algo: 'hiql', runId: 'a-1111' }, { algo: 'hiql', runId: 'b-2222' }]), ['hiql · 1111', 'hiql · 2222']);
  });
});
