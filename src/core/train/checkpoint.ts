import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FlopsSaved, RunEvent } from './events';
import { UserError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';
import { confinedRealPath } from '../util/confinedPath';
import { parseJson } from '../util/jsonError';

/** One epoch's record, as in the `epoch` event. */
export type EpochRecord = Omit<Extract<RunEvent, { type: 'epoch' }>, 'type'>;

export interface FreezeRecord {
  layer: string;
  /** Completed epochs when the freeze took effect (= 0-based index of the epoch it happened in). */
  epoch: number;
  /** Optimizer steps taken when the freeze took effect. */
  step: number;
}

/** A tensor's values copied out of the backend (checkpoints are backend-independent). */
export interface StoredTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** Running totals (per-example FLOPs summed over steps) behind `flopsSaved`. */
export interface FlopsTotals {
  /** Training examples processed (a partial last batch counts its size). */
  examples: number;
  fullForward: number;
  fullBackward: number;
  savedForward: number;
  savedBackward: number;
}

/**
 * Where inside epoch `epoch` a run stopped (a stop request is honoured at the next step, not at
 * the end of the epoch): enough to continue that epoch exactly as an uninterrupted run would.
 */
export interface PartialEpoch {
  /** Steps of the epoch already taken (`stepsPerEpoch` when only its evaluation is left). */
  step: number;
  /** RNG state before the epoch's shuffle: a resume redraws the same batch order from it. */
  rngState: number[];
  /** Sum over the steps taken of batch loss times batch size (float32, as the loop keeps it). */
  lossSum: number;
  /** Training seconds spent in the epoch so far. */
  seconds: number;
}

/** Everything a run needs to continue exactly where it stopped (an epoch boundary, or a step inside an epoch). */
export interface TrainCheckpoint {
  /** Completed epochs; a resumed run starts with this (0-based) epoch. */
  epoch: number;
  globalStep: number;
  /** Set when the run stopped inside epoch `epoch` (`globalStep` then counts its steps too). */
  partialEpoch?: PartialEpoch;
  /** `model.getWeights()` in order (trainable and non-trainable, e.g. batch-norm statistics). */
  modelWeights: StoredTensor[];
  /** Optimizer slots, each bound to a position in the model's trainable-variable list (-1 = iteration counter). */
  optimizer: (StoredTensor & { variable: number; slot: string })[];
  policy: string;
  policyState: unknown;
  frozenPrefix: number;
  rngState: number[];
  /** Training seconds so far (evaluation and checkpointing excluded). */
  elapsedSeconds: number;
  history: EpochRecord[];
  freezeEvents: FreezeRecord[];
  flops: FlopsTotals;
  /** The manifest it was read from (set by `readCheckpoint`, for messages; not written). */
  source?: string;
}

const MANIFEST = 'checkpoint.json';
const FORMAT = 'model-lab-checkpoint/1';
/** What a tensors file may be called: a plain name in the checkpoint folder. */
const TENSORS_FILE = /^checkpoint-[A-Za-z0-9-]+\.bin$/;

interface Manifest extends Omit<TrainCheckpoint, 'modelWeights' | 'optimizer' | 'source'> {
  format: typeof FORMAT;
  /** Binary file holding every tensor back to back (little-endian, 4 bytes per value). */
  tensorsFile: string;
  modelWeights: TensorEntry[];
  optimizer: (TensorEntry & { variable: number; slot: string })[];
}

interface TensorEntry {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset into the tensors file. */
  offset: number;
}

/**
 * Write a checkpoint as one binary tensors file plus a JSON manifest, each atomically. The
 * binary file is named after the epoch and step and written first, so the manifest (renamed
 * last) only ever points at a complete file; older binaries are removed afterwards.
 */
export async function writeCheckpoint(dir: string, ckpt: TrainCheckpoint): Promise<void> {
  const all = [...ckpt.modelWeights, ...ckpt.optimizer];
  const total = all.reduce((n, t) => n + t.data.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  const entry = (t: StoredTensor): TensorEntry => {
    const e = { shape: t.shape, dtype: t.dtype, offset };
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    offset += t.data.byteLength;
    return e;
  };
  const tensorsFile = ckpt.partialEpoch ? `checkpoint-e${ckpt.epoch}-s${ckpt.globalStep}.bin` : `checkpoint-e${ckpt.epoch}.bin`;
  const { modelWeights, optimizer, source: _source, ...rest } = ckpt;
  const manifest: Manifest = {
    format: FORMAT,
    ...rest,
    tensorsFile,
    modelWeights: modelWeights.map(entry),
    optimizer: optimizer.map((o) => ({ ...entry(o), variable: o.variable, slot: o.slot })),
  };
  await writeFileAtomic(path.join(dir, tensorsFile), bytes);
  await writeJsonAtomic(path.join(dir, MANIFEST), manifest);
  for (const f of await fs.readdir(dir)) {
    if (TENSORS_FILE.test(f) && f !== tensorsFile) await fs.rm(path.join(dir, f), { force: true });
  }
}

/**
 * Read a checkpoint written by `writeCheckpoint`; undefined when `dir` holds none. Everything
 * is checked before it is used — the manifest's fields and types, every tensor's shape, dtype
 * and place in the tensors file, and that float values are finite — and the files are read
 * only from inside `root` (the run folder; default `dir`): no absolute path, `..` or symbolic
 * link out of it. A damaged checkpoint is a `UserError` naming the manifest, in one line.
 */
export async function readCheckpoint(dir: string, root = dir): Promise<TrainCheckpoint | undefined> {
  const manifestPath = path.join(dir, MANIFEST);
  const damaged = (what: string): UserError => new UserError(`damaged checkpoint: ${what}; start the run again`, undefined, manifestPath);
  const inside = async (file: string): Promise<string | undefined> => {
    try {
      return await confinedRealPath(root, path.relative(root, path.join(dir, file)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw damaged(code === 'EOUTSIDE' ? (e as Error).message : `cannot read ${file} (${code ?? String(e)})`);
    }
  };
  const manifestFile = await inside(MANIFEST);
  if (manifestFile === undefined) return undefined;
  let manifest: Manifest;
  try {
    manifest = parseJson(await fs.readFile(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    throw damaged(`${MANIFEST}: ${(e as Error).message}`);
  }
  const problem = manifestProblem(manifest);
  if (problem) throw damaged(problem);
  if (!TENSORS_FILE.test(manifest.tensorsFile)) {
    throw damaged(`its tensors file ${JSON.stringify(manifest.tensorsFile)} is not a checkpoint-*.bin file of this folder`);
  }
  const tensorsPath = await inside(manifest.tensorsFile);
  if (tensorsPath === undefined) throw damaged(`its tensors file ${manifest.tensorsFile} is missing`);
  const buf = await fs.readFile(tensorsPath);
  const tensor = (e: TensorEntry, what: string): StoredTensor => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset % 4 !== 0 || e.offset + size * 4 > buf.length) {
      throw damaged(`${what} (shape [${e.shape.join(', ')}] at byte ${e.offset}) lies outside ${manifest.tensorsFile} (${buf.length} bytes)`);
    }
    // Copy into a fresh aligned buffer (the file buffer's offset may not be 4-byte aligned).
    const raw = buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + size * 4);
    const data = e.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    if (data instanceof Float32Array) {
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw damaged(`${what} holds ${data[bad]} at index ${bad} (a diverged or corrupted state)`);
    }
    return { shape: e.shape, dtype: e.dtype, data };
  };
  const { format: _format, tensorsFile: _file, modelWeights, optimizer, ...rest } = manifest;
  return {
    ...rest,
    modelWeights: modelWeights.map((e, i) => tensor(e, `model weight ${i}`)),
    optimizer: optimizer.map((o, i) => ({ ...tensor(o, `optimizer slot ${i} (${o.slot})`), variable: o.variable, slot: o.slot })),
    source: manifestPath,
  };
}

/** What a checkpoint must match to resume a run: the model's tensors, the plan, the policy. */
export interface CheckpointTarget {
  /** `model.getWeights()` shapes and dtypes, in order. */
  weights: { shape: number[]; dtype: string }[];
  /** Shapes of the model's trainable variables (what optimizer slots are bound to by position). */
  variableShapes: number[][];
  /** Freezable units of the model. */
  units: number;
  epochs: number;
  stepsPerEpoch: number;
  policy: string;
}

/**
 * Throws a one-line `UserError` when `ckpt` cannot continue this run (a checkpoint of another
 * model, or edited by hand): every tensor's shape and dtype, the optimizer's slots, the
 * frozen prefix, the position in the plan and the policy are checked before anything is loaded.
 */
export function checkCheckpointFits(ckpt: TrainCheckpoint, t: CheckpointTarget): void {
  const fail = (what: string): never => {
    throw new UserError(`checkpoint does not fit this run: ${what}; start the run again`, undefined, ckpt.source);
  };
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const p = ckpt.partialEpoch;
  if (ckpt.epoch > t.epochs || (p && (ckpt.epoch >= t.epochs || p.step > t.stepsPerEpoch))) {
    fail(`it is at epoch ${ckpt.epoch}${p ? ` step ${p.step}` : ''}, the run has ${t.epochs} epochs of ${t.stepsPerEpoch} steps`);
  }
  if (ckpt.globalStep !== ckpt.epoch * t.stepsPerEpoch + (p?.step ?? 0)) {
    fail(`step ${ckpt.globalStep} does not match epoch ${ckpt.epoch}${p ? ` step ${p.step}` : ''} of ${t.stepsPerEpoch} steps`);
  }
  if (ckpt.modelWeights.length !== t.weights.length) fail(`it holds ${ckpt.modelWeights.length} weight tensors, the model has ${t.weights.length}`);
  ckpt.modelWeights.forEach((w, i) => {
    const want = t.weights[i];
    if (!same(w.shape, want.shape) || w.dtype !== want.dtype) {
      fail(`weight ${i} is ${w.dtype} [${w.shape.join(', ')}], the model's is ${want.dtype} [${want.shape.join(', ')}]`);
    }
  });
  const seen = new Set<string>();
  const slotsOf = new Map<number, string[]>();
  for (const o of ckpt.optimizer) {
    const key = `${o.variable}/${o.slot}`;
    if (seen.has(key)) fail(`optimizer slot ${key} appears twice`);
    seen.add(key);
    if (o.variable === -1) {
      const iterations = o.data[0];
      if (o.slot !== 'iter' || o.shape.length !== 0 || !Number.isInteger(iterations) || iterations < 0 || iterations > ckpt.globalStep) {
        fail(`the optimizer's iteration count is not a scalar between 0 and ${ckpt.globalStep}`);
      }
      continue;
    }
    const shape = t.variableShapes[o.variable];
    if (shape === undefined) fail(`optimizer slot ${o.slot} belongs to variable ${o.variable}, the model has ${t.variableShapes.length}`);
    if (!['m', 'v', 'momentum', 'rms', 'mg'].includes(o.slot)) fail(`unknown optimizer slot "${o.slot}"`);
    if (!same(o.shape, shape) || o.dtype !== 'float32') fail(`optimizer slot ${key} is [${o.shape.join(', ')}], its variable [${shape.join(', ')}]`);
    slotsOf.set(o.variable, [...(slotsOf.get(o.variable) ?? []), o.slot]);
  }
  const slotSets = new Set([...slotsOf.values()].map((s) => s.sort().join(',')));
  if (slotSets.size > 1) fail('its variables have different optimizer slots');
  if (ckpt.optimizer.length > 0 && !ckpt.optimizer.some((o) => o.variable === -1)) fail("the optimizer's iteration count is missing");
  if (ckpt.frozenPrefix > t.units) fail(`${ckpt.frozenPrefix} frozen layers, the model has ${t.units} freezable ones`);
  if (ckpt.policy !== t.policy) fail(`it was written by the ${ckpt.policy} policy, this run uses ${t.policy}`);
}

/** What is wrong with a parsed manifest's structure, or undefined. */
function manifestProblem(m: unknown): string | undefined {
  if (!isObject(m)) return `${MANIFEST} is not a JSON object`;
  if (m.format !== FORMAT) return `unknown format ${JSON.stringify(m.format)} (expected ${FORMAT})`;
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const seconds = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  for (const k of ['epoch', 'globalStep', 'frozenPrefix'] as const) if (!count(m[k])) return `"${k}" must be an integer >= 0`;
  if (!seconds(m.elapsedSeconds)) return '"elapsedSeconds" must be a number >= 0';
  if (typeof m.policy !== 'string') return '"policy" must be a string';
  if (typeof m.tensorsFile !== 'string') return '"tensorsFile" must be a string';
  if (!isRngState(m.rngState)) return '"rngState" must be four 32-bit integers';
  if (m.partialEpoch !== undefined) {
    const p = m.partialEpoch;
    if (!isObject(p) || !count(p.step) || !isRngState(p.rngState) || typeof p.lossSum !== 'number' || !Number.isFinite(p.lossSum) || !seconds(p.seconds)) {
      return '"partialEpoch" must hold step, rngState, lossSum and seconds';
    }
  }
  if (!Array.isArray(m.history) || !m.history.every((h) => isObject(h) && count(h.epoch) && count(h.step))) return '"history" must be a list of epoch records';
  if (!Array.isArray(m.freezeEvents) || !m.freezeEvents.every((f) => isObject(f) && typeof f.layer === 'string' && count(f.epoch) && count(f.step))) {
    return '"freezeEvents" must be a list of {layer, epoch, step}';
  }
  if (!isObject(m.flops) || !['examples', 'fullForward', 'fullBackward', 'savedForward', 'savedBackward'].every((k) => Number.isFinite((m.flops as Record<string, unknown>)[k]))) {
    return '"flops" must hold five finite totals';
  }
  const isEntry = (e: unknown): boolean =>
    isObject(e) && (e.dtype === 'float32' || e.dtype === 'int32') && count(e.offset) &&
    Array.isArray(e.shape) && e.shape.length <= 8 && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0 && d < 2 ** 31);
  if (!Array.isArray(m.modelWeights) || !m.modelWeights.every(isEntry)) return '"modelWeights" must be a list of tensor entries {shape, dtype, offset}';
  if (!Array.isArray(m.optimizer) || !m.optimizer.every((o) => isEntry(o) && Number.isSafeInteger(o.variable) && o.variable >= -1 && typeof o.slot === 'string')) {
    return '"optimizer" must be a list of tensor entries with a variable index and a slot name';
  }
  return undefined;
}

function isRngState(v: unknown): boolean {
  // `Rng.state()` words are 32-bit integers, some written signed.
  return Array.isArray(v) && v.length === 4 && v.every((x) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 32);
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `flopsSaved` fractions from running totals (0 before any step). */
export function flopsSavedOf(t: FlopsTotals): FlopsSaved {
  return {
    forward: t.fullForward > 0 ? t.savedForward / t.fullForward : 0,
    backward: t.fullBackward > 0 ? t.savedBackward / t.fullBackward : 0,
  };
}
