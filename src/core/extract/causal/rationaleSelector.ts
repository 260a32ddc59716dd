import { FeatureVocab } from '../builtin/features';
import type { PairClassifier } from './pairClassifier';
import { rationaleCandidates, stem, type NominalPair } from './pairFeatures';
import { erasureDrops, type Rationale, type RationaleSettings } from './rationale';

/**
 * The causal model's learned rationale module: a select-then-predict mask (Lei, Barzilay and
 * Jaakkola 2016, "Rationalizing neural predictions"). A selector gives each word outside the
 * nominals a probability of being part of the rationale, from the word, its stem, where it
 * stands relative to the nominals and its neighbours, each also crossed with the label being
 * explained (a logistic model over sparse features). It is trained against the relation
 * classifier (`trainRationaleSelector.ts`) so that the classifier makes its decision again from
 * the selected words and the nominals alone, loses it without them, with as few words as
 * possible. At inference the rationale is the words of probability at least 0.5 (at most
 * `maxTokens`, the most probable), in one pass: no erasure search.
 */
export interface SelectorMeta {
  features: string[];
  /** How it was trained (informational). */
  training?: Record<string, unknown>;
}

/** Weight name: `sel.w`, one weight per feature, `[features + 1]` (entry 0: unknown features, unused); stored as float32. */
export const SELECTOR_WEIGHT = 'sel.w';

const BIAS = 'bias';

function where(p: NominalPair, i: number): string {
  return i < p.e1.start ? 'before' : i >= p.e2.end ? 'after' : 'between';
}

function distance(n: number): string {
  return n <= 3 ? String(n) : n <= 6 ? '4-6' : '7+';
}

/** The selector's features of token `i` of `pair` when label `label` is explained. */
export function selectorFeatures(p: NominalPair, i: number, label: string): string[] {
  const lower = (k: number) => p.tokens[k]?.toLowerCase() ?? (k < 0 ? '<s>' : '</s>');
  const w = lower(i);
  const pos = where(p, i);
  const d1 = distance(i < p.e1.start ? p.e1.start - i : i - p.e1.end + 1);
  const d2 = distance(i < p.e2.start ? p.e2.start - i : i - p.e2.end + 1);
  const base = [BIAS, `w=${w}`, `s=${stem(w)}`, `pos=${pos}`, `w=${w}|${pos}`, `d1=${d1}`, `d2=${d2}`, `prev=${lower(i - 1)}`, `next=${lower(i + 1)}`, `bg=${w}_${lower(i + 1)}`, `gb=${lower(i - 1)}_${w}`];
  return [...base, ...base.map((f) => `${f}|${label}`)];
}

export class RationaleSelector {
  readonly vocab: FeatureVocab;

  constructor(readonly meta: SelectorMeta, readonly weights: Float32Array) {
    this.vocab = new FeatureVocab(meta.features);
  }

  /** Selection logits of each candidate word (`rationaleCandidates`) of `pair` for `label`. */
  logits(pair: NominalPair, label: string, candidates = rationaleCandidates(pair)): number[] {
    return candidates.map((i) => {
      let s = 0;
      for (const id of this.vocab.ids(selectorFeatures(pair, i, label))) s += this.weights[id];
      return s;
    });
  }

  /** The selected words: probability at least 0.5, at most `maxTokens` (the most probable), in sentence order. */
  select(pair: NominalPair, label: string, maxTokens: number): number[] {
    const candidates = rationaleCandidates(pair);
    return this.logits(pair, label, candidates)
      .map((l, k) => ({ i: candidates[k], l }))
      .filter((c) => c.l >= 0)
      .sort((a, b) => b.l - a.l || a.i - b.i)
      .slice(0, maxTokens)
      .map((c) => c.i)
      .sort((a, b) => a - b);
  }
}

/**
 * The learned rationale of label `label` (an index of the classifier's labels) for `pair`: the
 * selector's words, each scored (for people: the hover) with the drop of the label's probability
 * when that word alone is erased; a selected word whose erasure does not lower it is left out
 * (shown as a reason, it would say the opposite of what its score says).
 */
export function learnedRationale(model: PairClassifier, selector: RationaleSelector, pair: NominalPair, label: number, settings: RationaleSettings): Rationale {
  const selected = selector.select(pair, model.meta.labels[label], settings.maxTokens);
  const drops = erasureDrops(model, pair, label, selected);
  const kept = selected.flatMap((i, k) => (drops[k] > 0 ? [{ i, score: drops[k] }] : []));
  return { tokens: kept.map((w) => w.i), scores: kept.map((w) => w.score) };
}
