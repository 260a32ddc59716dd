import * as path from 'node:path';
import { isUserError } from '../core/errors';
import { withExperimentPosition } from '../core/experiment/load';
import type { Experiment } from '../core/experiment/types';
import { toErrorInfo } from './errorInfo';
import type { JobSink, JobStart } from './job';
import type { RunSummary } from './summary';
import * as store from './runStore';

/** What a job's work reports back: the kind-specific part of its summary, and its headline score. */
export interface JobOutcome<S extends RunSummary> {
  fields: Omit<S, 'status' | 'runId' | 'experiment' | 'experimentFile' | 'runDir'>;
  score?: { name: string; value: number };
}

export interface JobContext {
  runDir: string;
  /** Aborted when the run is asked to stop. */
  signal: AbortSignal;
  progress(fraction: number, message: string): void;
  /** Seconds since the job started (what the record and the summary report). */
  elapsedSeconds(): number;
}

/**
 * The run-store lifecycle of a job that keeps no checkpoints (extraction training and
 * evaluation take minutes, not hours): run record, `progress` events, summary. A cancelled,
 * failed or killed run stays readable, and resuming it runs the job again in the same folder
 * from its stored configuration. `work` returns the summary for a completed run; when the
 * signal was aborted it throws, and `partial` gives the summary fields of the stopped run.
 */
export async function runUncheckpointedJob<S extends RunSummary>(
  start: JobStart,
  sink: JobSink,
  shouldStop: () => boolean,
  work: (ctx: JobContext) => Promise<JobOutcome<S>>,
  partial: (seconds: number) => JobOutcome<S>['fields'],
): Promise<S> {
  const { runDir, config } = start;
  const exp: Experiment = config.experiment;
  const runId = path.basename(runDir);
  const kind = exp.kind;
  if (start.resume) {
    await store.updateRunRecord(runDir, { status: 'running', endedAt: undefined, message: undefined, error: undefined, epochsDone: 0 });
  } else {
    await store.createRun(runDir, {
      runId, runDir, kind, experimentFile: config.experimentFile, experiment: exp.name, policy: store.runLabel(exp),
      status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: 1,
    }, config);
  }
  sink.runDir?.(runDir);
  sink.log('info', `${start.resume ? 'restarting' : 'run'} ${runId} (${kind}) -> ${runDir}`);

  const controller = new AbortController();
  const poll = setInterval(() => {
    if (shouldStop()) controller.abort();
  }, 100);
  poll.unref?.();
  const t0 = performance.now();
  const elapsedSeconds = (): number => (performance.now() - t0) / 1000;
  const base = { runId, experiment: exp.name, experimentFile: config.experimentFile, runDir };
  const emit = (fraction: number, message: string): void => {
    const event = { type: 'progress' as const, kind, fraction: Math.max(0, Math.min(1, fraction)), message };
    store.appendEvent(runDir, event);
    sink.event(event);
  };
  try {
    emit(0, 'starting…');
    const outcome = await work({ runDir, signal: controller.signal, progress: emit, elapsedSeconds });
    const summary = { status: 'completed', ...base, ...outcome.fields } as S;
    await store.writeSummary(runDir, summary);
    await store.updateRunRecord(runDir, {
      status: 'completed', endedAt: new Date().toISOString(), epochsDone: 1, score: outcome.score, trainSeconds: elapsedSeconds(),
    });
    emit(1, 'done');
    return summary;
  } catch (e) {
    const seconds = elapsedSeconds();
    if (controller.signal.aborted || shouldStop()) {
      const summary = { status: 'cancelled', ...base, ...partial(seconds) } as S;
      await store.writeSummary(runDir, summary);
      await store.updateRunRecord(runDir, { status: 'cancelled', endedAt: new Date().toISOString(), trainSeconds: seconds });
      return summary;
    }
    const error = isUserError(e) ? await withExperimentPosition(e, config.experimentFile) : e;
    await store.recordFailure(runDir, toErrorInfo(error), { trainSeconds: seconds }).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(poll);
  }
}
