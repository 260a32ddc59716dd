import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isUserError, UserError } from '../core/errors';
import { withExperimentPosition } from '../core/experiment/load';
import type { RunEvent } from '../core/train/events';
import { type CheckpointExtra, readSessionCheckpoint, type StageSpec, type StepRecord, type TrainingSession } from '../core/train/loop';
import { toErrorInfo } from './errorInfo';
import type { JobSink, JobStart } from './job';
import * as store from './runStore';
import type { RunSummary } from './summary';
import type { JobOutcome } from './uncheckpointedJob';

/** What a kind built on a `TrainingSession` gives `runSessionJob`; built the same way for a new and a resumed run. */
export interface SessionWork<S extends RunSummary> {
  session: TrainingSession;
  stages: StageSpec[];
  /** Epochs of the plan, and how many steps each has (for the run record and progress). */
  epochs: number;
  stepsPerEpoch: number;
  /** Checkpoint after every this many epochs (and when stopped). */
  checkpointEvery: number;
  /** The caller's state for the checkpoint (replay buffer, history), and how to take it back. */
  extra(): CheckpointExtra;
  restore(extra: CheckpointExtra): void;
  /** One line for progress after a step (e.g. "epoch 12/150 · coverage 204"). */
  progressMessage(record: StepRecord): string;
  /** The kind's part of the summary, for a completed or a stopped run; writes the run's outputs. */
  finish(status: 'completed' | 'cancelled', trainSeconds: number): Promise<JobOutcome<S>>;
  dispose(): void;
}

/** Checkpoints of session jobs: `<run>/checkpoint/session.json` and its tensors file. */
export function sessionCheckpointDir(runDir: string): string {
  return path.join(runDir, store.CHECKPOINT_DIR);
}

/**
 * The run-store lifecycle of a job whose training is a `TrainingSession` plan (the RL kinds; any
 * lab with a custom loop can use it): run record, `progress` events after every step, a
 * checkpoint every `checkpointEvery` epochs and when stopped (the session saves between steps,
 * so a stop request is honoured within one step and the run resumes exactly there), summary.
 * `build` gets `emit` for the kind's own events; it must build the same session for a resume.
 * A resume without a checkpoint (stopped during its first epochs) starts over in the same folder.
 */
export async function runSessionJob<S extends RunSummary>(
  start: JobStart,
  sink: JobSink,
  shouldStop: () => boolean,
  build: (ctx: { runDir: string; emit: (e: RunEvent) => void; resume: boolean }) => Promise<SessionWork<S>>,
): Promise<S> {
  const { runDir, config } = start;
  const exp = config.experiment;
  const runId = path.basename(runDir);
  const ckpt = sessionCheckpointDir(runDir);
  const hasCheckpoint = start.resume && (await readSessionCheckpoint(ckpt).catch(() => undefined)) !== undefined;
  const emit = (e: RunEvent): void => {
    store.appendEvent(runDir, e);
    sink.event(e);
  };
  if (start.resume) {
    if (!hasCheckpoint) await fs.rm(path.join(runDir, store.EVENTS_FILE), { force: true });
    await store.updateRunRecord(runDir, { status: 'running', endedAt: undefined, message: undefined, error: undefined, paused: undefined });
  }
  if (!start.resume) {
    await store.createRun(runDir, {
      runId, runDir, kind: exp.kind, experimentFile: config.experimentFile, experiment: exp.name, policy: store.runLabel(exp),
      status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: 0,
    }, config);
  }
  sink.runDir?.(runDir);
  let work: SessionWork<S> | undefined;
  let epochsDone = 0;
  try {
    work = await build({ runDir, emit, resume: start.resume });
    await store.updateRunRecord(runDir, { epochs: work.epochs });
    if (hasCheckpoint) {
      const loaded = await work.session.load(ckpt);
      if (!loaded) throw new UserError(`run ${runId}: its checkpoint disappeared`);
      work.restore(loaded.extra);
      epochsDone = Math.floor(loaded.position.globalStep / work.stepsPerEpoch);
      sink.log('info', `resuming ${runId} at step ${loaded.position.globalStep} (epoch ${epochsDone + 1} of ${work.epochs}) -> ${runDir}`);
    } else {
      sink.log('info', `${start.resume ? 'restarting' : 'run'} ${runId} (${exp.kind}) -> ${runDir}`);
    }
    const w = work;
    const total = w.epochs * w.stepsPerEpoch;
    const save = async (): Promise<void> => {
      await w.session.save(ckpt, w.extra());
      await store.updateRunRecord(runDir, { epochsDone });
      emit({ type: 'checkpoint', epoch: epochsDone, step: w.session.position.globalStep, path: store.CHECKPOINT_DIR });
    };
    let lastProgress = 0;
    const result = await w.session.run(w.stages, {
      shouldStop,
      onStep: async (r) => {
        if (r.epochEnd) {
          epochsDone = r.epoch + 1;
          if (epochsDone % w.checkpointEvery === 0 && epochsDone < w.epochs) await save();
        }
        // Progress at most every half second (and at epoch ends): events.jsonl stays small.
        const now = performance.now();
        if (r.epochEnd || now - lastProgress > 500) {
          lastProgress = now;
          emit({ type: 'progress', kind: exp.kind, fraction: r.step / total, message: w.progressMessage(r) });
        }
      },
    });
    const status = result.status === 'completed' ? 'completed' : 'cancelled';
    if (status === 'cancelled') await save();
    const outcome = await w.finish(status, w.session.trainSeconds);
    const summary = { status, runId, experiment: exp.name, experimentFile: config.experimentFile, runDir, ...outcome.fields } as S;
    await store.writeSummary(runDir, summary);
    await store.updateRunRecord(runDir, {
      status, endedAt: new Date().toISOString(), epochsDone, score: outcome.score, trainSeconds: w.session.trainSeconds,
    });
    if (status === 'completed') emit({ type: 'progress', kind: exp.kind, fraction: 1, message: 'done' });
    return summary;
  } catch (e) {
    // Errors in the user's input point into the experiment file (file:line:col in the CLI, the line in the editor).
    const error = isUserError(e) ? await withExperimentPosition(e, config.experimentFile) : e;
    await store.recordFailure(runDir, toErrorInfo(error), { epochsDone }).catch(() => undefined);
    throw error;
  } finally {
    work?.dispose();
  }
}
