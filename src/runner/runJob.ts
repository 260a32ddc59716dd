import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadExperimentFile } from '../core/experiment/load';
import type { Experiment } from '../core/experiment/types';
import { UserError } from '../core/errors';
import type { RunEvent } from '../core/train/events';
import { runDistillJob } from './distillJob';
import { runExtractEvalJob } from './extractEvalJob';
import { runExtractTrainJob } from './extractTrainJob';
import type { LogLevel, RunRequest } from './protocol';
import { acquireRunLock, type RunLock } from './runLock';
import type { RunSummary } from './summary';
import { runTrainJob } from './trainJob';
import * as store from './runStore';

/** Where a job reports to: the worker forwards to the host over IPC, the CLI prints. */
export interface JobSink {
  event(e: RunEvent): void;
  log(level: LogLevel, message: string): void;
  /** Called once the run folder exists (before any work), so callers can show it. */
  runDir?(dir: string): void;
}

/** What `config.json` of a run holds: the resolved experiment, so a resume needs nothing else. */
export interface ResolvedConfig<E extends Experiment = Experiment> {
  experimentFile: string;
  experiment: E;
}

/** A job's starting point: a new run of a loaded experiment, or an existing run folder. */
export type JobStart<E extends Experiment = Experiment> =
  | { resume: false; runDir: string; config: ResolvedConfig<E> }
  | { resume: true; runDir: string; config: ResolvedConfig<E>; record: store.RunRecord };

/**
 * Runs one experiment of any kind against the run store: the entry point of the worker
 * process and of `model-lab run`. A new experiment kind adds a case here and a job module.
 * `shouldStop` is polled by the job; a stopped run is left resumable. The run folder is
 * locked (`runLock.ts`) for as long as the job writes it, so two processes never write one run.
 */
export async function runJob(req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<RunSummary> {
  const { start, lock } = await jobStart(req, sink);
  try {
    const kind = start.config.experiment.kind;
    switch (kind) {
      case 'train':
        return await runTrainJob(start as JobStart<Extract<Experiment, { kind: 'train' }>>, req, sink, shouldStop);
      case 'extract-train':
        return await runExtractTrainJob(start as JobStart<Extract<Experiment, { kind: 'extract-train' }>>, sink, shouldStop);
      case 'extract-eval':
        return await runExtractEvalJob(start as JobStart<Extract<Experiment, { kind: 'extract-eval' }>>, sink, shouldStop);
      case 'distill':
        return await runDistillJob(start as JobStart<Extract<Experiment, { kind: 'distill' }>>, req, sink, shouldStop);
      case 'reward-compare':
        throw new UserError(
          'a reward-compare experiment is interactive: open it in VS Code (Run Experiment opens the heatmap panel) or use `model-lab rewards distance FILE`',
          '/kind', start.config.experimentFile,
        );
    }
  } finally {
    lock.release();
  }
}

async function jobStart(req: RunRequest, sink: JobSink): Promise<{ start: JobStart; lock: RunLock }> {
  const lockOptions = { force: req.force, warn: (m: string) => sink.log('warn', m) };
  if (req.resumeDir) {
    const runDir = path.resolve(req.resumeDir);
    if (!existsSync(path.join(runDir, store.RUN_FILE))) throw new UserError(`not a Model Lab run folder: ${runDir}`);
    // The lock first: a second resume of the same run stops here.
    const lock = acquireRunLock(runDir, lockOptions);
    try {
      const record = await store.readRunRecord(runDir);
      const config = await store.readConfig<ResolvedConfig>(runDir);
      if (!record || !config) throw new UserError(`not a Model Lab run folder: ${runDir}`);
      if (record.status === 'completed') throw new UserError(`run ${record.runId} already completed; nothing to resume`);
      return { start: { resume: true, runDir, config, record }, lock };
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  const loaded = await loadExperimentFile(req.experimentFile, { policy: req.policy, policyOptions: req.policyOptions });
  for (const w of loaded.warnings) sink.log('warn', `${w.pointer}: ${w.message}`);
  const exp = loaded.experiment;
  const root = req.outRoot ? path.resolve(req.outRoot) : store.defaultRunsRoot(loaded.file);
  const runId = req.runId ?? store.newRunId(exp.name, store.runLabel(exp));
  const runDir = path.join(root, runId);
  mkdirSync(runDir, { recursive: true });
  const lock = acquireRunLock(runDir, lockOptions);
  return { start: { resume: false, runDir, config: { experimentFile: loaded.file, experiment: exp } }, lock };
}
