import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { isTrainSummary, type RunSummary } from './summary';
import * as store from './runStore';
import { SWEEP_CANCEL_FILE } from './sweepLocal';
import { jobOfPoint, pointRunDir, sweepDir, type SweepPlan } from './sweepPlan';

/** A point's status: its run's, or `queued` before its run has begun. */
export type PointStatus = store.RunStatus | 'queued';

/** One point of a sweep as `model-lab sweep --json` reports it (`runs[]`). */
export interface PointState {
  index: number;
  runId: string;
  runDir: string;
  params: Record<string, unknown>;
  status: PointStatus;
  /** The run's final metrics (a train run's test accuracy and loss; another kind's scores). */
  metrics?: Record<string, number>;
  message?: string;
  /** Epochs the run has finished (from its record; a running point's progress). */
  epochsDone?: number;
  slurm?: store.SlurmRef;
}

/**
 * What the scheduler knows of a point whose run folder does not say (yet): Slurm's view of a
 * task (`slurm.ts`). The run store wins whenever it has a record: it is written by the run itself.
 */
export type SchedulerView = (index: number) => { status: PointStatus; message?: string } | undefined;

export async function sweepState(plan: SweepPlan, scheduler?: SchedulerView): Promise<PointState[]> {
  const cancelled = cancelledSweepView(plan);
  return Promise.all(
    plan.points.map(async (point): Promise<PointState> => {
      const runDir = pointRunDir(plan, point);
      const base = { index: point.index, runId: point.runId, runDir, params: point.params };
      const record = await store.readRunRecord(runDir);
      if (!record) return { ...base, status: 'queued', ...(scheduler ?? cancelled)?.(point.index) };
      let status: PointStatus = record.status;
      let message = record.message;
      // A run on another node cannot be checked here; the scheduler knows whether its task still runs.
      const seen = scheduler?.(point.index);
      if (status === 'running' && seen && seen.status !== 'running' && seen.status !== 'queued') {
        status = 'interrupted';
        message = seen.message ?? 'its Slurm task ended while the run was running';
      } else if (status !== 'running' && (seen?.status === 'queued' || seen?.status === 'running') && record.slurm?.jobId !== jobOfPoint(plan, point.index)) {
        // Resubmitted (Resume Sweep on Slurm): the old record stands until the new task starts and
        // writes; meanwhile the point is its new task's, queued or running, not still cancelled.
        status = seen.status;
        message = undefined;
      }
      const summary = isSettled(status) ? await store.readSummary(runDir) : undefined;
      const metrics = summary ? summaryMetrics(summary) : undefined;
      return { ...base, status, ...(metrics ? { metrics } : {}), ...(message ? { message } : {}), epochsDone: record.epochsDone, ...(record.slurm ? { slurm: record.slurm } : {}) };
    }),
  );
}

/**
 * A cancelled local sweep starts no more points (`sweepCancel.ts` leaves a marker its scheduler
 * obeys until a resume takes it away): its points that never began are cancelled, not queued.
 */
export function cancelledSweepView(plan: SweepPlan): SchedulerView | undefined {
  if (plan.executor !== 'local' || !existsSync(path.join(sweepDir(plan), SWEEP_CANCEL_FILE))) return undefined;
  return () => ({ status: 'cancelled', message: 'the sweep was cancelled before this point started; resume the sweep to run it' });
}

/** The numbers of a run's summary worth comparing across a sweep's points. */
export function summaryMetrics(s: RunSummary): Record<string, number> | undefined {
  if (isTrainSummary(s)) return Number.isFinite(s.metrics.accuracy) ? { accuracy: s.metrics.accuracy, loss: s.metrics.loss } : undefined;
  switch (s.kind) {
    case 'extract-train':
    case 'extract-eval': {
      const scores = s.kind === 'extract-train' ? s.dev : s.scores;
      return scores ? { entityF1: scores.entity.f1, relationF1: scores.relation.f1 } : undefined;
    }
    case 'skills':
      return { coverage: s.coverage, finalDistance: s.finalDistance };
    case 'offline-gcrl':
      return { successRate: s.successRate };
    case 'diffusion-policy':
      return s.onMode !== undefined && s.bestModeShare !== undefined ? { onMode: s.onMode, bestModeShare: s.bestModeShare } : undefined;
    default:
      return undefined;
  }
}

/** Ended for good: nothing will change it unless someone resumes it. */
export function isSettled(status: PointStatus): boolean {
  return status !== 'queued' && status !== 'running';
}
