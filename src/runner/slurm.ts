import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import type { ClusterConfig } from '../core/experiment/types';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { jobOfPoint, SWEEP_FILE, sweepDir, type SweepPlan } from './sweepPlan';
import type { PointStatus, SchedulerView } from './sweepState';

/**
 * The Slurm executor: a sweep is one job array (`sbatch --array`), task i running
 * `model-lab run --sweep PLAN --point i` into the shared run store. Nothing of our own
 * schedules: statuses come from `squeue` (and `sacct` where accounting is on), cancel is
 * `scancel`. A requeued task (preemption, `--requeue`, a resubmission) finds its point's run
 * folder and resumes it from its checkpoint (`pointRequest`).
 */

/** The command a task runs for its point, before `run ...`: the Node executable and the CLI's script. */
export interface CliCommand {
  node: string;
  /** Node's own options (e.g. a loader in development) and the CLI script. */
  args: string[];
}

export const TASK_SCRIPT = 'submit.sh';

/** `sbatch`'s arguments for the points `indices` of a sweep (default: all). */
export function sbatchArguments(plan: SweepPlan, cluster: ClusterConfig, indices = plan.points.map((p) => p.index)): string[] {
  const dir = sweepDir(plan);
  const args = [
    '--parsable',
    `--job-name=model-lab-${plan.name}`.slice(0, 64),
    `--array=${arraySpec(indices)}${cluster.maxConcurrent ? `%${cluster.maxConcurrent}` : ''}`,
    `--output=${path.join(dir, 'slurm-%A_%a.out')}`,
    `--chdir=${path.dirname(plan.experimentFile)}`,
  ];
  if (cluster.partition) args.push(`--partition=${cluster.partition}`);
  if (cluster.time) args.push(`--time=${cluster.time}`);
  if (cluster.cpusPerTask) args.push(`--cpus-per-task=${cluster.cpusPerTask}`);
  if (cluster.mem) args.push(`--mem=${cluster.mem}`);
  args.push(...(cluster.sbatchArgs ?? []));
  args.push(path.join(dir, TASK_SCRIPT));
  return args;
}

/** `0-3`, or `1,4-6` for a resubmission of some points. */
export function arraySpec(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** The batch script every task runs: the setup lines, then this point's run (which resumes a begun one). */
export function taskScript(plan: SweepPlan, cluster: ClusterConfig, cli: CliCommand): string {
  const node = cluster.node ?? cli.node;
  const run = [node, ...cli.args, 'run', '--sweep', path.join(sweepDir(plan), SWEEP_FILE)].map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    `# Model Lab sweep ${plan.sweepId}: array task i runs point i (written by model-lab sweep).`,
    'set -e',
    ...(cluster.setup ?? []),
    // exec: Slurm's SIGTERM (scancel, preemption, time limit) reaches the run, which checkpoints and stops.
    `exec ${run} --point "$SLURM_ARRAY_TASK_ID" --json`,
    '',
  ].join('\n');
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Submits the points (default all) as one array job; records the job in the plan. */
export async function submitSweep(plan: SweepPlan, cluster: ClusterConfig, cli: CliCommand, indices?: number[]): Promise<string> {
  const dir = sweepDir(plan);
  await fs.mkdir(dir, { recursive: true });
  const script = path.join(dir, TASK_SCRIPT);
  await fs.writeFile(script, taskScript(plan, cluster, cli), { mode: 0o755 });
  const out = await slurmCommand('sbatch', sbatchArguments(plan, cluster, indices));
  // --parsable: "jobid" or "jobid;cluster".
  const jobId = out.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new UserError(`sbatch did not answer with a job id: ${out.trim().slice(0, 200)}`);
  plan.slurm = { jobs: [...(plan.slurm?.jobs ?? []), { jobId, indices: indices ?? plan.points.map((p) => p.index) }], script };
  await writeJsonAtomic(path.join(dir, SWEEP_FILE), plan);
  return jobId;
}

/**
 * `scancel` of every array job of the sweep, or of one point's task. Running tasks get SIGTERM
 * and stop resumable. Returns what was cancelled (`123`, `123_4`).
 */
export async function cancelSlurm(plan: SweepPlan, index?: number): Promise<string[]> {
  const targets = index === undefined
    ? [...new Set(plan.slurm?.jobs.map((j) => j.jobId) ?? [])]
    : [jobOfPoint(plan, index)].filter((j): j is string => j !== undefined).map((j) => `${j}_${index}`);
  if (targets.length > 0) await slurmCommand('scancel', targets);
  return targets;
}

/**
 * Slurm's view of an array job's tasks: `squeue` for the ones it still holds, `sacct` for
 * the ended ones where accounting is on. Without accounting, an ended task whose run never
 * wrote a record is `failed` when it left an output file (it ran) and `cancelled` when not.
 */
export async function slurmView(plan: SweepPlan): Promise<SchedulerView> {
  const jobIds = [...new Set(plan.slurm?.jobs.map((j) => j.jobId) ?? [])];
  if (jobIds.length === 0) return () => undefined;
  const states = new Map<string, string>();
  const record = (text: string) => {
    for (const line of text.split('\n')) {
      const m = /^(\d+_\d+)\|([A-Z_]+)/.exec(line.trim());
      if (m) states.set(m[1], m[2]);
    }
  };
  try {
    record(await slurmCommand('sacct', ['-n', '-X', '-P', '-j', jobIds.join(','), '-o', 'JobID,State']));
  } catch {
    // Accounting is off (no slurmdbd): squeue and the run store are all there is.
  }
  try {
    // squeue last: it is the live view of the tasks it still has.
    record(await slurmCommand('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T']));
  } catch {
    // Jobs squeue no longer knows are "Invalid job id": their tasks ended.
  }
  const dir = sweepDir(plan);
  return (index) => {
    const jobId = jobOfPoint(plan, index);
    if (!jobId) return undefined;
    const state = states.get(`${jobId}_${index}`);
    if (state) return fromSlurmState(state, jobId, index);
    if (existsSync(path.join(dir, `slurm-${jobId}_${index}.out`))) {
      return { status: 'failed', message: `its Slurm task ${jobId}_${index} ended without a run record; see slurm-${jobId}_${index}.out in the sweep folder` };
    }
    return { status: 'cancelled', message: `its Slurm task ${jobId}_${index} ended before it started` };
  };
}

/** Slurm's job states (squeue's long names, sacct's) as a point's status. */
export function fromSlurmState(state: string, jobId: string, index: number): { status: PointStatus; message?: string } {
  const task = `Slurm task ${jobId}_${index}`;
  switch (state) {
    case 'PENDING': case 'CONFIGURING': case 'REQUEUED': case 'REQUEUE_HOLD': case 'REQUEUE_FED': case 'RESV_DEL_HOLD': case 'SUSPENDED':
      return { status: 'queued' };
    case 'RUNNING': case 'COMPLETING': case 'STAGE_OUT': case 'SIGNALING':
      return { status: 'running' };
    case 'COMPLETED':
      return { status: 'completed' };
    case 'CANCELLED':
      return { status: 'cancelled', message: `${task} was cancelled` };
    case 'TIMEOUT': case 'DEADLINE':
      return { status: 'interrupted', message: `${task} reached its time limit; resume it (model-lab sweep --resume)` };
    case 'PREEMPTED': case 'NODE_FAIL': case 'BOOT_FAIL':
      return { status: 'interrupted', message: `${task} ended: ${state.toLowerCase().replace('_', ' ')}; resume it (model-lab sweep --resume)` };
    case 'OUT_OF_MEMORY':
      return { status: 'failed', message: `${task} ran out of memory (raise --mem)` };
    default:
      return { status: 'failed', message: `${task}: ${state}` };
  }
}

/** Whether Slurm's commands are on PATH. */
export async function hasSlurm(): Promise<boolean> {
  try {
    await slurmCommand('sbatch', ['--version']);
    return true;
  } catch {
    return false;
  }
}

function slurmCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new UserError(`${command} not found: the Slurm executor needs Slurm's commands (sbatch, squeue, scancel) on PATH, as on a cluster's login node`));
      }
      reject(new UserError(`${command} failed: ${(stderr || error.message).trim().split('\n')[0]}`));
    });
  });
}
