import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { conll04ToDocument, type Conll04Sentence } from '../conll04';
import { scoreExtraction, type ExtractionScores, type ScoredSentence } from '../eval';
import type { ExtractionSchema } from '../schema';
import { bilouTags, spansToTagIds, type TokenSpan } from './bilou';
import { ExtractorModel, bestRelation, type ExtractorMeta, type PredictedRelation } from './extractorModel';
import { FeatureVocab, buildGazetteer, countFeatures, relationFeatures, tokenFeatures, type GazetteerEntries } from './features';
import { buildCharVocab, charIds, charIndex, type CharCnnConfig } from './charCnn';
import { crfConstraints, crfLoss } from './crf';
import { buildLexicon, type Lexicon } from './lexicon';
import { indexWordLists, type WordIndex, type WordLists } from './wordLists';
import { initialParams, initialTaggerParams, packIds, relationLogits, taggerLogits, taggerPrefix, type Params } from './network';
import { yieldToEventLoop } from '../../util/eventLoop';

/**
 * Training of the built-in extractor (the `extract-train` experiment kind and
 * `scripts/extract/train-builtin.ts`). The tagger and the relation classifier are trained
 * one after the other on gold annotations; the epoch with the best dev score is kept and the
 * relation threshold is chosen on dev with predicted entities (the setting that is scored).
 */
export interface TrainExtractorOptions {
  train: Conll04Sentence[];
  /** Held-out sentences for model selection; without them the last epoch is kept. */
  dev?: Conll04Sentence[];
  /** Entity and relation types; defaults to those found in the training data. */
  schema?: ExtractionSchema;
  taggerEpochs?: number;
  relationEpochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Feature embedding width, hidden widths. */
  dim?: number;
  hidden?: number;
  relationDim?: number;
  relationHidden?: number;
  dropout?: number;
  /**
   * Number of taggers trained with different seeds whose tag probabilities are averaged at
   * prediction time (default 1). Each member keeps its own best dev epoch.
   */
  taggerEnsemble?: number;
  /** Fraction of a token's features dropped at random per step (default 0.15). */
  featureDropout?: number;
  /** Width per direction of a bidirectional GRU layer in the tagger (default 0: none). */
  rnn?: number;
  /**
   * Decay of an exponential moving average of the tagger weights, which is evaluated on dev and
   * kept instead of the raw weights (default 0: no averaging; e.g. 0.99). Smooths the
   * epoch-to-epoch noise of a small training set.
   */
  weightAverage?: number;
  /**
   * Filters of a character-level CNN word encoder in each tagger (`charCnn.ts`; default 0: none).
   * Its character embeddings have `charDim` values (default 16).
   */
  charCnn?: number;
  charDim?: number;
  /**
   * Name dropout (default 0): with this probability per training entity and step, its tokens'
   * identity features (the word, its lower case, character trigrams, 4-character affixes,
   * gazetteer hits) are hidden, so the tagger also learns to find names it has never seen from
   * their shape, short affixes, word lists and context.
   */
  nameDropout?: number;
  /** Train the tagger as a linear-chain CRF (`crf.ts`) instead of per-token softmax (default false). */
  crf?: boolean;
  /** Dictionary and place lists for token features, stored in the model (`wordLists.ts`). */
  wordLists?: WordLists;
  /** Fix the relation threshold instead of choosing it on dev (e.g. when training on train+dev). */
  relationThreshold?: number;
  /** Features seen fewer times in training are dropped (smaller model, less overfitting). */
  minFeatureCount?: number;
  /** The same for the relation classifier's features (default: `minFeatureCount`). */
  relationMinFeatureCount?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (e: TrainProgress) => void;
}

export type TrainProgress =
  | { phase: 'tagger'; member?: number; epoch: number; epochs: number; loss: number; devEntityF1?: number; seconds: number }
  | { phase: 'ensemble'; members: number; devEntityF1: number }
  | { phase: 'relation'; epoch: number; epochs: number; loss: number; devRelationF1?: number; seconds: number }
  | { phase: 'threshold'; threshold: number; devRelationF1: number };

export interface TrainExtractorResult {
  model: ExtractorModel;
  /** Scores on `dev` with the final model (predicted entities feed the relation classifier). */
  dev?: ExtractionScores;
}

/** Deterministic PRNG (mulberry32) for shuffling and feature dropout. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(xs: T[], rand: () => number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Gazetteer features for training sentences come from the *other* half of the training data
 * (2-fold), so the tagger learns how much to trust a gazetteer hit on unseen text instead of
 * learning that every training entity is in the gazetteer.
 */
function crossFoldTokenFeatures(train: Conll04Sentence[], lexicon: Lexicon, words?: WordIndex): string[][][] {
  const halves = [train.filter((_, i) => i % 2 === 0), train.filter((_, i) => i % 2 === 1)];
  const gaz = [buildGazetteer(halves[1]), buildGazetteer(halves[0])];
  return train.map((s, i) => tokenFeatures(s.tokens, gaz[i % 2], lexicon, words));
}

function schemaFromData(train: Conll04Sentence[]): { entityTypes: string[]; relations: ExtractorMeta['relations'] } {
  const entityTypes = [...new Set(train.flatMap((s) => s.entities.map((e) => e.type)))].sort();
  const rel = new Map<string, { type: string; head: string; tail: string }>();
  for (const s of train) {
    for (const r of s.relations) {
      const key = `${r.type}|${s.entities[r.head].type}|${s.entities[r.tail].type}`;
      rel.set(key, { type: r.type, head: s.entities[r.head].type, tail: s.entities[r.tail].type });
    }
  }
  return { entityTypes, relations: [...rel.values()].sort((a, b) => a.type.localeCompare(b.type) || a.head.localeCompare(b.head)) };
}

/** The seed of an extractor training that names none (recorded in the run's provenance). */
export const DEFAULT_EXTRACT_SEED = 1;

export async function trainExtractor(opts: TrainExtractorOptions): Promise<TrainExtractorResult> {
  const {
    train, dev, taggerEpochs = 10, relationEpochs = 8, batchSize = 16, learningRate = 0.003,
    dim = 64, hidden = 128, relationDim = 64, relationHidden = 64, dropout = 0.35, featureDropout = 0.15, minFeatureCount = 1, seed = DEFAULT_EXTRACT_SEED, taggerEnsemble = 1,
    crf = false, wordLists, rnn = 0, weightAverage = 0, charCnn = 0, charDim = 16, nameDropout = 0,
  } = opts;
  if (!Number.isInteger(charCnn) || charCnn < 0) throw new UserError('must be a non-negative integer', '/training/charCnn');
  if (!Number.isInteger(taggerEnsemble) || taggerEnsemble < 1) throw new UserError('must be a positive integer', '/training/taggerEnsemble');
  if (train.length === 0) throw new UserError('training data is empty', '/data');
  const types = opts.schema
    ? { entityTypes: opts.schema.entities.map((e) => e.type), relations: opts.schema.relations.map((r) => ({ type: r.type, head: r.head, tail: r.tail })) }
    : schemaFromData(train);
  const known = new Set(types.entityTypes);
  for (const [i, s] of train.entries()) {
    for (const e of s.entities) if (!known.has(e.type)) throw new UserError(`entity type "${e.type}" is not in the schema`, `/${i}/tags`);
  }
  const rand = rng(seed);

  // Feature vocabularies.
  const trainTokFeats = crossFoldTokenFeatures(train, buildLexicon(wordLists?.places), wordLists && indexWordLists(wordLists));
  const tagCounts = countFeatures(trainTokFeats.flat());
  // Whole-token features are always kept: the tokenizer uses them to recognise known tokens.
  for (const s of train) for (const t of s.tokens) tagCounts.set(`w=${t}`, Math.max(minFeatureCount, tagCounts.get(`w=${t}`) ?? 0));
  const tagVocab = FeatureVocab.fromCounts(tagCounts, minFeatureCount);
  const relationTypeIndex = new Map(types.relations.map((r, i) => [`${r.type}|${r.head}|${r.tail}`, i + 1]));
  const relItems = buildRelationItems(train, types.relations, relationTypeIndex);
  const relationMinFeatureCount = opts.relationMinFeatureCount ?? minFeatureCount;
  const relVocab = FeatureVocab.fromCounts(countFeatures(relItems.map((it) => it.features)), relationMinFeatureCount);
  const gazetteer: GazetteerEntries = buildGazetteer(train);

  const charConfig: CharCnnConfig | undefined = charCnn > 0
    ? { chars: buildCharVocab(train.flatMap((s) => s.tokens)), dim: charDim, filters: charCnn } : undefined;
  const chars = charConfig && charIndex(charConfig);

  const nTags = bilouTags(types.entityTypes).length;
  const taggerShape = { features: tagVocab.size, dim, hidden, tags: nTags, crf, rnn, ...(charConfig ? { charCnn: charConfig } : {}) };
  const params = initialParams(
    taggerShape,
    { features: relVocab.size, dim: relationDim, hidden: relationHidden, classes: types.relations.length + 1 },
    seed,
  );
  for (let m = 1; m < taggerEnsemble; m++) {
    Object.assign(params, initialTaggerParams(taggerShape, seed + 1000 * m, taggerPrefix(m)));
  }
  const meta: ExtractorMeta = {
    format: 'model-lab-extractor',
    version: 1,
    entityTypes: types.entityTypes,
    relations: types.relations,
    tagger: { features: tagVocab.features, dim, hidden, lexicon: true, ...(taggerEnsemble > 1 ? { ensemble: taggerEnsemble } : {}),
      ...(crf ? { crf: true } : {}), ...(wordLists ? { wordLists } : {}), ...(charConfig ? { charCnn: charConfig } : {}) },
    relation: { features: relVocab.features, dim: relationDim, hidden: relationHidden, threshold: opts.relationThreshold ?? 0.5 },
    gazetteer,
  };
  const model = new ExtractorModel(meta, params);
  const devGold = dev?.map((s) => goldScored(s));
  const devTokens = dev?.map((s) => s.tokens);

  // --- Tagger ---
  const constraints = crfConstraints(types.entityTypes);
  const tagData = train.map((s, i) => ({
    tokens: s.tokens, ids: trainTokFeats[i].map((f) => tagVocab.ids(f)), tags: spansToTagIds(s.tokens.length, s.entities, types.entityTypes),
    entities: s.entities,
    anonymousIds: nameDropout > 0 ? trainTokFeats[i].map((f) => tagVocab.ids(f.filter((x) => !isIdentityFeature(x)))) : [],
  }));
  for (let member = 0; member < taggerEnsemble; member++) {
    const prefix = `${taggerPrefix(member)}.`;
    // Dev scores of this member alone: a single-tagger model over the member's weights.
    const view: Params = { ...params };
    for (const [n, v] of Object.entries(params)) if (n.startsWith(prefix)) view[`tagger.${n.slice(prefix.length)}`] = v;
    const memberMeta = { ...meta, tagger: { ...meta.tagger, ensemble: 1 } };
    const taggerNames = Object.keys(params).filter((n) => n.startsWith(prefix));
    const taggerVars = taggerNames.map((n) => params[n]);
    // Exponential moving average of the weights (when `weightAverage` > 0): evaluated and kept instead of the raw weights.
    const ema = weightAverage > 0 ? new Map(taggerNames.map((n) => [n, params[n].clone()])) : undefined;
    let steps = 0;
    const evalView: Params = { ...view };
    const memberModel = new ExtractorModel(memberMeta, ema ? evalView : view);
    const optimizer = tf.train.adam(learningRate);
    let best = -1;
    let bestValues: Map<string, tf.Tensor> | undefined;
    for (let epoch = 0; epoch < taggerEpochs; epoch++) {
      checkAborted(opts.signal);
      const t0 = Date.now();
      setLearningRate(optimizer, decayedRate(learningRate, epoch, taggerEpochs));
      let lossSum = 0;
      let batches = 0;
      for (const batch of lengthBucketedBatches(tagData, batchSize, rand)) {
        const length = Math.max(...batch.map((s) => s.tags.length));
        const lists: number[][] = [];
        const labels = new Int32Array(batch.length * length);
        const weights = new Float32Array(batch.length * length);
        batch.forEach((s, i) => {
          const anonymous = new Set<number>();
          if (nameDropout > 0) for (const e of s.entities) if (rand() < nameDropout) for (let t = e.start; t < e.end; t++) anonymous.add(t);
          for (let t = 0; t < length; t++) {
            if (t < s.tags.length) {
              lists.push(dropFeatures(anonymous.has(t) ? s.anonymousIds[t] : s.ids[t], rand, featureDropout));
              labels[i * length + t] = s.tags[t];
              weights[i * length + t] = 1;
            } else lists.push([]);
          }
        });
        const { ids, mask, k } = packIds(lists);
        const c = chars && charIds(batch.flatMap((s) => Array.from({ length }, (_, t) => (t < s.tokens.length ? s.tokens[t] : null))), chars);
        const dropoutSeed = Math.floor(rand() * 2 ** 30);
        const loss = optimizer.minimize(() => {
          const charInput = c && { ids: tf.tensor2d(c.ids, [lists.length, c.width], 'int32'), mask: tf.tensor2d(c.mask, [lists.length, c.width]) };
          const logits = taggerLogits(params, { ids: tf.tensor2d(ids, [lists.length, k], 'int32'), mask: tf.tensor2d(mask, [lists.length, k]) }, batch.length, length, dropout,
            taggerPrefix(member), dropoutSeed, batch.map((s) => s.tags.length), charInput);
          if (crf) {
            const p = taggerPrefix(member);
            return crfLoss(logits, batch.map((s) => s.tags), { trans: params[`${p}.crf.trans`], start: params[`${p}.crf.start`], end: params[`${p}.crf.end`] }, constraints);
          }
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), nTags), logits.reshape([-1, nTags]), tf.tensor1d(weights)) as tf.Scalar;
        }, true, taggerVars);
        lossSum += (await loss!.data())[0];
        loss!.dispose();
        batches++;
        if (ema) {
          // Warm-up as in TensorFlow's ExponentialMovingAverage: early averages forget the initial weights quickly.
          const d = Math.min(weightAverage, (1 + steps) / (10 + steps));
          steps++;
          for (const n of taggerNames) {
            const old = ema.get(n)!;
            ema.set(n, tf.tidy(() => old.mul(d).add(params[n].mul(1 - d))));
            old.dispose();
          }
        }
        await yieldToEventLoop();
        checkAborted(opts.signal);
      }
      if (ema) for (const [n, t] of ema) evalView[`tagger.${n.slice(prefix.length)}`] = t;
      let devEntityF1: number | undefined;
      if (dev && devGold && devTokens) {
        const pred = memberModel.predictEntities(devTokens);
        devEntityF1 = scoreExtraction(devGold, dev.map((s, i) => predictedScored(s, pred[i], []))).entity.f1;
        if (devEntityF1 > best) {
          best = devEntityF1;
          bestValues?.forEach((t) => t.dispose());
          bestValues = ema ? new Map([...ema].map(([n, t]) => [n, t.clone()])) : snapshot(params, prefix);
        }
      }
      opts.onProgress?.({
        phase: 'tagger', ...(taggerEnsemble > 1 ? { member: member + 1 } : {}), epoch: epoch + 1, epochs: taggerEpochs, loss: lossSum / batches, devEntityF1, seconds: (Date.now() - t0) / 1000,
      });
    }
    if (bestValues) restore(params, bestValues);
    else if (ema) restore(params, ema);
    if (bestValues && ema) ema.forEach((t) => t.dispose());
    optimizer.dispose();
  }
  if (taggerEnsemble > 1 && dev && devGold && devTokens) {
    const pred = model.predictEntities(devTokens);
    opts.onProgress?.({ phase: 'ensemble', members: taggerEnsemble, devEntityF1: scoreExtraction(devGold, dev.map((s, i) => predictedScored(s, pred[i], []))).entity.f1 });
  }

  // --- Relation classifier (trained on gold entities) ---
  const classes = types.relations.length + 1;
  const relData = relItems.map((it) => ({ ...it, ids: relVocab.ids(it.features) }));
  const relVars = Object.entries(params).filter(([n]) => n.startsWith('rel.')).map(([, v]) => v);
  const optimizer = tf.train.adam(learningRate);
  let best = -1;
  let bestValues: Map<string, tf.Tensor> | undefined;
  const devEntities = devTokens ? model.predictEntities(devTokens) : undefined;
  const relBatch = 64;
  for (let epoch = 0; epoch < relationEpochs; epoch++) {
    checkAborted(opts.signal);
    const t0 = Date.now();
    setLearningRate(optimizer, decayedRate(learningRate, epoch, relationEpochs));
    const order = shuffled(relData, rand);
    let lossSum = 0;
    let batches = 0;
    for (let b = 0; b < order.length; b += relBatch) {
      const batch = order.slice(b, b + relBatch);
      const lists = batch.map((it) => dropFeatures(it.ids, rand, featureDropout));
      const { ids, mask, k } = packIds(lists);
      const dropoutSeed = Math.floor(rand() * 2 ** 30);
      const loss = optimizer.minimize(() => {
        const logits = relationLogits(params, { ids: tf.tensor2d(ids, [lists.length, k], 'int32'), mask: tf.tensor2d(mask, [lists.length, k]) },
          tf.tensor2d(batch.flatMap((it) => it.allowed), [batch.length, classes]), dropout, dropoutSeed);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(batch.map((it) => it.label), 'int32'), classes), logits) as tf.Scalar;
      }, true, relVars);
      lossSum += (await loss!.data())[0];
      loss!.dispose();
      batches++;
      await yieldToEventLoop();
      checkAborted(opts.signal);
    }
    let devRelationF1: number | undefined;
    if (dev && devGold && devTokens && devEntities) {
      devRelationF1 = bestThreshold(model, dev, devGold, devTokens, devEntities).f1;
      if (devRelationF1 > best) { best = devRelationF1; bestValues = snapshot(params, 'rel.', bestValues); }
    }
    opts.onProgress?.({ phase: 'relation', epoch: epoch + 1, epochs: relationEpochs, loss: lossSum / batches, devRelationF1, seconds: (Date.now() - t0) / 1000 });
  }
  if (bestValues) restore(params, bestValues);
  optimizer.dispose();

  let devScores: ExtractionScores | undefined;
  if (dev && devGold && devTokens && devEntities) {
    if (opts.relationThreshold === undefined) {
      const { threshold, f1 } = bestThreshold(model, dev, devGold, devTokens, devEntities);
      meta.relation.threshold = threshold;
      opts.onProgress?.({ phase: 'threshold', threshold, devRelationF1: f1 });
    }
    const pred = model.predict(devTokens, meta.relation.threshold);
    devScores = scoreExtraction(devGold, dev.map((s, i) => predictedScored(s, pred[i].entities, pred[i].relations)));
  }
  meta.training = {
    trainSentences: train.length, devSentences: dev?.length ?? 0, taggerEpochs, relationEpochs, batchSize, learningRate, dropout, featureDropout,
    minFeatureCount, relationMinFeatureCount, seed, taggerEnsemble, crf, rnn, weightAverage, charCnn, charDim, nameDropout, wordLists: wordLists !== undefined, backend: tf.getBackend(),
    dev: devScores && { entityF1: devScores.entity.f1, relationF1: devScores.relation.f1 },
  };
  return { model, dev: devScores };
}

/**
 * Linear decay to 10% of the initial rate over the run: late epochs make small steps, which
 * steadies the dev score from epoch to epoch (the best epoch is kept).
 */
function decayedRate(initial: number, epoch: number, epochs: number): number {
  return initial * (1 - 0.9 * (epochs > 1 ? epoch / (epochs - 1) : 0));
}

/** tfjs optimizers read `learningRate` on every update, so it can be changed between epochs. */
function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new UserError('training cancelled');
}

/**
 * Shuffled batches of sentences of similar length (less padding, so less wasted compute):
 * shuffle, sort within windows of 20 batches by length, cut into batches, shuffle the batches.
 */
function lengthBucketedBatches<T extends { tags: number[] }>(data: T[], batchSize: number, rand: () => number): T[][] {
  const order = shuffled(data, rand);
  const window = batchSize * 20;
  const batches: T[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => a.tags.length - b.tags.length);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return shuffled(batches, rand);
}

/** Features that identify the word itself (hidden by name dropout); shape, short affixes, word lists and dictionary kind stay. */
export function isIdentityFeature(f: string): boolean {
  return /^(?:w|l|c3|p4|s4|gz|gw)=/.test(f);
}

/** Randomly drop features so the model also learns from the weaker ones (shape, affixes). */
function dropFeatures(ids: number[], rand: () => number, p: number): number[] {
  return ids.filter(() => rand() >= p);
}

function snapshot(params: Record<string, tf.Variable>, prefix: string, previous?: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  previous?.forEach((t) => t.dispose());
  const m = new Map<string, tf.Tensor>();
  for (const [n, v] of Object.entries(params)) if (n.startsWith(prefix)) m.set(n, v.clone());
  return m;
}

function restore(params: Record<string, tf.Variable>, values: Map<string, tf.Tensor>): void {
  for (const [n, t] of values) { params[n].assign(t); t.dispose(); }
}

interface RelationItem {
  features: string[];
  allowed: number[];
  label: number;
}

function buildRelationItems(train: Conll04Sentence[], relations: ExtractorMeta['relations'], index: Map<string, number>): RelationItem[] {
  const items: RelationItem[] = [];
  for (const s of train) {
    const gold = new Map<string, number>();
    for (const r of s.relations) {
      const id = index.get(`${r.type}|${s.entities[r.head].type}|${s.entities[r.tail].type}`);
      if (id !== undefined) gold.set(`${r.head}>${r.tail}`, id);
    }
    for (let h = 0; h < s.entities.length; h++) {
      for (let t = 0; t < s.entities.length; t++) {
        if (h === t) continue;
        const allowed = [1, ...relations.map((r) => (r.head === s.entities[h].type && r.tail === s.entities[t].type ? 1 : 0))];
        if (!allowed.some((a, i) => i > 0 && a === 1)) continue;
        items.push({ features: relationFeatures(s.tokens, s.entities, h, t), allowed, label: gold.get(`${h}>${t}`) ?? 0 });
      }
    }
  }
  return items;
}

function goldScored(s: Conll04Sentence): ScoredSentence {
  const d = conll04ToDocument(s);
  return { entities: d.entities, relations: d.relations };
}

/** Token-level predictions of a CoNLL04 sentence in the same character offsets as its gold. */
function predictedScored(s: Conll04Sentence, entities: TokenSpan[], relations: Pick<PredictedRelation, 'type' | 'head' | 'tail'>[]): ScoredSentence {
  return goldScored({
    tokens: s.tokens,
    entities: entities.map((e) => ({ type: e.type, start: e.start, end: e.end })),
    relations: relations.map((r) => ({ type: r.type, head: r.head, tail: r.tail })),
  });
}

/** Relation threshold with the best dev strict F1 (given predicted dev entities). */
function bestThreshold(model: ExtractorModel, dev: Conll04Sentence[], devGold: ScoredSentence[], devTokens: string[][], devEntities: TokenSpan[][]): { threshold: number; f1: number } {
  const items = devTokens.flatMap((tokens, s) => model.candidatePairs(devEntities[s]).map((p) => ({ ...p, tokens, entities: devEntities[s], sentence: s })));
  const probs = model.relationProbabilities(items);
  let best = { threshold: 0.5, f1: -1 };
  for (let threshold = 0.2; threshold <= 0.81; threshold += 0.05) {
    const rels: Pick<PredictedRelation, 'type' | 'head' | 'tail'>[][] = dev.map(() => []);
    items.forEach((it, i) => {
      const r = bestRelation(probs[i]);
      if (r && r.p >= threshold) rels[it.sentence].push({ type: model.meta.relations[r.index - 1].type, head: it.head, tail: it.tail });
    });
    const f1 = scoreExtraction(devGold, dev.map((s, i) => predictedScored(s, devEntities[i], rels[i]))).relation.f1;
    if (f1 > best.f1) best = { threshold: Math.round(threshold * 100) / 100, f1 };
  }
  return best;
}
