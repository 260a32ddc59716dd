import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pathFields } from '../core/experiment/paths';
import type { Experiment } from '../core/experiment/types';
import { DEFAULT_EXTRACT_SEED } from '../core/extract/builtin/train';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { ResolvedConfig } from './runConfig';

import { PROVENANCE_FILE } from './provenanceFields';

/** `provenance.json` in a run folder: what it takes to say how a result was made, and to make it again. */
export { PROVENANCE_FILE };

/** The software and source a run ran with (at its start, and at each resume). */
export interface RunEnvironment {
  time: string;
  modelLab: string;
  node: string;
  tfjs: string;
  /** The TensorFlow.js backend the run computed with (set once the run initialised it). */
  backend?: string;
  /** Threads it computed with (`modelLab.threads` / `--threads`; results do not depend on it). */
  threads?: number;
  /**
   * What the dense layers multiplied with on wasm: the native OpenBLAS product or the wasm one, and
   * why (core/tensor/wasm/nativeGemm.ts). Results differ between the two in the last bits.
   */
  denseProducts?: string;
  /**
   * What the conv layers' products (Winograd and im2col) ran on, wasm backend: `native` (OpenBLAS)
   * or `wasm (why)` (core/tensor/wasm/nativeGemm.ts, `MODEL_LAB_NATIVE_CONV`). The two differ in the last bits.
   */
  convProducts?: string;
  /**
   * Optimizer steps (of this start or resume) taken by the fused dense training step (one kernel
   * for an all-dense trainable stack, core/train/denseStep.ts) and by tfjs's gradient tape; the
   * two give the same gradients bit for bit. `behind`: of those, the steps whose Adam update ran
   * on the native threads behind the next step's start (core/tensor/wasm/behind.ts;
   * `MODEL_LAB_ADAM_OVERLAP=0`: none); the same weights either way. Written when training ends.
   */
  trainingSteps?: { fused: number; tape: number; behind?: number };
  platform: string;
  /**
   * The commit of the git repository holding the experiment file (absent outside one, or
   * without git). `dirty`: tracked files differ from that commit (untracked files do not
   * count: the run store itself is one; the data files' hashes below cover the inputs).
   */
  git?: { commit: string; dirty: boolean; root: string };
}

/** A file the run read: where it is in the experiment, its path, and a fingerprint of its bytes. */
export interface InputFileRecord {
  pointer: string;
  path: string;
  /** SHA-256 of the bytes as stored (what `sha256sum` prints); absent when the file could not be read. */
  sha256?: string;
  bytes?: number;
  error?: string;
}

export interface Provenance extends RunEnvironment {
  experimentFile: string;
  /** The resolved experiment (defaults filled in, paths absolute): the same as `config.json`. */
  experiment: Experiment;
  /** The seed of every random draw (shuffling, initialisation, dropout); absent for kinds without one. */
  seed?: number;
  files: InputFileRecord[];
  /** One entry per resume: a resumed run may run with other software or source than it started with. */
  resumes?: (RunEnvironment & { changedFiles?: string[] })[];
}

/**
 * Writes `provenance.json` at a run's start (or adds a resume to it): versions, the workspace's
 * git commit and dirty flag, SHA-256 of every input file, the seed and the resolved experiment.
 * A resume re-fingerprints the inputs and warns when one changed since the run started. Never
 * fails the run: a problem costs the provenance (logged), not the result.
 */
export async function recordProvenance(
  runDir: string,
  config: ResolvedConfig,
  opts: { resume: boolean; warn(message: string): void },
): Promise<void> {
  try {
    const file = path.join(runDir, PROVENANCE_FILE);
    const files = await fingerprintInputs(config.experiment);
    const env = await runEnvironment(path.dirname(config.experimentFile));
    const previous = opts.resume ? await readProvenance(runDir) : undefined;
    if (previous) {
      const before = new Map(previous.files.map((f) => [f.path, f.sha256]));
      const changedFiles = files.filter((f) => before.has(f.path) && before.get(f.path) !== f.sha256).map((f) => f.path);
      if (changedFiles.length) opts.warn(`input files changed since the run started: ${changedFiles.join(', ')}`);
      await writeJsonAtomic(file, { ...previous, resumes: [...(previous.resumes ?? []), { ...env, ...(changedFiles.length ? { changedFiles } : {}) }] });
      return;
    }
    const provenance: Provenance = {
      ...env, experimentFile: config.experimentFile, experiment: config.experiment,
      ...seedOf(config.experiment), files,
    };
    await writeJsonAtomic(file, provenance);
  } catch (e) {
    opts.warn(`no provenance record: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Notes the backend the run initialised (in the latest resume, when it was resumed); never fails the run. */
export async function recordBackend(runDir: string, backend: string, threads?: number, denseProducts?: string, convProducts?: string): Promise<void> {
  const p = await readProvenance(runDir);
  if (!p) return;
  const last = p.resumes?.[p.resumes.length - 1] ?? p;
  last.backend = backend;
  if (threads !== undefined) last.threads = threads;
  if (denseProducts !== undefined) last.denseProducts = denseProducts;
  if (convProducts !== undefined) last.convProducts = convProducts;
  await writeJsonAtomic(path.join(runDir, PROVENANCE_FILE), p).catch(() => undefined);
}

/** Notes how many steps each training-step path took (in the latest resume, when it was resumed); never fails the run. */
export async function recordTrainingSteps(runDir: string, steps: { fused: number; tape: number; behind?: number }): Promise<void> {
  const p = await readProvenance(runDir);
  if (!p) return;
  (p.resumes?.[p.resumes.length - 1] ?? p).trainingSteps = steps;
  await writeJsonAtomic(path.join(runDir, PROVENANCE_FILE), p).catch(() => undefined);
}

export async function readProvenance(runDir: string): Promise<Provenance | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(runDir, PROVENANCE_FILE), 'utf8')) as Provenance;
  } catch {
    return undefined;
  }
}

function seedOf(exp: Experiment): { seed?: number } {
  switch (exp.kind) {
    case 'train':
      return { seed: exp.training.seed ?? 0 };
    case 'extract-train':
      return { seed: exp.training?.seed ?? DEFAULT_EXTRACT_SEED };
    default:
      return {};
  }
}

/** SHA-256 and size of every file the experiment names for reading (output folders excluded). */
export async function fingerprintInputs(exp: Experiment): Promise<InputFileRecord[]> {
  const out: InputFileRecord[] = [];
  for (const field of pathFields(exp)) {
    if (field.output) continue;
    const record: InputFileRecord = { pointer: field.pointer, path: field.value };
    try {
      Object.assign(record, await sha256File(field.value));
    } catch (e) {
      record.error = (e as NodeJS.ErrnoException).code ?? String(e);
    }
    out.push(record);
  }
  return out;
}

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function runEnvironment(workspace: string): Promise<RunEnvironment> {
  const git = await gitState(workspace);
  return {
    time: new Date().toISOString(), modelLab: modelLabVersion(), node: process.version, tfjs: tf.version.tfjs,
    platform: `${process.platform}-${process.arch}`, ...(git ? { git } : {}),
  };
}

/** The commit and dirty flag of the git repository holding `dir`; undefined outside one or without git. */
export async function gitState(dir: string): Promise<RunEnvironment['git']> {
  const run = (args: string[]) =>
    new Promise<string | undefined>((resolve) => {
      execFile('git', ['-C', dir, ...args], { timeout: 15_000, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout) => resolve(err ? undefined : stdout));
    });
  const root = (await run(['rev-parse', '--show-toplevel']))?.trim();
  if (!root) return undefined;
  const commit = (await run(['rev-parse', '--verify', '--quiet', 'HEAD']))?.trim();
  // A repository without a commit yet has nothing to point at.
  if (!commit) return undefined;
  const status = await run(['status', '--porcelain', '--untracked-files=no']);
  if (status === undefined) return undefined;
  return { commit, dirty: status.trim() !== '', root };
}

let version: string | undefined;

/** The extension's version, from the `package.json` beside the bundle (`dist/`) or the sources (`src/runner/`). */
export function modelLabVersion(): string {
  if (version) return version;
  for (const up of ['..', '../..']) {
    const file = path.join(__dirname, up, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'model-lab' && pkg.version) return (version = pkg.version);
    } catch {
      // not ours: keep looking
    }
  }
  return (version = 'unknown');
}
