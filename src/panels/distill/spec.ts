import type { TopLevelSpec } from 'vega-lite';
import { armRows, type DistillView } from './viewModel';

/**
 * The distillation panel's charts as Vega-Lite specs (pure; the webview compiles them and
 * renders with vega's expression interpreter, so the CSP needs no `eval`):
 * - per stage, one lane per loss on the stage's step axis, a line per arm;
 * - the arms' accuracy, parameters and ms per example side by side, the teacher as a reference rule;
 * - per data-free arm, each teacher batch-norm layer's mean and variance gap on Gaussian noise
 *   (before synthesis) and on the arm's synthetic set (after).
 */
export interface DistillChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  /** One colour per arm, in the arms' order. */
  runColors: string[];
  /** The teacher's reference rules. */
  reference: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const config = (t: DistillChartTheme) => ({
  background: 'transparent',
  font: t.fontFamily,
  view: { stroke: t.grid },
  axis: { labelColor: t.mutedForeground, titleColor: t.foreground, gridColor: t.grid, domainColor: t.grid, tickColor: t.grid, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  legend: { labelColor: t.foreground, titleColor: t.foreground, labelFontSize: t.fontSize - 2, titleFontSize: t.fontSize - 1 },
  header: { labelColor: t.foreground, titleColor: t.foreground, labelFontSize: t.fontSize - 1 },
  title: { color: t.foreground, fontSize: t.fontSize, subtitleColor: t.mutedForeground, subtitleFontSize: t.fontSize - 2, anchor: 'start' as const },
});

/** The arms' colour scale, the same colour for an arm in every chart (by its place in the plan); `only`: the arms this chart draws. */
function armColors(view: DistillView, t: DistillChartTheme, only?: ReadonlySet<string>) {
  const all = view.arms.map((a, i) => ({ name: a.name, color: t.runColors[i % t.runColors.length] })).filter((a) => !only || only.has(a.name));
  return { domain: all.map((a) => a.name), range: all.map((a) => a.color) };
}

/**
 * One stage's loss lanes: a row per lane (its own y scale), one x axis (the stage's steps),
 * a line per arm that ran the stage.
 */
export function stageLanesSpec(view: DistillView, stage: string, opts: { width: number; theme: DistillChartTheme }): TopLevelSpec {
  const t = opts.theme;
  const lanes = view.stages.find((s) => s.name === stage)?.lanes ?? [];
  const points = view.points.filter((p) => p.stage === stage);
  return {
    $schema: SCHEMA,
    config: config(t),
    title: { text: `Stage: ${stage}`, subtitle: `${lanes.length} lane${lanes.length === 1 ? '' : 's'} · step within the stage` },
    data: { values: points },
    facet: {
      row: { field: 'lane', type: 'nominal', sort: lanes, title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelPadding: 4 } },
    },
    spec: {
      width: Math.max(220, opts.width - 170),
      height: 70,
      mark: { type: 'line', strokeWidth: 1.5, interpolate: 'monotone', point: points.length < 60 ? { size: 14 } : false },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickCount: 6 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false }, axis: { tickCount: 3, format: '~g' } },
        color: { field: 'arm', type: 'nominal', title: 'arm', scale: armColors(view, t, new Set(points.map((p) => p.arm))) },
        tooltip: [{ field: 'arm' }, { field: 'lane' }, { field: 'step' }, { field: 'value', format: '.5g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

type Measure = 'accuracy' | 'parameters' | 'msPerExample';

const MEASURES: { key: Measure; title: string; format: string }[] = [
  { key: 'accuracy', title: 'test accuracy', format: '.0%' },
  { key: 'parameters', title: 'parameters', format: '~s' },
  { key: 'msPerExample', title: 'ms per example', format: '.2~g' },
];

/**
 * The arms side by side: one bar per arm in each of accuracy, parameters and ms per example
 * (arms not measured yet have no bar), the teacher a dashed reference rule with its value.
 */
export function armsSpec(view: DistillView, opts: { width: number; theme: DistillChartTheme }): TopLevelSpec {
  const t = opts.theme;
  const rows = armRows(view);
  const arms = rows.filter((r) => !r.teacher);
  const teacher = rows.find((r) => r.teacher);
  const names = arms.map((a) => a.name);
  // Room for the arm names on the first panel's axis and the gaps between the three.
  const width = Math.max(120, Math.floor((opts.width - 160) / 3) - 40);
  const panel = (m: (typeof MEASURES)[number], i: number) => {
    const values = arms.filter((a) => a[m.key] !== undefined).map((a) => ({ arm: a.name, value: a[m.key]! }));
    const ref = teacher?.[m.key];
    return {
      width,
      height: Math.max(60, 22 * names.length),
      title: { text: m.title, subtitle: ref === undefined ? 'teacher: —' : `teacher (dashed): ${formatValue(ref, m.key)}` },
      layer: [
        {
          data: { values },
          mark: { type: 'bar' as const, cornerRadiusEnd: 2 },
          encoding: {
            y: { field: 'arm', type: 'nominal' as const, sort: names, scale: { domain: names }, title: null, axis: i === 0 ? {} : { labels: false, ticks: false } },
            x: { field: 'value', type: 'quantitative' as const, title: null, axis: { format: m.format, tickCount: 4 } },
            color: { field: 'arm', type: 'nominal' as const, scale: armColors(view, t), legend: null },
            tooltip: [{ field: 'arm' }, { field: 'value', title: m.title, format: m.key === 'accuracy' ? '.1%' : m.key === 'msPerExample' ? '.3~g' : ',' }],
          },
        },
        ...(ref === undefined
          ? []
          : [{
              data: { values: [{ value: ref }] },
              mark: { type: 'rule' as const, strokeDash: [4, 3], color: t.reference, strokeWidth: 1.5 },
              encoding: { x: { field: 'value', type: 'quantitative' as const } },
            }]),
      ],
    };
  };
  return {
    $schema: SCHEMA,
    config: config(t),
    hconcat: MEASURES.map(panel),
  } as TopLevelSpec;
}

function formatValue(v: number, key: Measure): string {
  if (key === 'accuracy') return `${(v * 100).toFixed(1)}%`;
  if (key === 'parameters') return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(v);
  return `${Number(v.toPrecision(3))} ms`;
}

export interface BatchNormRow {
  arm: string;
  layer: string;
  statistic: 'mean' | 'variance';
  inputs: 'Gaussian noise (before)' | 'synthetic (after)';
  gap: number;
}

export const BN_INPUTS = ['Gaussian noise (before)', 'synthetic (after)'] as const;

/** One row per (arm, teacher batch-norm layer, statistic, inputs). */
export function batchNormRows(view: DistillView): BatchNormRow[] {
  return view.arms.flatMap((a) =>
    (a.batchNorm ?? []).flatMap((g) => {
      const rows: BatchNormRow[] = [];
      if (g.meanBefore !== undefined) rows.push({ arm: a.name, layer: g.layer, statistic: 'mean', inputs: BN_INPUTS[0], gap: g.meanBefore });
      rows.push({ arm: a.name, layer: g.layer, statistic: 'mean', inputs: BN_INPUTS[1], gap: g.mean });
      if (g.varianceBefore !== undefined) rows.push({ arm: a.name, layer: g.layer, statistic: 'variance', inputs: BN_INPUTS[0], gap: g.varianceBefore });
      rows.push({ arm: a.name, layer: g.layer, statistic: 'variance', inputs: BN_INPUTS[1], gap: g.variance });
      return rows;
    }),
  );
}

/**
 * The batch-norm match per teacher layer: for each data-free arm (a row) and statistic (a
 * column), the relative RMS gap of each layer's batch statistics to its running ones, noise
 * next to the synthetic set (0 = the teacher sees the data's statistics).
 */
export function batchNormSpec(view: DistillView, opts: { width: number; theme: DistillChartTheme }): TopLevelSpec {
  const t = opts.theme;
  const layers = view.teacher?.batchNormLayers ?? [];
  return {
    $schema: SCHEMA,
    config: config(t),
    title: { text: 'Batch-norm statistics match', subtitle: 'relative RMS gap of batch mean / variance to the teacher\'s running ones (0 = match)' },
    data: { values: batchNormRows(view) },
    facet: {
      row: { field: 'arm', type: 'nominal', title: null, sort: view.arms.map((a) => a.name), header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } },
      column: { field: 'statistic', type: 'nominal', title: null, sort: ['mean', 'variance'] },
    },
    spec: {
      width: Math.max(140, Math.floor((opts.width - 300) / 2)),
      height: 110,
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        x: { field: 'layer', type: 'nominal', sort: layers, title: 'teacher batch-norm layer', axis: { labelAngle: 0 } },
        xOffset: { field: 'inputs', type: 'nominal', sort: [...BN_INPUTS] },
        y: { field: 'gap', type: 'quantitative', title: 'gap', axis: { format: '~g', tickCount: 4 } },
        color: { field: 'inputs', type: 'nominal', title: 'inputs', sort: [...BN_INPUTS], scale: { domain: [...BN_INPUTS], range: [t.mutedForeground, t.runColors[0]] } },
        tooltip: [{ field: 'arm' }, { field: 'layer' }, { field: 'statistic' }, { field: 'inputs' }, { field: 'gap', format: '.4g' }],
      },
    },
  } as TopLevelSpec;
}
