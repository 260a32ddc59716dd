import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { TrainingSession } from '../../train/loop';
import { countFeatures, FeatureVocab } from '../builtin/features';
import { embedBag, packIds } from '../builtin/network';
import { CLASSIFIER_WEIGHTS, PairClassifier, type PairClassifierWeights } from './pairClassifier';
import { pairFeatures, type NominalPair } from './pairFeatures';
import { semEvalScore } from './semevalScore';

/**
 * Training of the causal model's relation classifier (`pairClassifier.ts`) with the labs'
 * `TrainingSession`: Adam, feature dropout and dropout, a linearly decaying learning rate; with
 * dev examples the epoch with the best official score (macro-F1) on them is kept.
 */
export interface LabelledPair extends NominalPair {
  label: string;
}

export interface TrainPairClassifierOptions {
  train: LabelledPair[];
  dev?: LabelledPair[];
  labels: readonly string[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  dim?: number;
  hidden?: number;
  dropout?: number;
  featureDropout?: number;
  minFeatureCount?: number;
  seed?: number;
  shouldStop?: () => boolean;
  onEpoch?: (e: { epoch: number; epochs: number; loss: number; devMacroF1?: number; devCauseEffectF1?: number }) => void;
}

export interface TrainedPairClassifier {
  classifier: PairClassifier;
  /** 1-based epoch kept (the dev-best one, else the last). */
  epoch: number;
  devMacroF1?: number;
}

export async function trainPairClassifier(opts: TrainPairClassifierOptions): Promise<TrainedPairClassifier> {
  const {
    train, dev, labels, epochs = 12, batchSize = 32, learningRate = 0.003, dim = 64, hidden = 128,
    dropout = 0.5, featureDropout = 0.25, minFeatureCount = 2, seed = 1,
  } = opts;
  if (train.length === 0) throw new UserError('training data is empty', '/data');
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  for (const p of train) if (!labelIndex.has(p.label)) throw new UserError(`unknown label "${p.label}"`, '/data');
  const feats = train.map(pairFeatures);
  const vocab = FeatureVocab.fromCounts(countFeatures(feats), minFeatureCount);
  const ids = feats.map((f) => vocab.ids(f));
  const y = train.map((p) => labelIndex.get(p.label)!);
  const classes = labels.length;
  const meta = { labels: [...labels], features: vocab.features, dim, hidden };

  const session = new TrainingSession({ seed });
  try {
    const glorot = (shape: [number, number]) => {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      return tf.randomUniform(shape, -limit, limit, 'float32', session.nextSeed());
    };
    const v = session.addVariables('classifier', {
      'cls.emb': tf.randomNormal([vocab.size, dim], 0, 0.05, 'float32', session.nextSeed()),
      'cls.w1': glorot([dim, hidden]),
      'cls.b1': tf.zeros([hidden]),
      'cls.w2': glorot([hidden, classes]),
      'cls.b2': tf.zeros([classes]),
    }, { optimizer: { type: 'adam', learningRate } });
    const current = (): PairClassifierWeights => Object.fromEntries(CLASSIFIER_WEIGHTS.map((n) => [n, v[n].dataSync().slice() as Float32Array])) as unknown as PairClassifierWeights;

    let best: { weights: PairClassifierWeights; epoch: number; f1: number } | undefined;
    let lossSum = 0;
    let steps = 0;
    const stepsPerEpoch = Math.ceil(train.length / batchSize);
    await session.run([{
      name: 'classifier',
      epochs,
      stepsPerEpoch,
      trainable: 'classifier',
      loss: (ctx) => {
        const batch = Array.from(ctx.batch(train.length, batchSize));
        const lists = batch.map((i) => ids[i].filter(() => session.rng.next() >= featureDropout));
        const packed = packIds(lists);
        let x = embedBag(v['cls.emb'], tf.tensor2d(packed.ids, [lists.length, packed.k], 'int32'), tf.tensor2d(packed.mask, [lists.length, packed.k]));
        x = tf.dropout(x, dropout, undefined, session.nextSeed()) as tf.Tensor2D;
        let h = tf.relu(x.matMul(v['cls.w1']).add(v['cls.b1'])) as tf.Tensor2D;
        h = tf.dropout(h, dropout, undefined, session.nextSeed()) as tf.Tensor2D;
        const logits = h.matMul(v['cls.w2']).add(v['cls.b2']);
        const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.map((i) => y[i]), 'int32'), classes), logits) as tf.Scalar;
        return loss;
      },
      epochEnd: (ctx) => {
        const epoch = ctx.epoch + 1;
        // Linear decay to 10% of the initial rate over the run (the rate of the next epoch).
        session.setLearningRate('classifier', learningRate * (1 - 0.9 * Math.min(1, epochs > 1 ? epoch / (epochs - 1) : 1)));
        let devMacroF1: number | undefined;
        let devCauseEffectF1: number | undefined;
        if (dev && dev.length > 0) {
          const weights = current();
          const predicted = new PairClassifier(meta, weights).classify(dev).map((c) => c.label);
          const score = semEvalScore(dev.map((p) => p.label), predicted);
          devMacroF1 = score.macroF1;
          devCauseEffectF1 = score.relations['Cause-Effect']?.f1;
          if (!best || devMacroF1 > best.f1) best = { weights, epoch, f1: devMacroF1 };
          session.report('devMacroF1', devMacroF1);
        }
        opts.onEpoch?.({ epoch, epochs, loss: lossSum / Math.max(1, steps), devMacroF1, devCauseEffectF1 });
        lossSum = 0;
        steps = 0;
      },
    }], {
      shouldStop: () => opts.shouldStop?.() ?? false,
      onStep: (r) => { lossSum += r.metrics.loss ?? 0; steps++; },
    }).then((r) => { if (r.status === 'stopped') throw new UserError('training cancelled'); });
    const kept = best ?? { weights: current(), epoch: epochs, f1: undefined };
    return { classifier: new PairClassifier(meta, kept.weights), epoch: kept.epoch, devMacroF1: kept.f1 };
  } finally {
    session.dispose();
  }
}
