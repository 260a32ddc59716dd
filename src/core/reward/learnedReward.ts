import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { loadModel } from '../model/io';
import { Reward, TabularMdp } from './mdp';

/**
 * A trained reward model (TensorFlow.js) as a tabular reward: the model is scored on every
 * (s, a, s') of the MDP.
 *
 * Input encoding (the contract a reward model must follow): one row per transition, the
 * concatenation [one-hot(s) (S), one-hot(a) (A), one-hot(s') (S)], so the input width is
 * 2S + A; the output is one number per row (shape [n] or [n, 1]). Rows are scored in batches
 * of `batchSize` to bound memory on large MDPs. Model outputs are float32; the reward is
 * widened to float64.
 */
export interface RewardModel {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[];
}

export function rewardModelInputWidth(mdp: TabularMdp): number {
  return 2 * mdp.nStates + mdp.nActions;
}

/** One-hot encodings of transitions [first, first + count) in (s, a, s') order. */
export function encodeTransitions(mdp: TabularMdp, first: number, count: number): Float32Array {
  const S = mdp.nStates;
  const A = mdp.nActions;
  const width = 2 * S + A;
  const x = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const i = first + r;
    const s = Math.floor(i / (A * S));
    const a = Math.floor(i / S) % A;
    const n = i % S;
    const row = r * width;
    x[row + s] = 1;
    x[row + S + a] = 1;
    x[row + S + A + n] = 1;
  }
  return x;
}

export async function scoreRewardModel(model: RewardModel, mdp: TabularMdp, batchSize = 8192): Promise<Reward> {
  const S = mdp.nStates;
  const total = S * mdp.nActions * S;
  const width = rewardModelInputWidth(mdp);
  const out = new Float64Array(total);
  for (let first = 0; first < total; first += batchSize) {
    const count = Math.min(batchSize, total - first);
    const input = tf.tensor2d(encodeTransitions(mdp, first, count), [count, width]);
    let y: tf.Tensor | tf.Tensor[] | undefined;
    try {
      y = model.predict(input);
      if (Array.isArray(y)) throw new UserError(`reward model must have one output, it has ${y.length}`);
      if (y.size !== count) {
        throw new UserError(`reward model must output one number per transition; for ${count} inputs it gave shape [${y.shape.join(', ')}]`);
      }
      const values = await y.data();
      for (let k = 0; k < count; k++) out[first + k] = values[k];
    } finally {
      input.dispose();
      if (Array.isArray(y)) y.forEach((t) => t.dispose());
      else y?.dispose();
    }
  }
  for (let i = 0; i < total; i++) {
    if (!Number.isFinite(out[i])) throw new UserError(`reward model produced a non-finite value (${out[i]}) for transition ${i}`);
  }
  return out;
}

/** Load a saved TF.js layers model (`model.json`) and score it on `mdp`, checking its input width. */
export async function loadRewardModel(modelJsonPath: string, mdp: TabularMdp): Promise<Reward> {
  const model = await loadModel(modelJsonPath);
  try {
    const shape = model.inputs[0]?.shape;
    const width = rewardModelInputWidth(mdp);
    if (model.inputs.length !== 1 || !shape || shape.length !== 2 || shape[1] !== width) {
      throw new UserError(
        `reward model input must be [batch, ${width}] (one-hot state ${mdp.nStates} + action ${mdp.nActions} + next state ${mdp.nStates}), got [${shape?.map((d) => d ?? 'batch').join(', ')}]`,
        undefined,
        modelJsonPath,
      );
    }
    return await scoreRewardModel(model, mdp);
  } finally {
    model.dispose();
  }
}
