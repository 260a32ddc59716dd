import type { FreezingPolicyName } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import type { JobErrorInfo, JobProgress, JobRequest, JobResult } from './jobProtocol';
import type { RunSummary } from './summary';

/**
 * Messages between the extension host and a run's worker process (Node IPC).
 * Both sides validate what they receive: a worker is our code, but a message that does not
 * fit the contract must never crash the host.
 */
export type HostToWorker =
  | { type: 'start'; request: RunRequest }
  | { type: 'cancel' }
  /** An interactive job (`jobProtocol.ts`); a process that takes jobs stays up for the next one. */
  | { type: 'job'; id: number; job: JobRequest }
  | { type: 'cancelJob'; id: number };

export type WorkerToHost =
  | { type: 'event'; event: RunEvent }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'result'; summary: RunSummary }
  | { type: 'error'; error: RunErrorInfo }
  | { type: 'jobProgress'; id: number; progress: JobProgress }
  | { type: 'jobResult'; id: number; result: JobResult }
  /** `cancelled`: the job stopped because it was cancelled (whatever it threw on the way). */
  | { type: 'jobError'; id: number; error: JobErrorInfo; cancelled: boolean };

export type LogLevel = 'info' | 'warn' | 'error';

export interface RunRequest {
  experimentFile: string;
  policy?: FreezingPolicyName;
  /** Options of `policy` over the file's freezing settings (e.g. `{ prefix: 1, atEpoch: 5 }` for static). */
  policyOptions?: Record<string, unknown>;
  /** Root of the run store (default: `<dir of file>/.model-lab/runs`). */
  outRoot?: string;
  /** Continue this interrupted or cancelled run instead of starting a new one. */
  resumeDir?: string;
  /** Preferred tensor backend (`auto`, `tensorflow`, `wasm`, `cpu`). */
  backend?: string;
  /** Run id chosen by the caller (so the host knows the run folder before the worker starts). */
  runId?: string;
  /** Take the run folder's lock even from a live holder (the CLI's `--force`; warns). */
  force?: boolean;
}

export interface RunErrorInfo {
  message: string;
  /** Set for user errors (bad experiment file or data): exit code 2 in the CLI, a diagnostic in the editor. */
  user: boolean;
  pointer?: string;
  file?: string;
  line?: number;
  column?: number;
}

const hostToWorkerTypes = new Set(['start', 'cancel', 'job', 'cancelJob']);
const workerToHostTypes = new Set(['event', 'log', 'result', 'error', 'jobProgress', 'jobResult', 'jobError']);

/** Checks the envelope; a job's request is checked by the worker (`isJobRequest`), its result by the caller. */
export function isHostToWorker(m: unknown): m is HostToWorker {
  if (!isObject(m) || !hostToWorkerTypes.has(m.type as string)) return false;
  if (m.type === 'start') return isObject(m.request) && typeof m.request.experimentFile === 'string';
  if (m.type === 'job') return Number.isSafeInteger(m.id) && isObject(m.job);
  if (m.type === 'cancelJob') return Number.isSafeInteger(m.id);
  return true;
}

export function isWorkerToHost(m: unknown): m is WorkerToHost {
  if (!isObject(m) || !workerToHostTypes.has(m.type as string)) return false;
  switch (m.type) {
    case 'event': return isObject(m.event) && typeof m.event.type === 'string';
    case 'log': return typeof m.message === 'string' && ['info', 'warn', 'error'].includes(m.level as string);
    case 'result': return isObject(m.summary) && typeof m.summary.status === 'string';
    case 'error': return isObject(m.error) && typeof m.error.message === 'string';
    case 'jobProgress': return Number.isSafeInteger(m.id) && isObject(m.progress) && typeof m.progress.message === 'string';
    case 'jobResult': return Number.isSafeInteger(m.id) && typeof m.result === 'object' && m.result !== null;
    case 'jobError': return Number.isSafeInteger(m.id) && isObject(m.error) && typeof m.error.message === 'string' && typeof m.cancelled === 'boolean';
  }
  return false;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
