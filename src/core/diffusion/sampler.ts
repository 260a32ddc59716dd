import * as tf from '@tensorflow/tfjs';
import { type NoiseSchedule, samplingTimesteps } from './schedule';

/**
 * A noise model: eps_theta(x_t, t) for a batch (all rows at the timesteps `t`). Conditions
 * (state, class, guidance) live in the closure.
 */
export type EpsModel = (x: tf.Tensor, t: Int32Array) => tf.Tensor;

/** Draws standard normal noise of a shape (seeded by the caller: a session's `randomNormal`). */
export type NoiseSource = (shape: number[]) => tf.Tensor;

/**
 * x0 clipping: predicted clean samples are clamped to [lo, hi] at every step (false: none);
 * bounds are numbers or tensors that broadcast against a sample row (per-coordinate ranges).
 */
export type ClipX0 = false | { lo: number | tf.Tensor; hi: number | tf.Tensor };

export interface SampleOptions {
  noise: NoiseSource;
  clipX0?: ClipX0;
  /**
   * Keep the chain on the gradient tape (Diffusion-QL's actor loss): no per-step tidy, so call
   * it inside the loss function. Otherwise each step's temporaries are released as it goes.
   */
  differentiable?: boolean;
  /** Sees x after every step (`t` = the timestep just denoised; x is disposed after the call unless kept). */
  onStep?: (t: number, x: tf.Tensor) => void;
}

/** Forward process: x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps, row by row. */
export function qSample(schedule: NoiseSchedule, x0: tf.Tensor, t: Int32Array, eps: tf.Tensor): tf.Tensor {
  const a = perRow(t, (i) => Math.sqrt(schedule.alphaBars[i]), x0.rank);
  const b = perRow(t, (i) => Math.sqrt(1 - schedule.alphaBars[i]), x0.rank);
  return tf.add(tf.mul(a, x0), tf.mul(b, eps));
}

/** x_0 predicted from x_t and a noise prediction. */
export function predictX0(schedule: NoiseSchedule, xt: tf.Tensor, t: Int32Array, eps: tf.Tensor): tf.Tensor {
  const a = perRow(t, (i) => Math.sqrt(1 / schedule.alphaBars[i]), xt.rank);
  const b = perRow(t, (i) => Math.sqrt(1 / schedule.alphaBars[i] - 1), xt.rank);
  return tf.sub(tf.mul(a, xt), tf.mul(b, eps));
}

/**
 * The denoising loss of DDPM (epsilon prediction, "L_simple"): mean squared error between the
 * noise added at random timesteps and the model's prediction of it. `t` and `eps` come from the
 * caller (seeded); `weights` optionally weights rows (e.g. Frido's stage ratio).
 */
export function denoisingLoss(schedule: NoiseSchedule, model: EpsModel, x0: tf.Tensor, t: Int32Array, eps: tf.Tensor): tf.Scalar {
  const xt = qSample(schedule, x0, t, eps);
  return tf.mean(tf.square(tf.sub(model(xt, t), eps))) as tf.Scalar;
}

/**
 * What a noise model outputs: the noise eps (DDPM) or the velocity v = sqrt(alphaBar_t) eps -
 * sqrt(1 - alphaBar_t) x_0 (Salimans & Ho 2022). With v, x_0 = sqrt(alphaBar_t) x_t - sqrt(1 -
 * alphaBar_t) v stays well conditioned at the noisiest steps, where recovering x_0 from eps divides
 * by sqrt(alphaBar_t) (about 5e-5 at the last step of a cosine schedule with T = 1000).
 */
export type Prediction = 'eps' | 'v';

/** The training target of `prediction` for rows of x0 noised at timesteps t with eps. */
export function predictionTarget(schedule: NoiseSchedule, x0: tf.Tensor, t: Int32Array, eps: tf.Tensor, prediction: Prediction): tf.Tensor {
  if (prediction === 'eps') return eps;
  const a = perRow(t, (i) => Math.sqrt(schedule.alphaBars[i]), x0.rank);
  const b = perRow(t, (i) => Math.sqrt(1 - schedule.alphaBars[i]), x0.rank);
  return tf.sub(tf.mul(a, eps), tf.mul(b, x0));
}

/** The noise implied by a model output at x_t (the samplers work in eps): eps itself, or sqrt(alphaBar) v + sqrt(1 - alphaBar) x_t. */
export function epsFromPrediction(schedule: NoiseSchedule, xt: tf.Tensor, t: Int32Array, out: tf.Tensor, prediction: Prediction): tf.Tensor {
  if (prediction === 'eps') return out;
  const a = perRow(t, (i) => Math.sqrt(schedule.alphaBars[i]), xt.rank);
  const b = perRow(t, (i) => Math.sqrt(1 - schedule.alphaBars[i]), xt.rank);
  return tf.add(tf.mul(a, out), tf.mul(b, xt));
}

/**
 * Per-row loss weights of Min-SNR-gamma (Hang et al., ICCV 2023): every timestep's error in x_0
 * counts min(SNR_t, gamma) times, SNR_t = alphaBar_t / (1 - alphaBar_t), instead of SNR_t (eps
 * loss) or SNR_t + 1 (v loss), so the nearly clean steps stop dominating the gradient. As a weight
 * on the squared error of the prediction: min(SNR, gamma) / SNR for eps, min(SNR, gamma) / (SNR + 1)
 * for v. gamma = 0: all ones (the plain loss).
 */
export function minSnrWeights(schedule: NoiseSchedule, t: Int32Array, gamma: number, prediction: Prediction): Float32Array {
  return Float32Array.from(t, (i) => {
    if (gamma <= 0) return 1;
    const ab = schedule.alphaBars[i];
    const snr = ab / (1 - ab);
    return Math.min(snr, gamma) / (prediction === 'eps' ? snr : snr + 1);
  });
}

/** Random timesteps 0..T-1 for a batch, from the caller's generator. */
export function randomTimesteps(rng: { int(n: number): number }, batch: number, steps: number): Int32Array {
  const t = new Int32Array(batch);
  for (let i = 0; i < batch; i++) t[i] = rng.int(steps);
  return t;
}

/**
 * Ancestral DDPM sampling (Ho et al. 2020, as Diffusion-QL's `p_sample_loop`): from x_T ~ N(0, I),
 * for t = T-1..0: predict eps, x0 = (x_t - sqrt(1 - alphaBar_t) eps) / sqrt(alphaBar_t), clip x0,
 * take the posterior mean coef1 x0 + coef2 x_t and add posterior noise except at t = 0.
 * One model call per step (T in all).
 */
export function sampleDdpm(schedule: NoiseSchedule, model: EpsModel, xT: tf.Tensor, opts: SampleOptions): tf.Tensor {
  let x = xT;
  const n = xT.shape[0];
  for (let t = schedule.steps - 1; t >= 0; t--) {
    const step = (): tf.Tensor => {
      const ts = new Int32Array(n).fill(t);
      const x0 = clip(predictX0(schedule, x, ts, model(x, ts)), opts.clipX0);
      const mean = tf.add(tf.mul(schedule.posteriorCoef1[t], x0), tf.mul(schedule.posteriorCoef2[t], x));
      return t > 0 ? tf.add(mean, tf.mul(Math.exp(0.5 * schedule.posteriorLogVariance[t]), opts.noise(x.shape))) : mean;
    };
    x = advance(x, xT, step, opts, t);
  }
  return x;
}

/**
 * DDIM sampling (Song, Meng, Ermon 2021) over `count` evenly spaced timesteps (one model call
 * each): x_prev = sqrt(alphaBar_prev) x0 + sqrt(1 - alphaBar_prev - sigma^2) eps + sigma z, with
 * sigma = eta * sqrt((1 - alphaBar_prev) / (1 - alphaBar_t)) * sqrt(1 - alphaBar_t / alphaBar_prev);
 * eta = 0 is deterministic given x_T. With x0 clipping, eps is recomputed from the clipped x0 so
 * that the step stays consistent.
 */
export function sampleDdim(schedule: NoiseSchedule, model: EpsModel, xT: tf.Tensor, count: number, opts: SampleOptions & { eta?: number }): tf.Tensor {
  const times = samplingTimesteps(schedule.steps, count);
  const eta = opts.eta ?? 0;
  let x = xT;
  const n = xT.shape[0];
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    const prev = i + 1 < times.length ? times[i + 1] : -1;
    const step = (): tf.Tensor => {
      const ts = new Int32Array(n).fill(t);
      const ab = schedule.alphaBars[t];
      const abPrev = prev >= 0 ? schedule.alphaBars[prev] : 1;
      let eps = model(x, ts);
      let x0 = predictX0(schedule, x, ts, eps);
      if (opts.clipX0) {
        x0 = clip(x0, opts.clipX0);
        eps = tf.div(tf.sub(x, tf.mul(Math.sqrt(ab), x0)), Math.sqrt(1 - ab));
      }
      const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(Math.max(0, 1 - ab / abPrev));
      const dir = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
      const next = tf.add(tf.mul(Math.sqrt(abPrev), x0), tf.mul(dir, eps));
      return sigma > 0 && prev >= 0 ? tf.add(next, tf.mul(sigma, opts.noise(x.shape))) : next;
    };
    x = advance(x, xT, step, opts, t);
  }
  return x;
}

/** One sampler step, released as it goes unless it is on a gradient tape. */
function advance(x: tf.Tensor, xT: tf.Tensor, step: () => tf.Tensor, opts: SampleOptions, t: number): tf.Tensor {
  if (opts.differentiable) {
    const next = step();
    opts.onStep?.(t, next);
    return next;
  }
  const next = tf.tidy(step);
  if (x !== xT) x.dispose();
  opts.onStep?.(t, next);
  return next;
}

function clip(x: tf.Tensor, c: ClipX0 | undefined): tf.Tensor {
  if (!c) return x;
  if (typeof c.lo === 'number' && typeof c.hi === 'number') return tf.clipByValue(x, c.lo, c.hi);
  return tf.minimum(tf.maximum(x, c.lo), c.hi);
}

/** A [B, 1, ...] tensor of per-row coefficients broadcasting against a rank-`rank` batch. */
function perRow(t: Int32Array, f: (t: number) => number, rank: number): tf.Tensor {
  const v = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) v[i] = f(t[i]);
  return tf.tensor(v, [t.length, ...new Array(rank - 1).fill(1)]);
}
