import * as tf from '@tensorflow/tfjs';
import type { Params } from '../layers';
import { type EpsModel, epsFromPrediction, minSnrWeights, type Prediction, predictionTarget, qSample, sampleDdim } from '../sampler';
import type { NoiseSchedule } from '../schedule';
import { type DenoiseStage, unet, type UnetShape } from './networks';

/**
 * Label-conditioned latent diffusion over the two-scale latent (coarse 7x7, fine 14x14), with
 * one pyramid U-Net, in two schedules at equal compute:
 * - `coarse-to-fine` (Frido): denoise the coarse latent first (the fine input is zeros: it does not exist yet), then
 *   the fine latent given the finished coarse one. Training: a share of each batch at each stage
 *   (`coarseRows`; half each is Frido's `stage_loss_ratio` 0.5 / 0.5), every row's loss counting
 *   alike. The coarse stage may run on its own noise schedule (`coarseSchedule`: log SNR shifted,
 *   as simple diffusion does per resolution); the clean coarse latent that
 *   conditions the fine stage is mixed with 10% noise (Frido's `noise_mix_ratio` 0.1).
 * - `single-scale`: both latents noised and denoised together in one chain (what a latent
 *   diffusion model does with this autoencoder), on its own (possibly shifted) `jointSchedule`.
 * Both train the same network for the same number of steps on the same batch size, and sample
 * with the same number of network calls: `calls` DDIM steps for single-scale, split between the
 * stages for coarse-to-fine (`stageCalls`). Latents are divided by their standard deviation first (`LatentScale`).
 * The network predicts eps or v (`TwoScaleModel.prediction`), and the loss can weight timesteps by
 * Min-SNR-gamma: the same choices for both schedules.
 */
export type ScaleSchedule = 'coarse-to-fine' | 'single-scale';
export const SCALE_SCHEDULES: readonly ScaleSchedule[] = ['coarse-to-fine', 'single-scale'];

/** Per-latent divisors so that each scaled latent has unit standard deviation (LDM's scale_by_std). */
export interface LatentScale {
  coarse: number;
  fine: number;
}

export interface TwoScaleModel {
  shape: UnetShape;
  /** The noise schedule of coarse-to-fine's fine stage (and of the other chains when they have none of their own). */
  schedule: NoiseSchedule;
  /**
   * coarse-to-fine's coarse stage: the same schedule with its own log SNR shift
   * (`shiftedAlphaBars`), or `schedule` itself (shift 0). Absent: `schedule`.
   */
  coarseSchedule?: NoiseSchedule;
  /** single-scale's joint chain: the same schedule with its own log SNR shift, or `schedule` itself. Absent: `schedule`. */
  jointSchedule?: NoiseSchedule;
  scale: LatentScale;
  /** What the U-Net outputs (eps or v); the samplers convert to eps. */
  prediction: Prediction;
}

/** Frido's `noise_mix_ratio`: how much noise is mixed into the clean coarse latent that conditions the fine stage in training. */
export const NOISE_MIX = 0.1;

export interface Noise {
  /** Seeded standard normal noise. */
  normal(shape: number[]): tf.Tensor;
  /** Seeded integers in [0, n). */
  int(n: number): number;
  /** Seeded uniform [0, 1). */
  next(): number;
}

export interface TwoScaleLossOptions {
  /** Probability of training a row without its label (classifier-free guidance). */
  dropLabel: number;
  /** Min-SNR-gamma loss weighting (0: every timestep weighted alike). */
  minSnr: number;
  /**
   * coarse-to-fine: the share of each batch's rows that train the coarse stage (the rest train the
   * fine stage; every row's loss counts alike). Absent: half. single-scale ignores it.
   */
  coarseRows?: number;
}

/** coarse-to-fine's rows of a batch of `n` on the coarse stage: at least one per stage. */
export function coarseRowCount(n: number, coarseRows = 0.5): number {
  if (!(coarseRows > 0 && coarseRows < 1)) throw new RangeError(`coarseRows must lie strictly between 0 and 1, got ${coarseRows}`);
  if (n < 2) throw new RangeError(`coarse-to-fine trains both stages on each batch: it needs at least 2 rows, got ${n}`);
  return Math.min(n - 1, Math.max(1, Math.floor(n * coarseRows)));
}

/** One training loss of a schedule on a batch of (scaled) latents and labels. */
export function twoScaleLoss(
  m: TwoScaleModel, p: Params, arm: ScaleSchedule, coarse0: tf.Tensor4D, fine0: tf.Tensor4D, labels: Int32Array, rnd: Noise, opts: TwoScaleLossOptions,
): { loss: tf.Scalar; coarse: tf.Scalar; fine: tf.Scalar } {
  const n = labels.length;
  const lab = Int32Array.from(labels, (y) => (rnd.next() < opts.dropLabel ? m.shape.classes : y));
  const t = Int32Array.from({ length: n }, () => rnd.int(m.schedule.steps));
  const epsC = rnd.normal(coarse0.shape);
  const epsF = rnd.normal(fine0.shape);
  /** Weighted mean over rows of each row's mean squared error; `w`: the rows' weights. */
  const rowLoss = (out: tf.Tensor, target: tf.Tensor, w: Float32Array) => tf.mean(tf.mul(tf.tensor1d(w), tf.mean(tf.square(tf.sub(out, target)), [1, 2, 3]))) as tf.Scalar;
  if (arm === 'single-scale') {
    const sj = m.jointSchedule ?? m.schedule;
    const targetC = predictionTarget(sj, coarse0, t, epsC, m.prediction);
    const targetF = predictionTarget(sj, fine0, t, epsF, m.prediction);
    const w = minSnrWeights(sj, t, opts.minSnr, m.prediction);
    const out = unet(p, m.shape, qSample(sj, coarse0, t, epsC), qSample(sj, fine0, t, epsF), t, lab, 'joint');
    const coarse = rowLoss(out.coarse, targetC, w);
    const fine = rowLoss(out.fine, targetF, w);
    // Every latent coordinate counts alike (the row's error over both latents).
    const sizeC = coarse0.size / n;
    const sizeF = fine0.size / n;
    const loss = tf.div(tf.add(tf.mul(sizeC, coarse), tf.mul(sizeF, fine)), sizeC + sizeF) as tf.Scalar;
    return { loss, coarse, fine };
  }
  // Coarse-to-fine: rows [0, h) train the coarse stage (on its own schedule), rows [h, n) the fine stage.
  const h = coarseRowCount(n, opts.coarseRows);
  const rows = (x: tf.Tensor, a: number, b: number) => tf.slice(x, [a], [b - a]);
  const tA = t.subarray(0, h);
  const tB = t.subarray(h);
  const sc = m.coarseSchedule ?? m.schedule;
  const coarseA = qSample(sc, rows(coarse0, 0, h), tA, rows(epsC, 0, h));
  const fineA = tf.zeros([h, ...fine0.shape.slice(1)]);
  const coarseB = tf.add(tf.mul(1 - NOISE_MIX, rows(coarse0, h, n)), tf.mul(NOISE_MIX, rnd.normal([n - h, ...coarse0.shape.slice(1)])));
  const fineB = qSample(m.schedule, rows(fine0, h, n), tB, rows(epsF, h, n));
  const outA = unet(p, m.shape, coarseA, fineA, tA, lab.subarray(0, h), 'coarse');
  const outB = unet(p, m.shape, coarseB, fineB, tB, lab.subarray(h), 'fine');
  const lc = rowLoss(outA.coarse, predictionTarget(sc, rows(coarse0, 0, h), tA, rows(epsC, 0, h), m.prediction), minSnrWeights(sc, tA, opts.minSnr, m.prediction));
  const lf = rowLoss(outB.fine, predictionTarget(m.schedule, rows(fine0, h, n), tB, rows(epsF, h, n), m.prediction), minSnrWeights(m.schedule, tB, opts.minSnr, m.prediction));
  // Every row counts alike: with half the rows on each stage this is Frido's 0.5 / 0.5 stage_loss_ratio.
  return { loss: tf.add(tf.mul(h / n, lc), tf.mul((n - h) / n, lf)) as tf.Scalar, coarse: lc, fine: lf };
}

export interface TwoScaleSample {
  /** Scaled latents. */
  coarse: tf.Tensor4D;
  fine: tf.Tensor4D;
}

/** How a schedule samples: the knobs chosen on the validation split (`validation.ts`), not on the reported samples. */
export interface SamplingSettings {
  /** Network calls per sample (DDIM steps), the same for both schedules. */
  calls: number;
  /** Classifier-free guidance weight w (0: plain conditional sampling). */
  guidance: number;
  /** coarse-to-fine: the share of `calls` spent on the coarse stage (the rest on the fine stage); single-scale ignores it. */
  coarseShare: number;
}

/** coarse-to-fine's split of `calls` network calls: at least one per stage. */
export function stageCalls(calls: number, coarseShare: number): { coarse: number; fine: number } {
  if (!Number.isInteger(calls) || calls < 2) throw new RangeError(`coarse-to-fine splits its network calls between two stages: calls must be a whole number >= 2, got ${calls}`);
  if (!(coarseShare > 0 && coarseShare < 1)) throw new RangeError(`coarseShare must lie strictly between 0 and 1, got ${coarseShare}`);
  const coarse = Math.min(calls - 1, Math.max(1, Math.round(calls * coarseShare)));
  return { coarse, fine: calls - coarse };
}

/**
 * Samples latents for `labels` with `s.calls` network calls per sample (DDIM, deterministic given
 * the initial noise). With guidance w > 0 each call evaluates the conditional and the
 * unconditional model in one batch (`guided`). Predicted clean latents are clipped to the range
 * the autoencoder's tanh can produce (x0 clipping). coarse-to-fine with `givenCoarse` (scaled
 * coarse latents, e.g. of real images) runs only the fine stage, on `stageCalls(...).fine` calls:
 * how good the fine stage is when its condition is right.
 */
export function sampleTwoScale(
  m: TwoScaleModel, p: Params, arm: ScaleSchedule, labels: Int32Array, s: SamplingSettings, noise: (shape: number[]) => tf.Tensor, givenCoarse?: tf.Tensor4D,
): TwoScaleSample {
  const n = labels.length;
  const cc = m.shape.coarseChannels;
  const cf = m.shape.fineChannels;
  const coarseSize = 49 * cc;
  const fineSize = 196 * cf;
  const clipC = { lo: -1 / m.scale.coarse, hi: 1 / m.scale.coarse };
  const clipF = { lo: -1 / m.scale.fine, hi: 1 / m.scale.fine };
  const toCoarse = (x: tf.Tensor) => tf.reshape(x, [-1, 7, 7, cc]) as tf.Tensor4D;
  const toFine = (x: tf.Tensor) => tf.reshape(x, [-1, 14, 14, cf]) as tf.Tensor4D;
  const flat = (x: tf.Tensor) => tf.reshape(x, [x.shape[0], -1]);
  const call = (coarse: tf.Tensor, fine: tf.Tensor, t: Int32Array, stage: DenoiseStage) => guided(m, p, coarse, fine, t, labels, stage, s.guidance);
  const eps = (x: tf.Tensor, t: Int32Array, out: tf.Tensor, schedule = m.schedule) => epsFromPrediction(schedule, x, t, out, m.prediction);

  if (arm === 'single-scale') {
    if (givenCoarse) throw new Error('single-scale has no fine stage to run alone');
    // One chain over [coarse | fine], flattened; clipping per part.
    const sj = m.jointSchedule ?? m.schedule;
    const model: EpsModel = (x, t) => {
      const out = call(toCoarse(tf.slice(x, [0, 0], [n, coarseSize])), toFine(tf.slice(x, [0, coarseSize], [n, fineSize])), t, 'joint');
      return eps(x, t, tf.concat([flat(out.coarse), flat(out.fine)], 1), sj);
    };
    const lo = tf.concat([tf.fill([1, coarseSize], clipC.lo), tf.fill([1, fineSize], clipF.lo)], 1);
    const hi = tf.neg(lo);
    const x = sampleDdim(sj, model, noise([n, coarseSize + fineSize]), s.calls, { noise, clipX0: { lo, hi } });
    const out = { coarse: toCoarse(tf.slice(x, [0, 0], [n, coarseSize])), fine: toFine(tf.slice(x, [0, coarseSize], [n, fineSize])) };
    tf.dispose([x, lo, hi]);
    return out;
  }
  const split = stageCalls(s.calls, s.coarseShare);
  let coarse: tf.Tensor4D;
  if (givenCoarse) {
    coarse = tf.clone(givenCoarse);
  } else {
    const fineInput = tf.zeros([n, 14, 14, cf]);
    const sc = m.coarseSchedule ?? m.schedule;
    const coarseModel: EpsModel = (x, t) => eps(x, t, flat(call(toCoarse(x), fineInput, t, 'coarse').coarse), sc);
    const coarseFlat = sampleDdim(sc, coarseModel, noise([n, coarseSize]), split.coarse, { noise, clipX0: clipC });
    coarse = toCoarse(coarseFlat);
    tf.dispose([coarseFlat, fineInput]);
  }
  const fineModel: EpsModel = (x, t) => eps(x, t, flat(call(coarse, toFine(x), t, 'fine').fine));
  const fineFlat = sampleDdim(m.schedule, fineModel, noise([n, fineSize]), split.fine, { noise, clipX0: clipF });
  const out = { coarse, fine: toFine(fineFlat) };
  fineFlat.dispose();
  return out;
}

/**
 * Classifier-free guidance (Ho & Salimans 2022) in one batched call: eps = eps_u + (1 + w)(eps_c - eps_u),
 * i.e. w = 0 is the plain conditional model.
 */
function guided(m: TwoScaleModel, p: Params, coarse: tf.Tensor, fine: tf.Tensor, t: Int32Array, labels: Int32Array, stage: DenoiseStage, w: number): { coarse: tf.Tensor; fine: tf.Tensor } {
  if (w === 0) return unet(p, m.shape, coarse, fine, t, labels, stage);
  const n = labels.length;
  const both = Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? labels[i] : m.shape.classes));
  const tt = Int32Array.from({ length: 2 * n }, (_, i) => t[i % n]);
  const out = unet(p, m.shape, tf.concat([coarse, coarse]), tf.concat([fine, fine]), tt, both, stage);
  const mix = (x: tf.Tensor) => {
    const c = tf.slice(x, [0], [n]);
    const u = tf.slice(x, [n], [n]);
    return tf.add(u, tf.mul(1 + w, tf.sub(c, u)));
  };
  return { coarse: mix(out.coarse), fine: mix(out.fine) };
}
