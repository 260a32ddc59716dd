import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadExperimentFile } from '../core/experiment/load';
import type { Experiment } from '../core/experiment/types';
import { UserError } from '../core/errors';
import { removeStaleTempFiles } from '../core/util/atomicFile';
import { ensureWritableFolder } from '../core/util/ensureFolder';
import { runDistillJob } from './distillJob';
import { runExtractEvalJob } from './extractEvalJob';
import { runExtractTrainJob } from './extractTrainJob';
import type { JobSink, JobStart } from './job';
import { runOfflineGcrlJob } from './offlineGcrlJob';
import { recordProvenance } from './provenance';
import type { RunRequest } from './protocol';
import { readRunConfig, type ResolvedConfig } from './runConfig';
import { runSkillsJob } from './skillsJob';
import { acquireRunLock, type RunLock } from './runLock';
import type { RunSummary } from './summary';
import { runDiffusionJob } from './diffusionJob';
import { runDiffusionPolicyJob } from './diffusionPolicyJob';
import { runTrainJob } from './trainJob';
import { setKernelThreads } from '../core/tensor/wasm/threads';
import * as store from './runStore';

/**
 * Runs one experiment of any kind against the run store: the entry point of the worker
 * process and of `model-lab run`. A new experiment kind adds a case here and a job module.
 * `shouldStop` is polled by the job; a stopped run is left resumable. The run folder is
 * locked (`runLock.ts`) for as long as the job writes it, so two processes never write one run.
 */
export async function runJob(req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<RunSummary> {
  if (req.threads !== undefined) {
    if (!Number.isInteger(req.threads) || req.threads < 1) throw new UserError(`threads must be a whole number of at least 1; got ${req.threads}`);
    setKernelThreads(req.threads);
  }
  const { start, lock } = await jobStart(req, sink);
  try {
    const kind = start.config.experiment.kind;
    if (kind !== 'reward-compare') await recordProvenance(start.runDir, start.config, { resume: start.resume, warn: (m) => sink.log('warn', m) });
    switch (kind) {
      case 'train':
        return await runTrainJob(start as JobStart<Extract<Experiment, { kind: 'train' }>>, req, sink, shouldStop);
      case 'extract-train':
        return await runExtractTrainJob(start as JobStart<Extract<Experiment, { kind: 'extract-train' }>>, sink, shouldStop);
      case 'extract-eval':
        return await runExtractEvalJob(start as JobStart<Extract<Experiment, { kind: 'extract-eval' }>>, sink, shouldStop);
      case 'skills':
        return await runSkillsJob(start as JobStart<Extract<Experiment, { kind: 'skills' }>>, req, sink, shouldStop);
      case 'offline-gcrl':
        return await runOfflineGcrlJob(start as JobStart<Extract<Experiment, { kind: 'offline-gcrl' }>>, req, sink, shouldStop);
      case 'distill':
        return await runDistillJob(start as JobStart<Extract<Experiment, { kind: 'distill' }>>, req, sink, shouldStop);
      case 'diffusion-policy':
        return await runDiffusionPolicyJob(start as JobStart<Extract<Experiment, { kind: 'diffusion-policy' }>>, req, sink, shouldStop);
      case 'diffusion':
        return await runDiffusionJob(start as JobStart<Extract<Experiment, { kind: 'diffusion' }>>, req, sink, shouldStop);
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
      if (!record) throw new UserError(`damaged run record (not valid JSON): ${path.join(runDir, store.RUN_FILE)}`);
      if (record.status === 'completed') throw new UserError(`run ${record.runId} already completed; nothing to resume`);
      if (record.status === 'diverged') {
        throw new UserError(`run ${record.runId} diverged (${record.message ?? 'its loss became NaN or infinite'}); resuming would diverge again: change the experiment and start a new run`);
      }
      const config = await readRunConfig(runDir);
      if (!config) throw new UserError(`not a Model Lab run folder (no ${store.CONFIG_FILE}): ${runDir}`);
      // Writes cut short by a kill leave temp files behind; nobody else writes here now (the lock).
      for (const dir of [runDir, path.join(runDir, store.CHECKPOINT_DIR), path.join(runDir, store.MODEL_DIR)]) {
        for (const name of await removeStaleTempFiles(dir)) sink.log('info', `removed ${path.join(dir, name)}, left by an interrupted write`);
      }
      // A requeued Slurm task resumes the run: the record names the job that runs it now.
      const slurm = store.slurmFromEnv();
      if (slurm) await store.updateRunRecord(runDir, { slurm });
      return { start: { resume: true, runDir, config, record: slurm ? { ...record, slurm } : record }, lock };
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  const loaded = req.experiment ? { experimentFile: path.resolve(req.experimentFile), experiment: req.experiment } : await loadConfig(req, sink);
  const config: ResolvedConfig = req.sweep ? { ...loaded, sweep: req.sweep } : loaded;
  const exp = config.experiment;
  const root = req.outRoot ? path.resolve(req.outRoot) : store.defaultRunsRoot(config.experimentFile);
  const unusable = await ensureWritableFolder(root);
  if (unusable) throw new UserError(`cannot store runs in ${root}: ${unusable}`);
  const runId = req.runId ?? store.newRunId(exp.name, store.runLabel(exp));
  const runDir = path.join(root, runId);
  mkdirSync(runDir, { recursive: true });
  const lock = acquireRunLock(runDir, lockOptions);
  return { start: { resume: false, runDir, config }, lock };
}

/** Reads and validates the experiment file (when the caller has not), logging its warnings. */
async function loadConfig(req: RunRequest, sink: JobSink): Promise<ResolvedConfig> {
  const loaded = await loadExperimentFile(req.experimentFile, { policy: req.policy, policyOptions: req.policyOptions, algo: req.algo });
  for (const w of loaded.warnings) sink.log('warn', `${w.pointer}: ${w.message}`);
  return { experimentFile: loaded.file, experiment: loaded.experiment };
}
