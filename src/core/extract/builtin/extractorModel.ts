import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { bilouTags, viterbiDecode, type TokenSpan, type TransitionScores } from './bilou';
import { charEmbedValues, charIds, charIndex, type CharCnnConfig } from './charCnn';
import { crfConstraints, crfTransitionScores } from './crf';
import { FeatureVocab, relationFeatures, tokenFeatures, type GazetteerEntries } from './features';
import { buildLexicon, type Lexicon } from './lexicon';
import { embedBagValues, packIds, relationLogits, taggerLogits, taggerPrefix, type Params } from './network';
import { calibrate, spanMarginals, type Calibration } from './spanConfidence';
import { loadModelFiles, saveModelFiles, type NamedWeights } from './weightsFile';
import { indexWordLists, type WordIndex, type WordLists } from './wordLists';

/** Everything about a trained extractor except its weights (stored in `<name>.json`). */
export interface ExtractorMeta {
  format: 'model-lab-extractor';
  version: 1;
  entityTypes: string[];
  relations: { type: string; head: string; tail: string }[];
  /**
   * `lexicon`: whether token features include the built-in word lists (`lexicon.ts`).
   * `ensemble`: number of taggers (weights `tagger.*`, `tagger2.*`, ...; default 1) whose tag
   * probabilities are averaged before decoding.
   * `crf`: the taggers have CRF transition scores (`<prefix>.crf.*`), averaged over members and
   * used by Viterbi decoding.
   * `wordLists`: dictionary and place lists the token features use (`wordLists.ts`).
   * `charCnn`: the taggers have a character CNN word encoder (`charCnn.ts`; absent in older models).
   * `calibration`: maps CRF span marginals to calibrated confidences (`spanConfidence.ts`; absent: raw marginals).
   */
  tagger: {
    features: string[]; dim: number; hidden: number; lexicon?: boolean; ensemble?: number; crf?: boolean; wordLists?: WordLists; charCnn?: CharCnnConfig;
    calibration?: Calibration;
  };
  relation: { features: string[]; dim: number; hidden: number; threshold: number };
  gazetteer: GazetteerEntries;
  /** How the model was trained and what it scored (informational). */
  training?: Record<string, unknown>;
}

export interface PredictedRelation {
  type: string;
  /** Indices into the sentence's predicted entities. */
  head: number;
  tail: number;
  score: number;
}

export interface SentencePrediction {
  entities: TokenSpan[];
  relations: PredictedRelation[];
}

const BATCH = 32;

/** A trained built-in extractor: tokens in, token-level entity spans and relations out. */
export class ExtractorModel {
  readonly tagVocab: FeatureVocab;
  readonly relVocab: FeatureVocab;
  private readonly knownTokens: Set<string>;
  private readonly lexicon?: Lexicon;
  private readonly words?: WordIndex;
  private readonly chars?: Map<string, number>;

  constructor(readonly meta: ExtractorMeta, readonly params: Params) {
    this.tagVocab = new FeatureVocab(meta.tagger.features);
    this.relVocab = new FeatureVocab(meta.relation.features);
    this.knownTokens = new Set(meta.tagger.features.filter((f) => f.startsWith('w=')).map((f) => f.slice(2)));
    this.lexicon = meta.tagger.lexicon ? buildLexicon(meta.tagger.wordLists?.places) : undefined;
    this.words = meta.tagger.wordLists ? indexWordLists(meta.tagger.wordLists) : undefined;
    this.chars = meta.tagger.charCnn ? charIndex(meta.tagger.charCnn) : undefined;
  }

  /** Token features (strings) of a sentence, as the tagger sees them. */
  tokenFeatures(tokens: string[], gazetteer: GazetteerEntries | undefined = this.meta.gazetteer): string[][] {
    return tokenFeatures(tokens, gazetteer, this.lexicon, this.words);
  }

  /** CRF transition scores averaged over the ensemble members (with the BILOU constraints), if the tagger has a CRF. */
  private transitionScores(): TransitionScores | undefined {
    if (!this.meta.tagger.crf) return undefined;
    const members = this.meta.tagger.ensemble ?? 1;
    const mean = (part: string) => tf.tidy(() => {
      let sum = this.params[`tagger.crf.${part}`];
      for (let m = 1; m < members; m++) sum = sum.add(this.params[`${taggerPrefix(m)}.crf.${part}`]);
      return sum.div(members).dataSync() as Float32Array;
    });
    return crfTransitionScores({ trans: mean('trans'), start: mean('start'), end: mean('end') }, crfConstraints(this.meta.entityTypes));
  }

  static async load(jsonFile: string): Promise<ExtractorModel> {
    const { meta, weights } = await loadModelFiles(jsonFile);
    if (meta.format !== 'model-lab-extractor' || meta.version !== 1) {
      throw new UserError('not a model-lab extractor model (format/version)', undefined, jsonFile);
    }
    const params: Params = {};
    for (const [name, w] of Object.entries(weights)) params[name] = tf.tensor(w.values, w.shape);
    return new ExtractorModel(meta as unknown as ExtractorMeta, params);
  }

  async save(dir: string, base = 'extractor'): Promise<void> {
    const weights: NamedWeights = {};
    for (const [name, t] of Object.entries(this.params)) weights[name] = { shape: t.shape, values: t.dataSync() as Float32Array };
    await saveModelFiles(dir, base, this.meta as unknown as Record<string, unknown>, weights);
  }

  dispose(): void {
    for (const t of Object.values(this.params)) t.dispose();
  }

  /** Whether `token` occurred as a whole token in training (the tokenizer keeps such chunks intact). */
  isKnownToken = (token: string): boolean => this.knownTokens.has(token);

  /** Per sentence, decoded entity spans (token offsets). */
  predictEntities(sentences: string[][]): TokenSpan[][] {
    const out: TokenSpan[][] = [];
    const nTags = bilouTags(this.meta.entityTypes).length;
    const transitions = this.transitionScores();
    const members = this.meta.tagger.ensemble ?? 1;
    const prefixes = Array.from({ length: members }, (_, m) => taggerPrefix(m));
    const tables = prefixes.map((prefix) => this.params[`${prefix}.emb`].dataSync() as Float32Array);
    const dim = this.meta.tagger.dim;
    const charDim = this.meta.tagger.charCnn?.dim ?? 0;
    const charTables = this.chars ? prefixes.map((prefix) => this.params[`${prefix}.char.emb`].dataSync() as Float32Array) : [];
    for (let b = 0; b < sentences.length; b += BATCH) {
      const batch = sentences.slice(b, b + BATCH);
      const length = Math.max(1, ...batch.map((s) => s.length));
      const lists: number[][] = [];
      for (const s of batch) {
        const feats = this.tokenFeatures(s);
        for (let i = 0; i < length; i++) lists.push(i < s.length ? this.tagVocab.ids(feats[i]) : []);
      }
      const { ids, mask, k } = packIds(lists);
      const chars = this.chars && charIds(batch.flatMap((s) => Array.from({ length }, (_, i) => (i < s.length ? s[i] : null))), this.chars);
      // Ensemble members vote, then Viterbi decodes. CRF taggers: their emission scores are
      // averaged, like their transition scores, so the ensemble decodes the mean of the members'
      // path scores (dev entity F1 +0.25 to +0.6 over averaging probabilities, on four 2-member
      // ensembles). Softmax taggers: their probabilities are averaged.
      const crf = this.meta.tagger.crf === true;
      const scores = tf.tidy(() => {
        const lengths = batch.map((s) => s.length);
        let votes: tf.Tensor | undefined;
        prefixes.forEach((prefix, m) => {
          const sums = tf.tensor2d(embedBagValues(tables[m], dim, ids, mask, k), [lists.length, dim]);
          const charInput = chars && {
            values: tf.tensor3d(charEmbedValues(charTables[m], charDim, chars.ids), [lists.length, chars.width, charDim]),
            mask: tf.tensor2d(chars.mask, [lists.length, chars.width]),
          };
          const logits = taggerLogits(this.params, { sums }, batch.length, length, 0, prefix, undefined, lengths, charInput);
          const p = crf ? logits : tf.softmax(logits);
          votes = votes ? votes.add(p) : p;
        });
        if (crf) return votes!.div(members).dataSync() as Float32Array;
        return tf.log(votes!.div(members).add(1e-12)).dataSync() as Float32Array;
      });
      batch.forEach((s, i) => {
        const emissions = scores.subarray(i * length * nTags, (i * length + s.length) * nTags);
        const spans = viterbiDecode(emissions, s.length, this.meta.entityTypes, transitions);
        // Only a calibrated model reports a confidence (raw CRF marginals are over-confident).
        const calibration = this.meta.tagger.calibration;
        if (transitions && calibration) {
          const marginals = spanMarginals(emissions, s.length, this.meta.entityTypes, transitions, spans);
          spans.forEach((span, k) => { span.confidence = calibrate(marginals[k], calibration); });
        }
        out.push(spans);
      });
    }
    return out;
  }

  /** Candidate ordered pairs whose entity types fit at least one relation type. */
  candidatePairs(entities: { type: string }[]): { head: number; tail: number; allowed: number[] }[] {
    const pairs: { head: number; tail: number; allowed: number[] }[] = [];
    for (let h = 0; h < entities.length; h++) {
      for (let t = 0; t < entities.length; t++) {
        if (h === t) continue;
        const allowed = [1, ...this.meta.relations.map((r) => (r.head === entities[h].type && r.tail === entities[t].type ? 1 : 0))];
        if (allowed.some((a, i) => i > 0 && a === 1)) pairs.push({ head: h, tail: t, allowed });
      }
    }
    return pairs;
  }

  /** Relation class probabilities for candidate pairs of many sentences, `[pairs][classes]`. */
  relationProbabilities(items: { tokens: string[]; entities: { type: string; start: number; end: number }[]; head: number; tail: number; allowed: number[] }[]): Float32Array[] {
    const out: Float32Array[] = [];
    const classes = this.meta.relations.length + 1;
    const table = items.length > 0 ? this.params['rel.emb'].dataSync() as Float32Array : new Float32Array(0);
    const dim = this.meta.relation.dim;
    for (let b = 0; b < items.length; b += 256) {
      const batch = items.slice(b, b + 256);
      const lists = batch.map((it) => this.relVocab.ids(relationFeatures(it.tokens, it.entities, it.head, it.tail)));
      const { ids, mask, k } = packIds(lists);
      const probs = tf.tidy(() => tf.softmax(relationLogits(
        this.params,
        { sums: tf.tensor2d(embedBagValues(table, dim, ids, mask, k), [lists.length, dim]) },
        tf.tensor2d(batch.flatMap((it) => it.allowed), [batch.length, classes]),
      )).dataSync() as Float32Array);
      for (let i = 0; i < batch.length; i++) out.push(probs.slice(i * classes, (i + 1) * classes));
    }
    return out;
  }

  /** Entities, then relations between them, for tokenised sentences. */
  predict(sentences: string[][], threshold = this.meta.relation.threshold): SentencePrediction[] {
    const entities = this.predictEntities(sentences);
    const items = sentences.flatMap((tokens, s) => this.candidatePairs(entities[s]).map((p) => ({ ...p, tokens, entities: entities[s], sentence: s })));
    const probs = this.relationProbabilities(items);
    const out: SentencePrediction[] = entities.map((e) => ({ entities: e, relations: [] }));
    items.forEach((it, i) => {
      const rel = bestRelation(probs[i]);
      if (rel && rel.p >= threshold) {
        out[it.sentence].relations.push({ type: this.meta.relations[rel.index - 1].type, head: it.head, tail: it.tail, score: rel.p });
      }
    });
    return out;
  }
}

/** Most probable non-"none" class (index into the class list; 0 is "none"). */
export function bestRelation(p: Float32Array): { index: number; p: number } | undefined {
  let index = 0;
  for (let c = 1; c < p.length; c++) if (index === 0 || p[c] > p[index]) index = c;
  return index === 0 ? undefined : { index, p: p[index] };
}
