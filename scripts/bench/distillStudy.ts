/**
 * The parts of `bench:distill` (scripts/bench/distill.ts) that are not the studies themselves:
 * which seeds to run, the seeds' mean and spread, and the teacher folder that `--cache` keeps
 * between runs (a study's teacher is most of its cost: SST-2's is ~35 CPU-minutes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveTeacher } from '../../src/runner/distillTeacher';

/**
 * The distillation seeds: `--seeds N` is N seeds from `--seed S` (S..S+N-1); `--seeds a,b,c`
 * lists them.
 */
export function parseSeeds(seed: string, seeds: string): number[] {
  const int = (v: string, what: string, min: number) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const s = int(seed, '--seed', 0);
  if (seeds.includes(',')) {
    const list = seeds.split(',').map((v) => int(v, 'each of --seeds', 0));
    if (new Set(list).size !== list.length) throw new Error(`--seeds lists a seed twice: ${seeds}`);
    return list;
  }
  return Array.from({ length: int(seeds, '--seeds', 1) }, (_, i) => s + i);
}

/** Mean, sample standard deviation (0 for one value), minimum and maximum. */
export interface Spread { mean: number; sd: number; min: number; max: number }

export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error('spread of no values');
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

/** Percent with two decimals, ± the standard deviation in points when there are several seeds. */
export function formatSpread(xs: readonly number[]): string {
  const s = spread(xs);
  const pct = (v: number) => (v * 100).toFixed(2);
  return xs.length < 2 ? `${pct(s.mean)}%` : `${pct(s.mean)}% ± ${pct(s.sd)} (${pct(s.min)}-${pct(s.max)})`;
}

/** A study's teacher: its experiment file, and its model when a completed run of it already exists. */
export interface TeacherFolder {
  /** The teacher's experiment file (its data files next to it). */
  file: string;
  /** The model of the latest completed run of exactly this teacher and data, if any. */
  model?: string;
  description?: string;
}

/**
 * Lays out a study's teacher in `root/<name>-<key>`: the data files it reads (`files`, written
 * only when missing or different), its experiment (`teacher.experiment.json`, referring to them
 * by their relative names), and the run store next to it. The key is a hash of the experiment,
 * of those files and of `inputs` (other files it reads, e.g. the datasets), so a changed
 * setting or dataset gets a new folder and never an old model; an unchanged one finds the
 * completed run of an earlier call and is not trained again.
 */
export async function teacherFolder(root: string, name: string, experiment: object, files: Record<string, Buffer>, inputs: readonly string[] = []): Promise<TeacherFolder> {
  const hash = createHash('sha256').update(JSON.stringify(experiment));
  for (const f of Object.keys(files).sort()) hash.update(`\0${f}\0`).update(sha256(files[f]));
  for (const f of [...inputs].sort()) hash.update(`\0${f}\0`).update(sha256(readFileSync(f)));
  const dir = path.join(root, `${name}-${hash.digest('hex').slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    const target = path.join(dir, f);
    if (!existsSync(target) || !readFileSync(target).equals(content)) writeFileSync(target, content);
  }
  const file = path.join(dir, 'teacher.experiment.json');
  writeFileSync(file, JSON.stringify(experiment, null, 2) + '\n');
  try {
    const t = await resolveTeacher(file, []);
    return { file, model: t.modelFile, description: t.description };
  } catch {
    return { file }; // no completed run yet
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
