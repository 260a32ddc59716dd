/**
 * Comparing runs by their resolved configuration and metrics: a configuration flattened to
 * `path -> value` (`training.optimizer.learningRate`, `model.layers[1].units`), the paths whose
 * values differ between runs (the runs table's hyperparameter columns), and a diff of two runs
 * that lists only what differs (`model-lab runs diff`, the comparison's config diff). Pure.
 */

/** A leaf of a flattened configuration: a scalar, or an array of scalars (e.g. `inputShape`). */
export type ParamValue = string | number | boolean | null | (string | number | boolean | null)[];

export type Params = Record<string, ParamValue>;

export interface ConfigDifference {
  path: string;
  /** Absent (undefined, omitted from JSON) when the run's configuration has no such field. */
  a?: ParamValue;
  b?: ParamValue;
}

export interface MetricDifference {
  a?: number;
  b?: number;
  /** b - a, when both have the metric. */
  delta?: number;
}

export interface RunDiff {
  config: ConfigDifference[];
  metrics: Record<string, MetricDifference>;
  /** How the results were made (`provenance.json`: git commit and dirty flag, versions, backend, data hashes), only what differs. */
  provenance: ConfigDifference[];
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Flattens a JSON value to `path -> leaf`. Objects add `.key`, arrays of objects `[i]`; arrays
 * of scalars are one leaf. Empty objects and arrays leave nothing.
 */
export function flattenParams(value: unknown, prefix = '', out: Params = {}): Params {
  if (isScalar(value)) {
    if (prefix) out[prefix] = value;
  } else if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isScalar)) out[prefix] = value.slice();
    else value.forEach((v, i) => flattenParams(v, `${prefix}[${i}]`, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export function sameValue(a: ParamValue | undefined, b: ParamValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

/**
 * The paths whose value is not the same in every run (a path some runs lack differs), in the
 * order they first appear. One run (or none) has no differences.
 */
export function differingPaths(runs: readonly Params[]): string[] {
  if (runs.length < 2) return [];
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const p of runs) {
    for (const k of Object.keys(p)) {
      if (!seen.has(k)) {
        seen.add(k);
        paths.push(k);
      }
    }
  }
  return paths.filter((k) => {
    const first = runs[0][k];
    return runs.some((p) => !sameValue(p[k], first));
  });
}

/** The fields that differ among several runs, with each run's value (undefined: the run lacks it), in the order of `runs`. */
export function differingFields(runs: readonly Params[]): { path: string; values: (ParamValue | undefined)[] }[] {
  return differingPaths(runs).map((path) => ({ path, values: runs.map((p) => p[path]) }));
}

type Comparable = { params: Params; metrics: Record<string, number>; provenance?: Params };

/** Only what differs between two runs: configuration fields, metrics, provenance (a run without a record of it has no fields). */
export function diffRuns(a: Comparable, b: Comparable): RunDiff {
  const fields = (x: Params, y: Params) => differingPaths([x, y]).map((path) => ({ path, a: x[path], b: y[path] }));
  const config = fields(a.params, b.params);
  const metrics: Record<string, MetricDifference> = {};
  for (const name of new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])) {
    const x = a.metrics[name];
    const y = b.metrics[name];
    if (Object.is(x, y)) continue;
    metrics[name] = { a: x, b: y, ...(x !== undefined && y !== undefined ? { delta: y - x } : {}) };
  }
  return { config, metrics, provenance: fields(a.provenance ?? {}, b.provenance ?? {}) };
}

/** A value for people: arrays as `[64, 64]`, strings as they are. */
export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined) return '—';
  if (Array.isArray(v)) return `[${v.map((x) => String(x)).join(', ')}]`;
  return String(v);
}
