import * as tf from '@tensorflow/tfjs';
import { dense, mish, ParamInit, type Params, timestepEmbedding } from './layers';

/**
 * The noise model of Diffusion-QL (its `MLP`): eps(x_t, t, s) for low-dimensional x (actions).
 * The timestep goes through a sinusoidal embedding and a small MLP (Linear(d, 2d), Mish,
 * Linear(2d, d)); it is concatenated with x_t and the state; three hidden Mish layers; a linear
 * output of x's size.
 */
export interface MlpDenoiserShape {
  /** Size of x (the action). */
  dim: number;
  /** Size of the condition (the state); 0 for none. */
  condDim: number;
  hidden: number;
  /** Time embedding size (even, >= 4). */
  timeDim: number;
}

export function initMlpDenoiser(shape: MlpDenoiserShape, seed: number): Params {
  const { dim, condDim, hidden, timeDim } = shape;
  const init = new ParamInit(seed);
  init.dense('time1', timeDim, 2 * timeDim);
  init.dense('time2', 2 * timeDim, timeDim);
  init.dense('l1', dim + timeDim + condDim, hidden);
  init.dense('l2', hidden, hidden);
  init.dense('l3', hidden, hidden);
  init.dense('out', hidden, dim);
  return init.params;
}

/** eps for a batch: x [B, dim], t (B integer timesteps), cond [B, condDim] (or undefined when condDim = 0). */
export function mlpDenoiser(p: Params, shape: MlpDenoiserShape, x: tf.Tensor, t: ArrayLike<number>, cond?: tf.Tensor): tf.Tensor {
  const temb = dense(p, 'time2', mish(dense(p, 'time1', timestepEmbedding(t, shape.timeDim))));
  const parts = [x, temb];
  if (shape.condDim > 0) {
    if (!cond) throw new Error('this denoiser needs a condition (state)');
    parts.push(cond);
  }
  let h = tf.concat(parts, 1);
  for (const name of ['l1', 'l2', 'l3']) h = mish(dense(p, name, h));
  return dense(p, 'out', h);
}
