import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { signalRunHolder } from './runLock';
import { cancelSlurm } from './slurm';
import { SWEEP_CANCEL_FILE } from './sweepLocal';
import { sweepDir, type SweepPlan } from './sweepPlan';
import { sweepState } from './sweepState';

/**
 * Cancels a sweep, or one point of it; what it did, one line each. Slurm: `scancel` of its array
 * jobs (or the point's task). Local: the scheduler starts no more points (a marker in the sweep
 * folder) and each running point's process is asked to stop. Either way, runs stop resumable.
 */
export async function cancelSweep(plan: SweepPlan, point?: number): Promise<string[]> {
  if (point !== undefined && !plan.points[point]) throw new UserError(`the sweep has no point ${point} (0-${plan.points.length - 1})`);
  if (plan.executor === 'slurm') {
    const cancelled = await cancelSlurm(plan, point);
    return [cancelled.length > 0 ? `scancel ${cancelled.join(' ')}` : 'nothing submitted to cancel'];
  }
  if (point === undefined) writeFileSync(path.join(sweepDir(plan), SWEEP_CANCEL_FILE), `${new Date().toISOString()}\n`);
  const done: string[] = [];
  for (const p of await sweepState(plan)) {
    if ((point === undefined || p.index === point) && p.status === 'running') {
      const sent = signalRunHolder(p.runDir, 'SIGTERM');
      done.push(sent.ok ? `stopping point ${p.index} (pid ${sent.pid})` : `point ${p.index}: ${sent.reason}`);
    }
  }
  return done;
}
