import type { TopLevelSpec } from 'vega-lite';
import type { CsvCell } from '../shared/export';
import { runLabels, taskLabel, type GcrlRolloutView, type GcrlRunView } from './viewModel';

/**
 * The offline goal-conditioned RL panel's charts as Vega-Lite specs (pure; rendered with vega's
 * expression interpreter, no `eval`):
 * - the maze: walls, V(., goal) of the selected run as a heatmap over free cells, one recorded
 *   rollout with HIQL's subgoals (points joined to where the agent was when it proposed them),
 *   start and goal markers; a click on a free cell selects it as the heatmap's goal;
 * - success per task, one bar per run (the algorithms compared), and success over training.
 */
export interface GcrlChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  wall: string;
  floor: string;
  path: string;
  subgoal: string;
  start: string;
  goal: string;
  fontFamily: string;
  fontSize: number;
  runColors: string[];
}

const config = (t: GcrlChartTheme) => ({
  background: 'transparent',
  font: t.fontFamily,
  view: { stroke: null },
  axis: { labelColor: t.mutedForeground, titleColor: t.foreground, gridColor: t.grid, domainColor: t.grid, tickColor: t.grid, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  legend: { labelColor: t.foreground, titleColor: t.foreground, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  title: { color: t.foreground, fontSize: t.fontSize, subtitleColor: t.mutedForeground, subtitleFontSize: t.fontSize - 2 },
});

export interface CellRow { r: number; c: number; x: number; x2: number; y: number; y2: number; wall: boolean; v: number | null }

/** One row per cell; `v` is V(cell, goal) where a value grid is given (free cells only). */
export function cellRows(layout: readonly string[], value?: { cells: [number, number][]; values: number[] }): CellRow[] {
  const v = new Map<string, number>();
  value?.cells.forEach(([r, c], i) => v.set(`${r},${c}`, value.values[i]));
  return layout.flatMap((line, r) => [...line].map((ch, c) => ({ r, c, x: c, x2: c + 1, y: r, y2: r + 1, wall: ch === '#', v: ch === '#' ? null : v.get(`${r},${c}`) ?? null })));
}

export interface MazeSpecInput {
  layout: readonly string[];
  value?: { cells: [number, number][]; values: number[]; goal: [number, number] };
  task?: { start: [number, number]; goal: [number, number] };
  rollout?: GcrlRolloutView;
  /** Draw every n-th subgoal (a long rollout proposes one per step). */
  subgoalEvery?: number;
}

export function mazeSpec(input: MazeSpecInput, opts: { size: number; theme: GcrlChartTheme }): TopLevelSpec {
  const rows = input.layout.length;
  const cols = Math.max(1, ...input.layout.map((l) => l.length));
  const cell = Math.max(6, Math.floor(opts.size / Math.max(rows, cols)));
  const x = { type: 'quantitative' as const, scale: { domain: [0, cols], nice: false, zero: false }, axis: null };
  const y = { type: 'quantitative' as const, scale: { domain: [0, rows], nice: false, zero: false, reverse: true }, axis: null };
  const cells = cellRows(input.layout, input.value);
  const t = opts.theme;
  const layers: unknown[] = [
    {
      data: { values: cells.filter((c) => c.wall) },
      mark: { type: 'rect', color: t.wall },
      encoding: { x: { field: 'x', ...x }, x2: { field: 'x2' }, y: { field: 'y', ...y }, y2: { field: 'y2' } },
    },
    {
      data: { values: cells.filter((c) => !c.wall) },
      mark: { type: 'rect', cursor: 'pointer', stroke: t.grid, strokeWidth: 0.3 },
      encoding: {
        x: { field: 'x', ...x }, x2: { field: 'x2' }, y: { field: 'y', ...y }, y2: { field: 'y2' },
        ...(input.value
          ? { color: { field: 'v', type: 'quantitative', title: `V(s, [${input.value.goal}])`, scale: { scheme: 'viridis' }, legend: { orient: 'right', gradientLength: Math.max(80, rows * cell - 40) } } }
          : { color: { value: t.floor } }),
        tooltip: [{ field: 'r', title: 'row' }, { field: 'c', title: 'column' }, ...(input.value ? [{ field: 'v', title: 'V', format: '.1f' }] : [])],
      },
    },
  ];
  const centre = ([r, c]: [number, number]) => ({ x: c + 0.5, y: r + 0.5 });
  if (input.rollout && input.rollout.positions.length > 0) {
    const path = input.rollout.positions.map(([px, py], i) => ({ i, x: px, y: py }));
    layers.push({
      data: { values: path },
      mark: { type: 'line', color: t.path, strokeWidth: 2.5, opacity: 0.9 },
      encoding: { x: { field: 'x', ...x }, y: { field: 'y', ...y }, order: { field: 'i', type: 'quantitative' } },
    });
    const every = Math.max(1, input.subgoalEvery ?? 1);
    const subgoals = (input.rollout.subgoals ?? []).flatMap(([sx, sy], i) =>
      i % every === 0 && input.rollout!.positions[i] ? [{ i, x: input.rollout!.positions[i][0], y: input.rollout!.positions[i][1], sx, sy }] : [],
    );
    if (subgoals.length) {
      layers.push(
        {
          data: { values: subgoals },
          mark: { type: 'rule', color: t.subgoal, strokeDash: [3, 2], opacity: 0.7 },
          encoding: { x: { field: 'x', ...x }, y: { field: 'y', ...y }, x2: { field: 'sx' }, y2: { field: 'sy' } },
        },
        {
          data: { values: subgoals },
          mark: { type: 'point', shape: 'diamond', filled: true, color: t.subgoal, size: Math.max(20, cell * 2) },
          encoding: { x: { field: 'sx', ...x }, y: { field: 'sy', ...y }, tooltip: [{ field: 'i', title: 'step' }, { field: 'sx', title: 'subgoal x', format: '.2f' }, { field: 'sy', title: 'subgoal y', format: '.2f' }] },
        },
      );
    }
  }
  const markers: { x: number; y: number; label: string; kind: string }[] = [];
  if (input.task) markers.push({ ...centre(input.task.start), label: 'S', kind: 'start' }, { ...centre(input.task.goal), label: 'G', kind: 'goal' });
  const sameGoal = input.task && input.value && input.task.goal[0] === input.value.goal[0] && input.task.goal[1] === input.value.goal[1];
  if (input.value && !sameGoal) markers.push({ ...centre(input.value.goal), label: '★', kind: 'value goal' });
  if (markers.length) {
    layers.push({
      data: { values: markers },
      mark: { type: 'text', fontWeight: 'bold', fontSize: Math.max(9, Math.floor(cell * 0.8)) },
      encoding: {
        x: { field: 'x', ...x }, y: { field: 'y', ...y }, text: { field: 'label' },
        color: { field: 'kind', type: 'nominal', scale: { domain: ['start', 'goal', 'value goal'], range: [t.start, t.goal, t.foreground] }, legend: null },
        tooltip: [{ field: 'kind', title: 'marker' }],
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: config(t),
    width: cols * cell,
    height: rows * cell,
    layer: layers,
  } as TopLevelSpec;
}

export interface SuccessRow { run: string; task: string; order: number; successRate: number }

export function successRows(runs: readonly GcrlRunView[]): SuccessRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, i) => run.tasks.map((t, k) => ({ run: labels[i], task: taskLabel(t, k), order: k, successRate: t.successRate })));
}

/** Success per task (grouped bars, one per run) and mean success over training (lines). */
export function successSpec(runs: readonly GcrlRunView[], opts: { width: number; theme: GcrlChartTheme }): TopLevelSpec {
  const labels = runLabels(runs);
  const colour = { field: 'run', type: 'nominal' as const, title: 'algorithm', scale: { domain: labels, range: opts.theme.runColors } };
  const overTime = runs.flatMap((run, i) => run.success.map((p) => ({ run: labels[i], ...p })));
  const width = Math.max(220, opts.width - 180);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: config(opts.theme),
    vconcat: [
      {
        title: { text: 'Success per task', subtitle: 'start → goal (shortest path in moves), latest evaluation' },
        width,
        height: 170,
        data: { values: successRows(runs) },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'task', type: 'nominal', title: null, sort: { field: 'order' }, axis: { labelAngle: -20 } },
          xOffset: { field: 'run', type: 'nominal', scale: { domain: labels } },
          y: { field: 'successRate', type: 'quantitative', title: 'success', scale: { domain: [0, 1] }, axis: { format: '%' } },
          color: colour,
          tooltip: [{ field: 'run', title: 'algorithm' }, { field: 'task' }, { field: 'successRate', title: 'success', format: '.0%' }],
        },
      },
      {
        title: { text: 'Success over training', subtitle: 'mean over tasks at each evaluation' },
        width,
        height: 120,
        data: { values: overTime },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'successRate', type: 'quantitative', title: 'success', scale: { domain: [0, 1] }, axis: { format: '%' } },
          color: colour,
          tooltip: [{ field: 'run', title: 'algorithm' }, { field: 'epoch' }, { field: 'successRate', title: 'success', format: '.0%' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** The success chart's data for export: one row per run and task. */
export const SUCCESS_CSV_HEADER = ['run', 'task', 'success rate'];
export function successCsvRows(runs: readonly GcrlRunView[]): CsvCell[][] {
  return successRows(runs).map((r) => [r.run, r.task, r.successRate]);
}

/** The maze chart's data for export: every cell, whether it is a wall, and V(cell, goal) where shown. */
export const MAZE_CSV_HEADER = ['row', 'col', 'wall', 'value'];
export function mazeCsvRows(layout: readonly string[], value?: { cells: [number, number][]; values: number[] }): CsvCell[][] {
  return cellRows(layout, value).map((c) => [c.r, c.c, c.wall ? 1 : 0, c.v]);
}
