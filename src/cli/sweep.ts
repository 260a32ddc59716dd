import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { readExperimentFile } from '../core/experiment/load';
import { describeParams } from '../core/experiment/sweep';
import { loadSweepText } from '../core/experiment/sweepLoad';
import type { ClusterConfig } from '../core/experiment/types';
import { slurmView, submitSweep, type CliCommand } from '../runner/slurm';
import { cancelSweep } from '../runner/sweepCancel';
import type { PointWorkerPool } from '../runner/pointWorkerPool';
import * as store from '../runner/runStore';
import { defaultParallel, runSweepLocal, startPointWorkers, SWEEP_CANCEL_FILE } from '../runner/sweepLocal';
import { planSweep, readSweepPlan, sweepDir, writeSweepPlan, type SweepExecutor, type SweepPlan } from '../runner/sweepPlan';
import { isSettled, sweepState, type PointState } from '../runner/sweepState';
import { parseCliArgs } from './args';
import type { CliIO, Subcommand } from './io';

export const SWEEP_USAGE = `model-lab sweep FILE [--executor local|slurm] [--parallel N] [--process-per-point] [--wait] [--json] [--out DIR]
    [--partition P] [--time T] [--cpus-per-task N] [--mem M] [--max-concurrent K] [--sbatch-arg ARG]... [--setup LINE]...
model-lab sweep --resume SWEEP_DIR [--executor local|slurm] [--parallel N] [--process-per-point] [--wait] [--json]
model-lab sweep --status SWEEP_DIR [--json]
model-lab sweep --cancel SWEEP_DIR [--point I]
  runs every point of the file's "sweep" block, each as a run of its own; local: up to N at once
  on this machine (default: one per core), in N worker processes that each run one point after
  another (--process-per-point: a new process for every point); slurm: one sbatch --array job
  (settings from the file's "cluster" block, overridden by the flags)`;

/** `model-lab sweep`: expands a sweep and runs its points here or on Slurm; `--json` prints `{executor, jobId?, runs}`. */
export const sweepCommand: Subcommand = async (argv, io) => {
  const { values, positionals } = parseCliArgs(argv, {
    executor: { type: 'string' },
    parallel: { type: 'string' },
    'process-per-point': { type: 'boolean' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    resume: { type: 'string' },
    status: { type: 'string' },
    cancel: { type: 'string' },
    point: { type: 'string' },
    partition: { type: 'string' },
    time: { type: 'string' },
    'cpus-per-task': { type: 'string' },
    mem: { type: 'string' },
    'max-concurrent': { type: 'string' },
    'sbatch-arg': { type: 'string', multiple: true },
    setup: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(SWEEP_USAGE + '\n');
    return 0;
  }
  const existing = values.resume ?? values.status ?? values.cancel;
  if ([values.resume, values.status, values.cancel].filter((v) => v !== undefined).length > 1) throw new UserError('give one of --resume, --status and --cancel');
  if (existing === undefined && positionals.length !== 1) throw new UserError(`expected one experiment file with a "sweep" block\nusage: ${SWEEP_USAGE}`);
  if (existing !== undefined && positionals.length > 0) throw new UserError(`--resume, --status and --cancel take a sweep folder, not a file (${positionals[0]})`);
  const executor = values.executor as SweepExecutor | undefined;
  if (executor !== undefined && executor !== 'local' && executor !== 'slurm') throw new UserError(`--executor: expected local or slurm, got "${executor}"`);
  const parallel = positiveInt(values.parallel, '--parallel');

  if (values.status !== undefined) {
    const plan = await readSweepPlan(values.status);
    return report(io, plan, await currentState(plan), values.json);
  }
  if (values.cancel !== undefined) return cancel(io, await readSweepPlan(values.cancel), values.point === undefined ? undefined : nonNegativeInt(values.point, '--point'));

  let plan: SweepPlan;
  let pool: PointWorkerPool | undefined;
  if (values.resume !== undefined) {
    plan = await readSweepPlan(values.resume);
    if (executor && executor !== plan.executor) {
      plan.executor = executor;
      await writeSweepPlan(plan);
    }
  } else {
    const { file, text } = await readExperimentFile(positionals[0]);
    // Run here and now in point workers: start them first, so that they load while the sweep is validated and planned.
    const early = (executor ?? 'local') === 'local' && values.wait && !values['process-per-point'] ? earlyWorkers(file, values.out, parallel) : undefined;
    try {
      plan = planSweep(loadSweepText(text, file), executor ?? 'local', values.out);
      await writeSweepPlan(plan);
    } catch (e) {
      await early?.discard();
      throw e;
    }
    pool = early?.pool;
    io.stderr(`sweep ${plan.sweepId}: ${plan.points.length} point${plan.points.length === 1 ? '' : 's'} -> ${sweepDir(plan)}\n`);
  }

  // A cancel of the whole local sweep leaves a marker its scheduler obeys; a resume takes it away.
  const cancelFile = path.join(sweepDir(plan), SWEEP_CANCEL_FILE);
  rmSync(cancelFile, { force: true });
  if (plan.executor === 'slurm') {
    const cluster: ClusterConfig = {
      ...plan.cluster,
      ...(values.partition ? { partition: values.partition } : {}),
      ...(values.time ? { time: values.time } : {}),
      ...(values['cpus-per-task'] ? { cpusPerTask: positiveInt(values['cpus-per-task'], '--cpus-per-task') } : {}),
      ...(values.mem ? { mem: values.mem } : {}),
      ...(values['max-concurrent'] ? { maxConcurrent: positiveInt(values['max-concurrent'], '--max-concurrent') } : {}),
      ...(values['sbatch-arg'] ? { sbatchArgs: [...(plan.cluster.sbatchArgs ?? []), ...values['sbatch-arg']] } : {}),
      ...(values.setup ? { setup: [...(plan.cluster.setup ?? []), ...values.setup] } : {}),
    };
    // A resubmission runs the points that are neither done nor still held by Slurm.
    const state = values.resume !== undefined ? await currentState(plan) : undefined;
    const indices = state?.filter((p) => p.status !== 'completed' && p.status !== 'diverged' && p.status !== 'queued' && p.status !== 'running').map((p) => p.index);
    if (indices && indices.length === 0) {
      io.stderr('nothing to resubmit: every point is completed, queued or running\n');
    } else {
      const jobId = await submitSweep(plan, cluster, selfCommand(), indices);
      io.stderr(`submitted array job ${jobId} (${indices?.length ?? plan.points.length} task${(indices?.length ?? plan.points.length) === 1 ? '' : 's'})\n`);
    }
    if (values.wait) await waitForSlurm(io, plan);
  } else if (values.wait) {
    await runSweepLocal(plan, {
      parallel,
      pool,
      processPerPoint: values['process-per-point'],
      shouldStop: () => io.signal.aborted || existsSync(cancelFile),
      onChange: (index, what) => io.stderr(`point ${index} ${what === 'started' ? 'started' : 'ended'}: ${describeParams(plan.points[index].params)}\n`),
    });
  } else {
    startScheduler(plan, parallel, values['process-per-point']);
    io.stderr(`running up to ${parallel ?? defaultParallel()} at once in the background (log: ${path.join(sweepDir(plan), 'scheduler.log')}); follow with: model-lab sweep --status ${sweepDir(plan)}\n`);
  }
  const state = await currentState(plan);
  const code = report(io, plan, state, values.json);
  if (!values.wait) return code;
  if (io.signal.aborted) return 130;
  return state.some((p) => p.status === 'failed' || p.status === 'diverged') ? 1 : 0;
};

/**
 * Point workers started before the sweep at `file` is planned (`startPointWorkers`), their output
 * in a file of the runs root until the sweep moves it to its folder. `discard` (the file is not a
 * valid sweep) stops them and removes what they were given.
 */
function earlyWorkers(file: string, out: string | undefined, parallel: number | undefined): { pool: PointWorkerPool; discard(): Promise<void> } {
  const root = out ? path.resolve(out) : store.defaultRunsRoot(file);
  const created = mkdirSync(root, { recursive: true });
  const logFile = path.join(root, `.sweep-workers-${process.pid}.log`);
  const pool = startPointWorkers({ parallel, cwd: path.dirname(file), logFile });
  return {
    pool,
    async discard() {
      await pool.close();
      rmSync(logFile, { force: true });
      // The folders made for the log only, innermost first (a folder that holds anything else stays).
      for (let dir = root; created && dir.length >= created.length; dir = path.dirname(dir)) {
        try {
          rmdirSync(dir);
        } catch {
          break;
        }
      }
    },
  };
}

/** The command that runs this CLI again (a Slurm task, the background scheduler). */
function selfCommand(): CliCommand {
  return { node: process.execPath, args: [...process.execArgv, process.argv[1]] };
}

/**
 * The local executor without `--wait`: the scheduler (this command with `--resume ... --wait`)
 * in a process of its own that outlives this one, like a run's (`detachedRun.ts`).
 */
function startScheduler(plan: SweepPlan, parallel: number | undefined, processPerPoint: boolean | undefined): void {
  const cli = selfCommand();
  const log = openSync(path.join(sweepDir(plan), 'scheduler.log'), 'a');
  try {
    const args = [...cli.args, 'sweep', '--resume', sweepDir(plan), '--executor', 'local', '--wait', ...(parallel ? ['--parallel', String(parallel)] : []), ...(processPerPoint ? ['--process-per-point'] : [])];
    spawn(cli.node, args, { detached: true, stdio: ['ignore', log, log], windowsHide: true }).unref();
  } finally {
    closeSync(log);
  }
}

async function currentState(plan: SweepPlan): Promise<PointState[]> {
  return sweepState(plan, plan.executor === 'slurm' ? await slurmView(plan) : undefined);
}

async function waitForSlurm(io: CliIO, plan: SweepPlan): Promise<void> {
  let last = '';
  while (!io.signal.aborted) {
    const state = await currentState(plan);
    const counts = new Map<string, number>();
    for (const p of state) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
    const line = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
    if (line !== last) io.stderr(`job ${plan.slurm?.jobs.at(-1)?.jobId}: ${line}\n`);
    last = line;
    if (state.every((p) => isSettled(p.status))) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      io.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  io.stderr(`stopped waiting; the job goes on (model-lab sweep --status ${sweepDir(plan)})\n`);
}

async function cancel(io: CliIO, plan: SweepPlan, point: number | undefined): Promise<number> {
  for (const line of await cancelSweep(plan, point)) io.stderr(line + '\n');
  return 0;
}

function report(io: CliIO, plan: SweepPlan, runs: PointState[], json: boolean | undefined): number {
  if (json) {
    const jobId = plan.slurm?.jobs.at(-1)?.jobId;
    io.stdout(JSON.stringify({ executor: plan.executor, ...(jobId ? { jobId } : {}), sweepId: plan.sweepId, sweepDir: sweepDir(plan), runs }) + '\n');
    return 0;
  }
  const lines = runs.map((p) => {
    const metrics = p.metrics ? ' ' + Object.entries(p.metrics).map(([k, v]) => `${k} ${k === 'loss' ? v.toFixed(4) : `${(v * 100).toFixed(2)}%`}`).join(', ') : '';
    return `  ${String(p.index).padStart(3)} ${p.status.padEnd(11)}${metrics}  ${describeParams(p.params)}${p.message ? `\n      ${p.message}` : ''}`;
  });
  const jobs = plan.slurm?.jobs.map((j) => j.jobId).join(', ');
  io.stdout([`sweep ${plan.sweepId} (${plan.executor}${jobs ? `, job ${jobs}` : ''}): ${sweepDir(plan)}`, ...lines].join('\n') + '\n');
  return 0;
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v)) throw new UserError(`${flag}: expected a positive whole number, got "${v}"`);
  return Number(v);
}

function nonNegativeInt(v: string, flag: string): number {
  if (!/^(0|[1-9]\d*)$/.test(v)) throw new UserError(`${flag}: expected a point index (0, 1, ...), got "${v}"`);
  return Number(v);
}
