import * as tf from '@tensorflow/tfjs';
import { dense, mish, ParamInit, type Params } from '../layers';

/**
 * The small networks next to the diffusion policy: a twin Q critic (Diffusion-QL's `Critic`:
 * two MLPs with three hidden Mish layers), a Gaussian policy (BC-MLE: mean and log-std heads on
 * two hidden ReLU layers) and a deterministic policy (TD3+BC's actor: two hidden ReLU layers,
 * tanh output scaled to the action bound).
 */
export interface MlpSize {
  stateDim: number;
  actionDim: number;
  hidden: number;
}

export function initCritic(s: MlpSize, seed: number): Params {
  const init = new ParamInit(seed);
  for (const q of ['q1', 'q2']) {
    init.dense(`${q}/l1`, s.stateDim + s.actionDim, s.hidden);
    init.dense(`${q}/l2`, s.hidden, s.hidden);
    init.dense(`${q}/l3`, s.hidden, s.hidden);
    init.dense(`${q}/out`, s.hidden, 1);
  }
  return init.params;
}

/** Both Q heads, each [B] (rows of `state` and `action`). */
export function critic(p: Params, state: tf.Tensor, action: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const x = tf.concat([state, action], 1);
  const head = (q: string): tf.Tensor => {
    let h = x;
    for (const l of ['l1', 'l2', 'l3']) h = mish(dense(p, `${q}/${l}`, h));
    return tf.reshape(dense(p, `${q}/out`, h), [-1]);
  };
  return [head('q1'), head('q2')];
}

/** log-std bounds of the Gaussian policy, as the official BC-MLE code. */
export const LOG_STD_MIN = -20;
export const LOG_STD_MAX = 2;

export function initGaussianActor(s: MlpSize, seed: number): Params {
  const init = new ParamInit(seed);
  init.dense('l1', s.stateDim, s.hidden);
  init.dense('l2', s.hidden, s.hidden);
  init.dense('mean', s.hidden, s.actionDim);
  init.dense('logStd', s.hidden, s.actionDim);
  return init.params;
}

export function gaussianActor(p: Params, state: tf.Tensor): { mean: tf.Tensor; logStd: tf.Tensor } {
  const h = tf.relu(dense(p, 'l2', tf.relu(dense(p, 'l1', state))));
  return { mean: dense(p, 'mean', h), logStd: tf.clipByValue(dense(p, 'logStd', h), LOG_STD_MIN, LOG_STD_MAX) };
}

/** Log-density of `action` under the diagonal Gaussian, summed over action dimensions: [B]. */
export function gaussianLogProb(mean: tf.Tensor, logStd: tf.Tensor, action: tf.Tensor): tf.Tensor {
  const z = tf.div(tf.sub(action, mean), tf.exp(logStd));
  const perDim = tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logStd, 0.5 * Math.log(2 * Math.PI)));
  return tf.sum(perDim, 1);
}

export function initDeterministicActor(s: MlpSize, seed: number): Params {
  const init = new ParamInit(seed);
  init.dense('l1', s.stateDim, s.hidden);
  init.dense('l2', s.hidden, s.hidden);
  init.dense('out', s.hidden, s.actionDim);
  return init.params;
}

export function deterministicActor(p: Params, state: tf.Tensor, maxAction: number): tf.Tensor {
  const h = tf.relu(dense(p, 'l2', tf.relu(dense(p, 'l1', state))));
  return tf.mul(maxAction, tf.tanh(dense(p, 'out', h)));
}
