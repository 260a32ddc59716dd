import type { CheckpointExtra, RunResult, StageSpec, StepRecord, TrainingSession } from '../core/train/loop';

/** Checkpoint at least this often within a stage (and at every epoch and stage end, and when stopped). */
export const CHECKPOINT_SECONDS = 30;

export interface CheckpointedPhaseOptions {
  /** The session's checkpoint folder (the caller loads it before, if resuming). */
  dir: string;
  shouldStop(): boolean;
  /** The caller's state beyond the session's tensors, saved with every checkpoint. */
  extra?(): CheckpointExtra;
  /** Whether step `r` ends a loss point besides the epoch and stage ends, which always do. */
  pointAt(r: StepRecord): boolean;
  /** A loss point: each metric's mean over the steps since the previous point that reported it. */
  onPoint(r: StepRecord, means: Record<string, number>): void;
  /** Milliseconds, for the time between checkpoints (tests inject a clock); default `performance.now`. */
  now?(): number;
}

/**
 * Runs one phase of a job (a distillation arm, a train run's masked-LM pretraining) in its
 * `TrainingSession` from where it stands to the end or a stop: a few hundred loss points instead
 * of every step (means in between, so the events stay small), and a checkpoint in `dir` at every
 * epoch and stage end, after `CHECKPOINT_SECONDS` within a long stage, and when stopped, so a
 * killed run loses at most that much. Whole jobs trained with a session use `runSessionJob`.
 */
export async function runCheckpointedPhase(session: Pick<TrainingSession, 'run' | 'save'>, stages: StageSpec[], o: CheckpointedPhaseOptions): Promise<RunResult> {
  const now = o.now ?? (() => performance.now());
  // Means per metric over the steps that reported it (a stage's steps may report different ones).
  let sums: Record<string, number> = {};
  let counts: Record<string, number> = {};
  let lastSave = now();
  const save = () => session.save(o.dir, o.extra?.()).then(() => (lastSave = now()));
  const result = await session.run(stages, {
    shouldStop: o.shouldStop,
    onStep: async (r: StepRecord) => {
      for (const [k, v] of Object.entries(r.metrics)) {
        sums[k] = (sums[k] ?? 0) + v;
        counts[k] = (counts[k] ?? 0) + 1;
      }
      if (o.pointAt(r) || r.epochEnd || r.stageEnd) {
        o.onPoint(r, Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / counts[k]])));
        sums = {};
        counts = {};
      }
      if (r.epochEnd || r.stageEnd || (now() - lastSave) / 1000 >= CHECKPOINT_SECONDS) await save();
    },
  });
  if (result.status === 'stopped') await save();
  return result;
}
