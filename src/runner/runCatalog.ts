import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { flattenParams, type Params } from '../core/runs/compare';
import { listProofs } from '../core/zk/proofs';
import { UserError } from '../core/errors';
import type { ExperimentKind } from '../core/experiment/types';
import { readProvenanceFields } from './provenanceFields';
import { readRunMeta } from './runMeta';
import { CONFIG_FILE, listRuns, readRunRecord, readSummary, RUN_FILE, type RunRecord, type RunStatus } from './runStore';
import { isTrainSummary, type RunSummary } from './summary';

/**
 * One run as the runs table and `model-lab runs list` show it: its record, the resolved
 * configuration flattened to `params`, its headline metrics, and what people said about it
 * (`meta.json`). Shared by the CLI and the extension host, so both list the same runs the same way.
 */
export interface RunEntry {
  runId: string;
  /** The name a person gave the run (`meta.json`). */
  name?: string;
  experiment: string;
  experimentFile: string;
  kind: ExperimentKind;
  status: RunStatus;
  policy: string;
  /** The resolved experiment (`config.json`) flattened: `training.epochs`, `model.layers[0].units`, … */
  params: Params;
  /** Finite numbers only: `accuracy`, `loss` (train); `entity.f1`, … (extraction). */
  metrics: Record<string, number>;
  tags: string[];
  note: string;
  runDir: string;
  startedAt: string;
  endedAt?: string;
  /** Wall-clock seconds from start to end (finished runs). */
  durationSeconds?: number;
  /** How the result was made (`provenance.json`, as `runner/provenanceFields.ts` flattens it): git commit and dirty flag, versions, backend, data hashes; absent without one. */
  provenance?: Params;
  /** The highest test accuracy a zero-knowledge proof of the run claims (the claims under `proofs/`; `model-lab verify` checks a proof). */
  proven?: number;
}

/** Every run under `root`, newest first (folders that are not runs are skipped). */
export async function listRunEntries(root: string): Promise<RunEntry[]> {
  const records = await listRuns(root);
  return Promise.all(records.map(runEntry));
}

/** Runs under several roots, newest first. */
export async function listRunEntriesIn(roots: readonly string[]): Promise<RunEntry[]> {
  const all = (await Promise.all(roots.map(listRunEntries))).flat();
  return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export async function runEntry(record: RunRecord): Promise<RunEntry> {
  const [config, summary, meta, provenance] = await Promise.all([
    readConfigTolerantly(record.runDir), readSummary(record.runDir), readRunMeta(record.runDir), readProvenanceFields(record.runDir, record.backend),
  ]);
  const started = Date.parse(record.startedAt);
  const ended = record.endedAt ? Date.parse(record.endedAt) : NaN;
  return {
    runId: record.runId,
    ...(meta.name ? { name: meta.name } : {}),
    experiment: record.experiment,
    experimentFile: record.experimentFile,
    kind: record.kind ?? 'train',
    status: record.status,
    policy: record.policy,
    params: config === undefined ? {} : flattenParams(config),
    metrics: runMetrics(record, summary),
    tags: meta.tags,
    note: meta.note ?? '',
    runDir: record.runDir,
    startedAt: record.startedAt,
    ...(record.endedAt ? { endedAt: record.endedAt } : {}),
    ...(Number.isFinite(started) && Number.isFinite(ended) && ended >= started ? { durationSeconds: (ended - started) / 1000 } : {}),
    ...(provenance ? { provenance } : {}),
    ...provenOf(record),
  };
}

function provenOf(record: RunRecord): { proven?: number } {
  if (record.status !== 'completed' || (record.kind ?? 'train') !== 'train') return {};
  const best = listProofs(record.runDir)[0];
  return best ? { proven: best.claim.min } : {};
}

/** A run's resolved experiment flattened (`training.epochs`, …); empty when its `config.json` cannot be read. */
export async function runParams(runDir: string): Promise<Params> {
  const config = await readConfigTolerantly(runDir);
  return config === undefined ? {} : flattenParams(config);
}

/**
 * The experiment of `config.json`, unvalidated: listing shows what the run ran with even when
 * its data files have moved since (a resume validates it with `readRunConfig`).
 */
async function readConfigTolerantly(runDir: string): Promise<unknown> {
  try {
    const config = JSON.parse(await fs.readFile(path.join(runDir, CONFIG_FILE), 'utf8')) as { experiment?: unknown };
    return typeof config.experiment === 'object' && config.experiment !== null ? config.experiment : undefined;
  } catch {
    return undefined;
  }
}

/** A run's scalar metrics: from its summary when it has one, else what its record has so far. */
export function runMetrics(record: RunRecord, summary: RunSummary | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
  };
  if (summary && isTrainSummary(summary)) {
    // Scalars only: per-class tables and matrices are not columns.
    for (const [k, v] of Object.entries(summary.metrics ?? {})) put(k, v);
    put('savedBackward', summary.flopsSaved?.backward);
  } else if (summary) {
    const scores = summary.kind === 'extract-train' ? summary.dev : summary.kind === 'extract-eval' ? summary.scores : undefined;
    for (const part of ['entity', 'relation'] as const) {
      for (const k of ['precision', 'recall', 'f1'] as const) put(`${part}.${k}`, scores?.[part]?.[k]);
    }
  }
  if (Object.keys(out).length === 0) {
    put('accuracy', record.accuracy);
    if (record.score) put(record.score.name, record.score.value);
  }
  return out;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out']);

/**
 * The runs roots under `dir`: every `.model-lab/runs` folder (where runs are stored next to
 * their experiment files), looking at most `depth` folders down.
 */
export async function findRunsRoots(dir: string, depth = 4): Promise<string[]> {
  const roots: string[] = [];
  const walk = async (d: string, left: number): Promise<void> => {
    const runs = path.join(d, '.model-lab', 'runs');
    if (existsSync(runs)) roots.push(runs);
    if (left === 0) return;
    let children: import('node:fs').Dirent[];
    try {
      children = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const c of children) {
      if (c.isDirectory() && !c.name.startsWith('.') && !SKIP_DIRS.has(c.name)) await walk(path.join(d, c.name), left - 1);
    }
  };
  await walk(path.resolve(dir), depth);
  return roots;
}

/**
 * The run an argument names: a run folder (a path with `run.json`), or the id, a unique id
 * prefix or the name of one of `entries`.
 */
export async function resolveRun(arg: string, cwd: string, entries: readonly RunEntry[]): Promise<RunEntry> {
  const dir = path.resolve(cwd, arg);
  const byDir = entries.find((e) => path.resolve(e.runDir) === dir);
  if (byDir) return byDir;
  const record = existsSync(path.join(dir, RUN_FILE)) ? await readRunRecord(dir) : undefined;
  if (record) return runEntry(record);
  const exact = entries.filter((e) => e.runId === arg || e.name === arg);
  if (exact.length === 1) return exact[0];
  const prefixed = entries.filter((e) => e.runId.startsWith(arg));
  if (exact.length === 0 && prefixed.length === 1) return prefixed[0];
  const matches = exact.length ? exact : prefixed;
  if (matches.length > 1) throw new UserError(`"${arg}" names ${matches.length} runs (${matches.slice(0, 3).map((e) => e.runId).join(', ')}${matches.length > 3 ? ', …' : ''}); give more of the id or the run folder`);
  throw new UserError(`no run "${arg}": give a run folder, or a run id or name under the runs root`);
}
