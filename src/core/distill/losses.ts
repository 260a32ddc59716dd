import * as tf from '@tensorflow/tfjs';

/**
 * The distillation losses, as pure functions of tensors (each returns a scalar). Names and
 * forms follow the papers (docs/distillation.md): TinyBERT's embedding/hidden/attention MSE
 * and prediction soft cross-entropy; DeepInversion's batch-norm statistics match and image
 * priors; DAFL's one-hot, activation and balance losses.
 */

/** L2 norm with a finite gradient at zero. */
function l2(x: tf.Tensor, axis?: number): tf.Tensor {
  return tf.sqrt(tf.add(tf.sum(tf.square(x), axis), 1e-12));
}

export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(a, b));
}

/**
 * MSE between a student representation mapped to the teacher's width by `W` (`[dS, dT]`) and
 * the teacher's: `MSE(H_S W, H_T)` (TinyBERT's embedding and hidden-state losses).
 */
export function projectedMse(student: tf.Tensor, W: tf.Tensor2D, teacher: tf.Tensor): tf.Scalar {
  const dS = student.shape[student.shape.length - 1];
  const flat = tf.reshape(student, [-1, dS]) as tf.Tensor2D;
  const mapped = tf.reshape(tf.matMul(flat, W), teacher.shape);
  return mse(mapped, teacher);
}

/**
 * Scores at or below -100 (masked positions) set to 0, with the gradient passed where they are
 * kept (a custom gradient: tfjs has no gradient for the comparison itself).
 */
const unmask = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const keep = tf.cast(tf.greater(x, -100), x.dtype);
  save([keep]);
  return { value: tf.mul(x, keep), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
}) as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/**
 * MSE between unnormalised attention scores `[batch, heads, seq, seq]` (TinyBERT found them
 * better than the softmax outputs). Entries at or below -100 (masked positions) count as 0 on
 * both sides, as in the official code. When the head counts differ, heads are averaged first.
 */
export function attentionMse(student: tf.Tensor4D, teacher: tf.Tensor4D): tf.Scalar {
  let s: tf.Tensor = student;
  let t: tf.Tensor = teacher;
  if (student.shape[1] !== teacher.shape[1]) {
    s = tf.mean(student, 1);
    t = tf.mean(teacher, 1);
  }
  return mse(unmask(s), unmask(t));
}

/**
 * Soft cross-entropy `-sum_c softmax(t/T)_c log softmax(s/T)_c`, averaged over the batch: the
 * prediction-layer loss of TinyBERT (T = 1) and the KD loss of the data-free students (T = 4, ...).
 */
export function softCrossEntropy(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, temperature = 1): tf.Scalar {
  const target = tf.softmax(tf.div(teacherLogits, temperature));
  const logP = tf.logSoftmax(tf.div(studentLogits, temperature));
  return tf.neg(tf.mean(tf.sum(tf.mul(target, logP), -1))) as tf.Scalar;
}

/**
 * Adaptive DeepInversion's competition term: `1 - JS(p_T, p_S)`, the Jensen-Shannon divergence
 * (nats) between teacher and student predictions at temperature `T` (the official code: 3),
 * batch mean. Minimised over the inputs, it steers synthesis towards inputs the two disagree on.
 */
export function competitionLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, temperature = 3): tf.Scalar {
  const p = tf.softmax(tf.div(teacherLogits, temperature));
  const q = tf.softmax(tf.div(studentLogits, temperature));
  const m = tf.mul(tf.add(p, q), 0.5);
  const kl = (a: tf.Tensor) => tf.sum(tf.mul(a, tf.sub(tf.log(tf.add(a, 1e-8)), tf.log(tf.add(m, 1e-8)))), -1);
  const js = tf.mean(tf.mul(tf.add(kl(p), kl(q)), 0.5));
  return tf.sub(1, js) as tf.Scalar;
}

/** Cross-entropy with integer labels (the `student` arm, the teacher's own training). */
export function labelCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const logP = tf.logSoftmax(logits);
  const onehot = tf.oneHot(labels, logits.shape[logits.shape.length - 1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logP), -1))) as tf.Scalar;
}

/**
 * DeepInversion's feature-statistics term for one batch-norm layer: the L2 distances between
 * the batch mean and (biased) variance of what the layer normalises and its running mean and
 * variance: `||mu - mu_run||_2 + ||var - var_run||_2`. Statistics are per channel (last axis).
 */
export function batchNormMatch(input: tf.Tensor, runningMean: tf.Tensor, runningVariance: tf.Tensor): tf.Scalar {
  const axes = input.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(input, axes);
  return tf.add(l2(tf.sub(mean, runningMean)), l2(tf.sub(variance, runningVariance)));
}

/**
 * Total variation of images `[batch, h, w, c]` as in DeepInversion's prior: the L2 norms of
 * the differences to the right, down and both diagonal neighbours, summed (a smoothness prior).
 */
export function totalVariation(images: tf.Tensor4D): tf.Scalar {
  const [, h, w] = images.shape;
  const at = (y: number, x: number, dy: number, dx: number) => tf.slice(images, [0, y, x, 0], [-1, h - dy, w - dx, -1]);
  const diffs = [
    tf.sub(at(0, 0, 0, 1), at(0, 1, 0, 1)),
    tf.sub(at(0, 0, 1, 0), at(1, 0, 1, 0)),
    tf.sub(at(1, 0, 1, 1), at(0, 1, 1, 1)),
    tf.sub(at(0, 0, 1, 1), at(1, 1, 1, 1)),
  ];
  return tf.addN(diffs.map((d) => l2(d))) as tf.Scalar;
}

/** Mean L2 norm of the examples (DeepInversion's input-norm prior). */
export function inputL2(x: tf.Tensor): tf.Scalar {
  const flat = tf.reshape(x, [x.shape[0], -1]);
  return tf.mean(l2(flat, 1));
}

/** DAFL's one-hot loss: cross-entropy of the teacher's outputs with their own argmax (confident outputs). */
export function oneHotLoss(teacherLogits: tf.Tensor2D): tf.Scalar {
  return labelCrossEntropy(teacherLogits, tf.argMax(teacherLogits, 1) as tf.Tensor1D);
}

/** DAFL's activation loss: minus the mean absolute teacher feature (inputs that excite the network). */
export function activationLoss(features: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.abs(features))) as tf.Scalar;
}

/**
 * DAFL's information-entropy loss: `sum_c p̄_c log10 p̄_c` of the batch-mean prediction, i.e.
 * minus its entropy; minimising it balances the classes of the generated batch.
 */
export function balanceLoss(teacherLogits: tf.Tensor2D): tf.Scalar {
  const pBar = tf.mean(tf.softmax(teacherLogits), 0);
  return tf.sum(tf.mul(pBar, tf.div(tf.log(tf.add(pBar, 1e-12)), Math.LN10))) as tf.Scalar;
}
