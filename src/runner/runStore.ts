import { existsSync, promises as fs, appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { peekLabel } from '../core/experiment/peek';
import type { Experiment, ExperimentKind } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { RunSummary } from './summary';

/**
 * The run store on disk: `<root>/<runId>/` with
 *   run.json        what the run is and its status (rewritten atomically)
 *   config.json     the resolved experiment (paths absolute), so a resume needs nothing else
 *   events.jsonl    one RunEvent per line, appended; a torn last line is skipped when read
 *   checkpoint/     the latest checkpoint: of an epoch's end, or of the step a stopped run stopped at
 *   model/          the final model (TensorFlow.js format; an extractor for `extract-train`)
 *   summary.json    the final result (= the CLI's --json document)
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
  /** Process that runs it; used to tell a live run from one that was killed. */
  pid?: number;
  message?: string;
}

export const RUN_FILE = 'run.json';
export const CONFIG_FILE = 'config.json';
export const EVENTS_FILE = 'events.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const CHECKPOINT_DIR = 'checkpoint';
export const MODEL_DIR = 'model';

export function defaultRunsRoot(experimentFile: string): string {
  return path.join(path.dirname(path.resolve(experimentFile)), '.model-lab', 'runs');
}

/** A run's label in lists (`RunRecord.policy`): the freezing policy of a train run, else the kind. */
export function runLabel(exp: Experiment): string {
  return peekLabel({ kind: exp.kind, policy: exp.kind === 'train' ? exp.freezing?.policy : undefined });
}

/** Runs recorded before other kinds existed have no `kind`: they are train runs. */
export function isTrainRun(r: RunRecord): boolean {
  return (r.kind ?? 'train') === 'train';
}

/** A sortable, readable, unique id: `20261127-063512-digits-mlp-smartfrz-3fa1`. */
export function newRunId(experiment: string, policy: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = `${experiment}-${policy}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
  return `${stamp}-${slug}-${Math.random().toString(16).slice(2, 6)}`;
}

export async function createRun(runDir: string, record: RunRecord, config: unknown): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path.join(runDir, CONFIG_FILE), config);
  await writeJsonAtomic(path.join(runDir, RUN_FILE), record);
}

export async function readRunRecord(runDir: string): Promise<RunRecord | undefined> {
  const record = await readJson<RunRecord>(path.join(runDir, RUN_FILE));
  if (!record) return undefined;
  if (record.status === 'running' && !isAlive(record.pid)) record.status = 'interrupted';
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

/** True once a first checkpoint is complete (its manifest is written last). */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(path.join(runDir, CHECKPOINT_DIR, 'checkpoint.json'));
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
