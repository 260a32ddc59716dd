import type { TopLevelSpec } from 'vega-lite';
import { MISSING_POS, metricInfo, parallelData, scatterData, type SweepView } from './viewModel';

/**
 * The sweep panel's charts as Vega-Lite specs (pure; the webview compiles them and renders
 * with vega's expression interpreter, no `eval` under the CSP):
 * - parallel coordinates: one vertical axis per swept pointer and one for the metric, one line
 *   per completed point coloured by its metric; the others (failed, cancelled, still running) run
 *   dashed, by status, to their last value or into a "no metric" slot under the metric axis;
 * - one scatter per pointer: the parameter's value against the metric.
 * Mark names (`PARALLEL_LINES`, `PARALLEL_UNFINISHED`, `SCATTER_DOTS`) let tests find the drawn marks.
 */
export interface SweepChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
}

export const PARALLEL_LINES = 'pointLines';
export const PARALLEL_UNFINISHED = 'unfinishedLines';
export const SCATTER_DOTS = 'pointDots';

/** How a point without a metric is dashed, by status (never solid: solid lines are measured points). */
const STATUS_DASHES: Record<string, number[]> = {
  failed: [6, 3],
  diverged: [6, 2, 1, 2],
  cancelled: [2, 3],
  interrupted: [8, 3, 2, 3],
  running: [1, 2],
  queued: [1, 6],
};

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function config(t: SweepChartTheme) {
  const text = { labelColor: t.mutedForeground, titleColor: t.foreground, labelFont: t.fontFamily, titleFont: t.fontFamily };
  return {
    background: 'transparent',
    font: t.fontFamily,
    view: { stroke: null },
    axis: { ...text, gridColor: t.grid, domainColor: t.grid, tickColor: t.grid, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1, titleFontWeight: 'normal' },
    legend: { ...text, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
    title: { color: t.foreground, subtitleColor: t.mutedForeground, font: t.fontFamily, fontSize: t.fontSize, subtitleFontSize: t.fontSize - 2, anchor: 'start' },
  };
}

/** The metric's colour scale: viridis, its bright end always the better one. */
function metricColor(metric: string) {
  const info = metricInfo(metric);
  return { field: 'metric', type: 'quantitative' as const, title: info.label, scale: { scheme: 'viridis', reverse: !info.higherIsBetter }, legend: { format: info.percent ? '.1%' : '.4~g' } };
}

export function parallelSpec(view: SweepView, metric: string, opts: { width: number; theme: SweepChartTheme }): TopLevelSpec {
  const { axes, rows } = parallelData(view, metric);
  const titles = axes.map((a) => a.title);
  const x = { field: 'axis', type: 'nominal' as const, scale: { domain: titles, padding: 0.25 }, axis: {
    orient: 'top' as const, title: null, labelAngle: 0, labelLimit: 0, domain: false, ticks: false, labelColor: opts.theme.foreground,
    // A long pointer on two lines, broken before its last part: "/training/optimizer" over "/learningRate".
    labelExpr: "length(datum.label) > 22 && lastindexof(datum.label, '/') > 0 ? [slice(datum.label, 0, lastindexof(datum.label, '/')), slice(datum.label, lastindexof(datum.label, '/'))] : datum.label",
  } };
  // Room above the top values for a pointer's second label line, and below the axes for the "no metric" slot.
  const y = { field: 'pos', type: 'quantitative' as const, scale: { domain: [MISSING_POS - 0.06, 1.14], nice: false, zero: false }, axis: null };
  const tooltip = [{ field: 'label', title: 'point' }, { field: 'status' }, { field: 'axis' }, { field: 'value' }];
  const ticks = axes.flatMap((a) => a.ticks.map((t) => ({ axis: a.title, pos: t.pos, label: t.label })));
  const statuses = [...new Set(rows.filter((r) => r.metric === null).map((r) => r.status))];
  return {
    $schema: SCHEMA,
    width: opts.width,
    height: 260,
    config: config(opts.theme),
    title: { text: `Parameters against ${metricInfo(metric).label}`, subtitle: 'one line per point; dashed: not completed (by status), at its last value or under "no metric"' },
    layer: [
      { data: { values: axes.map((a) => ({ axis: a.title })) }, mark: { type: 'rule', color: opts.theme.grid }, encoding: { x, y: { datum: 0, type: 'quantitative', scale: y.scale, axis: null }, y2: { datum: 1 } } },
      {
        name: PARALLEL_UNFINISHED,
        data: { values: rows.filter((r) => r.metric === null) },
        mark: { type: 'line', color: opts.theme.mutedForeground, strokeWidth: 1.5, opacity: 0.9 },
        encoding: {
          x, y, detail: { field: 'point', type: 'nominal' }, order: { field: 'order', type: 'quantitative' },
          strokeDash: { field: 'status', type: 'nominal', title: 'not completed', scale: { domain: statuses, range: statuses.map((s) => STATUS_DASHES[s] ?? [3, 3]) }, ...(statuses.length ? {} : { legend: null }) },
          tooltip,
        },
      },
      {
        name: PARALLEL_LINES,
        data: { values: rows.filter((r) => r.metric !== null) },
        mark: { type: 'line', strokeWidth: 2, opacity: 0.95 },
        encoding: {
          x, y, detail: { field: 'point', type: 'nominal' }, order: { field: 'order', type: 'quantitative' },
          color: { ...metricColor(metric), ...(rows.some((r) => r.metric !== null) ? {} : { legend: null }) },
          strokeWidth: { condition: { test: 'datum.best', value: 4 }, value: 2 },
          tooltip,
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 5, baseline: 'middle', color: opts.theme.mutedForeground, fontSize: opts.theme.fontSize - 2 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
    resolve: { scale: { strokeDash: 'independent' } },
  } as TopLevelSpec;
}

export function scatterSpec(view: SweepView, metric: string, opts: { width: number; theme: SweepChartTheme }): TopLevelSpec {
  const info = metricInfo(metric);
  const panels = scatterData(view, metric);
  const columns = Math.max(1, Math.min(panels.length, Math.floor(opts.width / 260)));
  const width = Math.max(160, Math.floor(opts.width / columns) - 70);
  return {
    $schema: SCHEMA,
    config: config(opts.theme),
    columns,
    concat: panels.map(({ pointer, axis, rows }) => ({
      name: `${SCATTER_DOTS}_${panels.findIndex((p) => p.pointer === pointer)}`,
      width,
      height: 180,
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
      encoding: {
        x: axis.scale === 'categorical'
          ? { field: 'x', type: 'nominal', title: pointer, scale: { domain: axis.categories }, axis: { labelAngle: 0, labelLimit: 120 } }
          : { field: 'x', type: 'quantitative', title: pointer, scale: { type: axis.scale, zero: false, nice: axis.scale === 'linear', padding: 12 }, axis: { format: '~g' } },
        y: { field: 'metric', type: 'quantitative', title: info.label, scale: { zero: false, padding: 12 }, axis: { format: info.percent ? '.0%' : '~g' } },
        color: { ...metricColor(metric), legend: null },
        size: { condition: { test: 'datum.best', value: 160 }, value: 70 },
        tooltip: [{ field: 'label', title: 'point' }, { field: 'metric', title: info.label, format: info.percent ? '.2%' : '.4~g' }],
      },
    })),
  } as TopLevelSpec;
}
