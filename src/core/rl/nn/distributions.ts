import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/random';

const LOG_2PI = Math.log(2 * Math.PI);

/** Log-density of a diagonal Gaussian, summed over the last axis: [B, D] -> [B]. */
export function gaussianLogProb(x: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor): tf.Tensor {
  const z = tf.mul(tf.sub(x, mean), tf.exp(tf.neg(logStd)));
  return tf.sum(tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logStd, 0.5 * LOG_2PI)), -1);
}

/**
 * A reparameterised sample of a tanh-squashed Gaussian (SAC's policy) and its log-density:
 * a = tanh(u), u = mean + std * eps; log pi(a) = log N(u) - sum log(1 - tanh(u)^2), with the
 * correction in the stable form 2 (log 2 - u - softplus(-2u)).
 */
export function tanhGaussianSample(mean: tf.Tensor, logStd: tf.Tensor, eps: tf.Tensor): { action: tf.Tensor; logProb: tf.Tensor } {
  const u = tf.add(mean, tf.mul(tf.exp(logStd), eps));
  const base = tf.sum(tf.sub(tf.mul(-0.5, tf.square(eps)), tf.add(logStd, 0.5 * LOG_2PI)), -1);
  const correction = tf.sum(tf.mul(2, tf.sub(tf.sub(Math.log(2), u), tf.softplus(tf.mul(-2, u)))), -1);
  return { action: tf.tanh(u), logProb: tf.sub(base, correction) };
}

/**
 * Splits a [B, 2D] head into mean and log standard deviation, clipped to [min, max] (standard
 * deviations e^-5 to e^2, as METRA's policy bounds them; a fresh network starts near std 1).
 */
export function meanAndLogStd(out: tf.Tensor, min = -5, max = 2): { mean: tf.Tensor; logStd: tf.Tensor } {
  const [mean, raw] = tf.split(out, 2, -1);
  return { mean, logStd: tf.clipByValue(raw, min, max) };
}

/** A standard normal draw (Box-Muller) from a seeded generator. */
export function normal(rng: Rng): number {
  let u = rng.next();
  while (u <= 1e-12) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Index drawn from unnormalised log-probabilities (one row). */
export function sampleLogits(logits: ArrayLike<number>, offset: number, n: number, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.exp(logits[offset + i] - max);
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= Math.exp(logits[offset + i] - max);
    if (u <= 0) return i;
  }
  return n - 1;
}

/** Index of the largest entry of one row. */
export function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
