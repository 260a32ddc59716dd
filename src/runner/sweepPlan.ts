import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import type { LoadedSweep } from '../core/experiment/sweepLoad';
import type { ClusterConfig, Experiment } from '../core/experiment/types';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { RunRequest } from './protocol';
import * as store from './runStore';

/**
 * A sweep on disk: `<runs root>/<sweepId>/sweep.json` lists every point with its run id, its
 * values and its validated experiment, so whoever runs a point (a local worker, a Slurm array
 * task on another machine, a resubmission) runs exactly what was planned without reading the
 * experiment file again. The points' runs are ordinary runs beside it (`<runs root>/<runId>/`);
 * their `run.json` says which sweep and point they are (`RunRecord.sweep`).
 */
export interface SweepPlan {
  version: 1;
  sweepId: string;
  /** The experiment's name. */
  name: string;
  experimentFile: string;
  /** The run store the points write to (shared by every node of a cluster). */
  root: string;
  createdAt: string;
  executor: SweepExecutor;
  /** The experiment's `cluster` block: a resubmission uses it too (flags go on top). */
  cluster: ClusterConfig;
  points: PlannedPoint[];
  /** Set once an array job is submitted: each submission (the first, then resubmissions) and its points. */
  slurm?: { jobs: SlurmSubmission[]; script: string };
}

export type SweepExecutor = 'local' | 'slurm';

export interface SlurmSubmission {
  jobId: string;
  /** The array indices (= points) it runs. */
  indices: number[];
}

/** The latest array job that runs point `index` (a resubmission replaces the earlier for its points). */
export function jobOfPoint(plan: SweepPlan, index: number): string | undefined {
  return plan.slurm?.jobs.filter((j) => j.indices.includes(index)).pop()?.jobId;
}

export interface PlannedPoint {
  index: number;
  runId: string;
  params: Record<string, unknown>;
  experiment: Experiment;
}

export const SWEEP_FILE = 'sweep.json';

export function sweepDir(plan: Pick<SweepPlan, 'root' | 'sweepId'>): string {
  return path.join(plan.root, plan.sweepId);
}

export function pointRunDir(plan: Pick<SweepPlan, 'root'>, point: Pick<PlannedPoint, 'runId'>): string {
  return path.join(plan.root, point.runId);
}

/** Plans the runs of a loaded sweep: ids known up front, so every point can be followed before it starts. */
export function planSweep(sweep: LoadedSweep, executor: SweepExecutor, outRoot?: string, now = new Date()): SweepPlan {
  const { file, experiment } = sweep.base;
  const root = outRoot ? path.resolve(outRoot) : store.defaultRunsRoot(file);
  const sweepId = store.newRunId(experiment.name, 'sweep', now);
  const width = String(sweep.points.length - 1).length;
  const points = sweep.points.map((p) => ({
    index: p.index,
    // The sweep's id with the point's index: the runs of one sweep sort together.
    runId: `${sweepId}-p${String(p.index).padStart(width, '0')}`,
    params: p.params,
    experiment: p.experiment,
  }));
  const cluster = ('cluster' in experiment ? experiment.cluster : undefined) ?? {};
  return { version: 1, sweepId, name: experiment.name, experimentFile: file, root, createdAt: now.toISOString(), executor, cluster, points };
}

export async function writeSweepPlan(plan: SweepPlan): Promise<string> {
  const file = path.join(sweepDir(plan), SWEEP_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, plan);
  return file;
}

/** Reads a `sweep.json` (or the sweep folder holding it); a `UserError` when it is not one. */
export async function readSweepPlan(fileOrDir: string): Promise<SweepPlan> {
  const file = path.basename(fileOrDir) === SWEEP_FILE ? path.resolve(fileOrDir) : path.resolve(fileOrDir, SWEEP_FILE);
  let plan: SweepPlan;
  try {
    plan = JSON.parse(await fs.readFile(file, 'utf8')) as SweepPlan;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `not a sweep (no ${SWEEP_FILE}): ${fileOrDir}` : `damaged sweep plan: ${file}: ${(e as Error).message}`, undefined, file);
  }
  if (plan?.version !== 1 || typeof plan.sweepId !== 'string' || typeof plan.root !== 'string' || !Array.isArray(plan.points)) {
    throw new UserError(`damaged sweep plan (not a version 1 ${SWEEP_FILE}): ${file}`, undefined, file);
  }
  plan.cluster ??= {};
  // The plan may have been copied with its run store (a cluster's shared filesystem mounted elsewhere).
  plan.root = path.dirname(path.dirname(file));
  return plan;
}

/** The run request of one point: a new run of the planned experiment, or a resume of its folder when it has begun. */
export async function pointRequest(plan: SweepPlan, index: number): Promise<RunRequest> {
  const point = plan.points[index];
  if (!point || point.index !== index) throw new UserError(`the sweep has no point ${index} (it has ${plan.points.length}: 0-${plan.points.length - 1})`);
  const runDir = pointRunDir(plan, point);
  const record = await store.readRunRecord(runDir);
  if (record) return { experimentFile: plan.experimentFile, resumeDir: runDir };
  return {
    experimentFile: plan.experimentFile,
    experiment: point.experiment,
    outRoot: plan.root,
    runId: point.runId,
    sweep: { id: plan.sweepId, index, count: plan.points.length, params: point.params },
  };
}
