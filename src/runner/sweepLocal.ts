import type { ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnDetachedRun } from './detachedRun';
import { PointWorkerPool, WORKERS_LOG, type PointHandle } from './pointWorkerPool';
import * as store from './runStore';
import { pointRequest, pointRunDir, sweepDir, type SweepPlan } from './sweepPlan';

/** In a local sweep's folder while the sweep is cancelled: its scheduler starts no more points (`cancelSweep`). */
export const SWEEP_CANCEL_FILE = 'cancel';

export interface LocalSweepOptions {
  /** At most this many points run at once (default `defaultParallel()`). */
  parallel?: number;
  /** The bundled worker (default: `runWorker.js` beside this bundle). */
  workerScript?: string;
  /**
   * Each point in a detached run process of its own (`detachedRun.ts`) instead of the sweep's
   * point workers (`pointWorkerPool.ts`), which run one point after another in up to `parallel`
   * long-lived processes.
   */
  processPerPoint?: boolean;
  /** Polled between starts: once true, no point starts and the running ones are asked to stop (resumable). */
  shouldStop: () => boolean;
  /** A point's run process started or ended. */
  onChange?: (index: number, what: 'started' | 'ended') => void;
  /**
   * Point workers the caller started before the sweep was planned (`startPointWorkers`), so they
   * got ready meanwhile; the sweep then uses and closes them (or only closes them, with
   * `processPerPoint`). Default: the sweep starts its own.
   */
  pool?: PointWorkerPool;
}

/**
 * Points that run at once by default: one per core. Each point's run gets the cores divided
 * among the points at once (`threadsPerPoint`: one thread each by default), so the runs keep
 * every core busy without oversubscribing.
 */
export function defaultParallel(): number {
  return Math.max(1, os.availableParallelism());
}

/** Training threads per point's run when `parallel` points run at once: the cores shared out, at least one. */
export function threadsPerPoint(parallel: number): number {
  return Math.max(1, Math.floor(os.availableParallelism() / parallel));
}

/**
 * Starts the point workers of a local sweep that is about to be planned (`runSweepLocal`'s
 * `pool`): `parallel` workers (default `defaultParallel()`; at most one per core, as the sweep
 * may have fewer points) that load and set up their backend while the caller validates and plans
 * the sweep. Their output goes to `logFile` until the sweep moves it into its folder. The caller
 * closes the pool if the sweep never runs.
 */
export function startPointWorkers(opts: { parallel?: number; cwd: string; logFile: string; workerScript?: string }): PointWorkerPool {
  const parallel = Math.max(1, opts.parallel ?? defaultParallel());
  const pool = new PointWorkerPool({ workerScript: opts.workerScript ?? defaultWorkerScript(), logFile: opts.logFile, cwd: opts.cwd, fillsCores: fillsCores(parallel) });
  pool.prestart(Math.min(parallel, os.availableParallelism()));
  return pool;
}

/** Whether `parallel` points at once keep every core busy (each point's own thread on a core of its own). */
function fillsCores(parallel: number): boolean {
  return parallel >= os.availableParallelism();
}

function defaultWorkerScript(): string {
  return path.join(__dirname, 'runWorker.js');
}

/**
 * Runs a sweep's points on this machine, at most `parallel` at once, in point order: by default
 * in up to `parallel` point workers that each run one point after another (`pointWorkerPool.ts`;
 * a short point does not pay a process start-up), else each in a detached run process
 * (`processPerPoint`). Either way each point is an ordinary run with its own folder, lock and
 * `run.log`. Points whose run completed are skipped and begun ones are resumed, so running a plan
 * again finishes what a stop left. Resolves when no point is left to start and every process it
 * started has exited.
 */
export async function runSweepLocal(plan: SweepPlan, opts: LocalSweepOptions): Promise<void> {
  const parallel = Math.max(1, opts.parallel ?? defaultParallel());
  const threads = threadsPerPoint(parallel);
  const pending: number[] = [];
  for (const p of plan.points) {
    const record = await store.readRunRecord(pointRunDir(plan, p));
    if (record?.status !== 'completed' && record?.status !== 'diverged') pending.push(p.index);
  }
  const workerScript = opts.workerScript ?? defaultWorkerScript();
  const logFile = path.join(sweepDir(plan), WORKERS_LOG);
  if (opts.processPerPoint) await opts.pool?.close();
  const pool = opts.processPerPoint ? undefined : opts.pool ?? new PointWorkerPool({ workerScript, logFile, cwd: path.dirname(plan.experimentFile), fillsCores: fillsCores(parallel) });
  pool?.moveLog(logFile);
  // Every worker the sweep will use starts now, not as its first point comes up.
  pool?.prestart(Math.min(parallel, pending.length));
  const running = new Map<number, Promise<void>>();
  let signalled = false;
  const handles = new Map<number, PointHandle>();
  for (;;) {
    const stop = opts.shouldStop();
    if (stop && !signalled) {
      // Each running point is signalled once and stops at its next step, resumable.
      signalled = true;
      for (const handle of handles.values()) handle.stop();
    }
    while (!stop && running.size < parallel && pending.length > 0) {
      const index = pending.shift() as number;
      const request = { ...(await pointRequest(plan, index)), threads };
      const runDir = pointRunDir(plan, plan.points[index]);
      const handle = pool ? pool.run(index, request, runDir) : processHandle(spawnDetachedRun(request, runDir, workerScript));
      handles.set(index, handle);
      running.set(index, handle.ended.then(() => {
        running.delete(index);
        handles.delete(index);
        opts.onChange?.(index, 'ended');
      }));
      opts.onChange?.(index, 'started');
    }
    if (running.size === 0) return pool?.close();
    // Wake on the first exit, or to poll `shouldStop`.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([...running.values(), new Promise<void>((r) => (timer = setTimeout(r, 250)))]);
    clearTimeout(timer);
  }
}

function processHandle(child: ChildProcess): PointHandle {
  return { ended: new Promise((resolve) => child.once('exit', () => resolve())), stop: () => void child.kill('SIGTERM') };
}
