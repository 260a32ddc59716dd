import * as tf from '@tensorflow/tfjs';

/**
 * A multilayer perceptron written with plain ops, for a `TrainingSession` variable set
 * (`addVariables(name, mlpInit(...))`). Why not a `tf.LayersModel`: RL agents call the same
 * network on several batches per step (s and s', online and target) and keep ensembles (two Q
 * functions, two value heads) that one batched matrix product per layer computes at once.
 *
 * Layers: dense (+ layer norm) + ReLU for every hidden size, then a linear output.
 * With `ensemble = E`, every weight has a leading axis E and `mlpApply` returns [E, B, out]
 * (E independent networks on the same input); without it, [B, out].
 */
export interface MlpSpec {
  /** [input, hidden..., output]. */
  sizes: number[];
  /** Layer normalisation after each hidden dense layer (HIQL's value network uses it). */
  layerNorm?: boolean;
  /** Number of independent members computed together (two Q functions, two value heads). */
  ensemble?: number;
  /** Scale of the output layer's initial weights (1: Glorot like the others). */
  outputScale?: number;
  /**
   * Spectral normalisation (LSD): every weight matrix is divided by its largest singular value,
   * so each layer, and the network, is 1-Lipschitz in the Euclidean norm. Not ensembles.
   */
  spectralNorm?: boolean;
}

export type MlpVars = Record<string, tf.Tensor>;

/**
 * A batch of sparse input rows: row b is the sum of `values[b, j]` at column `indices[b, j]`
 * (repeated columns add up; padding is a value of 0). The first layer then gathers K rows of its
 * weight instead of multiplying a mostly-zero [B, in] matrix: an input of one column per maze
 * cell costs K, not `in`, per row.
 */
export interface SparseRows {
  /** int32 [B, K]. */
  indices: tf.Tensor;
  /** float32 [B, K]. */
  values: tf.Tensor;
}

/** Seeded initial values (Glorot-uniform weights, zero biases, unit layer-norm gains). */
export function mlpInit(spec: MlpSpec, seed: number): Record<string, tf.Tensor> {
  checkSpec(spec);
  const { sizes } = spec;
  const E = spec.ensemble;
  const lead = E === undefined ? [] : [E];
  const vars: Record<string, tf.Tensor> = {};
  const layers = sizes.length - 1;
  for (let i = 0; i < layers; i++) {
    const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
    const scale = i === layers - 1 ? spec.outputScale ?? 1 : 1;
    const limit = scale * Math.sqrt(6 / (fanIn + fanOut));
    vars[`w${i}`] = tf.randomUniform([...lead, fanIn, fanOut], -limit, limit, 'float32', seed + 7919 * (i + 1));
    vars[`b${i}`] = tf.zeros(E === undefined ? [fanOut] : [E, 1, fanOut]);
    if (spec.layerNorm && i < layers - 1) {
      vars[`g${i}`] = tf.ones(E === undefined ? [fanOut] : [E, 1, fanOut]);
      vars[`h${i}`] = tf.zeros(E === undefined ? [fanOut] : [E, 1, fanOut]);
    }
  }
  return vars;
}

/** The network's output for `x` [B, in] (dense or sparse rows): [B, out], or [E, B, out] for an ensemble. */
export function mlpApply(vars: MlpVars, spec: MlpSpec, x: tf.Tensor | SparseRows): tf.Tensor {
  const layers = spec.sizes.length - 1;
  let h: tf.Tensor;
  let first = 0;
  if (x instanceof tf.Tensor) {
    h = spec.ensemble === undefined ? x : tf.tile(tf.expandDims(x, 0), [spec.ensemble, 1, 1]);
  } else {
    if (spec.spectralNorm) throw new RangeError('sparse inputs are for plain layers (no spectral normalisation)');
    h = sparseProduct(vars.w0, x, spec.ensemble !== undefined);
    h = tf.add(h, vars.b0);
    if (layers > 1) h = tf.relu(spec.layerNorm ? layerNorm(h, vars.g0, vars.h0) : h);
    first = 1;
  }
  for (let i = first; i < layers; i++) {
    const last = i === layers - 1;
    const w = spec.spectralNorm ? spectrallyNormalized(vars[`w${i}`]) : vars[`w${i}`];
    if (spec.ensemble === undefined && (last || !spec.layerNorm)) {
      // One fused kernel for product, bias and ReLU (the wasm kernel takes rank-1 biases only).
      h = tf.fused.matMul({ a: h, b: w, bias: vars[`b${i}`], activation: last ? 'linear' : 'relu' });
      continue;
    }
    h = tf.add(tf.matMul(h, w), vars[`b${i}`]);
    if (!last) h = tf.relu(spec.layerNorm ? layerNorm(h, vars[`g${i}`], vars[`h${i}`]) : h);
  }
  return h;
}

/** rows x w for sparse rows: the weight rows at the indices, scaled by the values and summed ([B, out], or [E, B, out] for w [E, in, out]). */
function sparseProduct(w: tf.Tensor, x: SparseRows, ensemble: boolean): tf.Tensor {
  const [b, k] = x.indices.shape as [number, number];
  const rows = tf.gather(w, tf.reshape(x.indices, [b * k]), ensemble ? 1 : 0); // [(E,) B*K, out]
  const out = w.shape[w.rank - 1];
  const lead = ensemble ? [w.shape[0]] : [];
  const scaled = tf.mul(tf.reshape(rows, [...lead, b, k, out]), tf.reshape(x.values, [b, k, 1]));
  return tf.sum(scaled, ensemble ? 2 : 1);
}

/** Power-iteration steps for a weight's largest singular value (from a fixed start: deterministic, no state to checkpoint). */
const POWER_ITERATIONS = 8;

/**
 * w / sigma(w), sigma the largest singular value of w [in, out] by power iteration from the
 * all-ones vector; the singular vectors are constants and sigma = u^T w v carries the gradient
 * (Miyato et al.'s spectral normalisation, without the persistent vector).
 */
export function spectrallyNormalized(w: tf.Tensor): tf.Tensor {
  if (w.rank !== 2) throw new RangeError('spectral normalisation applies to [in, out] weights (not ensembles)');
  const [, n] = w.shape as [number, number];
  const { u, v } = tf.tidy(() => {
    // A copy of the values: off the gradient tape (tfjs has no stop-gradient op).
    const wc = tf.tensor2d(w.dataSync() as Float32Array, w.shape as [number, number]);
    let v: tf.Tensor2D = tf.div(tf.ones([n, 1]), Math.sqrt(n));
    let u: tf.Tensor2D = tf.matMul(wc, v);
    for (let k = 0; k < POWER_ITERATIONS; k++) {
      u = tf.div(u, tf.add(tf.norm(u), 1e-12));
      v = tf.matMul(wc, u, true, false);
      v = tf.div(v, tf.add(tf.norm(v), 1e-12));
      u = tf.matMul(wc, v);
    }
    return { u: tf.div(u, tf.add(tf.norm(u), 1e-12)), v };
  });
  const sigma = tf.sum(tf.mul(tf.matMul(w as tf.Tensor2D, v), u));
  return tf.div(w, sigma);
}

/** Normalises the last axis to zero mean and unit variance, then scales and shifts (epsilon 1e-5). */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), gain), shift);
}

function checkSpec(spec: MlpSpec): void {
  if (spec.sizes.length < 2 || spec.sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`an MLP needs positive integer sizes [input, ..., output], got [${spec.sizes}]`);
  }
  if (spec.ensemble !== undefined && !(Number.isInteger(spec.ensemble) && spec.ensemble >= 1)) {
    throw new RangeError(`ensemble must be a positive integer, got ${spec.ensemble}`);
  }
}
