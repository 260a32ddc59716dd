import type * as tf from '@tensorflow/tfjs';
import { createRng, shuffledIndices } from '../../util/random';

/**
 * What a loss function returns: the scalar to minimise, or `{ loss, ...metrics }` where only
 * `loss` is minimised and every entry is reported, e.g. `{ loss: emb + att + hid, emb, att, hid }`.
 * All scalars (rank 0; typed `tf.Tensor` so that tf ops need no casts, checked when run).
 */
export type LossOutput = tf.Tensor | { loss: tf.Tensor; [metric: string]: tf.Tensor };

/** Where a run is: the stage it is in and how many steps it has completed. */
export interface Position {
  /** Index of the current stage in the plan (= number of stages when the plan is done). */
  stageIndex: number;
  /** Steps completed in the current stage. */
  stageStep: number;
  /** Steps completed over all stages. */
  globalStep: number;
}

/** What a stage's step and hooks see. Counts are of steps completed before the current one. */
export interface StepContext {
  stage: string;
  stageIndex: number;
  /** Steps of this stage completed before this one (0 for its first step). */
  stageStep: number;
  globalStep: number;
  /** 0-based epoch of an epoch stage (always 0 in a `steps` stage). */
  epoch: number;
  /** Step within the epoch (= `stageStep` in a `steps` stage). */
  stepInEpoch: number;
  /**
   * Example indices of this step's minibatch out of `n` examples: each epoch is a seeded
   * permutation of 0..n-1 cut into `batchSize` slices (the last one shorter), derived from the
   * session seed, the stage and the epoch alone, so a run resumed mid-epoch sees the same order.
   * In an epoch stage, set `stepsPerEpoch = ceil(n / batchSize)` to visit every example once per
   * epoch; in a `steps` stage epochs follow each other every `ceil(n / batchSize)` steps.
   */
  batch(n: number, batchSize: number): Int32Array;
}

/**
 * One named stage of a training plan: a length (`steps`, or `epochs` x `stepsPerEpoch`) and what
 * one step does, either declaratively (`trainable` + `loss`: one optimiser step of those groups
 * on that loss) or as a `step` function (several updates per step, e.g. critic, actor, then
 * temperature; data collection). Hooks run between steps; the position is checkpointed, so on
 * resume `begin` does not run again for a stage that had started.
 */
export interface StageSpec {
  name: string;
  steps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Learning rates set when the stage begins, by group name (e.g. a lower rate for stage 2). */
  learningRates?: Record<string, number>;
  /** Groups the declarative form trains (with `loss`). */
  trainable?: string | string[];
  /** The declarative form's loss (a scalar, or `{ loss, ...metrics }`). */
  loss?: (ctx: StepContext) => LossOutput;
  /** One step (instead of `trainable` + `loss`). */
  step?: (ctx: StepContext) => void | Promise<void>;
  /** Before the stage's first step. */
  begin?: (ctx: StepContext) => void | Promise<void>;
  /** After each epoch's last step (epoch stages): evaluation, reporting. */
  epochEnd?: (ctx: StepContext) => void | Promise<void>;
  /** After the stage's last step. */
  end?: (ctx: StepContext) => void | Promise<void>;
}

/** Steps in a (validated) stage. */
export function stageLength(s: StageSpec): number {
  return s.steps ?? (s.epochs ?? 0) * (s.stepsPerEpoch ?? 0);
}

/** Checks a plan once, before it runs: each mistake named with its stage. */
export function validateStages(stages: StageSpec[], groups: ReadonlySet<string>): void {
  if (stages.length === 0) throw new Error('a training plan needs at least one stage');
  const seen = new Set<string>();
  for (const s of stages) {
    const where = `stage '${s.name}'`;
    if (!s.name) throw new Error('every stage needs a name');
    if (seen.has(s.name)) throw new Error(`two stages are named '${s.name}'`);
    seen.add(s.name);
    const positive = (v: number | undefined) => v !== undefined && Number.isInteger(v) && v >= 1;
    if (s.steps !== undefined) {
      if (!positive(s.steps)) throw new Error(`${where}: steps must be a positive integer, got ${s.steps}`);
      if (s.epochs !== undefined || s.stepsPerEpoch !== undefined) throw new Error(`${where}: give steps or epochs + stepsPerEpoch, not both`);
    } else if (!positive(s.epochs) || !positive(s.stepsPerEpoch)) {
      throw new Error(`${where}: give steps, or epochs and stepsPerEpoch (positive integers)`);
    }
    const declarative = s.loss !== undefined || s.trainable !== undefined;
    if (declarative === (s.step !== undefined)) throw new Error(`${where}: give either step, or trainable and loss`);
    if (declarative && (s.loss === undefined || s.trainable === undefined)) throw new Error(`${where}: trainable and loss go together`);
    const named = [...(s.trainable === undefined ? [] : [s.trainable].flat()), ...Object.keys(s.learningRates ?? {})];
    for (const g of named) if (!groups.has(g)) throw new Error(`${where}: no trainable group '${g}'`);
  }
}

/** The context of the step after `pos` in `stage` (`stages[pos.stageIndex]`). */
export function stepContext(stage: StageSpec, pos: Position, order: EpochOrder): StepContext {
  const perEpoch = stage.steps === undefined ? stage.stepsPerEpoch! : Infinity;
  const epoch = perEpoch === Infinity ? 0 : Math.floor(pos.stageStep / perEpoch);
  const stepInEpoch = perEpoch === Infinity ? pos.stageStep : pos.stageStep % perEpoch;
  return {
    stage: stage.name,
    stageIndex: pos.stageIndex,
    stageStep: pos.stageStep,
    globalStep: pos.globalStep,
    epoch,
    stepInEpoch,
    batch(n, batchSize) {
      if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(batchSize) && batchSize >= 1)) {
        throw new RangeError(`batch(n, batchSize) needs positive integers, got ${n}, ${batchSize}`);
      }
      const size = Math.min(batchSize, n);
      const slices = Math.ceil(n / size);
      const [e, k] = perEpoch === Infinity ? [Math.floor(pos.stageStep / slices), pos.stageStep % slices] : [epoch, stepInEpoch % slices];
      const perm = order.permutation(pos.stageIndex, e, n);
      return perm.subarray(k * size, Math.min(n, (k + 1) * size));
    },
  };
}

/**
 * Epoch permutations as a pure function of (seed, stage, epoch, n): nothing to checkpoint, and
 * the data order does not depend on how many random numbers the steps drew. Caches the last one.
 */
export class EpochOrder {
  private last?: { key: string; perm: Int32Array };
  constructor(private readonly seed: number) {}

  permutation(stageIndex: number, epoch: number, n: number): Int32Array {
    const key = `${stageIndex}/${epoch}/${n}`;
    if (this.last?.key !== key) this.last = { key, perm: shuffledIndices(n, createRng(mix(this.seed, stageIndex, epoch))) };
    return this.last.perm;
  }
}

/** A 32-bit hash of three integers (murmur3's finaliser over a running combination). */
function mix(a: number, b: number, c: number): number {
  let h = 0x811c9dc5;
  for (const v of [a, b, c]) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}
