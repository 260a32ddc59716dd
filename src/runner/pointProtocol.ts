import type { RunRequest } from './protocol';

/**
 * Messages between a local sweep's scheduler and its point workers (`pointWorkerPool.ts`,
 * `pointWorker.ts`): a worker process runs one point at a time, as many as it is given, each as
 * an ordinary run (its own folder, lock, `run.log`, events). Stop is not a message: it is a
 * signal to the process that holds the point's lock, as for any run (`runLock.ts`), so Cancel
 * works the same from VS Code, the CLI and the scheduler.
 */

/** The argument that starts `runWorker.js` as a point worker (forked with IPC). */
export const POINTS_FLAG = '--points';

/** Follows `POINTS_FLAG` when the sweep's workers keep every core busy between them (`pointWorker.ts`). */
export const FILLS_CORES_FLAG = '--fills-cores';

export type SchedulerToPointWorker = { type: 'point'; index: number; runDir: string; request: RunRequest };

export type PointWorkerToScheduler =
  /**
   * The point's run ended (any status; its run store says which). `retire`: the worker does not
   * take another point (the point left tensors allocated), so the scheduler starts a fresh one.
   */
  { type: 'pointEnded'; index: number; retire: boolean };

export function isSchedulerToPointWorker(m: unknown): m is SchedulerToPointWorker {
  return isObject(m) && m.type === 'point' && Number.isSafeInteger(m.index) && typeof m.runDir === 'string' && isObject(m.request) && typeof m.request.experimentFile === 'string';
}

export function isPointWorkerToScheduler(m: unknown): m is PointWorkerToScheduler {
  return isObject(m) && m.type === 'pointEnded' && Number.isSafeInteger(m.index) && typeof m.retire === 'boolean';
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
