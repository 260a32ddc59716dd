import type { ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { spawnDetachedRun } from './detachedRun';
import * as store from './runStore';
import { pointRequest, pointRunDir, type SweepPlan } from './sweepPlan';

/** In a local sweep's folder while the sweep is cancelled: its scheduler starts no more points (`cancelSweep`). */
export const SWEEP_CANCEL_FILE = 'cancel';

export interface LocalSweepOptions {
  /** At most this many points run at once (default `defaultParallel()`). */
  parallel?: number;
  /** The bundled worker (default: `runWorker.js` beside this bundle). */
  workerScript?: string;
  /** Polled between starts: once true, no point starts and the running ones are asked to stop (resumable). */
  shouldStop: () => boolean;
  /** A point's run process started or ended. */
  onChange?: (index: number, what: 'started' | 'ended') => void;
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
 * Runs a sweep's points on this machine, each in a detached run process (`detachedRun.ts`:
 * its own process group, output in its `run.log`), at most `parallel` at once, in point order.
 * Points whose run completed are skipped and begun ones are resumed, so running a plan again
 * finishes what a stop left. Resolves when no point is left to start and every started run
 * process has exited.
 */
export async function runSweepLocal(plan: SweepPlan, opts: LocalSweepOptions): Promise<void> {
  const parallel = Math.max(1, opts.parallel ?? defaultParallel());
  const threads = threadsPerPoint(parallel);
  const pending: number[] = [];
  for (const p of plan.points) {
    const record = await store.readRunRecord(pointRunDir(plan, p));
    if (record?.status !== 'completed' && record?.status !== 'diverged') pending.push(p.index);
  }
  const running = new Map<number, Promise<void>>();
  let signalled = false;
  const children = new Map<number, ChildProcess>();
  for (;;) {
    const stop = opts.shouldStop();
    if (stop && !signalled) {
      // Each running point is signalled once and stops at its next step, resumable.
      signalled = true;
      for (const child of children.values()) child.kill('SIGTERM');
    }
    while (!stop && running.size < parallel && pending.length > 0) {
      const index = pending.shift() as number;
      const child = spawnDetachedRun({ ...(await pointRequest(plan, index)), threads }, pointRunDir(plan, plan.points[index]), opts.workerScript);
      children.set(index, child);
      running.set(index, new Promise<void>((resolve) => child.once('exit', () => {
        running.delete(index);
        children.delete(index);
        opts.onChange?.(index, 'ended');
        resolve();
      })));
      opts.onChange?.(index, 'started');
    }
    if (running.size === 0) return;
    // Wake on the first exit, or to poll `shouldStop`.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([...running.values(), new Promise<void>((r) => (timer = setTimeout(r, 250)))]);
    clearTimeout(timer);
  }
}
