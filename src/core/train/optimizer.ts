import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../experiment/types';
import { UserError } from '../errors';
import { FusedAdamOptimizer } from './fusedAdam';

/** The learning rate an optimizer config trains with: its own, else its type's default (Adam, RMSProp 0.001; SGD, momentum 0.01). */
export function learningRateOf(cfg: OptimizerConfig | undefined): number {
  const type = cfg?.type ?? 'adam';
  return cfg?.learningRate ?? (type === 'sgd' || type === 'momentum' ? 0.01 : 0.001);
}

/**
 * The optimizer an experiment asks for (default: Adam, learning rate 0.001). Adam is the fused
 * one where the backend has its kernel (wasm), tfjs's own elsewhere; both compute the same.
 */
export function createOptimizer(cfg: OptimizerConfig | undefined): tf.Optimizer {
  const type = cfg?.type ?? 'adam';
  const lr = cfg?.learningRate;
  if (lr !== undefined && !(lr > 0)) {
    throw new UserError(`learningRate must be positive, got ${lr}`, '/training/optimizer/learningRate');
  }
  const rate = learningRateOf(cfg);
  switch (type) {
    case 'adam':
      return FusedAdamOptimizer.supported() ? new FusedAdamOptimizer(rate) : tf.train.adam(rate);
    case 'sgd':
      return tf.train.sgd(rate);
    case 'momentum':
      return tf.train.momentum(rate, cfg?.momentum ?? 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(rate, 0.9, cfg?.momentum ?? 0);
    default:
      throw new UserError(`unknown optimizer '${type as string}' (adam, sgd, momentum, rmsprop)`, '/training/optimizer/type');
  }
}

/** An optimizer slot as stored in checkpoints: bound to a variable by its position, not its name. */
export interface OptimizerSlot {
  /** Index into the model's full trainable-variable list; -1 for the iteration counter. */
  variable: number;
  /** Slot kind, e.g. `m`, `v` (Adam), `momentum`, `rms`; `iter` for the counter. */
  slot: string;
  tensor: tf.Tensor;
}

/**
 * The optimizer's state, with each slot tied to its variable's position in `allVariables`.
 * tfjs names slots `${variableName}/${slot}`, and variable names get `_1` suffixes when a
 * model is built twice in one process, so positions are what survives a resume.
 */
export async function optimizerSlots(optimizer: tf.Optimizer, allVariables: tf.Variable[]): Promise<OptimizerSlot[]> {
  const index = new Map(allVariables.map((v, i) => [v.name, i]));
  const weights = await optimizer.getWeights();
  return weights.map((w, i) => {
    if (i === 0) return { variable: -1, slot: 'iter', tensor: w.tensor };
    const cut = w.name.lastIndexOf('/');
    const variable = index.get(w.name.slice(0, cut));
    if (variable === undefined) throw new Error(`optimizer slot ${w.name} belongs to no model variable`);
    return { variable, slot: w.name.slice(cut + 1), tensor: w.tensor };
  });
}

/**
 * A fresh optimizer of the configured type holding the given slots (only those of variables in
 * `keep`, which must be in the order the loop passes gradients). Used when the frozen prefix
 * grows — tfjs optimizers bind slots to gradient positions, so a shorter variable list needs a
 * re-indexed optimizer, and the frozen variables' moments are dropped — and on resume.
 */
export async function optimizerWithSlots(
  cfg: OptimizerConfig | undefined,
  slots: OptimizerSlot[],
  allVariables: tf.Variable[],
  keep: tf.Variable[],
): Promise<tf.Optimizer> {
  const keepIndex = new Set(keep.map((v) => allVariables.indexOf(v)));
  const iter = slots.find((s) => s.variable === -1);
  const kept = slots.filter((s) => s.variable >= 0 && keepIndex.has(s.variable));
  const optimizer = createOptimizer(cfg);
  if (iter === undefined) return optimizer;
  const named: Parameters<tf.Optimizer['setWeights']>[0] = [
    { name: 'iter', tensor: iter.tensor },
    ...kept.map((s) => ({ name: `${allVariables[s.variable].name}/${s.slot}`, tensor: s.tensor })),
  ];
  await optimizer.setWeights(named);
  const iterations = (await iter.tensor.data())[0];
  restoreAdamBetaPowers(optimizer, iterations);
  return optimizer;
}

/**
 * Adam's `setWeights` recomputes beta^t with `pow`, while training multiplies step by step;
 * the two differ in the last float32 bit, which would make a resumed run drift from an
 * uninterrupted one. Recompute the powers exactly as training does (float32 products).
 */
function restoreAdamBetaPowers(optimizer: tf.Optimizer, iterations: number): void {
  // Not `instanceof`: tfjs overrides Symbol.hasInstance on Optimizer, so every optimizer passes.
  // FusedAdamOptimizer keeps its powers as numbers and restores them this way itself.
  if (optimizer.constructor !== tf.AdamOptimizer) return;
  const adam = optimizer as unknown as { beta1: number; beta2: number; accBeta1: tf.Variable; accBeta2: tf.Variable };
  const power = (beta: number) => {
    const b = Math.fround(beta);
    let acc = b;
    for (let i = 0; i < iterations; i++) acc = Math.fround(acc * b);
    return acc;
  };
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(power(adam.beta1)));
    adam.accBeta2.assign(tf.scalar(power(adam.beta2)));
  });
}
