import type { TopLevelSpec } from 'vega-lite';
import type { CsvCell } from '../shared/export';
import { runLabels, skillColor, type SkillsRunView } from './viewModel';

/**
 * The skills panel's charts as Vega-Lite specs (pure; the webview compiles them and renders
 * with vega's expression interpreter, so the CSP needs no `eval`):
 * - each run's evaluated trajectories, coloured by skill, side by side on one scale;
 * - coverage over training, one line per run (METRA and DIAYN overlaid).
 */
export interface SkillsChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  wall: string;
  fontFamily: string;
  fontSize: number;
  runColors: string[];
}

const config = (t: SkillsChartTheme) => ({
  background: 'transparent',
  font: t.fontFamily,
  view: { stroke: t.grid },
  axis: { labelColor: t.mutedForeground, titleColor: t.foreground, gridColor: t.grid, domainColor: t.grid, tickColor: t.grid, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  legend: { labelColor: t.foreground, titleColor: t.foreground, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  title: { color: t.foreground, fontSize: t.fontSize, subtitleColor: t.mutedForeground, subtitleFontSize: t.fontSize - 2 },
});

export interface TrajectoryRow { run: string; skill: number; t: number; x: number; y: number; color: string }
export interface WallRow { run: string; x: number; y: number; x2: number; y2: number }

/** One row per position of each evaluated trajectory. */
export function trajectoryRows(runs: readonly SkillsRunView[], discrete: (run: SkillsRunView) => boolean): TrajectoryRow[] {
  const labels = runLabels(runs);
  const rows: TrajectoryRow[] = [];
  runs.forEach((run, ri) => {
    const ev = run.evaluation;
    if (!ev) return;
    ev.trajectories.forEach((traj, k) => {
      const color = skillColor(ev.skills[k] ?? [], discrete(run));
      traj.forEach(([x, y], t) => rows.push({ run: labels[ri], skill: k, t, x, y, color }));
    });
  });
  return rows;
}

/** Wall cells of each run's maze (none in the open plane); y grows downward like the layout. */
export function wallRows(runs: readonly SkillsRunView[]): WallRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, ri) =>
    (run.evaluation ? run.layout ?? [] : []).flatMap((line, r) =>
      [...line].flatMap((ch, c) => (ch === '#' ? [{ run: labels[ri], x: c, y: r, x2: c + 1, y2: r + 1 }] : [])),
    ),
  );
}

/** Trajectories of the latest evaluation of each run, one panel per run, shared axes. */
export function trajectoriesSpec(runs: readonly SkillsRunView[], opts: { width: number; theme: SkillsChartTheme }): TopLevelSpec {
  const shown = runs.filter((r) => r.evaluation);
  const labels = runLabels(runs);
  const rows = trajectoryRows(runs, (r) => isDiscrete(r));
  const walls = wallRows(runs);
  const panel = Math.max(160, Math.min(420, Math.floor((opts.width - 40 * shown.length) / Math.max(1, shown.length))));
  const maze = runs.some((r) => r.layout);
  // In a maze, y grows downward as in the layout; in the open plane, upward as usual.
  const yScale = maze ? { zero: false, reverse: true, nice: false } : { zero: false };
  const xScale = { zero: false, nice: !maze };
  const panels = shown.map((run) => {
    const label = labels[runs.indexOf(run)];
    const ev = run.evaluation!;
    return {
      title: { text: label, subtitle: `epoch ${ev.epoch}: ${ev.coverage} cells, final distance ${ev.finalDistance.toFixed(1)} of ${ev.maxDistance.toFixed(1)}` },
      width: panel,
      height: panel,
      layer: [
        ...(walls.some((w) => w.run === label)
          ? [{
              data: { values: walls.filter((w) => w.run === label) },
              mark: { type: 'rect' as const, color: opts.theme.wall },
              encoding: { x: { field: 'x', type: 'quantitative' as const, scale: xScale, title: 'x' }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative' as const, scale: yScale, title: 'y' }, y2: { field: 'y2' } },
            }]
          : []),
        {
          data: { values: rows.filter((r) => r.run === label) },
          mark: { type: 'line' as const, strokeWidth: 1.4, opacity: 0.9 },
          encoding: {
            x: { field: 'x', type: 'quantitative' as const, scale: xScale, title: 'x' },
            y: { field: 'y', type: 'quantitative' as const, scale: yScale, title: 'y' },
            detail: { field: 'skill', type: 'nominal' as const },
            order: { field: 't', type: 'quantitative' as const },
            color: { field: 'color', type: 'nominal' as const, scale: null, legend: null },
            tooltip: [{ field: 'skill', title: 'skill' }, { field: 't', title: 'step' }, { field: 'x', format: '.2f' }, { field: 'y', format: '.2f' }],
          },
        },
      ],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: config(opts.theme),
    hconcat: panels,
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as TopLevelSpec;
}

export interface CoverageRow { run: string; epoch: number; coverage: number; finalDistance: number }

export function coverageRows(runs: readonly SkillsRunView[]): CoverageRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, i) => run.coverage.map((p) => ({ run: labels[i], ...p })));
}

/** Coverage (cells) over training epochs, one line per run. */
export function coverageSpec(runs: readonly SkillsRunView[], opts: { width: number; theme: SkillsChartTheme }): TopLevelSpec {
  const labels = runLabels(runs);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: config(opts.theme),
    width: Math.max(200, opts.width - 160),
    height: 160,
    title: { text: 'Coverage over training', subtitle: 'distinct unit cells visited by the evaluated skills' },
    data: { values: coverageRows(runs) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'coverage', type: 'quantitative', title: 'cells covered' },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: labels, range: opts.theme.runColors } },
      tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'coverage', title: 'cells' }, { field: 'finalDistance', title: 'final distance', format: '.2f' }],
    },
  } as TopLevelSpec;
}

function isDiscrete(run: SkillsRunView): boolean {
  return /· \d+ skills$/.test(run.label);
}

/** The trajectories chart's data for export: one row per position of each evaluated skill. */
export const TRAJECTORY_CSV_HEADER = ['run', 'skill', 'step', 'x', 'y'];
export function trajectoryCsvRows(runs: readonly SkillsRunView[]): CsvCell[][] {
  return trajectoryRows(runs, isDiscrete).map((r) => [r.run, r.skill, r.t, r.x, r.y]);
}

/** The coverage chart's data for export: one row per run and evaluated epoch. */
export const COVERAGE_CSV_HEADER = ['run', 'epoch', 'cells covered', 'final distance'];
export function coverageCsvRows(runs: readonly SkillsRunView[]): CsvCell[][] {
  return coverageRows(runs).map((r) => [r.run, r.epoch, r.coverage, r.finalDistance]);
}
