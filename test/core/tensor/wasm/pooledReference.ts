import * as tf from '@tensorflow/tfjs';
import { forwardPlan, runLayers } from '../../../../src/core/train/forward';
import { convGeometry, convGradients64 } from './float64Conv';

/**
 * Test helper for the conv layers fused with their 2x2/2 max pooling (convPool.test.ts,
 * winogradConv.test.ts): a float64 reference of their gradients (pooling's routing, then the
 * direct convolution's gradients of float64Conv.ts), and normwise errors.
 */

/** max |got - ref| / max |ref|. */
export function normwise(got: Float32Array, ref: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let k = 0; k < ref.length; k++) {
    err = Math.max(err, Math.abs(got[k] - ref[k]));
    scale = Math.max(scale, Math.abs(ref[k]));
  }
  return err / scale;
}

export type Layer = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** The seeded inputs of a case: x ~ N(0, 1), filter ~ N(0, 0.3), bias ~ N(0, 0.3). */
export function caseInputs(xs: number[], fs: number[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return [tf.randomNormal(xs, 0, 1, 'float32', 1), tf.randomNormal(fs, 0, 0.3, 'float32', 2), tf.randomNormal([fs[3]], 0, 0.3, 'float32', 3)];
}

/** [y, dx, df, db] of `layer` on the case's inputs (gradients of sum(r * y), r ~ N(0, 1) seeded). */
export function runLayer(layer: Layer, xs: number[], fs: number[]): Float32Array[] {
  return tf.tidy(() => {
    const [x, f, b] = caseInputs(xs, fs);
    const y = layer(x, f, b);
    const r = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
    const grads = tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, fv, bv), r)))([x, f, b]);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

/**
 * Float64 gradients [dx, df, db] of sum(r * pool(relu?(conv(x, f) + b))) for the case's inputs
 * (stride 1). Each pooled value's gradient goes to its window's first maximum of `conv(x, f)`
 * (float32, bias-free, from `convNoBias`: the fused kernels compare those sums, so both decide alike
 * where two values are within rounding), and nowhere where ReLU gave 0 (y: the layer's output).
 */
export function pooledReferenceGradients(
  convNoBias: (x: tf.Tensor, f: tf.Tensor) => tf.Tensor, xs: number[], fs: number[], pad: 'valid' | 'same', relu: boolean, y: Float32Array,
): Float64Array[] {
  const [xt, ft, bt] = caseInputs(xs, fs);
  const zt = tf.tidy(() => convNoBias(xt, ft));
  const rt = tf.randomNormal([y.length], 0, 1, 'float32', 4);
  const [x, f, z, r] = [xt, ft, zt, rt].map((t) => t.dataSync() as Float32Array);
  tf.dispose([xt, ft, bt, zt, rt]);
  const g = convGeometry(xs, fs, pad);
  const [N, O] = [xs[0], fs[3]];
  const { oh, ow } = g;
  const ph = Math.floor(oh / 2);
  const pw = Math.floor(ow / 2);
  const dz = new Float64Array(z.length);
  for (let n = 0; n < N; n++) for (let p = 0; p < ph; p++) for (let q = 0; q < pw; q++) for (let o = 0; o < O; o++) {
    const at = ((n * ph + p) * pw + q) * O + o;
    if (relu && !(y[at] > 0)) continue;
    let best = -1;
    for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const k = ((n * oh + 2 * p + i) * ow + 2 * q + j) * O + o;
      if (best < 0 || z[k] > z[best]) best = k;
    }
    dz[best] += r[at];
  }
  return convGradients64(dz, x, f, g);
}

/** Kernel names one training step of `model` (forward through `runLayers`, then the gradients) runs on an input of `inputShape`. */
export async function trainingStepKernels(model: tf.Sequential, inputShape: number[]): Promise<string[]> {
  const plan = forwardPlan(model.layers);
  const x = tf.randomNormal(inputShape);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { kernels } = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(runLayers(plan, x, 0, plan.layers.length, true, 0)) as tf.Scalar, variables);
    tf.dispose(grads);
    return value;
  });
  x.dispose();
  model.dispose();
  return kernels.map((k) => k.name);
}
