import type { ErrorInfo } from '../core/errors';
import type { Experiment, FreezingPolicyName } from '../core/experiment/types';
import type { JobErrorInfo, JobProgress, JobRequest, JobResult } from './jobProtocol';
import type { SweepRef } from './runOrigin';

/**
 * Messages between the extension host and a job process (Node IPC: interactive jobs, see
 * `jobProcess.ts`). Runs do not use IPC: a run's process is detached and reports through the
 * run store (`detachedRun.ts`, `runFollower.ts`); `RunRequest` is what it is started with.
 * Both sides validate what they receive: a worker is our code, but a message that does not
 * fit the contract must never crash the host.
 */
export type HostToWorker =
  /** An interactive job (`jobProtocol.ts`); a process that takes jobs stays up for the next one. */
  | { type: 'job'; id: number; job: JobRequest }
  | { type: 'cancelJob'; id: number };

export type WorkerToHost =
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'jobProgress'; id: number; progress: JobProgress }
  | { type: 'jobResult'; id: number; result: JobResult }
  /** `cancelled`: the job stopped because it was cancelled (whatever it threw on the way). */
  | { type: 'jobError'; id: number; error: JobErrorInfo; cancelled: boolean };

export type LogLevel = 'info' | 'warn' | 'error';

export interface RunRequest {
  experimentFile: string;
  /**
   * The experiment as the caller loaded it from `experimentFile` (validated, paths absolute,
   * defaults and any policy override applied): the job runs exactly this and does not read the
   * file again. Without it (the CLI) the job loads the file itself.
   */
  experiment?: Experiment;
  /** Replaces `freezing.policy` when the job loads the file itself. */
  policy?: FreezingPolicyName;
  /** Replaces `algo` of a skills or offline-gcrl experiment when the job loads the file itself (`--algo`). */
  algo?: string;
  /** Options of `policy` over the file's freezing settings (e.g. `{ prefix: 1, atEpoch: 5 }` for static). */
  policyOptions?: Record<string, unknown>;
  /** Root of the run store (default: `<dir of file>/.model-lab/runs`). */
  outRoot?: string;
  /** Continue this interrupted or cancelled run instead of starting a new one. */
  resumeDir?: string;
  /** Preferred tensor backend (`auto`, `tensorflow`, `wasm`, `cpu`). */
  backend?: string;
  /** Threads for the training kernels, the job's own included (default: every core; 1: one thread). Same results either way. */
  threads?: number;
  /** Run id chosen by the caller (so the host knows the run folder before the worker starts). */
  runId?: string;
  /** Take the run folder's lock even from a live holder (the CLI's `--force`; warns). */
  force?: boolean;
  /** The sweep point this new run is (recorded in its `config.json` and `run.json`). */
  sweep?: SweepRef;
}

/** What a failed run reports (`toErrorInfo`). */
export type RunErrorInfo = ErrorInfo;

const hostToWorkerTypes = new Set(['job', 'cancelJob']);
const workerToHostTypes = new Set(['log', 'jobProgress', 'jobResult', 'jobError']);

/** Checks the envelope; a job's request is checked by the worker (`isJobRequest`), its result by the caller. */
export function isHostToWorker(m: unknown): m is HostToWorker {
  if (!isObject(m) || !hostToWorkerTypes.has(m.type as string)) return false;
  if (m.type === 'job') return Number.isSafeInteger(m.id) && isObject(m.job);
  if (m.type === 'cancelJob') return Number.isSafeInteger(m.id);
  return true;
}

export function isWorkerToHost(m: unknown): m is WorkerToHost {
  if (!isObject(m) || !workerToHostTypes.has(m.type as string)) return false;
  switch (m.type) {
    case 'log': return typeof m.message === 'string' && ['info', 'warn', 'error'].includes(m.level as string);
    case 'jobProgress': return Number.isSafeInteger(m.id) && isObject(m.progress) && typeof m.progress.message === 'string';
    case 'jobResult': return Number.isSafeInteger(m.id) && typeof m.result === 'object' && m.result !== null;
    case 'jobError': return Number.isSafeInteger(m.id) && isObject(m.error) && typeof m.error.message === 'string' && typeof m.cancelled === 'boolean';
  }
  return false;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
