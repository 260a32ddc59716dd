import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { TrainingSession } from '../../train/loop';
import { countFeatures, FeatureVocab } from '../builtin/features';
import { embedBag, packIds } from '../builtin/network';
import type { PairClassifier } from './pairClassifier';
import { onlyTokens, rationaleCandidates, withoutTokens, type NominalPair } from './pairFeatures';
import { RationaleSelector, SELECTOR_WEIGHT as SELECTOR, selectorFeatures } from './rationaleSelector';

/**
 * Training of the learned rationale selector (`rationaleSelector.ts`) against a trained relation
 * classifier, which stays fixed: Lei et al. (2016)'s generator objective with the classifier as
 * the predictor, and ERASER's two faithfulness measures as the reward. For each pair, the label
 * `y` the classifier predicts from the whole sentence is explained; `samples` masks `z` are drawn
 * from the selector, and each is rewarded
 *
 *   R(z) = p(y | only z and the nominals) + [p(y | x) - p(y | x without z)] - sparsity * |z|
 *
 * (sufficiency, comprehensiveness, length). The gradient is REINFORCE's, with the mean reward of
 * the pair's other samples as the baseline; the classifier is plain JavaScript and never
 * differentiated, so erasing words means the same here as when the rationale is scored.
 */
export interface TrainSelectorOptions {
  classifier: PairClassifier;
  pairs: NominalPair[];
  epochs?: number;
  batchSize?: number;
  /** Masks drawn per pair and step (at least 2: the others' mean is each one's baseline). */
  samples?: number;
  /** Reward lost per selected word. */
  sparsity?: number;
  learningRate?: number;
  /** Features seen fewer times over the training words are dropped (10 keeps the shipped model small: 15k of 136k). */
  minFeatureCount?: number;
  seed?: number;
  shouldStop?: () => boolean;
  onEpoch?: (e: { epoch: number; epochs: number; reward: number; selected: number }) => void;
}

export async function trainRationaleSelector(opts: TrainSelectorOptions): Promise<RationaleSelector> {
  const { classifier, pairs, epochs = 3, batchSize = 32, samples = 4, sparsity = 0.1, learningRate = 0.05, minFeatureCount = 10, seed = 1 } = opts;
  if (pairs.length === 0) throw new UserError('training data is empty', '/data');
  if (samples < 2) throw new RangeError('samples must be at least 2');
  // The decisions to explain, and each candidate word's features for them.
  const decisions = classifier.classify(pairs);
  const candidates = pairs.map((p) => rationaleCandidates(p));
  const feats = pairs.map((p, n) => candidates[n].map((i) => selectorFeatures(p, i, decisions[n].label)));
  const vocab = FeatureVocab.fromCounts(countFeatures(feats.flat()), minFeatureCount);
  const ids = feats.map((perWord) => perWord.map((f) => vocab.ids(f)));

  const session = new TrainingSession({ seed });
  try {
    const v = session.addVariables('selector', { [SELECTOR]: tf.zeros([vocab.size, 1]) }, { optimizer: { type: 'adam', learningRate } });
    let rewardSum = 0, selectedSum = 0, count = 0;
    await session.run([{
      name: 'selector',
      epochs,
      stepsPerEpoch: Math.ceil(pairs.length / batchSize),
      trainable: 'selector',
      loss: (ctx) => {
        const batch = Array.from(ctx.batch(pairs.length, batchSize)).filter((n) => candidates[n].length > 0);
        const lists = batch.flatMap((n) => ids[n]);
        if (lists.length === 0) return tf.scalar(0).mul(v[SELECTOR].sum());
        // Sample masks from the current selection probabilities (read from the weights in JavaScript).
        const w = v[SELECTOR].dataSync() as Float32Array;
        const probs = lists.map((l) => 1 / (1 + Math.exp(-l.reduce((s, id) => s + w[id], 0))));
        const variants: NominalPair[] = [];
        const masks: boolean[][][] = [];
        let offset = 0;
        for (const n of batch) {
          const words = candidates[n];
          const perPair: boolean[][] = [];
          for (let k = 0; k < samples; k++) {
            const z = words.map((_, j) => session.rng.next() < probs[offset + j]);
            const chosen = new Set(words.filter((_, j) => z[j]));
            variants.push(onlyTokens(pairs[n], chosen), withoutTokens(pairs[n], chosen));
            perPair.push(z);
          }
          masks.push(perPair);
          offset += words.length;
        }
        const q = classifier.probabilities([...batch.map((n) => pairs[n]), ...variants]);
        // Coefficients of log sigma(l) and log sigma(-l) per word: sum over samples of advantage * z (resp. 1 - z).
        const onCoef = new Float32Array(lists.length);
        const offCoef = new Float32Array(lists.length);
        offset = 0;
        batch.forEach((n, b) => {
          const y = decisions[n].index;
          const full = q[b][y];
          const rewards = masks[b].map((z, k) => {
            const only = q[batch.length + 2 * (b * samples + k)][y];
            const without = q[batch.length + 2 * (b * samples + k) + 1][y];
            return only + (full - without) - sparsity * z.filter(Boolean).length;
          });
          const total = rewards.reduce((s, r) => s + r, 0);
          masks[b].forEach((z, k) => {
            const advantage = rewards[k] - (total - rewards[k]) / (samples - 1);
            z.forEach((on, j) => { if (on) onCoef[offset + j] += advantage; else offCoef[offset + j] += advantage; });
            rewardSum += rewards[k];
            selectedSum += z.filter(Boolean).length;
            count++;
          });
          offset += candidates[n].length;
        });
        const packed = packIds(lists);
        const logits = embedBag(v[SELECTOR], tf.tensor2d(packed.ids, [lists.length, packed.k], 'int32'), tf.tensor2d(packed.mask, [lists.length, packed.k])).reshape([-1]);
        // -log sigma(l) = softplus(-l), -log sigma(-l) = softplus(l).
        const negLogLikelihood = tf.softplus(logits.neg()).mul(tf.tensor1d(onCoef)).add(tf.softplus(logits).mul(tf.tensor1d(offCoef))).sum();
        return negLogLikelihood.div(batch.length * samples) as tf.Scalar;
      },
      epochEnd: (ctx) => {
        opts.onEpoch?.({ epoch: ctx.epoch + 1, epochs, reward: rewardSum / Math.max(1, count), selected: selectedSum / Math.max(1, count) });
        rewardSum = 0; selectedSum = 0; count = 0;
      },
    }], { shouldStop: () => opts.shouldStop?.() ?? false }).then((r) => { if (r.status === 'stopped') throw new UserError('training cancelled'); });
    const weights = v[SELECTOR].dataSync().slice() as Float32Array;
    return new RationaleSelector({
      features: vocab.features,
      training: { pairs: pairs.length, epochs, batchSize, samples, sparsity, learningRate, minFeatureCount, seed },
    }, weights);
  } finally {
    session.dispose();
  }
}
