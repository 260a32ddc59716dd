import * as path from 'node:path';
import { loadExperimentFile } from '../core/experiment/load';
import type { Experiment } from '../core/experiment/types';
import { UserError } from '../core/errors';
import { runExtractEvalJob } from './extractEvalJob';
import { runExtractTrainJob } from './extractTrainJob';
import type { JobSink, JobStart, ResolvedConfig } from './job';
import type { RunRequest } from './protocol';
import type { RunSummary } from './summary';
import { runTrainJob } from './trainJob';
import * as store from './runStore';

/**
 * Runs one experiment of any kind against the run store: the entry point of the worker
 * process and of `model-lab run`. A new experiment kind adds a case here and a job module.
 * `shouldStop` is polled by the job; a stopped run is left resumable.
 */
export async function runJob(req: RunRequest, sink: JobSink, shouldStop: () => boolean): Promise<RunSummary> {
  const start = await jobStart(req, sink);
  const kind = start.config.experiment.kind;
  switch (kind) {
    case 'train':
      return runTrainJob(start as JobStart<Extract<Experiment, { kind: 'train' }>>, req, sink, shouldStop);
    case 'extract-train':
      return runExtractTrainJob(start as JobStart<Extract<Experiment, { kind: 'extract-train' }>>, sink, shouldStop);
    case 'extract-eval':
      return runExtractEvalJob(start as JobStart<Extract<Experiment, { kind: 'extract-eval' }>>, sink, shouldStop);
    case 'reward-compare':
      throw new UserError(
        'a reward-compare experiment is interactive: open it in VS Code (Run Experiment opens the heatmap panel) or use `model-lab rewards distance FILE`',
        '/kind', start.config.experimentFile,
      );
  }
}

async function jobStart(req: RunRequest, sink: JobSink): Promise<JobStart> {
  if (req.resumeDir) {
    const runDir = path.resolve(req.resumeDir);
    const record = await store.readRunRecord(runDir);
    const config = await store.readConfig<ResolvedConfig>(runDir);
    if (!record || !config) throw new UserError(`not a Model Lab run folder: ${runDir}`);
    if (record.status === 'completed') throw new UserError(`run ${record.runId} already completed; nothing to resume`);
    if (record.status === 'running') throw new UserError(`run ${record.runId} is still running (pid ${record.pid})`);
    return { resume: true, runDir, config, record };
  }
  const config = req.experiment ? { experimentFile: path.resolve(req.experimentFile), experiment: req.experiment } : await loadConfig(req, sink);
  const exp = config.experiment;
  const root = req.outRoot ? path.resolve(req.outRoot) : store.defaultRunsRoot(config.experimentFile);
  const runId = req.runId ?? store.newRunId(exp.name, store.runLabel(exp));
  return { resume: false, runDir: path.join(root, runId), config };
}

/** Reads and validates the experiment file (when the caller has not), logging its warnings. */
async function loadConfig(req: RunRequest, sink: JobSink): Promise<ResolvedConfig> {
  const loaded = await loadExperimentFile(req.experimentFile, { policy: req.policy, policyOptions: req.policyOptions });
  for (const w of loaded.warnings) sink.log('warn', `${w.pointer}: ${w.message}`);
  return { experimentFile: loaded.file, experiment: loaded.experiment };
}
