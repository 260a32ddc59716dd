/**
 * Fits the attention predictor to labelled windows: class-balanced softmax cross-entropy
 * (each class weighs half, whatever the label balance), Adam, seeded minibatches.
 */
import * as tf from '@tensorflow/tfjs';
import type { WindowFeatures } from '../../src/core/freezing/smartfrz/features';
import { AttentionPredictor, stackFeatures, type PredictorConfig } from '../../src/core/freezing/smartfrz/predictor';
import { createRng, shuffledIndices } from '../../src/core/util/random';

export interface Example {
  features: WindowFeatures;
  label: boolean;
  run: string;
  unit: string;
  /** Optimizer steps done when the window ends. */
  step: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  log?: (msg: string) => void;
}

export async function fitPredictor(examples: Example[], config: PredictorConfig, o: FitOptions): Promise<AttentionPredictor> {
  const p = new AttentionPredictor(config, undefined, o.seed);
  const pos = examples.filter((e) => e.label).length;
  const neg = examples.length - pos;
  if (pos === 0 || neg === 0) throw new Error(`need both labels to train (positives ${pos}, negatives ${neg})`);
  const wPos = examples.length / (2 * pos);
  const wNeg = examples.length / (2 * neg);
  const optimizer = tf.train.adam(o.learningRate);
  const rng = createRng(o.seed);
  const vars = p.variables();
  // Batches must share the window length; group by it.
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => groups.set(e.features.older, [...(groups.get(e.features.older) ?? []), i]));
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let lossSum = 0;
    let batches = 0;
    for (const idxs of groups.values()) {
      const order = shuffledIndices(idxs.length, rng);
      for (let s = 0; s < order.length; s += o.batchSize) {
        const ids = Array.from(order.subarray(s, s + o.batchSize), (k) => idxs[k]);
        const batch = stackFeatures(ids.map((i) => examples[i].features), config.quantiles);
        const labels = tf.tensor1d(ids.map((i) => (examples[i].label ? 1 : 0)), 'int32');
        const weights = tf.tensor1d(ids.map((i) => (examples[i].label ? wPos : wNeg)));
        const loss = optimizer.minimize(() => {
          const out = p.forward(batch);
          const logp = tf.logSoftmax(out.logits);
          const picked = tf.sum(tf.mul(logp, tf.oneHot(labels, 2)), 1);
          tf.dispose([out.prob, out.attention]);
          return tf.div(tf.neg(tf.sum(tf.mul(picked, weights))), tf.sum(weights)) as tf.Scalar;
        }, true, vars);
        lossSum += loss ? (await loss.data())[0] : 0;
        batches++;
        tf.dispose([batch.query, batch.keys, labels, weights, loss as tf.Scalar]);
      }
    }
    if (o.log && (epoch % 10 === 9 || epoch === o.epochs - 1)) o.log(`  predictor epoch ${epoch + 1}/${o.epochs}: loss ${(lossSum / batches).toFixed(4)}`);
  }
  optimizer.dispose();
  return p;
}

export interface Scores {
  n: number;
  positives: number;
  accuracy: number;
  /** Mean of the per-class recalls (robust to label imbalance). */
  balancedAccuracy: number;
  /** Of the windows predicted "freeze", the fraction labelled freeze (false freezes cost accuracy). */
  precision: number;
  /** Of the windows labelled freeze, the fraction predicted "freeze" (misses cost savings). */
  recall: number;
}

export async function probabilities(p: AttentionPredictor, examples: Example[]): Promise<number[]> {
  const out = new Array<number>(examples.length);
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => groups.set(e.features.older, [...(groups.get(e.features.older) ?? []), i]));
  for (const idxs of groups.values()) {
    for (let s = 0; s < idxs.length; s += 256) {
      const ids = idxs.slice(s, s + 256);
      const batch = stackFeatures(ids.map((i) => examples[i].features), p.config.quantiles);
      const r = p.forward(batch);
      const probs = await r.prob.data();
      ids.forEach((i, k) => (out[i] = probs[k]));
      tf.dispose([batch.query, batch.keys, r.prob, r.logits, r.attention]);
    }
  }
  return out;
}

export function score(examples: Example[], probs: number[], threshold: number): Scores {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  examples.forEach((e, i) => {
    const yes = probs[i] >= threshold;
    if (yes && e.label) tp++;
    else if (yes) fp++;
    else if (e.label) fn++;
    else tn++;
  });
  const div = (a: number, b: number): number => (b > 0 ? a / b : NaN);
  return {
    n: examples.length,
    positives: tp + fn,
    accuracy: div(tp + tn, examples.length),
    balancedAccuracy: (div(tp, tp + fn) + div(tn, tn + fp)) / 2,
    precision: div(tp, tp + fp),
    recall: div(tp, tp + fn),
  };
}
