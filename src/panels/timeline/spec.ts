import type { TopLevelSpec } from 'vega-lite';
import type { ClassificationReport } from '../../core/train/classificationReport';
import { downsample, type TimelineRun } from './viewModel';

/**
 * Builds the timeline's Vega-Lite spec from run timelines: a pure function, so tests can check
 * (and render) exactly what users see. The webview compiles it with vega-lite and renders it
 * with vega's expression interpreter (no `eval`, so the panel keeps a strict CSP).
 *
 * One column of charts sharing the step axis: layer lanes (training, then frozen), test
 * accuracy, loss, and backward FLOPs saved. Several runs are overlaid: each run has a colour,
 * and in the lanes each layer gets one bar per run (offset), so policies compare row by row.
 */

/** Colours and font of the current VS Code theme (read from CSS variables by the webview). */
export interface ChartTheme {
  foreground: string;
  mutedForeground: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  /** One colour per run, in order (VS Code's `--vscode-charts-*`). */
  runColors: string[];
  /** Lane colours when a single run is shown (several runs use their run colour instead). */
  laneColors: Record<LaneState, string>;
}

export interface TimelineSpecOptions {
  /** Pixel width available for the plot area of each chart. */
  width: number;
  theme: ChartTheme;
}

export type LaneState = 'training' | 'frozen' | 'pending';

export interface LaneRow {
  run: string;
  layer: string;
  order: number;
  state: LaneState;
  start: number;
  end: number;
  /** Shown in tooltips. */
  detail: string;
}

export interface FreezeRow { run: string; layer: string; order: number; step: number; epoch: number; label: string }
export interface MetricRow { run: string; step: number; epoch: number; accuracy: number | null; testLoss: number | null; saved: number }
export interface LossRow { run: string; step: number; loss: number }
/** Where a run diverged (its loss became NaN or infinite), marked on the loss chart. */
export interface DivergenceRow { run: string; step: number; label: string }

/** Distinct, short labels for runs: the policy, plus the run id's tail when policies repeat. */
export function runLabels(runs: readonly TimelineRun[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.policy, (counts.get(r.policy) ?? 0) + 1);
  return runs.map((r) => {
    const base = r.policy || r.runId;
    return (counts.get(r.policy) ?? 0) > 1 ? `${base} · ${r.runId.slice(-4)}` : base;
  });
}

/** Where the run's history ends on the step axis now. */
function endStep(run: TimelineRun): number {
  return Math.max(run.currentStep, run.firstStep);
}

export function laneRows(runs: readonly TimelineRun[]): LaneRow[] {
  const labels = runLabels(runs);
  const rows: LaneRow[] = [];
  runs.forEach((run, ri) => {
    const end = endStep(run);
    run.layers.forEach((layer, order) => {
      const frozenAt = layer.frozenAtStep;
      const trainingEnd = frozenAt === undefined ? end : Math.min(frozenAt, end);
      if (trainingEnd > run.firstStep || (frozenAt === undefined && run.status === 'running')) {
        rows.push({ run: labels[ri], layer: layer.name, order, state: 'training', start: run.firstStep, end: trainingEnd, detail: 'training' });
      }
      if (frozenAt !== undefined) {
        rows.push({
          run: labels[ri], layer: layer.name, order, state: 'frozen', start: frozenAt, end: Math.max(end, frozenAt),
          detail: `frozen at epoch ${layer.frozenAtEpoch ?? '?'} (step ${frozenAt})${layer.reason ? ` · ${layer.reason}` : ''}`,
        });
      }
      if (run.status === 'running' && run.totalSteps > end) {
        rows.push({ run: labels[ri], layer: layer.name, order, state: 'pending', start: end, end: run.totalSteps, detail: 'not yet trained' });
      }
    });
  });
  return rows;
}

export function freezeRows(runs: readonly TimelineRun[]): FreezeRow[] {
  const labels = runLabels(runs);
  const rows: FreezeRow[] = [];
  runs.forEach((run, ri) =>
    run.layers.forEach((layer, order) => {
      // Weightless layers follow their unit: one marker per actual freeze decision.
      if (layer.frozenAtStep === undefined || layer.unit < 0) return;
      rows.push({
        run: labels[ri], layer: layer.name, order, step: layer.frozenAtStep, epoch: layer.frozenAtEpoch ?? 0,
        label: `${layer.name} frozen at epoch ${layer.frozenAtEpoch ?? '?'} (step ${layer.frozenAtStep})`,
      });
    }),
  );
  return rows;
}

/**
 * Epoch points drawn per run: a small model can run thousands of epochs, more than a chart's width
 * shows; the panel's CSV export keeps every epoch.
 */
export const MAX_DRAWN_EPOCHS = 1000;

export function metricRows(runs: readonly TimelineRun[]): MetricRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, ri) =>
    downsample(run.epochPoints, MAX_DRAWN_EPOCHS).map((p) => ({
      run: labels[ri], step: p.step, epoch: p.epoch,
      accuracy: finiteOrNull(p.testAccuracy), testLoss: finiteOrNull(p.testLoss), saved: p.savedBackward,
    })),
  );
}

export function lossRows(runs: readonly TimelineRun[]): LossRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, ri) =>
    run.lossPoints.flatMap((p) => (typeof p.loss === 'number' && Number.isFinite(p.loss) ? [{ run: labels[ri], step: p.step, loss: p.loss }] : [])),
  );
}

export function divergenceRows(runs: readonly TimelineRun[]): DivergenceRow[] {
  const labels = runLabels(runs);
  return runs.flatMap((run, ri) =>
    run.status === 'diverged' ? [{ run: labels[ri], step: endStep(run), label: run.message ?? 'training diverged' }] : [],
  );
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Ticks on the accuracy axis (Vega picks round steps near this count). */
const ACCURACY_TICKS = 5;

/**
 * Decimals of a percentage axis over `values` (fractions) with about `ticks` ticks: those of the
 * tick step Vega will choose (1, 2 or 5 times a power of ten, as d3's ticks), so neighbouring
 * ticks read differently: accuracy that moves by less than a point shows "98.2%, 98.4%", not
 * "98%, 98%". At most three; the tooltip shows one more (at least two).
 */
export function percentDigits(values: readonly number[], ticks = ACCURACY_TICKS): { axis: number; tooltip: number } {
  const finite = values.filter(Number.isFinite);
  const span = finite.length ? (Math.max(...finite) - Math.min(...finite)) * 100 : 0;
  let axis = 1;
  if (span > 0) {
    const raw = span / ticks;
    const power = 10 ** Math.floor(Math.log10(raw));
    const e = raw / power;
    const step = power * (e >= Math.sqrt(50) ? 10 : e >= Math.sqrt(10) ? 5 : e >= Math.sqrt(2) ? 2 : 1);
    axis = Math.min(3, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  }
  return { axis, tooltip: Math.max(2, axis + 1) };
}

export function timelineSpec(runs: readonly TimelineRun[], options: TimelineSpecOptions): TopLevelSpec {
  const { theme } = options;
  const labels = runLabels(runs);
  const single = runs.length === 1;
  // A live run shows its whole plan (the pending lane is its progress); a finished or stopped
  // run only what it trained, so a cancelled long run does not squash its curves to the left.
  const maxStep = Math.max(1, ...runs.map((r) => (r.status === 'running' ? Math.max(r.totalSteps, endStep(r)) : endStep(r))));
  const layerCount = Math.max(1, new Set(runs.flatMap((r) => r.layers.map((l) => l.name))).size);
  const laneHeight = single ? 22 : 10 + 10 * runs.length;
  const width = Math.max(160, Math.floor(options.width));
  const x = (title: string | null, field = 'step') => ({
    field, type: 'quantitative' as const, title,
    scale: { domain: [0, maxStep], nice: false, zero: true },
    axis: { tickCount: 8, tickMinStep: 1, format: ',d' },
  });
  // One run: curves in the first run colour, lanes coloured by state. Several runs: colour = run
  // everywhere (one shared scale), lanes show the state by opacity.
  const runColor = single
    ? { value: theme.runColors[0] }
    : {
        field: 'run', type: 'nominal' as const, title: 'Run',
        scale: { domain: labels, range: theme.runColors.slice(0, Math.max(1, labels.length)) },
        legend: { orient: 'top' as const, direction: 'horizontal' as const },
      };
  const runColorNoLegend = runColor;
  const freezeRules = {
    data: { name: 'freezes' },
    mark: { type: 'rule' as const, strokeDash: [3, 3], opacity: 0.55 },
    encoding: {
      x: { field: 'step', type: 'quantitative' as const },
      color: runColorNoLegend,
      tooltip: [{ field: 'label', title: 'Freeze' }, { field: 'run', title: 'Run' }],
    },
  };

  const lanes = {
    title: { text: 'Layers', subtitle: single ? 'training, then frozen (out of the backward pass)' : 'one bar per run; faded = frozen' },
    width,
    height: laneHeight * layerCount,
    layer: [
      {
        data: { name: 'lanes' },
        mark: { type: 'bar' as const, cornerRadius: 2, height: { band: 0.8 } },
        encoding: {
          x: x(null, 'start'),
          x2: { field: 'end' },
          y: { field: 'layer', type: 'nominal' as const, title: null, sort: { field: 'order', op: 'min' as const }, axis: { labelLimit: 140 } },
          ...(single
            ? {
                color: {
                  field: 'state', type: 'nominal' as const, title: null,
                  scale: { domain: ['training', 'frozen', 'pending'], range: [theme.laneColors.training, theme.laneColors.frozen, theme.laneColors.pending] },
                  legend: { orient: 'top' as const, direction: 'horizontal' as const },
                },
              }
            : {
                yOffset: { field: 'run', type: 'nominal' as const, scale: { domain: labels } },
                color: runColor,
                opacity: {
                  field: 'state', type: 'ordinal' as const, title: null,
                  scale: { domain: ['training', 'frozen', 'pending'], range: [1, 0.35, 0.08] },
                  legend: { orient: 'top' as const, direction: 'horizontal' as const, symbolFillColor: theme.foreground, symbolType: 'square' },
                },
              }),
          tooltip: [
            { field: 'layer', title: 'Layer' }, { field: 'run', title: 'Run' }, { field: 'detail', title: 'State' },
            { field: 'start', title: 'From step' }, { field: 'end', title: 'To step' },
          ],
        },
      },
      {
        data: { name: 'freezes' },
        mark: { type: 'text' as const, text: '❄', fontSize: 12, dx: 0, baseline: 'middle' as const, align: 'center' as const, color: theme.foreground },
        encoding: {
          x: { field: 'step', type: 'quantitative' as const },
          y: { field: 'layer', type: 'nominal' as const, sort: { field: 'order', op: 'min' as const } },
          ...(single ? {} : { yOffset: { field: 'run', type: 'nominal' as const, scale: { domain: labels } } }),
          tooltip: [{ field: 'label', title: 'Freeze' }, { field: 'run', title: 'Run' }],
        },
      },
    ],
  };

  const metrics = metricRows(runs);
  const digits = percentDigits(metrics.flatMap((r) => (r.accuracy === null ? [] : [r.accuracy])));
  const accuracy = {
    title: { text: 'Test accuracy' },
    width, height: 130,
    layer: [
      {
        data: { name: 'metrics' },
        transform: [{ filter: 'isValid(datum.accuracy)' }],
        mark: { type: 'line' as const, point: true, strokeWidth: 2 },
        encoding: {
          x: x(null),
          y: { field: 'accuracy', type: 'quantitative' as const, title: null, axis: { format: `.${digits.axis}%`, tickCount: ACCURACY_TICKS }, scale: { zero: false } },
          color: runColor,
          tooltip: [
            { field: 'run', title: 'Run' }, { field: 'epoch', title: 'Epoch' }, { field: 'step', title: 'Step' },
            { field: 'accuracy', title: 'Test accuracy', format: `.${digits.tooltip}%` },
          ],
        },
      },
      freezeRules,
    ],
  };

  const loss = {
    title: { text: 'Loss', subtitle: 'training (thin) and test (points)' },
    width, height: 130,
    layer: [
      {
        data: { name: 'loss' },
        mark: { type: 'line' as const, strokeWidth: 1, opacity: 0.7, interpolate: 'monotone' as const },
        encoding: { x: x(null), y: { field: 'loss', type: 'quantitative' as const, title: null }, color: runColorNoLegend },
      },
      {
        data: { name: 'metrics' },
        transform: [{ filter: 'isValid(datum.testLoss)' }],
        mark: { type: 'line' as const, point: { filled: true, size: 36 }, strokeWidth: 2, strokeDash: [5, 3] },
        encoding: {
          x: { field: 'step', type: 'quantitative' as const },
          y: { field: 'testLoss', type: 'quantitative' as const },
          color: runColorNoLegend,
          tooltip: [{ field: 'run', title: 'Run' }, { field: 'epoch', title: 'Epoch' }, { field: 'testLoss', title: 'Test loss', format: '.4f' }],
        },
      },
      {
        data: { name: 'divergences' },
        mark: { type: 'rule' as const, strokeWidth: 2 },
        encoding: {
          x: { field: 'step', type: 'quantitative' as const },
          color: runColorNoLegend,
          tooltip: [{ field: 'label', title: 'Diverged' }, { field: 'run', title: 'Run' }],
        },
      },
      {
        data: { name: 'divergences' },
        mark: { type: 'text' as const, text: '⚠ diverged', align: 'right' as const, baseline: 'top' as const, dx: -4, dy: 2, color: theme.foreground },
        encoding: { x: { field: 'step', type: 'quantitative' as const }, y: { value: 0 }, tooltip: [{ field: 'label', title: 'Diverged' }] },
      },
      freezeRules,
    ],
  };

  const flops = {
    title: { text: 'Backward FLOPs saved', subtitle: 'of the whole run so far, relative to no freezing' },
    width, height: 90,
    layer: [
      {
        data: { name: 'metrics' },
        mark: { type: 'line' as const, point: true, strokeWidth: 2, interpolate: 'step-before' as const },
        encoding: {
          x: x('step'),
          y: { field: 'saved', type: 'quantitative' as const, title: null, axis: { format: '.0%', tickCount: 3 }, scale: { domain: [0, 1] } },
          color: runColorNoLegend,
          tooltip: [{ field: 'run', title: 'Run' }, { field: 'epoch', title: 'Epoch' }, { field: 'saved', title: 'Backward FLOPs saved', format: '.1%' }],
        },
      },
      freezeRules,
    ],
  };

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'transparent',
    padding: { left: 4, right: 12, top: 8, bottom: 8 },
    datasets: {
      lanes: laneRows(runs) as never,
      freezes: freezeRows(runs) as never,
      metrics: metrics as never,
      loss: lossRows(runs) as never,
      divergences: divergenceRows(runs) as never,
    },
    vconcat: [lanes, accuracy, loss, flops],
    spacing: 22,
    resolve: { scale: { x: 'shared', color: single ? 'independent' : 'shared' } },
    config: chartConfig(theme),
  } as TopLevelSpec;
}

function chartConfig(theme: ChartTheme) {
  const text = { labelColor: theme.mutedForeground, titleColor: theme.foreground, labelFont: theme.fontFamily, titleFont: theme.fontFamily };
  return {
    font: theme.fontFamily,
    view: { stroke: null },
    axis: {
      ...text, gridColor: theme.grid, domainColor: theme.grid, tickColor: theme.grid,
      labelFontSize: theme.fontSize - 2, titleFontSize: theme.fontSize - 1, titleFontWeight: 'normal',
    },
    legend: { ...text, labelFontSize: theme.fontSize - 1, titleFontSize: theme.fontSize - 1, symbolStrokeWidth: 2 },
    title: {
      color: theme.foreground, subtitleColor: theme.mutedForeground, font: theme.fontFamily, subtitleFont: theme.fontFamily,
      fontSize: theme.fontSize + 1, subtitleFontSize: theme.fontSize - 2, fontWeight: 600, anchor: 'start', offset: 6,
    },
    text: { font: theme.fontFamily },
  };
}

/** One cell of a confusion matrix: examples of class `actual` predicted as `predicted`. */
export interface ConfusionRow {
  actual: string;
  predicted: string;
  count: number;
  /** Share of the true class's examples (the row), 0 for a class without examples. */
  share: number;
}

export function confusionRows(report: ClassificationReport): ConfusionRow[] {
  const names = report.classNames;
  return report.confusionMatrix.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({ actual: names[t], predicted: names[p], count, share: total === 0 ? 0 : count / total }));
  });
}

/**
 * The confusion matrix as a heatmap: rows the true class, columns the predicted one, in the
 * data's class order; colour is the share of the true class (so rare classes read as clearly as
 * common ones), the cell's text the count. Cells shrink with many classes; counts are drawn
 * while they fit.
 */
export function confusionMatrixSpec(report: ClassificationReport, options: { width: number; theme: ChartTheme; title?: string }): TopLevelSpec {
  const { theme } = options;
  const names = report.classNames;
  const n = Math.max(1, names.length);
  const cell = Math.max(8, Math.min(40, Math.floor(options.width / n)));
  const axisTitle = (t: string) => ({ field: t === 'True class' ? 'actual' : 'predicted', type: 'nominal' as const, title: t, sort: names, axis: { labelLimit: 120, labelAngle: t === 'True class' ? 0 : -45 } });
  const cellFields = [
    { field: 'actual', title: 'True class' }, { field: 'predicted', title: 'Predicted' },
    { field: 'count', title: 'Examples' }, { field: 'share', title: 'Share of the true class', format: '.1%' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'transparent',
    padding: { left: 4, right: 12, top: 8, bottom: 8 },
    title: { text: options.title ?? 'Confusion matrix', subtitle: 'test split, final model: rows true class, columns predicted' },
    data: { values: confusionRows(report) as never },
    width: cell * n,
    height: cell * n,
    layer: [
      {
        mark: { type: 'rect' as const },
        encoding: {
          x: axisTitle('Predicted'),
          y: axisTitle('True class'),
          color: {
            field: 'share', type: 'quantitative' as const, title: 'share of true class',
            scale: { domain: [0, 1], range: [theme.grid, theme.runColors[0]] },
            legend: { format: '.0%', gradientLength: Math.max(60, Math.min(200, cell * n)) },
          },
          tooltip: cellFields,
        },
      },
      ...(cell >= 22
        ? [{
            mark: { type: 'text' as const, fontSize: Math.max(9, theme.fontSize - 3) },
            encoding: {
              x: { field: 'predicted', type: 'nominal' as const, sort: names },
              y: { field: 'actual', type: 'nominal' as const, sort: names },
              text: { field: 'count', type: 'quantitative' as const },
              color: { condition: { test: 'datum.share >= 0.5', value: '#ffffff' }, value: theme.foreground },
              tooltip: cellFields,
            },
          }]
        : []),
    ],
    config: chartConfig(theme),
  } as TopLevelSpec;
}
