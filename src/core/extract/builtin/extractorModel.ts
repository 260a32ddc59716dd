import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors';
import { bilouTags, tagIndex, viterbiDecode, type TokenSpan, type TransitionScores } from './bilou';
import { charEmbedValues, charIds, charIndex, type CharCnnConfig } from './charCnn';
import { crfConstraints, crfTransitionScores } from './crf';
import { FeatureVocab, relationFeatures, tokenFeatures, type GazetteerEntries } from './features';
import { buildLexicon, listMatches, type Lexicon } from './lexicon';
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
    /**
     * Gazetteer prior: tokens covered by an entry of one of `lists` (a lexicon list name -> the
     * entity type its entries are, e.g. `cmp-org` -> `Org`) get `strength` added to the emission
     * score of that type's BILOU tag before decoding. The CRF can still overrule it; it carries
     * world knowledge the small training corpus lacks ("Siemens" is a company) to decoding.
     */
    listPrior?: { strength: number; lists: Record<string, string> };
    /** Calibrated models: spans whose confidence is below this are not reported (chosen on dev; absent: all spans). */
    minConfidence?: number;
    /**
     * Evidence against a person for a sentence's first word, where capitalisation says nothing: a
     * word not followed by another capitalised word, whose lower-case form is a common English word
     * (`wordLists.common`) that no list knows as a name of a person (the lexicon lists `names`,
     * e.g. compromise's first and last names, nor the gazetteer's `type` entries), gets `strength`
     * taken off the emission scores of `type`'s tags ("Shares of Siemens rose" is not about a
     * person called Shares; "Bush said" and "Xi Jinping hosted" are left alone). The CRF can still
     * overrule it (absent: no such evidence, as in older models).
     */
    sentenceStartPrior?: { strength: number; type: string; names: string[] };
  };
  /**
   * `minEvidence`: a relation is reported only if its probability drops by at least this much
   * when the sentence's words outside both arguments are erased (`relationEvidence`), i.e. it
   * rests on words of the sentence and not only on the arguments' types, names and distance
   * (absent: no such check, as in older models).
   */
  relation: { features: string[]; dim: number; hidden: number; threshold: number; minEvidence?: number };
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
  /** Drop of `score` with every word outside both arguments erased (see `ExtractorMeta.relation.minEvidence`). */
  evidence: number;
  /** Token indices of the words the relation rests on most (erased one at a time), in sentence order, with the drop of `score` for each. */
  rationale: { tokens: number[]; scores: number[] };
}

/** A word erased from a relation candidate: its features (`bw=`, `bb=`, `pre1=`, ...) are unknown to every vocabulary. */
const ERASED = '\u0000';
/** Words around the arguments that can be evidence (besides those between them), and the rationale's size. */
const CONTEXT_WINDOW = 2;
const RATIONALE = { maxTokens: 3, minScore: 0.02 };

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
        this.addListPrior(s, emissions);
        this.addSentenceStartPrior(s, emissions);
        const spans = viterbiDecode(emissions, s.length, this.meta.entityTypes, transitions);
        // Only a calibrated model reports a confidence (raw CRF marginals are over-confident).
        const calibration = this.meta.tagger.calibration;
        if (transitions && calibration) {
          const marginals = spanMarginals(emissions, s.length, this.meta.entityTypes, transitions, spans);
          spans.forEach((span, k) => { span.confidence = calibrate(marginals[k], calibration); });
          const min = this.meta.tagger.minConfidence;
          if (min !== undefined) { out.push(spans.filter((span) => span.confidence! >= min)); return; }
        }
        out.push(spans);
      });
    }
    return out;
  }

  /** Adds the gazetteer prior (`ExtractorMeta.tagger.listPrior`) to a sentence's emission scores in place. */
  private addListPrior(tokens: string[], emissions: Float32Array): void {
    const prior = this.meta.tagger.listPrior;
    if (!prior || !this.lexicon || prior.strength === 0) return;
    const index = tagIndex(this.meta.entityTypes);
    const nTags = index.size;
    for (const m of listMatches(tokens, this.lexicon, Object.keys(prior.lists))) {
      const type = prior.lists[m.list];
      const n = m.end - m.start;
      for (let k = 0; k < n; k++) {
        const tag = n === 1 ? `U-${type}` : k === 0 ? `B-${type}` : k === n - 1 ? `L-${type}` : `I-${type}`;
        const j = index.get(tag);
        if (j !== undefined) emissions[(m.start + k) * nTags + j] += prior.strength;
      }
    }
  }

  /** Adds the sentence-start evidence (`ExtractorMeta.tagger.sentenceStartPrior`) to a sentence's emission scores in place. */
  private addSentenceStartPrior(tokens: string[], emissions: Float32Array): void {
    const prior = this.meta.tagger.sentenceStartPrior;
    if (!prior || !this.words || !this.lexicon || prior.strength === 0) return;
    const first = tokens.findIndex((t) => /[\p{L}\p{N}]/u.test(t));
    // A single capitalised word: "Xi Jinping", "Pope Francis" may be names whatever their first word.
    if (first < 0 || !/^\p{Lu}\p{Ll}+$/u.test(tokens[first]) || /^\p{Lu}/u.test(tokens[first + 1] ?? '')) return;
    const lower = tokens[first].toLowerCase();
    if (!this.words.common.has(lower)) return;
    if ((this.lexicon.words.get(lower) ?? []).some((list) => prior.names.includes(list))) return;
    if (Object.hasOwn(this.meta.gazetteer.words, lower) && this.meta.gazetteer.words[lower].includes(prior.type)) return;
    const index = tagIndex(this.meta.entityTypes);
    for (const tag of ['B', 'I', 'L', 'U']) {
      const j = index.get(`${tag}-${prior.type}`);
      if (j !== undefined) emissions[first * index.size + j] -= prior.strength;
    }
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

  /**
   * Entities, then relations between them, for tokenised sentences. A candidate pair gets a
   * relation only if its entity types fit that relation (`candidatePairs`), its probability
   * reaches `threshold`, and, for models with `relation.minEvidence`, the sentence's other words
   * carry it: erasing every word outside the two arguments lowers the probability by at least
   * that much. Each reported relation carries its rationale (the words whose erasure lowers it most).
   */
  predict(sentences: string[][], threshold = this.meta.relation.threshold): SentencePrediction[] {
    const entities = this.predictEntities(sentences);
    const items = sentences.flatMap((tokens, s) => this.candidatePairs(entities[s]).map((p) => ({ ...p, tokens, entities: entities[s], sentence: s })));
    const probs = this.relationProbabilities(items);
    const out: SentencePrediction[] = entities.map((e) => ({ entities: e, relations: [] }));
    const accepted = items.flatMap((it, i) => {
      const rel = bestRelation(probs[i]);
      return rel && rel.p >= threshold ? [{ it, rel }] : [];
    });
    // Erasure: every context word at once (the evidence), then each word alone (the rationale).
    const variants = accepted.map(({ it }) => {
      const context = contextTokens(it.tokens, it.entities[it.head], it.entities[it.tail]);
      return { context, erased: [erase(it.tokens, context.all), ...context.near.map((i) => erase(it.tokens, [i]))] };
    });
    const erasedProbs = this.relationProbabilities(accepted.flatMap(({ it }, k) => variants[k].erased.map((tokens) => ({ ...it, tokens }))));
    let offset = 0;
    accepted.forEach(({ it, rel }, k) => {
      const p = erasedProbs.slice(offset, offset + variants[k].erased.length).map((q) => q[rel.index]);
      offset += variants[k].erased.length;
      const evidence = rel.p - p[0];
      if (this.meta.relation.minEvidence !== undefined && evidence < this.meta.relation.minEvidence) return;
      const words = variants[k].context.near.map((i, j) => ({ i, score: rel.p - p[j + 1] }))
        .filter((w) => w.score >= RATIONALE.minScore).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, RATIONALE.maxTokens).sort((a, b) => a.i - b.i);
      out[it.sentence].relations.push({
        type: this.meta.relations[rel.index - 1].type, head: it.head, tail: it.tail, score: rel.p, evidence,
        rationale: { tokens: words.map((w) => w.i), scores: words.map((w) => w.score) },
      });
    });
    return out;
  }
}

/** Token indices outside both arguments: all of them, and those between or next to the arguments (rationale candidates, word tokens only). */
function contextTokens(tokens: string[], a: { start: number; end: number }, b: { start: number; end: number }): { all: number[]; near: number[] } {
  const length = tokens.length;
  const inside = (i: number) => (i >= a.start && i < a.end) || (i >= b.start && i < b.end);
  const from = Math.max(0, Math.min(a.start, b.start) - CONTEXT_WINDOW);
  const to = Math.min(length, Math.max(a.end, b.end) + CONTEXT_WINDOW);
  const all: number[] = [];
  const near: number[] = [];
  for (let i = 0; i < length; i++) {
    if (inside(i)) continue;
    all.push(i);
    if (i >= from && i < to && /[\p{L}\p{N}]/u.test(tokens[i])) near.push(i);
  }
  return { all, near };
}

function erase(tokens: string[], indices: number[]): string[] {
  const out = tokens.slice();
  for (const i of indices) out[i] = ERASED;
  return out;
}

/** Most probable non-"none" class (index into the class list; 0 is "none"). */
export function bestRelation(p: Float32Array): { index: number; p: number } | undefined {
  let index = 0;
  for (let c = 1; c < p.length; c++) if (index === 0 || p[c] > p[index]) index = c;
  return index === 0 ? undefined : { index, p: p[index] };
}
