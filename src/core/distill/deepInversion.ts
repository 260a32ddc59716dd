import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Rng } from '../util/random';
import { anatomy, batchNormStatistics, forward } from './forward';
import { batchNormMatch, inputL2, labelCrossEntropy, totalVariation } from './losses';

/** DeepInversion's settings (docs/distillation.md): what a synthesis run optimises and how long. */
export interface SynthesisSettings {
  /** Synthetic inputs in all (a multiple of `batchSize` is best; the last batch may be shorter). */
  samples: number;
  /** Inputs optimised together (batch statistics are taken over them). */
  batchSize: number;
  /** Adam steps per batch. */
  steps: number;
  learningRate: number;
  /** Weight of the batch-norm statistics term (0: class cross-entropy and priors only). */
  bnWeight: number;
  /** Multiplier of the first batch-norm layer's term (DeepInversion's `first_bn_multiplier`). */
  firstBnMultiplier: number;
  /** Weight of the total-variation prior (images only). */
  tvWeight: number;
  /** Weight of the input L2-norm prior. */
  l2Weight: number;
  /** Random shifts of up to this many pixels per step (images only; 0: none). */
  jitter: number;
  /** Random horizontal flips per step (images only). */
  flip: boolean;
  /**
   * Coarse-to-fine (DeepInversion's multi-resolution setting): for this many of each batch's first
   * steps the teacher sees the inputs at half resolution, each 2x2 block replaced by its mean,
   * then at full resolution (images with even sides only; 0: full resolution throughout).
   */
  coarseSteps: number;
  /**
   * KD on the synthetic set with a fresh view of every batch: each input shifted by up to
   * `jitter` pixels, flipped (`flip`), and mixed with another input of the batch (weight drawn
   * uniformly), the teacher's logits taken on what the student sees. Data-free still (only the
   * teacher labels it). Meant against learning a fixed set of 2,048 inputs by heart; on
   * Fashion-MNIST it learnt more slowly and did not help within 30 epochs (docs/distillation.md).
   */
  mixup: boolean;
  /**
   * KD on the synthetic set with a fresh view of every batch (shifted by up to `jitter` pixels,
   * flipped when `flip`), the teacher's logits taken on what the student sees: DeepInversion's
   * own augmentation carried into KD, without mixing (`mixup` adds that).
   */
  views: boolean;
  /**
   * Weight of Adaptive DeepInversion's competition term (0: plain DeepInversion). Above 0 the
   * student learns between batches and later batches favour inputs it disagrees on.
   */
  competition: number;
  /** Student KD steps after each synthetic batch but the last (with `competition` only). */
  competitionSteps: number;
  /** Keep inputs in this range after every step (the data's range, e.g. [0, 1]). */
  clip?: [number, number];
  /**
   * The inputs' learning rate over a batch's steps: constant, or cosine decay from `learningRate`
   * to ~0 at the batch's last step (the official code's `lr_cosine_policy`, without its warm-up).
   */
  schedule: 'constant' | 'cosine';
}

export interface SynthesisTerms {
  loss: tf.Scalar;
  ce: tf.Scalar;
  /** The batch-norm term (first layer multiplied), and each layer's own. */
  bn: tf.Scalar;
  bnLayers: tf.Scalar[];
  tv: tf.Scalar;
  l2: tf.Scalar;
  /** The teacher's logits, and the (jittered) input they are of: for terms that compare models on it. */
  logits: tf.Tensor2D;
  input: tf.Tensor;
}

/** The image shape `[h, w, c]` of a model's examples, when they are images (TV, jitter, gallery). */
export function imageShapeOf(exampleShape: number[]): [number, number, number] | undefined {
  if (exampleShape.length === 3) return exampleShape as [number, number, number];
  if (exampleShape.length === 2) return [exampleShape[0], exampleShape[1], 1];
  if (exampleShape.length === 1) {
    const side = Math.round(Math.sqrt(exampleShape[0]));
    if (side * side === exampleShape[0] && side >= 4) return [side, side, 1];
  }
  return undefined;
}

/**
 * The class targets of one synthetic batch: classes in turn (balanced), shuffled, so every
 * class gets its share of the synthetic set.
 */
export function balancedTargets(batchSize: number, numClasses: number, offset: number, rng: Rng): Int32Array {
  const t = Int32Array.from({ length: batchSize }, (_, i) => (i + offset) % numClasses);
  for (let i = t.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [t[i], t[j]] = [t[j], t[i]];
  }
  return t;
}

/** What one synthesis step shows the teacher: a shift and flip (`drawShift`), and whether at half resolution. */
export interface SynthesisView {
  dy: number;
  dx: number;
  flip: boolean;
  /** Each 2x2 block replaced by its mean (`halfResolution`): the coarse phase of coarse-to-fine. */
  coarse?: boolean;
}

/**
 * DeepInversion's objective for a batch `x` (shaped like the teacher's examples) and its class
 * targets: `CE(teacher(x'), y) + bnWeight * sum_l r_l * ||stats_l(x') - running_l|| + tvWeight *
 * TV(x~) + l2Weight * ||x~||`, where `x~` is `x` (at half resolution when `view.coarse`) and `x'`
 * is `x~` jittered/flipped by `view` (what the step drew). The teacher runs in inference mode: its
 * running statistics are read, never updated.
 */
export function deepInversionLoss(
  teacher: tf.LayersModel,
  x: tf.Tensor,
  targets: tf.Tensor1D,
  s: SynthesisSettings,
  view: SynthesisView = { dy: 0, dx: 0, flip: false },
): SynthesisTerms {
  const image = imageShapeOf(anatomy(teacher).inputShape);
  let xs = x;
  // The priors are on the inputs as the teacher sees them before the shift (at half resolution in
  // the coarse phase, as the official code's priors are on its pooled inputs).
  let prior = x;
  let asImage: tf.Tensor4D | undefined;
  if (image) {
    asImage = tf.reshape(x, [-1, ...image]) as tf.Tensor4D;
    if (view.coarse) {
      asImage = halfResolution(asImage);
      prior = tf.reshape(asImage, x.shape);
    }
    let moved = asImage;
    if (view.dy !== 0 || view.dx !== 0) moved = roll2d(moved, view.dy, view.dx);
    if (view.flip) moved = tf.reverse(moved, 2) as tf.Tensor4D;
    xs = tf.reshape(moved, x.shape);
  }
  const out = forward(teacher, xs);
  const ce = labelCrossEntropy(out.logits!, targets);
  const bnLayers = batchNormStatistics(teacher).map((st, i) => batchNormMatch(out.bnInputs[i], st.mean, st.variance));
  const bn: tf.Scalar = bnLayers.length === 0 ? tf.scalar(0) : (tf.addN(bnLayers.map((t, i) => (i === 0 ? tf.mul(t, s.firstBnMultiplier) : t))) as tf.Scalar);
  const tv = asImage && s.tvWeight > 0 ? totalVariation(asImage) : tf.scalar(0);
  const l2 = s.l2Weight > 0 ? inputL2(prior) : tf.scalar(0);
  const loss = tf.addN([ce, tf.mul(bn, s.bnWeight), tf.mul(tv, s.tvWeight), tf.mul(l2, s.l2Weight)]) as tf.Scalar;
  return { loss, ce, bn, bnLayers, tv, l2, logits: out.logits!, input: xs };
}

/** The random shift and flip of one synthesis step (from the session's RNG: reproducible). */
export function drawShift(rng: Rng, s: SynthesisSettings, isImage: boolean): { dy: number; dx: number; flip: boolean } {
  if (!isImage) return { dy: 0, dx: 0, flip: false };
  const j = s.jitter;
  const dy = j > 0 ? rng.int(2 * j + 1) - j : 0;
  const dx = j > 0 ? rng.int(2 * j + 1) - j : 0;
  const flip = s.flip ? rng.next() < 0.5 : false;
  return { dy, dx, flip };
}

/**
 * Images `[b, h, w, c]` at half resolution, shown at full size: each 2x2 block replaced by its
 * mean (DeepInversion's low-resolution phase pools by 2; an MLP teacher needs its full input size
 * back). The gradient of a block's four pixels is the same: the coarse phase shapes the picture,
 * the full-resolution steps after it the details.
 */
export function halfResolution(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new UserError(`synthesis.coarseSteps needs images with even sides, got ${h}x${w}`, '/synthesis/coarseSteps');
  const rows = tf.mean(tf.reshape(x, [(b * h) / 2, 2, w * c]), 1, true); // each pair of rows
  const blocks = tf.mean(tf.reshape(rows, [(b * h * w) / 4, 2, c]), 1, true); // then each pair of columns
  const wide = tf.reshape(tf.tile(blocks, [1, 2, 1]), [(b * h) / 2, 1, w * c]);
  return tf.reshape(tf.tile(wide, [1, 2, 1]), [b, h, w, c]);
}

/** Circular shift of images `[b, h, w, c]` by `dy` rows and `dx` columns (torch.roll). */
export function roll2d(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const rollAxis = (t: tf.Tensor4D, shift: number, axis: 1 | 2, n: number): tf.Tensor4D => {
    const k = ((shift % n) + n) % n;
    if (k === 0) return t;
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    const head = tf.slice(t, begin.map((b, i) => (i === axis ? n - k : b)), size);
    const tail = tf.slice(t, begin, size.map((v, i) => (i === axis ? n - k : v)));
    return tf.concat([head, tail], axis) as tf.Tensor4D;
  };
  return rollAxis(rollAxis(x, dy, 1, h), dx, 2, w);
}

/**
 * How well a set of inputs reproduces each batch-norm layer's running statistics: per layer the
 * root-mean-square gap between batch and running mean and between batch and running variance,
 * each relative to the running values' RMS (0 = a perfect match). Shown in the panel and as the
 * teacher's inline hints after synthesis.
 */
export function batchNormMatchPerLayer(teacher: tf.LayersModel, x: tf.Tensor): { layer: string; mean: number; variance: number }[] {
  return tf.tidy(() => {
    const out = forward(teacher, x);
    return batchNormStatistics(teacher).map((st, i) => {
      const input = out.bnInputs[i];
      const axes = input.shape.slice(0, -1).map((_, k) => k);
      const { mean, variance } = tf.moments(input, axes);
      const rms = (t: tf.Tensor) => Math.sqrt(tf.mean(tf.square(t)).dataSync()[0]);
      return {
        layer: st.name,
        mean: rms(tf.sub(mean, st.mean)) / Math.max(rms(st.mean), 1e-8),
        variance: rms(tf.sub(variance, st.variance)) / Math.max(rms(st.variance), 1e-8),
      };
    });
  });
}
