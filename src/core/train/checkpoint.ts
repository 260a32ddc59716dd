import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FlopsSaved, RunEvent } from './events';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicFile';

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

/** Everything a run needs to continue exactly where it stopped (at an epoch boundary). */
export interface TrainCheckpoint {
  /** Completed epochs; a resumed run starts with this (0-based) epoch. */
  epoch: number;
  globalStep: number;
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
}

const MANIFEST = 'checkpoint.json';

interface Manifest extends Omit<TrainCheckpoint, 'modelWeights' | 'optimizer'> {
  format: 'model-lab-checkpoint/1';
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
 * binary file is named after the epoch and written first, so the manifest (renamed last) only
 * ever points at a complete file; older binaries are removed afterwards.
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
  const tensorsFile = `checkpoint-e${ckpt.epoch}.bin`;
  const { modelWeights, optimizer, ...rest } = ckpt;
  const manifest: Manifest = {
    format: 'model-lab-checkpoint/1',
    ...rest,
    tensorsFile,
    modelWeights: modelWeights.map(entry),
    optimizer: optimizer.map((o) => ({ ...entry(o), variable: o.variable, slot: o.slot })),
  };
  await writeFileAtomic(path.join(dir, tensorsFile), bytes);
  await writeJsonAtomic(path.join(dir, MANIFEST), manifest);
  for (const f of await fs.readdir(dir)) {
    if (/^checkpoint-e\d+\.bin$/.test(f) && f !== tensorsFile) await fs.rm(path.join(dir, f), { force: true });
  }
}

/** Read a checkpoint written by `writeCheckpoint`; undefined when `dir` holds none. */
export async function readCheckpoint(dir: string): Promise<TrainCheckpoint | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (manifest.format !== 'model-lab-checkpoint/1') throw new Error(`unknown checkpoint format in ${dir}`);
  const buf = await fs.readFile(path.join(dir, manifest.tensorsFile));
  const tensor = (e: TensorEntry): StoredTensor => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    // Copy into a fresh aligned buffer (the file buffer's offset may not be 4-byte aligned).
    const raw = buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + size * 4);
    return { shape: e.shape, dtype: e.dtype, data: e.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw) };
  };
  const { format: _format, tensorsFile: _file, modelWeights, optimizer, ...rest } = manifest;
  return {
    ...rest,
    modelWeights: modelWeights.map(tensor),
    optimizer: optimizer.map((o) => ({ ...tensor(o), variable: o.variable, slot: o.slot })),
  };
}

/** `flopsSaved` fractions from running totals (0 before any step). */
export function flopsSavedOf(t: FlopsTotals): FlopsSaved {
  return {
    forward: t.fullForward > 0 ? t.savedForward / t.fullForward : 0,
    backward: t.fullBackward > 0 ? t.savedBackward / t.fullBackward : 0,
  };
}
