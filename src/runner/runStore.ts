import { existsSync, promises as fs, appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { peekExperiment, peekLabel, type ExperimentPeek } from '../core/experiment/peek';
import type { Experiment, ExperimentKind } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { RunErrorInfo } from './protocol';
import { runLiveness } from './runLock';
import { slurmFromEnv, type SlurmRef, type SweepRef } from './runOrigin';
import type { RunSummary } from './summary';

export { slurmFromEnv, type SlurmRef, type SweepRef } from './runOrigin';

/**
 * The run store on disk: `<root>/<runId>/` with
 *   run.json        what the run is and its status (rewritten atomically)
 *   config.json     the resolved experiment (paths absolute), so a resume needs nothing else
 *   events.jsonl    one RunEvent per line, appended; a torn last line is skipped when read
 *   checkpoint/     the latest checkpoint: of an epoch's end, or of the step a stopped run stopped at
 *   model/          the final model (TensorFlow.js format; an extractor for `extract-train`)
 *   summary.json    the final result (= the CLI's --json document)
 *   lock            while a process writes the folder: who it is (see runLock.ts)
 *   run.log         the output of a run started from VS Code (its worker's log)
 *   pause           present while the run is asked to pause at its next epoch boundary
 *   meta.json       a name, tags and a note people gave the run (runMeta.ts; never written by the run)
 */
export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';

export interface RunRecord {
  runId: string;
  runDir: string;
  /** Absent in records written before other kinds existed: `train`. */
  kind?: ExperimentKind;
  experimentFile: string;
  experiment: string;
  /** The freezing policy of a train run; the kind's name for other runs (a label for lists). */
  policy: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  /** Test accuracy of a train run. */
  accuracy?: number;
  /** The headline score of other kinds (e.g. dev entity F1), a fraction. */
  score?: { name: string; value: number };
  trainSeconds?: number;
  epochsDone: number;
  epochs: number;
  backend?: string;
  /** Why the run failed (first line), or other news about its end. */
  message?: string;
  /** A failed run's error, with the field and line it points at when it has them. */
  error?: RunErrorInfo;
  /** Set while a running train run waits at an epoch boundary because its folder has a `pause` file. */
  paused?: boolean;
  /** The sweep this run is a point of (`runner/sweepPlan.ts`). */
  sweep?: SweepRef;
  /** The Slurm job that ran it (the latest, when a requeued task resumed it). */
  slurm?: SlurmRef;
}

export const RUN_FILE = 'run.json';
export const CONFIG_FILE = 'config.json';
export const EVENTS_FILE = 'events.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const CHECKPOINT_DIR = 'checkpoint';
export const MODEL_DIR = 'model';
export const LOG_FILE = 'run.log';
export const PAUSE_FILE = 'pause';

export function defaultRunsRoot(experimentFile: string): string {
  return path.join(path.dirname(path.resolve(experimentFile)), '.model-lab', 'runs');
}

/** A run's label in lists (`RunRecord.policy`): the freezing policy of a train run, else the kind. */
export function runLabel(exp: Experiment): string {
  return peekLabel({ kind: exp.kind, policy: exp.kind === 'train' ? exp.freezing?.policy : undefined, algo: 'algo' in exp ? exp.algo : undefined });
}

/** Runs recorded before other kinds existed have no `kind`: they are train runs. */
export function isTrainRun(r: RunRecord): boolean {
  return (r.kind ?? 'train') === 'train';
}

/** Kinds whose runs wait at an epoch boundary while their folder has a `pause` file (runner/pauseGate.ts). */
const PAUSABLE_KINDS: ReadonlySet<string> = new Set(['train', 'skills', 'offline-gcrl']);

export function isPausableRun(r: RunRecord): boolean {
  return PAUSABLE_KINDS.has(r.kind ?? 'train');
}

/** A sortable, readable, unique id: `20261127-063512-digits-mlp-smartfrz-3fa1`. */
export function newRunId(experiment: string, policy: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = `${experiment}-${policy}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
  return `${stamp}-${slug}-${Math.random().toString(16).slice(2, 6)}`;
}

/**
 * The folder a run will write: `resumeDir` itself, or a new id under `outRoot` (default: next to
 * the file) for a loaded experiment. Known before the run process starts, so its starter can
 * follow it from the start.
 */
export function planRunDir(
  source: { experimentFile: string; experiment: Experiment } | { resumeDir: string },
  outRoot?: string,
): { runId: string; runDir: string } {
  if ('resumeDir' in source) {
    const runDir = path.resolve(source.resumeDir);
    return { runId: path.basename(runDir), runDir };
  }
  const runId = newRunId(source.experiment.name, runLabel(source.experiment));
  return { runId, runDir: path.join(outRoot ? path.resolve(outRoot) : defaultRunsRoot(source.experimentFile), runId) };
}

/**
 * Writes a new run's `config.json` and `run.json`. The record also says which sweep point the
 * run is (from the config) and which Slurm job runs it (from the environment), for every kind.
 */
export async function createRun(runDir: string, record: RunRecord, config: { sweep?: SweepRef }): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path.join(runDir, CONFIG_FILE), config);
  const slurm = slurmFromEnv();
  await writeJsonAtomic(path.join(runDir, RUN_FILE), { ...record, ...(config.sweep ? { sweep: config.sweep } : {}), ...(slurm ? { slurm } : {}) });
}

export async function readRunRecord(runDir: string): Promise<RunRecord | undefined> {
  let record = await readJson<RunRecord>(path.join(runDir, RUN_FILE));
  if (!record) return undefined;
  // A run is running only while a live process holds its lock; otherwise it was killed...
  if (record.status === 'running' && !runLiveness(runDir).alive) {
    // ...unless it ended between the two reads: its final status is written before its lock is released.
    const now = await readJson<RunRecord>(path.join(runDir, RUN_FILE));
    if (now && now.status !== 'running') record = now;
    else record = { ...record, status: 'interrupted', paused: undefined };
  }
  // What a failed run's error says is shown and used as a position: only the fields of their types.
  if (record.error !== undefined) record.error = errorInfoFrom(record.error);
  return { ...record, runDir };
}

export async function updateRunRecord(runDir: string, patch: Partial<RunRecord>): Promise<RunRecord> {
  const current = await readJson<RunRecord>(path.join(runDir, RUN_FILE));
  if (!current) throw new Error(`not a run folder: ${runDir}`);
  const next = { ...current, ...patch };
  await writeJsonAtomic(path.join(runDir, RUN_FILE), next);
  return next;
}

/**
 * Ends a run as failed: an `end` event (the timeline shows its message) and the record with
 * the error, so a failed run stays in the run store with what went wrong and where.
 */
export async function recordFailure(runDir: string, error: RunErrorInfo, at: { epochsDone?: number; step?: number; trainSeconds?: number } = {}): Promise<void> {
  const message = error.message.split('\n')[0];
  appendEvent(runDir, { type: 'end', status: 'failed', epoch: at.epochsDone ?? 0, step: at.step ?? 0, trainSeconds: at.trainSeconds ?? 0, message });
  await updateRunRecord(runDir, {
    status: 'failed', endedAt: new Date().toISOString(), message, error, paused: undefined,
    ...(at.epochsDone !== undefined ? { epochsDone: at.epochsDone } : {}),
    ...(at.trainSeconds !== undefined ? { trainSeconds: at.trainSeconds } : {}),
  });
}

/** Peeks a file that may have changed or gone since it was validated (never throws). */
function peekExperimentFile(file: string): ExperimentPeek {
  try {
    return peekExperiment(readFileSync(file, 'utf8'));
  } catch {
    return peekExperiment('');
  }
}

/**
 * Makes a folder whose run never started (its process failed before writing a record) a failed
 * run with the error, unless it has a record already. Synchronous: called as a process exits.
 */
export function recordFailedStart(runDir: string, request: { experimentFile: string; experiment?: Experiment; sweep?: SweepRef }, error: RunErrorInfo): void {
  const file = path.join(runDir, RUN_FILE);
  if (existsSync(file)) return;
  const exp = request.experiment;
  const peek = exp ? { kind: exp.kind, name: exp.name, policy: exp.kind === 'train' ? exp.freezing?.policy : undefined } : peekExperimentFile(request.experimentFile);
  const now = new Date().toISOString();
  const message = error.message.split('\n')[0];
  const record: RunRecord = {
    runId: path.basename(runDir), runDir, kind: peek.kind as ExperimentKind, experimentFile: path.resolve(request.experimentFile),
    experiment: peek.name ?? path.basename(request.experimentFile).replace(/\.experiment\.json$/, ''),
    policy: peekLabel(peek), status: 'failed', startedAt: now, endedAt: now, epochsDone: 0, epochs: 0, message, error,
    ...(request.sweep ? { sweep: request.sweep } : {}),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, file);
  appendEvent(runDir, { type: 'end', status: 'failed', epoch: 0, step: 0, trainSeconds: 0, message });
}

/**
 * Appends synchronously, one line per call: events are rare (a few per epoch) and a line
 * must be on disk before the process can be killed.
 */
export function appendEvent(runDir: string, event: RunEvent): void {
  appendFileSync(path.join(runDir, EVENTS_FILE), JSON.stringify(event) + '\n');
}

export async function readEvents(runDir: string): Promise<RunEvent[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, EVENTS_FILE), 'utf8');
  } catch {
    return [];
  }
  return parseEventLines(text);
}

export function parseEventLines(text: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e.type === 'string') events.push(e);
    } catch {
      // A torn last line from a killed process: skip it.
    }
  }
  return events;
}

export async function readSummary(runDir: string): Promise<RunSummary | undefined> {
  return readJson<RunSummary>(path.join(runDir, SUMMARY_FILE));
}

export async function writeSummary(runDir: string, summary: RunSummary): Promise<void> {
  await writeJsonAtomic(path.join(runDir, SUMMARY_FILE), summary);
}

function errorInfoFrom(v: unknown): RunErrorInfo {
  const e = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const position = (n: unknown) => (Number.isInteger(n) && (n as number) > 0 ? (n as number) : undefined);
  return {
    message: typeof e.message === 'string' ? e.message : 'the run failed',
    user: e.user === true,
    pointer: typeof e.pointer === 'string' ? e.pointer : undefined,
    file: typeof e.file === 'string' ? e.file : undefined,
    line: position(e.line),
    column: position(e.column),
  };
}

/** All runs under `root`, newest first. Folders that are not runs are ignored. */
export async function listRuns(root: string): Promise<RunRecord[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const records = await Promise.all(names.map((n) => readRunRecord(path.join(root, n))));
  return records
    .filter((r): r is RunRecord => r !== undefined)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export async function deleteRun(runDir: string): Promise<void> {
  if (!existsSync(path.join(runDir, RUN_FILE))) throw new Error(`not a run folder: ${runDir}`);
  await fs.rm(runDir, { recursive: true, force: true });
}

/** Asks a running train run to pause at its next epoch boundary (`paused`), or to continue. */
export function setPauseRequest(runDir: string, paused: boolean): void {
  const file = path.join(runDir, PAUSE_FILE);
  if (paused) writeFileSync(file, `${new Date().toISOString()}\n`);
  else rmSync(file, { force: true });
}

/** True once a first checkpoint is complete (its manifest is written last). */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(path.join(runDir, CHECKPOINT_DIR, 'checkpoint.json'));
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
