import * as tf from '@tensorflow/tfjs';
import { windowFeatures, type WindowFeatures } from './features';

/**
 * SmartFRZ's attention-based freezing predictor, as a handful of plain tf variables.
 *
 * query = MLP_q(newest movement), key_i = MLP_k(older_i), value_i = MLP_v(older_i),
 * a = softmax(q . k_i / sqrt(d)), z = sum_i a_i v_i, logits = MLP_out(z), P(freeze) = softmax(logits)[1].
 * Inputs are the permutation-invariant features of `features.ts` (quantiles of the sampled
 * kernel displacements plus one scalar: speed for the query, age for keys/values), which is why
 * the first layers are `quantiles + 1` wide rather than the spec's 1024 (the sample itself is
 * still 1024 values).
 */
export interface PredictorConfig {
  /** Kernel values sampled per snapshot ("layer tailoring"). */
  sampleSize: number;
  /** Quantile buckets each sampled vector is reduced to. */
  quantiles: number;
  /** Hidden width of the query/key/value MLPs. */
  hidden: number;
  /** Attention dimension d (output of the query/key/value MLPs). */
  dModel: number;
  /** Hidden width of the output MLP. */
  outHidden: number;
  /** Snapshots per window the predictor was trained with (W, the full window). */
  window: number;
  /**
   * Optimizer steps between two snapshots. Part of the predictor, not of the run: a window
   * always spans (window - 1) * snapshotEvery steps, whatever the epoch length.
   */
  snapshotEvery: number;
  /** Fewest snapshots a freezing stage needs (the predictor is trained on windows this short too). */
  minWindow: number;
}

/**
 * Decision settings shipped with a predictor, chosen by the offline pipeline on its calibration
 * pairs (generated pairs never fitted on); an experiment's own settings override them.
 */
export interface PredictorCalibration {
  /** P(freeze) at or above which a unit freezes. */
  threshold: number;
  /** Accuracy guard, points per epoch (see SmartFrzPolicy; files calibrated before `minLayerSimilarity`). */
  accuracyTolerance?: number;
  /** Per-layer convergence signal: least probe CKA between consecutive readings that may freeze. */
  minLayerSimilarity: number;
  /** The same bound for conv layers (absent in files calibrated before it: `minLayerSimilarity` applies to every layer). */
  minConvSimilarity?: number;
  /** Optimizer steps between two probe readings (absent in files calibrated before round 8, which read per epoch). */
  probeEvery?: number;
  /** Consecutive readings at or above `minLayerSimilarity` before a unit may freeze (absent: 1). */
  stableReadings?: number;
  /** Drift signal (absent: off): largest probe change over driftSpan readings over the mean change per reading that may freeze; replaces the CKA bounds. */
  maxDriftRatio?: number;
  /** Readings back the drift signal compares with (absent: `DEFAULT_DRIFT_SPAN`). */
  driftSpan?: number;
  /** The drift signal's span for conv layers, in optimizer steps (absent: `driftSpan` readings). */
  convDriftSteps?: number;
  /** Output guard (absent: off): least CKA of the model's predictions on the probe batch between consecutive readings that may freeze. */
  minOutputSimilarity?: number;
  /** Convergence guard: largest window directedness that may freeze. */
  maxDirectedness: number;
}

export const DEFAULT_PREDICTOR_CONFIG: PredictorConfig = {
  sampleSize: 1024, quantiles: 64, hidden: 64, dModel: 32, outHidden: 32, window: 30, snapshotEvery: 4, minWindow: 15,
};

interface Dense { w: tf.Variable; b: tf.Variable }

/** Weight names in a fixed order (the file format and the optimizer rely on it). */
function layerShapes(c: PredictorConfig): Array<[string, number, number]> {
  const kv = c.quantiles + 1;
  return [
    ['q0', kv, c.hidden], ['q1', c.hidden, c.hidden], ['q2', c.hidden, c.dModel],
    ['k0', kv, c.hidden], ['k1', c.hidden, c.hidden], ['k2', c.hidden, c.dModel],
    ['v0', kv, c.hidden], ['v1', c.hidden, c.hidden], ['v2', c.hidden, c.dModel],
    ['o0', c.dModel, c.outHidden], ['o1', c.outHidden, c.outHidden], ['o2', c.outHidden, 2],
  ];
}

export interface PredictorOutput {
  /** [B] P(freeze now). */
  prob: tf.Tensor1D;
  /** [B, 2] logits (not frozen, frozen). */
  logits: tf.Tensor2D;
  /** [B, M] attention weights over the older snapshots; each row sums to 1. */
  attention: tf.Tensor2D;
}

/** A batch of windows that all have the same number of snapshots, as tensors. */
export interface FeatureBatch {
  /** [B, quantiles + 1] */
  query: tf.Tensor2D;
  /** [B, M, quantiles + 1] */
  keys: tf.Tensor3D;
}

export class AttentionPredictor {
  readonly layers: Record<string, Dense>;
  /** Calibrated decision settings, when the weights file has them. */
  calibration?: Partial<PredictorCalibration>;

  constructor(readonly config: PredictorConfig, weights?: Record<string, { w: Float32Array; b: Float32Array }>, seed = 1) {
    this.layers = {};
    let s = seed;
    for (const [name, fanIn, fanOut] of layerShapes(config)) {
      const given = weights?.[name];
      if (weights && !given) throw new Error(`predictor weights lack layer "${name}"`);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const w = given
        ? tf.tensor2d(given.w, [fanIn, fanOut])
        : tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', s++);
      const b = given ? tf.tensor1d(given.b) : tf.zeros([fanOut]);
      if (w.size !== fanIn * fanOut || b.size !== fanOut) throw new Error(`predictor layer "${name}" has the wrong shape`);
      this.layers[name] = { w: tf.variable(w, true), b: tf.variable(b, true) };
      w.dispose();
      b.dispose();
    }
  }

  /** All trainable variables (for an optimizer). */
  variables(): tf.Variable[] {
    return Object.values(this.layers).flatMap((l) => [l.w, l.b]);
  }

  private mlp(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    let h = x;
    for (let i = 0; i < 3; i++) {
      const l = this.layers[`${prefix}${i}`];
      h = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
      if (i < 2) h = tf.relu(h);
    }
    return h;
  }

  /** Forward pass on precomputed features (differentiable w.r.t. the predictor's variables). */
  forward(batch: FeatureBatch): PredictorOutput {
    return tf.tidy(() => {
      const [b, m, kw] = batch.keys.shape;
      const d = this.config.dModel;
      const q = this.mlp(batch.query, 'q');
      const flat = batch.keys.reshape([b * m, kw]) as tf.Tensor2D;
      const k = this.mlp(flat, 'k').reshape([b, m, d]);
      const v = this.mlp(flat, 'v').reshape([b, m, d]);
      const scores = tf.sum(tf.mul(k, q.reshape([b, 1, d])), 2).div(Math.sqrt(d)) as tf.Tensor2D;
      const attention = tf.softmax(scores) as tf.Tensor2D;
      const z = tf.sum(tf.mul(v, attention.reshape([b, m, 1])), 1) as tf.Tensor2D;
      const logits = this.mlp(z, 'o');
      const prob = tf.softmax(logits).slice([0, 1], [b, 1]).reshape([b]) as tf.Tensor1D;
      return { prob, logits, attention };
    });
  }

  /** Features of windows (each oldest first, all of the same length) as a tensor batch. */
  featureBatch(windows: Float32Array[][]): FeatureBatch {
    const c = this.config;
    return stackFeatures(windows.map((w) => windowFeatures(w, c.quantiles, c.snapshotEvery, c.window - 1)), c.quantiles);
  }

  /** P(freeze) for each window (windows must share their snapshot count). */
  async predict(windows: Float32Array[][]): Promise<number[]> {
    if (windows.length === 0) return [];
    const batch = this.featureBatch(windows);
    const out = this.forward(batch);
    const p = Array.from(await out.prob.data());
    tf.dispose([batch.query, batch.keys, out.prob, out.logits, out.attention]);
    return p;
  }

  /** Weights as plain arrays, in `layerShapes` order. */
  async exportWeights(): Promise<Record<string, { w: Float32Array; b: Float32Array }>> {
    const out: Record<string, { w: Float32Array; b: Float32Array }> = {};
    for (const [name, l] of Object.entries(this.layers)) {
      out[name] = { w: (await l.w.data()) as Float32Array, b: (await l.b.data()) as Float32Array };
    }
    return out;
  }

  dispose(): void {
    for (const l of Object.values(this.layers)) tf.dispose([l.w, l.b]);
  }
}

/** Stacks per-window features (all with the same number of older snapshots) into tensors. */
export function stackFeatures(feats: WindowFeatures[], quantiles: number): FeatureBatch {
  const b = feats.length;
  const m = feats[0].older;
  if (feats.some((f) => f.older !== m)) throw new Error('all windows in a predictor batch need the same number of snapshots');
  const w = quantiles + 1;
  const q = new Float32Array(b * w);
  const k = new Float32Array(b * m * w);
  feats.forEach((f, i) => {
    q.set(f.query, i * w);
    k.set(f.keys, i * m * w);
  });
  return { query: tf.tensor2d(q, [b, w]), keys: tf.tensor3d(k, [b, m, w]) };
}
