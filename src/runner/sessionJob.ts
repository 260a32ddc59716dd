import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isUserError } from '../core/errors';
import { withExperimentPosition } from '../core/experiment/load';
import type { Experiment } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import { type CheckpointExtra, NonFiniteLossError, NonFiniteStateError, type StageSpec, type StepRecord, type TrainingSession } from '../core/train/loop';
import { toErrorInfo } from './errorInfo';
import type { JobSink, JobStart } from './job';
import type { RunSummary } from './summary';
import * as store from './runStore';
import { pauseRequested, waitWhilePaused } from './pauseGate';

/** Folder (inside the run folder) of a session job's checkpoint (`session.json` + tensors). */
export const SESSION_CHECKPOINT_DIR = store.CHECKPOINT_DIR;

export interface SessionJobSpec<S extends RunSummary> {
  session: TrainingSession;
  stages: StageSpec[];
  /** Steps of the whole plan, for progress. */
  totalSteps: number;
  /** Save a checkpoint every this many steps (and when stopped). */
  checkpointEvery: number;
  backend: string;
  /**
   * A plan in epochs of `stepsPerEpoch` steps (the RL kinds): the run record counts epochs
   * (`epochsDone` at every checkpoint) instead of one epoch for the whole plan.
   */
  epochs?: { total: number; stepsPerEpoch: number };
  /**
   * The job's own state beyond the session's tensors (a replay buffer, evaluation history,
   * running sums), saved with every checkpoint and handed back to `restore` on resume, so a
   * resumed run reproduces the numbers of an uninterrupted one.
   */
  extra?(): CheckpointExtra;
  restore?(extra: CheckpointExtra): void;
  /** Called once the position is known (fresh: 0), before the first step: the job's start event. */
  begin(resumedAt: number | undefined): void;
  /** After every step: the job's own events and measurements (`emit` writes and forwards one). */
  onStep?(record: StepRecord): void | Promise<void>;
  /** A progress line for a step (the CLI's bar, the status bar); default: stage and step. */
  progressMessage?(record: StepRecord): string;
  /**
   * The kind-specific summary fields once the plan ended (`completed`: final measurements,
   * files for the panel) or stopped (`cancelled`: what is known so far), and the run's headline score.
   */
  finish(status: 'completed' | 'cancelled'): Promise<{ fields: Omit<S, 'status' | 'runId' | 'experiment' | 'experimentFile' | 'runDir'>; score?: { name: string; value: number } }>;
  /** Frees the session's tensors (and whatever else the job holds) when the job ends, however it ends. */
  dispose(): void;
}

/**
 * The run-store lifecycle of a job trained with a `TrainingSession` (the labs): the run record,
 * `progress` events, a checkpoint every `checkpointEvery` steps and when stopped (the session's
 * own format in `checkpoint/`), resume from it (a run stopped before its first checkpoint starts
 * over in the same folder), the summary. The session polls `shouldStop` before every step, so
 * a stop takes effect within a step. `prepare` (reading data, building the session; `emit`
 * writes an event and forwards it) runs once the record exists, so a run that fails on its data
 * stays in the run store as `failed`, with the error at the experiment file's field and line. A NaN or infinite loss ends the run
 * `diverged` (no update was applied; the last checkpoint stays good). A resume that finds no
 * checkpoint drops the events of the attempt it replaces. A plan in `epochs` pauses at an epoch
 * boundary while the run folder has a `pause` file (Pause Run; `runner/pauseGate.ts`).
 */
export async function runSessionJob<S extends RunSummary>(
  start: JobStart, sink: JobSink, shouldStop: () => boolean, prepare: (emit: (e: RunEvent) => void) => Promise<SessionJobSpec<S>>,
): Promise<S> {
  const { runDir, config } = start;
  const exp: Experiment = config.experiment;
  const runId = path.basename(runDir);
  const ckpt = path.join(runDir, SESSION_CHECKPOINT_DIR);
  const emit = (e: RunEvent): void => {
    store.appendEvent(runDir, e);
    sink.event(e);
  };
  if (start.resume) {
    await store.updateRunRecord(runDir, { status: 'running', endedAt: undefined, message: undefined, error: undefined, paused: undefined });
  } else {
    await store.createRun(runDir, {
      runId, runDir, kind: exp.kind, experimentFile: config.experimentFile, experiment: exp.name, policy: store.runLabel(exp),
      status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: 1,
    }, config);
  }
  sink.runDir?.(runDir);
  const base = { runId, experiment: exp.name, experimentFile: config.experimentFile, runDir };
  let spec: SessionJobSpec<S> | undefined;
  try {
    spec = await prepare(emit);
    const epochs = spec.epochs;
    await store.updateRunRecord(runDir, { backend: spec.backend, ...(epochs ? { epochs: epochs.total } : {}) });
    const loaded = start.resume ? await spec.session.load(ckpt) : undefined;
    if (loaded) spec.restore?.(loaded.extra);
    else if (start.resume) await fs.rm(path.join(runDir, store.EVENTS_FILE), { force: true });
    const resumedAt = loaded?.position.globalStep;
    const epochsAt = (step: number): number => (epochs ? Math.floor(step / epochs.stepsPerEpoch) : 0);
    sink.log('info', `${start.resume ? (loaded ? `resuming at step ${resumedAt}` : 'no checkpoint yet: starting over') : 'run'} ${runId} (${exp.kind}) -> ${runDir}`);
    spec.begin(resumedAt);
    let lastProgress = -1;
    const job = spec;
    const session = spec.session;
    const save = async (step: number): Promise<void> => {
      await session.save(ckpt, job.extra?.());
      if (epochs) await store.updateRunRecord(runDir, { epochsDone: epochsAt(step) });
      emit({ type: 'checkpoint', epoch: epochsAt(step), step, path: SESSION_CHECKPOINT_DIR });
    };
    const { totalSteps, checkpointEvery, onStep, progressMessage } = spec;
    const result = await session.run(spec.stages, {
      shouldStop,
      onStep: async (r) => {
        await onStep?.(r);
        const percent = Math.floor((100 * r.step) / totalSteps);
        if (percent !== lastProgress) {
          lastProgress = percent;
          emit({ type: 'progress', kind: exp.kind, fraction: r.step / totalSteps, message: progressMessage?.(r) ?? `${r.stage} step ${r.stageStep}` });
        }
        if (r.step >= totalSteps) return;
        let saved = false;
        if (r.step % checkpointEvery === 0) {
          await save(r.step);
          saved = true;
        }
        // Pause Run: at an epoch boundary, after a checkpoint (so a paused run can also be stopped and resumed).
        if (epochs && r.step % epochs.stepsPerEpoch === 0 && pauseRequested(runDir) && !shouldStop()) {
          if (!saved) await save(r.step);
          await waitWhilePaused(runDir, shouldStop, sink);
        }
      },
    });
    if (result.status === 'stopped') await save(result.step);
    const status = result.status === 'completed' ? 'completed' : 'cancelled';
    const { fields, score } = await spec.finish(status);
    const summary = { status, ...base, ...fields } as S;
    await store.writeSummary(runDir, summary);
    if (status === 'completed') emit({ type: 'progress', kind: exp.kind, fraction: 1, message: 'done' });
    await store.updateRunRecord(runDir, {
      status, endedAt: new Date().toISOString(), epochsDone: epochs ? epochsAt(session.position.globalStep) : status === 'completed' ? 1 : 0, trainSeconds: spec.session.trainSeconds,
      ...(score ? { score } : {}),
    });
    return summary;
  } catch (e) {
    if ((e instanceof NonFiniteLossError || e instanceof NonFiniteStateError) && spec) {
      // Diverged: the last good checkpoint stays; resuming would diverge again (runJob refuses).
      const { fields } = await spec.finish('cancelled');
      const summary = { status: 'diverged', message: e.message, ...base, ...fields } as S;
      await store.writeSummary(runDir, summary);
      emit({ type: 'end', status: 'diverged', epoch: 0, step: spec.session.position.globalStep, trainSeconds: spec.session.trainSeconds, message: e.message });
      await store.updateRunRecord(runDir, { status: 'diverged', endedAt: new Date().toISOString(), trainSeconds: spec.session.trainSeconds, message: e.message });
      sink.log('error', e.message);
      return summary;
    }
    const error = isUserError(e) ? await withExperimentPosition(e, config.experimentFile) : e;
    await store.recordFailure(runDir, toErrorInfo(error), { trainSeconds: spec?.session.trainSeconds }).catch(() => undefined);
    throw error;
  } finally {
    // A pause asked for is over with the run: a later resume starts unpaused.
    store.setPauseRequest(runDir, false);
    spec?.dispose();
  }
}
