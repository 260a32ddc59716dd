import type { RlEvent } from '../rl/events';
import type { DiffusionEvent } from '../diffusion/events';
import type { ClassificationReport } from './classificationReport';

/**
 * Events a run emits (mostly training runs; other kinds report `progress`), one JSON object per line in the run store's `events.jsonl`,
 * streamed live to the extension (timeline panel, inline annotations) and the CLI.
 */
export interface LayerInfo {
  name: string;
  type: string;
  /** Trainable parameter count. */
  params: number;
  /** FLOPs per example; backward includes weight and input gradients. */
  flopsForward: number;
  flopsBackward: number;
  /** Index among freezable (weighted) units, or -1 for layers without weights. */
  unit: number;
}

export interface FlopsSaved {
  /** Fraction of the whole run's forward/backward FLOPs saved so far, relative to no freezing. */
  forward: number;
  backward: number;
}

export type RunEvent =
  | RlEvent
  | {
      type: 'start'; time: string; runId: string; experiment: string; policy: string; backend: string;
      epochs: number; stepsPerEpoch: number; batchSize: number; trainExamples: number; testExamples: number;
      layers: LayerInfo[]; resumedFrom?: { epoch: number; step: number };
      /** The data's text class labels, index = class (absent for integer labels). */
      classNames?: string[];
    }
  /**
   * Epoch numbering everywhere below: `epoch` is the 0-based index of the epoch the event
   * belongs to (an `epoch` event reports epoch `epoch`, just completed; a `freeze` event's epoch
   * is the one whose first trained step uses the new prefix), except in `end`, where it is the
   * number of completed epochs. `step` is the number of optimizer steps taken so far.
   */
  | { type: 'step'; epoch: number; step: number; loss: number; seconds: number }
  /**
   * Masked-LM pretraining of a train run's encoder (`pretrain`), before its epochs: loss and
   * masked-word accuracy averaged over the steps since the last such event (`step`: steps done),
   * and `testLoss` / `testAccuracy` on held-out text after an epoch (a steps budget: at the end).
   */
  | { type: 'pretrain-step'; step: number; steps: number; metrics: Record<string, number> }
  | { type: 'pretrain-end'; steps: number; trainSeconds: number; testLoss: number; testAccuracy: number; encoder: string }
  | {
      type: 'epoch'; epoch: number; step: number; loss: number; testLoss: number; testAccuracy: number;
      seconds: number; elapsedSeconds: number; samplesPerSecond: number; frozen: string[]; flopsSaved: FlopsSaved;
      /** Seconds spent evaluating on the test split after this epoch (not part of `seconds`). */
      evalSeconds?: number;
    }
  | {
      type: 'freeze'; layer: string; unit: number; epoch: number; step: number; reason?: string;
      /** Per-step saving once this prefix is frozen (fraction of a full step's forward/backward FLOPs). */
      stepSaving: FlopsSaved;
    }
  | { type: 'checkpoint'; epoch: number; step: number; path: string }
  /**
   * The final model on the test split, per class (a completed classification run, after its
   * `end`): the same report as `summary.json`'s `metrics.perClass` and `metrics.confusionMatrix`.
   */
  | ({ type: 'evaluation'; split: 'test' } & ClassificationReport)
  /** Progress of a job of another kind (extraction training or evaluation): `kind` names it. */
  | { type: 'progress'; kind: string; fraction: number; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | DistillEvent
  | {
      /** `diverged`: the loss became NaN or infinite (`message` names the epoch and step). */
      type: 'end'; status: 'completed' | 'cancelled' | 'failed' | 'diverged'; epoch: number; step: number;
      trainSeconds: number; message?: string;
    }
  | DiffusionEvent;

export type RunEventType = RunEvent['type'];

/** A layer of a distillation teacher or student, as the panel and the inline hints show it. */
export interface DistillLayerInfo {
  name: string;
  type: string;
  params: number;
}

/**
 * Events of a `distill` run (docs/distillation.md): the plan, each arm's losses per step (means
 * over a few steps, at most a few hundred points per stage), and each arm's result.
 */
export type DistillEvent =
  | {
      type: 'distill-start'; time: string; runId: string; experiment: string; backend: string;
      teacher: { parameters: number; layers: DistillLayerInfo[]; batchNormLayers: string[] };
      student: { parameters: number; layers: DistillLayerInfo[] };
      arms: { name: string; method: string; stages: string[] }[];
      /** General distillation runs first (its steps are reported as arm `general`). */
      general?: boolean;
      /** One example's shape (images are shown as images). */
      exampleShape: number[];
      /** `[h, w, c]` when examples are images (the gallery draws them as images). */
      imageShape?: [number, number, number];
      classNames?: string[];
      resumed?: boolean;
    }
  | {
      type: 'distill-step'; arm: string; stage: string;
      /** Steps of the arm completed (over its stages), and of this stage. */
      step: number; stageStep: number;
      /** Means over the steps since the previous event (losses, parts, test accuracy at epoch ends). */
      metrics: Record<string, number>;
    }
  | {
      type: 'distill-arm'; arm: string; method: string; accuracy: number; parameters: number; trainSeconds: number;
      /** Student layer -> teacher layer of the layer-wise losses. */
      layerMap?: { student: string; teacher: string }[];
      /** A few synthetic inputs per class (data-free arms). */
      gallery?: { label: number; values: number[] }[];
      /** Batch-norm statistics of the synthetic set against the teacher's running ones (relative RMS gaps). */
      batchNormMatch?: { layer: string; mean: number; variance: number }[];
      /** The same gaps for Gaussian noise of the same count (what synthesis starts from): the "before" of `batchNormMatch`. */
      batchNormBefore?: { layer: string; mean: number; variance: number }[];
      examples?: number;
    }
  | { type: 'distill-teacher'; accuracy: number; parameters: number }
  | {
      type: 'distill-end'; status: 'completed' | 'cancelled' | 'failed';
      teacher?: { accuracy: number; parameters: number; msPerExample: number };
      arms: { name: string; accuracy: number; parameters: number; msPerExample: number; trainSeconds: number }[];
      message?: string;
    };
