import * as tf from '@tensorflow/tfjs';

/**
 * `x` in the forward pass, a zero gradient in the backward pass (tfjs has no `stopGradient`).
 * For targets that must not be trained through: TD targets built from online networks, the
 * entropy term in SAC's temperature loss, a dual variable's penalty, a teacher's outputs.
 * The zero gradient still flows to whatever produced `x` (tfjs cannot prune the tape), so
 * compute frozen values outside the loss when they do not depend on the step's variables.
 */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;
