import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OptimizerConfig } from '../../experiment/types';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomicFile';
import type { StoredTensor } from '../checkpoint';
import type { Position } from './stages';
import { type PackedEntry, TensorPacker, unpackEntry } from './tensorPack';

/** Caller state saved with a session: small JSON plus typed arrays (e.g. a replay buffer). */
export interface CheckpointExtra {
  json?: unknown;
  arrays?: Record<string, Float32Array | Int32Array>;
}

/** A stored tensor with the name it had (a variable set's key, or a network weight's name). */
export type NamedStored = StoredTensor & { name: string };

/** Everything a `TrainingSession` checkpoints, with values copied out of the backend. */
export interface SessionState {
  position: Position;
  /** Stage names of the plan being run (empty before `run`): a resume must use the same plan. */
  plan: string[];
  rng: number[];
  /** Seconds spent in steps so far (not hooks, not checkpointing). */
  trainSeconds: number;
  groups: {
    name: string;
    kind: 'network' | 'variables';
    /** Every weight in order: a network's `model.weights` (incl. batch-norm statistics) or a set's variables. */
    weights: NamedStored[];
    optimizer?: {
      config: OptimizerConfig;
      /** The rate in use (stages and schedules change it). */
      learningRate: number;
      /** Slots bound to positions in the group's trainable-variable list (-1: iteration counter). */
      slots: (StoredTensor & { variable: number; slot: string })[];
    };
  }[];
  copies: { name: string; of: string; weights: NamedStored[] }[];
  extra: CheckpointExtra;
}

export const SESSION_MANIFEST = 'session.json';
const FORMAT = 'model-lab-session/1';
const TENSORS_FILE = /^tensors-\d+-[a-z0-9]+\.bin$/;

type Entry<T> = PackedEntry & T;

interface Manifest {
  format: typeof FORMAT;
  /** Binary file (in the same folder) holding every tensor back to back. */
  tensorsFile: string;
  bytes: number;
  sha256: string;
  position: Position;
  plan: string[];
  rng: number[];
  trainSeconds: number;
  groups: {
    name: string;
    kind: 'network' | 'variables';
    weights: Entry<{ name: string }>[];
    optimizer?: { config: OptimizerConfig; learningRate: number; slots: Entry<{ variable: number; slot: string }>[] };
  }[];
  copies: { name: string; of: string; weights: Entry<{ name: string }>[] }[];
  extra: { json?: unknown; arrays: Record<string, PackedEntry> };
}

/**
 * Writes a session checkpoint into `dir`: one binary file with every tensor (named after the
 * step, unique per write) and `session.json`, the manifest that points at it, with its size and
 * SHA-256. Each is written atomically and the manifest last, so a reader (or a run killed
 * mid-write) sees either the previous checkpoint or this one whole. Older binaries and temp
 * files of killed writes are removed afterwards.
 */
export async function writeSessionCheckpoint(dir: string, state: SessionState): Promise<void> {
  const packer = new TensorPacker();
  const named = (t: NamedStored) => ({ ...packer.add(t), name: t.name });
  const { extra, groups, copies, ...rest } = state;
  const manifestBody = {
    ...rest,
    groups: groups.map((g) => ({
      name: g.name,
      kind: g.kind,
      weights: g.weights.map(named),
      ...(g.optimizer
        ? {
            optimizer: {
              config: g.optimizer.config,
              learningRate: g.optimizer.learningRate,
              slots: g.optimizer.slots.map((s) => ({ ...packer.add(s), variable: s.variable, slot: s.slot })),
            },
          }
        : {}),
    })),
    copies: copies.map((c) => ({ name: c.name, of: c.of, weights: c.weights.map(named) })),
    extra: {
      ...(extra.json === undefined ? {} : { json: extra.json }),
      arrays: Object.fromEntries(
        Object.entries(extra.arrays ?? {}).map(([k, a]) => [
          k,
          packer.add({ shape: [a.length], dtype: a instanceof Int32Array ? 'int32' : 'float32', data: a }),
        ]),
      ),
    },
  };
  const bytes = packer.bytes();
  const tensorsFile = `tensors-${state.position.globalStep}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.bin`;
  const manifest: Manifest = {
    format: FORMAT,
    tensorsFile,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...manifestBody,
  };
  await writeFileAtomic(path.join(dir, tensorsFile), bytes);
  await writeJsonAtomic(path.join(dir, SESSION_MANIFEST), manifest);
  for (const f of await fs.readdir(dir)) {
    const stale = (TENSORS_FILE.test(f) && f !== tensorsFile) || (/^(tensors-|session\.json\.).*\.tmp$/.test(f));
    if (stale) await fs.rm(path.join(dir, f), { force: true });
  }
}

/**
 * Reads the checkpoint in `dir`; undefined when there is none (no folder, or no manifest).
 * A damaged checkpoint (bad JSON, unknown format, a tensors file that is missing, of the wrong
 * size or checksum, or named outside the folder) is an error that says so.
 */
export async function readSessionCheckpoint(dir: string): Promise<SessionState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, SESSION_MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const where = path.join(dir, SESSION_MANIFEST);
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch {
    throw new Error(`damaged checkpoint: ${where} is not valid JSON`);
  }
  if (m?.format !== FORMAT) throw new Error(`${where}: not a training-session checkpoint (format ${JSON.stringify(m?.format)}, expected ${FORMAT})`);
  if (typeof m.tensorsFile !== 'string' || !TENSORS_FILE.test(m.tensorsFile)) {
    throw new Error(`damaged checkpoint: ${where} names an invalid tensors file ${JSON.stringify(m.tensorsFile)}`);
  }
  let buf: Buffer;
  try {
    buf = await fs.readFile(path.join(dir, m.tensorsFile));
  } catch (e) {
    throw new Error(`damaged checkpoint: ${where} points at ${m.tensorsFile}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (buf.byteLength !== m.bytes || createHash('sha256').update(buf).digest('hex') !== m.sha256) {
    throw new Error(`damaged checkpoint: ${path.join(dir, m.tensorsFile)} does not match the size and checksum recorded in ${SESSION_MANIFEST}`);
  }
  if (!Array.isArray(m.groups) || !Array.isArray(m.copies) || !Array.isArray(m.rng) || !Array.isArray(m.plan) || typeof m.position !== 'object') {
    throw new Error(`damaged checkpoint: ${where} lacks groups, copies, plan, rng or position`);
  }
  const named = (what: string) => (e: Entry<{ name: string }>): NamedStored => ({ ...unpackEntry(buf, e, what), name: String(e.name) });
  return {
    position: { stageIndex: m.position.stageIndex, stageStep: m.position.stageStep, globalStep: m.position.globalStep },
    plan: m.plan,
    rng: m.rng,
    trainSeconds: m.trainSeconds,
    groups: m.groups.map((g) => ({
      name: g.name,
      kind: g.kind,
      weights: g.weights.map(named(`group '${g.name}'`)),
      ...(g.optimizer
        ? {
            optimizer: {
              config: g.optimizer.config,
              learningRate: g.optimizer.learningRate,
              slots: g.optimizer.slots.map((s) => ({ ...unpackEntry(buf, s, `optimizer of '${g.name}'`), variable: s.variable, slot: s.slot })),
            },
          }
        : {}),
    })),
    copies: m.copies.map((c) => ({ name: c.name, of: c.of, weights: c.weights.map(named(`copy '${c.name}'`)) })),
    extra: {
      ...(m.extra?.json === undefined ? {} : { json: m.extra.json }),
      arrays: Object.fromEntries(Object.entries(m.extra?.arrays ?? {}).map(([k, e]) => [k, unpackEntry(buf, e, `array '${k}'`).data])),
    },
  };
}
