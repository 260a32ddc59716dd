import { slurmView } from '../../runner/slurm';
import { readSweepPlan } from '../../runner/sweepPlan';
import { cancelledSweepView, isSettled } from '../../runner/sweepState';
import { sweepDirOf, type SweepGroup } from '../runs/runGroups';

/** The Runs view redraws every second while runs are live; Slurm's queue is asked at most this often per sweep. */
const CACHE_MS = 3000;
const cache = new Map<string, { at: number; value: Promise<boolean> }>();

/**
 * Whether a sweep's points that have no run yet will not start without a resume (`SweepGroup.stopped`):
 * a local sweep that was cancelled (its marker), or a Slurm sweep whose tasks for them Slurm no
 * longer holds (cancelled with `scancel`, or ended). False when every point has a run.
 */
export function sweepStopped(g: SweepGroup): Promise<boolean> {
  const missing = new Set(Array.from({ length: g.count }, (_, i) => i));
  for (const r of g.runs) missing.delete(r.sweep?.index ?? -1);
  if (missing.size === 0) return Promise.resolve(false);
  const dir = sweepDirOf(g);
  const hit = cache.get(dir);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = (async () => {
    const plan = await readSweepPlan(dir);
    const view = plan.executor === 'slurm' ? await slurmView(plan) : cancelledSweepView(plan);
    return view !== undefined && [...missing].every((i) => isSettled(view(i)?.status ?? 'queued'));
  })().catch(() => false);
  cache.set(dir, { at: Date.now(), value });
  return value;
}
