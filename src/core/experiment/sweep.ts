import type { Node as JsonNode } from 'jsonc-parser';
import { createRng } from '../util/random';
import { freezingWithOverride } from './freezingPolicies';
import { diagnosticAt, type ExperimentDiagnostic, type LineMap } from './diagnostic';
import { pathToPointer, rangeOf } from './jsonLocation';
import { experimentValidators } from './schema';
import { schemaDiagnostics } from './schemaErrors';
import type { SweepConfig, SweepDistribution } from './types';

/**
 * A sweep's points: pure expansion of an experiment's `sweep` block, and the editor's checks of
 * it. A point is a set of JSON pointer -> value assignments over the experiment (without its
 * `sweep` and `cluster` blocks); each point becomes one run (`sweepLoad.ts` validates it).
 */
export interface SweepPoint {
  /** 0-based, the Slurm array index of the point. */
  index: number;
  /** JSON pointer -> value, in the sweep block's order (grid first, then random). */
  params: Record<string, unknown>;
}

/** More points than this is almost surely a mistake (and a Slurm array limit on most sites). */
export const MAX_SWEEP_POINTS = 10000;

/** The editor checks every point of a sweep this small as a whole (schema only: fast). */
const POINTS_CHECKED = 1000;

/** Fields a sweep cannot vary: the experiment's kind and the sweep's own settings. */
const FIXED = ['/kind', '/sweep', '/cluster'];

export function expandSweep(sweep: SweepConfig): SweepPoint[] {
  const grid = gridPoints(sweep.grid ?? {});
  const random = sweep.random;
  let params: Record<string, unknown>[];
  if (!random) params = grid;
  else if (!random.params) params = pickGridPoints(grid, random.count, random.seed ?? 0);
  else {
    const samples = drawSamples(random.params, random.count, random.seed ?? 0);
    params = grid.flatMap((g) => samples.map((s) => ({ ...g, ...s })));
  }
  return params.map((p, index) => ({ index, params: p }));
}

/** How many points `expandSweep` gives, without building them. */
export function sweepPointCount(sweep: SweepConfig): number {
  const gridSize = Object.values(sweep.grid ?? {}).reduce((n, values) => n * values.length, 1);
  if (!sweep.random) return gridSize;
  return sweep.random.params ? gridSize * sweep.random.count : Math.min(gridSize, sweep.random.count);
}

/** Every combination; the last key varies fastest (nested loops in the block's order). An empty grid is one empty point. */
function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [pointer, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [pointer]: v })));
  }
  return points;
}

/** `count` distinct grid points chosen at random (a partial Fisher-Yates shuffle), in grid order. */
function pickGridPoints(grid: Record<string, unknown>[], count: number, seed: number): Record<string, unknown>[] {
  if (count >= grid.length) return grid;
  const rng = createRng(seed);
  const order = grid.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(order.length - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort((a, b) => a - b).map((i) => grid[i]);
}

function drawSamples(params: Record<string, SweepDistribution>, count: number, seed: number): Record<string, unknown>[] {
  const rng = createRng(seed);
  const samples: Record<string, unknown>[] = [];
  for (let s = 0; s < count; s++) {
    const sample: Record<string, unknown> = {};
    for (const [pointer, d] of Object.entries(params)) sample[pointer] = draw(d, rng.next());
    samples.push(sample);
  }
  return samples;
}

function draw(d: SweepDistribution, u: number): unknown {
  if ('uniform' in d) return d.uniform[0] + u * (d.uniform[1] - d.uniform[0]);
  if ('logUniform' in d) {
    const [lo, hi] = d.logUniform.map(Math.log);
    // Six significant digits: a learning rate of 0.000316228, not 0.00031622776601683794.
    return Number(Math.exp(lo + u * (hi - lo)).toPrecision(6));
  }
  if ('int' in d) return d.int[0] + Math.floor(u * (d.int[1] - d.int[0] + 1));
  return d.choice[Math.floor(u * d.choice.length)];
}

/**
 * The experiment a point runs: `base` without `sweep` and `cluster`, with the point's values
 * set. A point that changes the freezing policy drops the options the new policy does not take
 * (as `--policy` does). A field whose parent `base` leaves to the schema's defaults is set in a
 * copy of that parent from `defaults` (`base` with its defaults filled in).
 */
export function experimentAtPoint(base: Record<string, unknown>, params: Record<string, unknown>, defaults?: Record<string, unknown>): Record<string, unknown> {
  const { sweep: _sweep, cluster: _cluster, ...rest } = structuredClone(base);
  const policy = params['/freezing/policy'];
  if (typeof policy === 'string' && rest.kind === 'train') rest.freezing = freezingWithOverride(rest.freezing, policy);
  for (const [pointer, value] of Object.entries(params)) setPointer(rest, pointer, structuredClone(value), defaults);
  return rest;
}

/**
 * Sets the field at `pointer`; false when its parent is not an object (or an array holding that
 * index). Missing parents are copied from `fallback` where it has them.
 */
export function setPointer(root: Record<string, unknown>, pointer: string, value: unknown, fallback?: Record<string, unknown>): boolean {
  const parts = splitPointer(pointer);
  const leaf = parts.pop() as string;
  let node: unknown = root;
  let spare: unknown = fallback;
  for (const part of parts) {
    let next = child(node, part);
    spare = child(spare, part);
    if (next === undefined && (isObject(spare) || Array.isArray(spare)) && isObject(node)) {
      next = structuredClone(spare);
      node[part] = next;
    }
    node = next;
  }
  if (isObject(node)) {
    node[leaf] = value;
    return true;
  }
  if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(leaf) && Number(leaf) < node.length) {
    node[Number(leaf)] = value;
    return true;
  }
  return false;
}

function child(node: unknown, part: string): unknown {
  if (isObject(node)) return node[part];
  if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(part)) return node[Number(part)];
  return undefined;
}

function splitPointer(pointer: string): string[] {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The editor's checks of a `sweep` block whose shape the schema accepted: each pointer names a
 * field of this experiment (its parent exists, with schema defaults filled in, and the schema
 * knows the field), and each value is one the schema accepts there. Values are checked one at a
 * time against the rest of the experiment; a point whose combination is invalid is reported
 * when the sweep is expanded (`loadSweepText`).
 */
export function sweepDiagnostics(value: Record<string, unknown>, tree: JsonNode | undefined, lines: LineMap): ExperimentDiagnostic[] {
  const sweep = value.sweep as SweepConfig | undefined;
  if (!sweep) return [];
  const out: ExperimentDiagnostic[] = [];
  const at = (message: string, path: (string | number)[], mode: 'key' | 'value' = 'value', severity: 'error' | 'warning' = 'error') => {
    const { start, end } = rangeOf(tree, pathToPointer(path), mode);
    out.push(diagnosticAt(lines, message, pathToPointer(path), start, end, severity));
  };
  const base = experimentAtPoint(value, {});
  const defaults = structuredClone(base);
  experimentValidators().withDefaults(defaults);

  const checkPointer = (pointer: string, keyPath: (string | number)[], values: { value: unknown; path: (string | number)[] }[]): void => {
    if (FIXED.some((f) => pointer === f || pointer.startsWith(`${f}/`))) {
      at(`a sweep cannot vary "${pointer}"`, keyPath, 'key');
      return;
    }
    if (!setPointer(structuredClone(base), pointer, null, defaults)) {
      const parent = pointer.slice(0, pointer.lastIndexOf('/')) || '/';
      at(`"${pointer}" is not a field of this experiment: it has nothing at "${parent}"`, keyPath, 'key');
      return;
    }
    for (const v of values) {
      const candidate = experimentAtPoint(base, { [pointer]: v.value }, defaults);
      const check = experimentValidators().check;
      if (check(candidate)) continue;
      const errors = check.errors ?? [];
      const unknown = errors.find((e) => e.keyword === 'additionalProperties' && `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}` === pointer);
      if (unknown) {
        at(`"${pointer}" is not a field of this experiment (the schema has no "${pointer.split('/').pop()}" there)`, keyPath, 'key');
        return;
      }
      // Only what is wrong with the value itself; what it needs elsewhere is the point's problem (below).
      const problem = schemaDiagnostics(errors, undefined, lines).find((d) => d.pointer === pointer || d.pointer.startsWith(`${pointer}/`));
      if (problem) at(`${JSON.stringify(v.value)} is not a valid value for "${pointer}": ${problem.pointer !== pointer ? `${problem.pointer}: ` : ''}${problem.message}`, v.path);
    }
  };

  for (const [pointer, values] of Object.entries(sweep.grid ?? {})) {
    checkPointer(pointer, ['sweep', 'grid', pointer], values.map((v, i) => ({ value: v, path: ['sweep', 'grid', pointer, i] })));
  }
  const random = sweep.random;
  if (random && !random.params && !sweep.grid) at('"random" without "params" picks points of the grid: add a "grid", or "params" to draw from', ['sweep', 'random'], 'key');
  for (const [pointer, d] of Object.entries(random?.params ?? {})) {
    const keyPath = ['sweep', 'random', 'params', pointer];
    if (sweep.grid && pointer in sweep.grid) {
      at(`"${pointer}" is in the grid too; a parameter is either in the grid or drawn at random`, keyPath, 'key');
      continue;
    }
    const [name, arg] = Object.entries(d)[0] as [string, unknown[]];
    if (name !== 'choice' && Number(arg[0]) > Number(arg[1])) {
      at(`the range of "${pointer}" is empty: low ${String(arg[0])} is above high ${String(arg[1])}`, [...keyPath, name]);
      continue;
    }
    checkPointer(pointer, keyPath, arg.map((v, i) => ({ value: v, path: [...keyPath, name, i] })));
  }
  const count = sweepPointCount(sweep);
  if (out.length === 0 && count <= POINTS_CHECKED) {
    // Values that are each fine can still make an invalid experiment together (a freezing
    // policy without the options it needs): the first such point, at the block.
    for (const point of expandSweep(sweep)) {
      const candidate = experimentAtPoint(base, point.params, defaults);
      const check = experimentValidators().check;
      if (check(candidate)) continue;
      const problem = schemaDiagnostics(check.errors ?? [], undefined, lines)[0];
      at(`point ${point.index} (${describeParams(point.params)}) is not a valid experiment: ${problem ? `${problem.pointer}: ${problem.message}` : 'the schema rejects it'}`, ['sweep'], 'key');
      break;
    }
  }
  if (count > MAX_SWEEP_POINTS) at(`the sweep has ${count} points, more than ${MAX_SWEEP_POINTS}: split it, or sample it with "random"`, ['sweep'], 'key');
  const gridSize = sweepPointCount({ grid: sweep.grid });
  if (random && !random.params && random.count >= gridSize && sweep.grid) {
    at(`"count" ${random.count} is not below the grid's ${gridSize} points: every point runs, none is sampled`, ['sweep', 'random', 'count'], 'value', 'warning');
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `/training/optimizer/learningRate=0.001, /freezing/policy="none"`: a point for people. */
export function describeParams(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? 'no parameters' : entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}
