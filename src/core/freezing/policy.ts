import type * as tf from '@tensorflow/tfjs';
import type { FreezingPolicyName } from '../experiment/types';

/**
 * A freezable unit: one model layer that has trainable weights, in model order.
 * Layers without weights (pooling, flatten, dropout) freeze together with the unit before them.
 */
export interface FreezableUnit {
  /** Layer name as in the experiment file. */
  name: string;
  /** Position among freezable units (0 = closest to the input). */
  index: number;
  /** Position among all model layers. */
  layerIndex: number;
  type: string;
  /** The layer's main weight matrix/kernel (what SmartFRZ samples). */
  kernel: tf.Variable;
  /** All trainable variables of the layer. */
  variables: tf.Variable[];
  /** Forward and backward FLOPs per example of this unit's layer (backward includes the weight gradient). */
  flopsForward: number;
  flopsBackward: number;
}

export interface TrainingPlan {
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  batchSize: number;
}

export interface StepInfo {
  epoch: number;
  /** 0-based step within the epoch. */
  stepInEpoch: number;
  /** 0-based global optimizer step (counts steps already taken before this call). */
  globalStep: number;
}

/**
 * Each listed unit's layer output on the run's fixed probe batch (a few training examples),
 * computed now, in inference mode, with the current weights; the caller disposes the tensors.
 * Lets a policy watch how much a layer's representation still changes (SmartFRZ's convergence signal).
 */
export type ProbeOutputs = (units: number[]) => tf.Tensor[];

export interface EpochMetrics {
  epoch: number;
  loss: number;
  testLoss: number;
  testAccuracy: number;
}

/**
 * A layer-freezing policy. The training loop owns the model and the optimizer; a policy only
 * observes and decides how long the frozen prefix is. Freezing is front-to-back: only a frozen
 * prefix leaves the backward pass, so `frozenPrefix()` never decreases.
 */
export interface FreezingPolicy {
  readonly name: FreezingPolicyName;
  /**
   * Called once before training (and again after a resume, before `loadState`). `probe` (given by
   * the training loop) reads layer outputs on a fixed probe batch whenever the policy asks.
   */
  init(units: FreezableUnit[], plan: TrainingPlan, probe?: ProbeOutputs): void;
  /** True when the loop should pass per-unit gradient L1 norms to `afterStep` this step. */
  wantsGradientNorms?(step: StepInfo): boolean;
  /**
   * After each optimizer step. `gradL1[i]` is the L1 norm of unit i's gradient this step,
   * given only when `wantsGradientNorms` said so (frozen units get 0).
   * May be async (e.g. reading sampled weights); the loop awaits it.
   */
  afterStep(step: StepInfo, gradL1?: number[]): void | Promise<void>;
  /** After each epoch's evaluation. */
  afterEpoch?(metrics: EpochMetrics): void | Promise<void>;
  /** Number of leading units frozen now. Monotone non-decreasing. */
  frozenPrefix(): number;
  /** Why the last freeze happened (shown to users), e.g. "P(freeze)=0.91". */
  lastReason?(): string | undefined;
  /** Learning-rate multiplier for unit i at this step (FreezeOut anneals it to 0). Default 1. */
  lrScale?(unit: number, step: StepInfo): number;
  /** JSON-serialisable state, stored with each checkpoint so a resumed run decides the same way. */
  saveState(): unknown;
  loadState(state: unknown): void;
  /** Frees what the policy holds in the tensor backend (SmartFRZ's predictor); called once, when its run ends. */
  dispose?(): void;
}
