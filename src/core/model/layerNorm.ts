import * as tf from '@tensorflow/tfjs';

/**
 * Layer normalisation over the last axis: zero mean, unit variance (population), then scaled by
 * `gamma` and shifted by `beta`. One formula for the transformer encoder and masked-LM's
 * prediction head. (The RL networks keep their own, an rsqrt form their published studies ran with.)
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta) as tf.Tensor2D;
}
