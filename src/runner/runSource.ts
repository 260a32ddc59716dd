import * as path from 'node:path';
import type { LoadedExperiment } from '../core/experiment/load';
import type { RunErrorInfo, RunRequest } from './protocol';
import { planRunDir } from './runStore';
import type { RunSummary } from './summary';

/**
 * What to run: a new run of an experiment the caller loaded (read and validated once, with any
 * policy override: `loadExperimentText`), or a run folder to continue from its last checkpoint
 * (its `config.json` holds the experiment).
 */
export type RunSource = { experiment: LoadedExperiment } | { resumeDir: string; experimentFile: string };

/** How to start a run's process (`startDetachedRun`). */
export type StartRunOptions = RunSource & {
  /** Root of the run store (default `<dir of file>/.model-lab/runs`). */
  outRoot?: string;
  backend?: string;
  /** Threads for the run's training kernels (default: every core). */
  threads?: number;
  /** The bundled worker (default: `runWorker.js` beside this bundle). */
  workerScript?: string;
};

/** The run's folder (known before its process starts, so it can be followed from the start) and the worker's request. */
export function planRun(opts: StartRunOptions): { runId: string; runDir: string; request: RunRequest } {
  if ('experiment' in opts) {
    const { file, experiment } = opts.experiment;
    const { runId, runDir } = planRunDir({ experimentFile: file, experiment }, opts.outRoot);
    return { runId, runDir, request: { experimentFile: file, experiment, outRoot: path.dirname(runDir), backend: opts.backend, threads: opts.threads, runId } };
  }
  const { runId, runDir } = planRunDir({ resumeDir: opts.resumeDir });
  return { runId, runDir, request: { experimentFile: path.resolve(opts.experimentFile), resumeDir: runDir, backend: opts.backend, threads: opts.threads } };
}

/** How a run ended, as its follower (`RunFollower`) reads it from the run store. */
export interface RunOutcome {
  status: 'completed' | 'cancelled' | 'failed' | 'crashed' | 'diverged';
  runDir: string;
  summary?: RunSummary;
  error?: RunErrorInfo;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
}
