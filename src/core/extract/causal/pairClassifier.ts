import { FeatureVocab } from '../builtin/features';
import { embedBagValues, packIds } from '../builtin/network';
import { pairFeatures, type NominalPair } from './pairFeatures';

/**
 * The causal model's relation classifier: the sum of the pair's feature embeddings -> one ReLU
 * layer -> softmax over the 19 SemEval labels. Inference is plain JavaScript (a few thousand
 * multiply-adds per pair), so the rationale module can afford to run it once per erased token.
 */
export interface PairClassifierMeta {
  labels: string[];
  features: string[];
  dim: number;
  hidden: number;
}

/** Weight names: `cls.emb` `[features + 1, dim]`, `cls.w1` `[dim, hidden]`, `cls.b1`, `cls.w2` `[hidden, labels]`, `cls.b2`. */
export interface PairClassifierWeights {
  'cls.emb': Float32Array;
  'cls.w1': Float32Array;
  'cls.b1': Float32Array;
  'cls.w2': Float32Array;
  'cls.b2': Float32Array;
}

export const CLASSIFIER_WEIGHTS = ['cls.emb', 'cls.w1', 'cls.b1', 'cls.w2', 'cls.b2'] as const;

export class PairClassifier {
  readonly vocab: FeatureVocab;

  constructor(readonly meta: PairClassifierMeta, readonly weights: PairClassifierWeights) {
    this.vocab = new FeatureVocab(meta.features);
  }

  /** Label probabilities of each pair (`labels` order). */
  probabilities(pairs: NominalPair[]): Float32Array[] {
    const { dim, hidden } = this.meta;
    const classes = this.meta.labels.length;
    const lists = pairs.map((p) => this.vocab.ids(pairFeatures(p)));
    const { ids, mask, k } = packIds(lists);
    const x = embedBagValues(this.weights['cls.emb'], dim, ids, mask, k);
    const { 'cls.w1': w1, 'cls.b1': b1, 'cls.w2': w2, 'cls.b2': b2 } = this.weights;
    const h = new Float32Array(hidden);
    return pairs.map((_, n) => {
      for (let j = 0; j < hidden; j++) {
        let s = b1[j];
        for (let d = 0; d < dim; d++) s += x[n * dim + d] * w1[d * hidden + j];
        h[j] = s > 0 ? s : 0;
      }
      const out = new Float32Array(classes);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = b2[c];
        for (let j = 0; j < hidden; j++) s += h[j] * w2[j * classes + c];
        out[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) { out[c] = Math.exp(out[c] - max); sum += out[c]; }
      for (let c = 0; c < classes; c++) out[c] /= sum;
      return out;
    });
  }

  /** The most probable label of each pair, with its probability. */
  classify(pairs: NominalPair[]): { label: string; index: number; p: number }[] {
    return this.probabilities(pairs).map((probs) => {
      let index = 0;
      for (let c = 1; c < probs.length; c++) if (probs[c] > probs[index]) index = c;
      return { label: this.meta.labels[index], index, p: probs[index] };
    });
  }
}
