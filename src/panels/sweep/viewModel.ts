/**
 * The sweep panel's view model (pure): a sweep's points, what was swept (one JSON pointer per
 * parameter) and their final metrics, and from that the axes of the parallel-coordinates chart
 * and the per-parameter scatters. A parameter whose values are all numbers is a numeric axis
 * (logarithmic when positive and spanning a factor of 10 or more, as learning rates do); any
 * other parameter is categorical, its values in the order the sweep lists them.
 */

/** A point's status (`runner/sweepState.ts` PointStatus: its run's, or queued before it began). */
export type PointStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';

/** A parameter's value as the panel shows it: objects and arrays (a layer list) become their JSON text. */
export type ParamValue = string | number | boolean | null;

export interface SweepPointView {
  index: number;
  runId: string;
  status: PointStatus;
  /** By JSON pointer. */
  params: Record<string, ParamValue>;
  /** Final metrics (a completed point's), by name. */
  metrics: Record<string, number>;
  message?: string;
}

export interface SweepView {
  sweepId: string;
  sweepDir: string;
  /** The experiment's name. */
  name: string;
  executor: 'local' | 'slurm';
  /** The latest Slurm array job. */
  jobId?: string;
  /** The swept JSON pointers, in the sweep's order. */
  pointers: string[];
  points: SweepPointView[];
}

/** The input the host has: the plan's header and `sweepState`'s points. */
export interface SweepSource {
  sweepId: string;
  sweepDir: string;
  name: string;
  executor: 'local' | 'slurm';
  jobId?: string;
  /** `sweepState`'s points. */
  points: readonly { index: number; runId: string; params: Record<string, unknown>; status: PointStatus; metrics?: Record<string, number>; message?: string }[];
}

/** Most points a panel draws (a sweep of thousands is summarised by its CLI, not a chart). */
export const MAX_POINTS = 5000;

export function sweepView(s: SweepSource): SweepView {
  const pointers: string[] = [];
  for (const p of s.points) for (const k of Object.keys(p.params)) if (!pointers.includes(k)) pointers.push(k);
  return {
    sweepId: s.sweepId,
    sweepDir: s.sweepDir,
    name: s.name,
    executor: s.executor,
    ...(s.jobId ? { jobId: s.jobId } : {}),
    pointers,
    points: s.points.slice(0, MAX_POINTS).map((p) => ({
      index: p.index,
      runId: p.runId,
      status: p.status,
      params: Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, paramValue(v)])),
      metrics: Object.fromEntries(Object.entries(p.metrics ?? {}).filter(([, v]) => Number.isFinite(v))),
      ...(p.message ? { message: p.message } : {}),
    })),
  };
}

function paramValue(v: unknown): ParamValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return JSON.stringify(v) ?? String(v);
}

/** How a metric reads: its label, whether higher is better, and how to print it. */
export interface MetricInfo {
  name: string;
  label: string;
  higherIsBetter: boolean;
  /** A share (0..1) printed as a percentage. */
  percent: boolean;
}

const KNOWN_METRICS: Record<string, Omit<MetricInfo, 'name'>> = {
  accuracy: { label: 'test accuracy', higherIsBetter: true, percent: true },
  loss: { label: 'test loss', higherIsBetter: false, percent: false },
  entityF1: { label: 'entity F1', higherIsBetter: true, percent: true },
  relationF1: { label: 'relation F1', higherIsBetter: true, percent: true },
  coverage: { label: 'cells covered', higherIsBetter: true, percent: false },
  finalDistance: { label: 'final distance', higherIsBetter: true, percent: false },
  successRate: { label: 'success rate', higherIsBetter: true, percent: true },
  onMode: { label: 'on a data mode', higherIsBetter: true, percent: true },
  bestModeShare: { label: 'on the best mode', higherIsBetter: true, percent: true },
};

export function metricInfo(name: string): MetricInfo {
  return { name, ...(KNOWN_METRICS[name] ?? { label: name, higherIsBetter: true, percent: false }) };
}

/** The metrics any point reports, the headline first (the first a point lists: accuracy for train runs). */
export function metricNames(view: SweepView): string[] {
  const names: string[] = [];
  for (const p of view.points) for (const k of Object.keys(p.metrics)) if (!names.includes(k)) names.push(k);
  return names;
}

export function formatMetric(info: MetricInfo, v: number): string {
  return info.percent ? `${(v * 100).toFixed(1)}%` : Number(v.toPrecision(4)).toString();
}

export function formatParam(v: ParamValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The best completed point by `metric` (ties: the lower index), if any has it. */
export function bestPoint(view: SweepView, metric: string): SweepPointView | undefined {
  const info = metricInfo(metric);
  let best: SweepPointView | undefined;
  for (const p of view.points) {
    const v = p.metrics[metric];
    if (v === undefined || p.status !== 'completed') continue;
    const b = best?.metrics[metric];
    if (b === undefined || (info.higherIsBetter ? v > b : v < b)) best = p;
  }
  return best;
}

/** One axis of the parallel-coordinates chart: where each value sits (0 bottom .. 1 top) and its labelled ticks. */
export interface Axis {
  /** The JSON pointer, or the metric's label for the last axis. */
  title: string;
  scale: 'linear' | 'log' | 'categorical';
  /** Categories in order (categorical axes). */
  categories?: string[];
  /** Smallest and largest value (numeric axes). */
  domain?: [number, number];
  ticks: { pos: number; label: string }[];
}

/** Where points without the metric (failed early, queued, still running) sit on the metric axis: below it. */
export const MISSING_POS = -0.18;

export function paramAxis(pointer: string, values: readonly ParamValue[]): Axis {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (numbers.length > 0 && numbers.length === values.length) return numericAxis(pointer, numbers, (v) => String(Number(v.toPrecision(4))));
  const categories: string[] = [];
  for (const v of values) if (!categories.includes(formatParam(v))) categories.push(formatParam(v));
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return { title: pointer, scale: 'categorical', categories, ticks: categories.map((c, i) => ({ pos: at(i), label: c })) };
}

function numericAxis(title: string, values: readonly number[], label: (v: number) => string): Axis {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const scale = lo > 0 && hi / lo >= 10 ? 'log' : 'linear';
  const axis: Axis = { title, scale, domain: [lo, hi], ticks: [] };
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  // A grid's few values are each labelled; many random samples get the ends and the middle.
  const shown = distinct.length <= 6 ? distinct : [lo, scale === 'log' ? Math.sqrt(lo * hi) : (lo + hi) / 2, hi];
  axis.ticks = shown.map((v) => ({ pos: axisPos(axis, v), label: label(v) }));
  return axis;
}

/** The position of a value on an axis (0..1); a single value sits in the middle. */
export function axisPos(axis: Axis, v: ParamValue): number {
  if (axis.scale === 'categorical') {
    const i = axis.categories!.indexOf(formatParam(v));
    return axis.categories!.length === 1 ? 0.5 : i / (axis.categories!.length - 1);
  }
  const [lo, hi] = axis.domain!;
  if (typeof v !== 'number' || hi === lo) return 0.5;
  return axis.scale === 'log' ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
}

/** The metric axis: measured values between their min and max, and a "no metric" slot below for the rest. */
export function metricAxis(view: SweepView, metric: string): Axis {
  const info = metricInfo(metric);
  const values = view.points.map((p) => p.metrics[metric]).filter((v): v is number => v !== undefined);
  const axis: Axis = values.length ? numericAxis(info.label, values, (v) => formatMetric(info, v)) : { title: info.label, scale: 'linear', domain: [0, 1], ticks: [] };
  // A metric never spans a log scale here: its ticks are recomputed on a linear one.
  if (axis.scale === 'log') {
    axis.scale = 'linear';
    const [lo, hi] = axis.domain!;
    axis.ticks = [lo, (lo + hi) / 2, hi].map((v) => ({ pos: axisPos(axis, v), label: formatMetric(info, v) }));
  }
  if (values.length < view.points.length) axis.ticks.push({ pos: MISSING_POS, label: 'no metric' });
  return axis;
}

/** One vertex of a point's line: the point's value on one axis. */
export interface LineRow {
  point: number;
  /** The axis title. */
  axis: string;
  order: number;
  pos: number;
  value: string;
  status: PointStatus;
  /**
   * A completed point's metric, its line's colour. Null for any other point: its line is dashed,
   * by status, and ends at its last value (a cancelled run's last evaluation) or under the axis.
   */
  metric: number | null;
  best: boolean;
  label: string;
}

export interface ParallelData {
  axes: Axis[];
  rows: LineRow[];
}

/** The parallel-coordinates chart's data: one axis per pointer and the metric, one line per point. */
export function parallelData(view: SweepView, metric: string): ParallelData {
  const info = metricInfo(metric);
  const axes = [...view.pointers.map((p) => paramAxis(p, view.points.map((pt) => pt.params[p] ?? null))), metricAxis(view, metric)];
  const best = bestPoint(view, metric);
  const rows: LineRow[] = [];
  for (const p of view.points) {
    const m = p.metrics[metric];
    const label = pointLabel(view, p);
    const completed = p.status === 'completed' && m !== undefined;
    const common = { point: p.index, status: p.status, metric: completed ? m : null, best: p === best, label };
    view.pointers.forEach((ptr, i) => {
      const v = p.params[ptr] ?? null;
      rows.push({ ...common, axis: axes[i].title, order: i, pos: axisPos(axes[i], v), value: formatParam(v) });
    });
    const last = axes.length - 1;
    const value = m === undefined ? p.status : completed ? formatMetric(info, m) : `${formatMetric(info, m)} (${p.status})`;
    rows.push({ ...common, axis: axes[last].title, order: last, pos: m === undefined ? MISSING_POS : axisPos(axes[last], m), value });
  }
  return { axes, rows };
}

/** "#2 learningRate=0.003, policy=none". */
export function pointLabel(view: SweepView, p: SweepPointView): string {
  return `#${p.index} ${view.pointers.map((k) => `${k.split('/').pop()}=${formatParam(p.params[k] ?? null)}`).join(', ')}`;
}

/** One dot of a parameter's scatter: a completed point with the metric. */
export interface ScatterRow {
  point: number;
  x: ParamValue;
  metric: number;
  best: boolean;
  label: string;
}

/** Per swept pointer, the completed points with the metric: x = the parameter's value, y = the metric. */
export function scatterData(view: SweepView, metric: string): { pointer: string; axis: Axis; rows: ScatterRow[] }[] {
  const best = bestPoint(view, metric);
  return view.pointers.map((pointer) => {
    const axis = paramAxis(pointer, view.points.map((p) => p.params[pointer] ?? null));
    // A categorical axis compares texts (a `true` and a "true" are one category).
    const x = (v: ParamValue) => (axis.scale === 'categorical' ? formatParam(v) : v);
    const rows = view.points.flatMap((p) => (p.metrics[metric] === undefined || p.status !== 'completed' ? [] : [{ point: p.index, x: x(p.params[pointer] ?? null), metric: p.metrics[metric], best: p === best, label: pointLabel(view, p) }]));
    return { pointer, axis, rows };
  });
}

/** "4 points · 3 completed · 1 running". */
export function statusSummary(view: SweepView): string {
  const counts = new Map<string, number>();
  for (const p of view.points) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return [`${view.points.length} point${view.points.length === 1 ? '' : 's'}`, ...[...counts].map(([s, n]) => `${n} ${s}`)].join(' · ');
}

/** The points as CSV rows: index, run, status, each parameter, each metric. */
export function sweepCsvRows(view: SweepView): { header: string[]; rows: (string | number | null)[][] } {
  const metrics = metricNames(view);
  return {
    header: ['point', 'runId', 'status', ...view.pointers, ...metrics],
    rows: view.points.map((p) => [p.index, p.runId, p.status, ...view.pointers.map((k) => { const v = p.params[k] ?? null; return typeof v === 'number' ? v : v === null ? null : formatParam(v); }), ...metrics.map((m) => p.metrics[m] ?? null)]),
  };
}
