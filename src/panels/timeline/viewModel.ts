import type { ClassificationReport } from '../../core/train/classificationReport';
import { formatParam, type ParamValue } from '../../core/runs/compare';
import type { RunEvent } from '../../core/train/events';

/**
 * What the timeline panel shows for one run, derived from its events by a pure function so the
 * same model serves a finished run (read from `events.jsonl`) and a live one (events streamed
 * from the run process). It is what the host sends to the webview, so it is plain JSON.
 * Epochs here are for people, counted from 1 (events index them from 0).
 */
export type TimelineRunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';

export interface TimelineLayer {
  name: string;
  type: string;
  /** Index among weighted units, -1 for layers without weights. */
  unit: number;
  params: number;
  /** Set once the layer is out of the backward pass. */
  frozenAtStep?: number;
  /** The first epoch (from 1) trained with the layer frozen. */
  frozenAtEpoch?: number;
  reason?: string;
  /** Per-step backward saving reached when this layer froze (fraction of a full step). */
  backwardSaving?: number;
}

export interface TimelineEpochPoint {
  /** The epoch just completed, counted from 1. */
  epoch: number;
  step: number;
  loss: number;
  testLoss: number;
  testAccuracy: number;
  elapsedSeconds: number;
  /** Fractions of the whole run's FLOPs saved so far, relative to no freezing. */
  savedForward: number;
  savedBackward: number;
}

/** `loss` is null (NaN or infinite in the run) where training diverged. */
export interface TimelineLossPoint { step: number; loss: number | null }

export interface TimelineRun {
  runId: string;
  runDir: string;
  experiment: string;
  policy: string;
  backend: string;
  status: TimelineRunStatus;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** First step of this run's history (0, or where a resumed run picked up). */
  firstStep: number;
  /** Last step reached so far. */
  currentStep: number;
  /** Epochs completed so far. */
  epochsDone: number;
  layers: TimelineLayer[];
  epochPoints: TimelineEpochPoint[];
  lossPoints: TimelineLossPoint[];
  trainSeconds?: number;
  message?: string;
  /** The data's text class labels, index = class (absent for integer labels). */
  classNames?: string[];
  /** The final model on the test split, per class (a completed run; at most `MAX_REPORT_CLASSES` classes). */
  evaluation?: ClassificationReport;
  /** Classes of a report too large for the panel (it points to `summary.json`). */
  evaluationClasses?: number;
}

/** Largest per-class report the panel shows (a 100 x 100 matrix); larger ones stay in `summary.json`. */
export const MAX_REPORT_CLASSES = 100;

/** Training-loss points kept per run: enough for a smooth curve, small enough to post often. */
export const MAX_LOSS_POINTS = 400;

/**
 * Folds a run's events (in order) into its timeline. `knownStatus` is the run store's status,
 * which knows what the events cannot: that a run without an `end` event was killed
 * (`interrupted`) rather than still running.
 */
export function timelineRunFromEvents(
  ref: { runId: string; runDir: string; experiment?: string; policy?: string },
  events: readonly RunEvent[],
  knownStatus?: TimelineRunStatus,
): TimelineRun {
  const run: TimelineRun = {
    runId: ref.runId, runDir: ref.runDir, experiment: ref.experiment ?? '', policy: ref.policy ?? '', backend: '',
    status: 'running', epochs: 0, stepsPerEpoch: 0, totalSteps: 0, firstStep: 0, currentStep: 0, epochsDone: 0,
    layers: [], epochPoints: [], lossPoints: [],
  };
  let ended = false;
  // Keyed by epoch: a resumed run repeats the epochs after its checkpoint, and the later point
  // replaces the earlier (moved to the end, as it came later). A map keeps this linear in the
  // run's length: a live timeline is rebuilt from every event several times a second.
  const epochPoints = new Map<number, TimelineEpochPoint>();
  for (const e of events) {
    switch (e.type) {
      case 'start': {
        // A resumed run appends a second `start`: keep history, refresh the plan.
        run.experiment = e.experiment;
        run.policy = e.policy;
        run.backend = e.backend;
        run.epochs = e.epochs;
        run.stepsPerEpoch = e.stepsPerEpoch;
        run.totalSteps = e.epochs * e.stepsPerEpoch;
        if (e.classNames) run.classNames = e.classNames;
        if (run.layers.length === 0) {
          run.layers = e.layers.map((l) => ({ name: l.name, type: l.type, unit: l.unit, params: l.params }));
          run.firstStep = e.resumedFrom?.step ?? 0;
        }
        // Resumed after an `end` (cancelled): running again until the next `end`.
        ended = false;
        run.status = 'running';
        run.trainSeconds = undefined;
        run.message = undefined;
        run.evaluation = undefined;
        run.evaluationClasses = undefined;
        break;
      }
      case 'step':
        run.currentStep = Math.max(run.currentStep, e.step);
        run.lossPoints.push({ step: e.step, loss: typeof e.loss === 'number' && Number.isFinite(e.loss) ? e.loss : null });
        break;
      case 'epoch':
        run.currentStep = Math.max(run.currentStep, e.step);
        run.epochsDone = Math.max(run.epochsDone, e.epoch + 1);
        epochPoints.delete(e.epoch + 1);
        epochPoints.set(e.epoch + 1, {
          epoch: e.epoch + 1, step: e.step, loss: e.loss, testLoss: e.testLoss, testAccuracy: e.testAccuracy,
          elapsedSeconds: e.elapsedSeconds, savedForward: e.flopsSaved.forward, savedBackward: e.flopsSaved.backward,
        });
        break;
      case 'freeze': {
        const layer = run.layers.find((l) => l.name === e.layer);
        if (layer && layer.frozenAtStep === undefined) {
          layer.frozenAtStep = e.step;
          layer.frozenAtEpoch = e.epoch + 1;
          layer.reason = e.reason;
          layer.backwardSaving = e.stepSaving.backward;
        }
        run.currentStep = Math.max(run.currentStep, e.step);
        break;
      }
      case 'end':
        ended = true;
        run.status = e.status;
        run.currentStep = Math.max(run.currentStep, e.step);
        run.trainSeconds = e.trainSeconds;
        run.message = e.message;
        break;
      case 'evaluation': {
        const { classNames, confusionMatrix, perClass, macro } = e;
        if (classNames.length <= MAX_REPORT_CLASSES) run.evaluation = { classNames, confusionMatrix, perClass, macro };
        else run.evaluationClasses = classNames.length;
        break;
      }
      default:
        break;
    }
  }
  run.epochPoints = [...epochPoints.values()];
  if (!ended && knownStatus && knownStatus !== 'running') run.status = knownStatus;
  freezeWeightlessLayers(run.layers);
  run.lossPoints = downsample(run.lossPoints, MAX_LOSS_POINTS);
  return run;
}

/**
 * Layers without weights leave the backward pass together with the weighted unit before them
 * (or, at the very front, with the first unit), as the freezing contract says.
 */
function freezeWeightlessLayers(layers: TimelineLayer[]): void {
  const firstUnit = layers.find((l) => l.unit >= 0);
  let previousUnit: TimelineLayer | undefined;
  for (const layer of layers) {
    if (layer.unit >= 0) {
      previousUnit = layer;
      continue;
    }
    const owner = previousUnit ?? firstUnit;
    if (owner?.frozenAtStep !== undefined && layer.frozenAtStep === undefined) {
      layer.frozenAtStep = owner.frozenAtStep;
      layer.frozenAtEpoch = owner.frozenAtEpoch;
      layer.reason = `no weights; follows ${owner.name}`;
    }
  }
}

/** Keeps every k-th point (and the last) so at most `max` points remain. */
export function downsample<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

/** Fraction of backward FLOPs saved so far by the run (latest epoch), 0 before the first epoch. */
export function latestSaving(run: TimelineRun): { forward: number; backward: number } {
  const last = run.epochPoints[run.epochPoints.length - 1];
  return last ? { forward: last.savedForward, backward: last.savedBackward } : { forward: 0, backward: 0 };
}

/**
 * The overlaid runs' configuration differences as a table of text: a header (field, then one
 * label per run) and a row per field that differs (a run without the field shows "—").
 */
export function configDiffTable(diff: readonly { path: string; values: readonly (ParamValue | null)[] }[], labels: readonly string[]): { header: string[]; rows: string[][] } {
  return { header: ['field', ...labels], rows: diff.map((d) => [d.path, ...d.values.map((v) => formatParam(v ?? undefined))]) };
}
