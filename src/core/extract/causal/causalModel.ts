import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { ExtractorModel, type ExtractorMeta } from '../builtin/extractorModel';
import type { Params } from '../builtin/network';
import { loadModelFiles, saveModelFiles, type NamedWeights } from '../builtin/weightsFile';
import { parseLabel } from '../semeval8';
import { CLASSIFIER_WEIGHTS, PairClassifier, type PairClassifierMeta, type PairClassifierWeights } from './pairClassifier';
import type { NominalPair } from './pairFeatures';
import { erasureRationale, type Rationale, type RationaleOf, type RationaleSettings } from './rationale';
import { learnedRationale, RationaleSelector, SELECTOR_WEIGHT, type SelectorMeta } from './rationaleSelector';

/**
 * The built-in causal model ("iReason-lite", the text half of iReason; spec labs.md 2.7):
 *
 * 1. a nominal tagger (the built-in extractor's tagger, one entity type `Nominal`) trained on
 *    SemEval-2010 Task 8's marked nominals, which finds the candidates in any text;
 * 2. a relation classifier over a pair of nominals (`pairClassifier.ts`), the 19 SemEval labels;
 * 3. the rationale module: a learned select-then-predict mask (`rationaleSelector.ts`), or, in
 *    models without one, erasure over the classifier (`rationale.ts`).
 *
 * Stored as `<name>.json` (format `model-lab-causal`) and `<name>.weights.bin` (`tagger.*`,
 * `cls.*` and `sel.w` weights, the large matrices uint8-quantised like the extractor's).
 */
export interface CausalMeta {
  format: 'model-lab-causal';
  version: 1;
  classifier: PairClassifierMeta;
  rationale: RationaleSettings;
  /** The learned rationale selector (absent in older models: their rationale is erasure). */
  selector?: SelectorMeta;
  /** Least probability of a Cause-Effect label for a pair of found nominals to be reported. */
  threshold: number;
  /** Longest gap (tokens) between two found nominals that are paired. */
  maxGap: number;
  /** The nominal tagger: an extractor whose only entity type is `Nominal` (its relation part is unused). */
  nominals: ExtractorMeta;
  training?: Record<string, unknown>;
}

/** A cause-effect decision between two nominals of a sentence (token spans), with its rationale. */
export interface CausalDecision {
  cause: { start: number; end: number };
  effect: { start: number; end: number };
  /** Probability of the Cause-Effect label in this direction. */
  p: number;
  rationale: Rationale;
}

export interface ClassifiedPair {
  pair: NominalPair;
  label: string;
  index: number;
  p: number;
}

export class CausalModel {
  readonly classifier: PairClassifier;
  readonly nominals: ExtractorModel;
  readonly selector?: RationaleSelector;

  constructor(readonly meta: CausalMeta, classifierWeights: PairClassifierWeights, taggerParams: Params, selectorWeights?: Float32Array) {
    this.classifier = new PairClassifier(meta.classifier, classifierWeights);
    this.nominals = new ExtractorModel(meta.nominals, taggerParams);
    if (meta.selector && selectorWeights) this.selector = new RationaleSelector(meta.selector, selectorWeights);
  }

  /** A copy of this model with `selector` as its rationale module (sharing the classifier and tagger). */
  withSelector(selector: RationaleSelector): CausalModel {
    return new CausalModel({ ...this.meta, selector: selector.meta }, this.classifier.weights, this.nominals.params, selector.weights);
  }

  /** The model's rationale module: the learned selector if it has one, else erasure. */
  readonly rationale: RationaleOf = (pair, label) => (this.selector
    ? learnedRationale(this.classifier, this.selector, pair, label, this.meta.rationale)
    : erasureRationale(this.classifier, pair, label, this.meta.rationale));

  static isCausalMeta(meta: Record<string, unknown>): boolean {
    return meta.format === 'model-lab-causal';
  }

  static async load(jsonFile: string): Promise<CausalModel> {
    const { meta, weights } = await loadModelFiles(jsonFile);
    if (!CausalModel.isCausalMeta(meta) || meta.version !== 1) throw new UserError('not a model-lab causal model (format/version)', undefined, jsonFile);
    const m = meta as unknown as CausalMeta;
    for (const n of CLASSIFIER_WEIGHTS) if (!weights[n]) throw new UserError(`causal model lacks weight "${n}"`, undefined, jsonFile);
    const cls = Object.fromEntries(CLASSIFIER_WEIGHTS.map((n) => [n, weights[n].values])) as unknown as PairClassifierWeights;
    const params: Params = {};
    for (const [name, w] of Object.entries(weights)) if (name.startsWith('tagger')) params[name] = tf.tensor(w.values, w.shape);
    if (m.selector && !weights[SELECTOR_WEIGHT]) throw new UserError(`causal model lacks weight "${SELECTOR_WEIGHT}"`, undefined, jsonFile);
    return new CausalModel(m, cls, params, m.selector && weights[SELECTOR_WEIGHT].values);
  }

  async save(dir: string, base = 'causal'): Promise<void> {
    const weights: NamedWeights = {};
    const { dim, hidden, labels, features } = this.meta.classifier;
    const shapes: Record<string, number[]> = {
      'cls.emb': [features.length + 1, dim], 'cls.w1': [dim, hidden], 'cls.b1': [hidden], 'cls.w2': [hidden, labels.length], 'cls.b2': [labels.length],
    };
    for (const n of CLASSIFIER_WEIGHTS) weights[n] = { shape: shapes[n], values: this.classifier.weights[n] };
    if (this.selector) weights[SELECTOR_WEIGHT] = { shape: [this.selector.weights.length], values: this.selector.weights };
    for (const [name, t] of Object.entries(this.nominals.params)) {
      if (name.startsWith('tagger')) weights[name] = { shape: t.shape, values: t.dataSync() as Float32Array };
    }
    await saveModelFiles(dir, base, this.meta as unknown as Record<string, unknown>, weights);
  }

  dispose(): void {
    this.nominals.dispose();
  }

  /** Whether `token` is a whole token of the tagger's training data. */
  isKnownToken = (token: string): boolean => this.nominals.isKnownToken(token);

  /**
   * Every pair of nominals the tagger finds in each sentence (ordered by position, at most
   * `maxGap` tokens apart), classified.
   */
  classifyPairs(sentences: string[][]): ClassifiedPair[][] {
    const spans = this.nominals.predictEntities(sentences);
    return sentences.map((tokens, s) => {
      const found = spans[s];
      const pairs: NominalPair[] = [];
      for (let i = 0; i < found.length; i++) {
        for (let j = i + 1; j < found.length; j++) {
          if (found[j].start - found[i].end > this.meta.maxGap) break;
          pairs.push({ tokens, e1: { start: found[i].start, end: found[i].end }, e2: { start: found[j].start, end: found[j].end } });
        }
      }
      return this.classifier.classify(pairs).map((c, k) => ({ pair: pairs[k], ...c }));
    });
  }

  /** The pairs whose label is Cause-Effect (either direction) with probability at least `threshold`, as cause and effect. */
  causeEffect(classified: ClassifiedPair[], threshold = this.meta.threshold): (Omit<CausalDecision, 'rationale'> & { pair: NominalPair; index: number })[] {
    return classified
      .filter((c) => parseLabel(c.label).relation === 'Cause-Effect' && c.p >= threshold)
      .map((c) => {
        const reversed = parseLabel(c.label).reversed;
        return { pair: c.pair, index: c.index, p: c.p, cause: reversed ? c.pair.e2 : c.pair.e1, effect: reversed ? c.pair.e1 : c.pair.e2 };
      });
  }

  /**
   * Cause-effect decisions of tokenised sentences: nominals found by the tagger, their pairs
   * classified, pairs labelled Cause-Effect with probability at least `threshold` reported
   * with their rationale.
   */
  decide(sentences: string[][]): CausalDecision[][] {
    return this.classifyPairs(sentences).map((classified) => this.causeEffect(classified).map(({ pair, index, ...d }) => ({
      ...d, rationale: this.rationale(pair, index),
    })));
  }
}
