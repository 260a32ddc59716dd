import type { Experiment } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import type { LogLevel } from './protocol';
import type { ResolvedConfig } from './runConfig';
import type { RunRecord } from './runStore';

/**
 * What every job of the runner gets and reports to (`runJob.ts` dispatches on the experiment's
 * `kind` to one job module per kind; each takes these).
 */

/** Where a job reports to: the worker forwards to the host over IPC, the CLI prints. */
export interface JobSink {
  event(e: RunEvent): void;
  log(level: LogLevel, message: string): void;
  /** Called once the run folder exists (before any work), so callers can show it. */
  runDir?(dir: string): void;
}

export type { ResolvedConfig } from './runConfig';

/** A job's starting point: a new run of a loaded experiment, or an existing run folder. */
export type JobStart<E extends Experiment = Experiment> =
  | { resume: false; runDir: string; config: ResolvedConfig<E> }
  | { resume: true; runDir: string; config: ResolvedConfig<E>; record: RunRecord };
