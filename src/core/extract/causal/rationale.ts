import type { PairClassifier } from './pairClassifier';
import { onlyTokens, rationaleCandidates, withoutTokens, type NominalPair } from './pairFeatures';

/**
 * Rationales of the causal model's decisions and their quality. Erasure over the trained
 * classifier (the rationale module of models without a learned selector, and the comparison for
 * `rationaleSelector.ts`): for a decision (the predicted label `y` of a pair), each word outside
 * the nominals is deleted in turn and the drop of `p(y)` is its score; the rationale is the
 * `maxTokens` words with the largest positive drops (at least `minScore`). It is computed by the
 * model from its own probabilities, not by matching strings.
 *
 * Quality is measured as in ERASER (DeYoung et al. 2020), with the nominals always kept (they
 * are given, the rationale is what relates them):
 * - comprehensiveness = p(y | x) - p(y | x without the rationale): high when the rationale was needed;
 * - sufficiency = p(y | x) - p(y | only the rationale and the nominals): low when it suffices;
 * each next to a random rationale of the same length drawn from the same candidate words.
 */
export interface RationaleSettings {
  /** Most words in a rationale. */
  maxTokens: number;
  /** Least drop of p(y) for a word to be part of it. */
  minScore: number;
}

export const DEFAULT_RATIONALE: RationaleSettings = { maxTokens: 3, minScore: 0.02 };

export interface Rationale {
  /** Token indices, in sentence order. */
  tokens: number[];
  /** Drop of p(y) when that token alone is erased, per entry of `tokens`. */
  scores: number[];
}

/** A rationale module: the rationale of label `label` (an index of the classifier's labels) for `pair`. */
export type RationaleOf = (pair: NominalPair, label: number) => Rationale;

/** Drop of `p(label)` when each of `tokens` alone is erased (the scores the panel shows on hover). */
export function erasureDrops(model: PairClassifier, pair: NominalPair, label: number, tokens: number[]): number[] {
  if (tokens.length === 0) return [];
  const probs = model.probabilities([pair, ...tokens.map((i) => withoutTokens(pair, new Set([i])))]);
  return tokens.map((_, k) => probs[0][label] - probs[k + 1][label]);
}

/** The rationale of label `label` (an index of the classifier's labels) for `pair`, by erasure. */
export function erasureRationale(model: PairClassifier, pair: NominalPair, label: number, settings: RationaleSettings = DEFAULT_RATIONALE): Rationale {
  const candidates = rationaleCandidates(pair);
  const drops = erasureDrops(model, pair, label, candidates);
  const scored = candidates.map((i, k) => ({ i, score: drops[k] }))
    .filter((c) => c.score >= settings.minScore)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, settings.maxTokens)
    .sort((a, b) => a.i - b.i);
  return { tokens: scored.map((c) => c.i), scores: scored.map((c) => c.score) };
}

export interface EraserScores {
  comprehensiveness: number;
  sufficiency: number;
  randomComprehensiveness: number;
  randomSufficiency: number;
  /** Mean rationale length (words), and how many decisions were measured. */
  meanLength: number;
  /** Share of decisions the classifier makes again from only the rationale and the nominals. */
  agreement: number;
  decisions: number;
}

/** Deterministic PRNG (mulberry32) for the random rationales. */
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

/**
 * ERASER comprehensiveness and sufficiency of the rationales `rationaleOf` gives for the model's
 * own predictions on `pairs`, and of random rationales of the same lengths (seeded), averaged
 * over the decisions. `which` selects the decisions to measure (default: all).
 * `agreement` is the select-then-predict check: the share of decisions the classifier makes
 * again from the rationale and the nominals alone.
 */
export function eraserScores(
  model: PairClassifier, pairs: NominalPair[], rationaleOf: RationaleOf,
  options: { seed?: number; which?: (label: string) => boolean } = {},
): EraserScores {
  const rand = rng(options.seed ?? 7);
  let comp = 0, suff = 0, rcomp = 0, rsuff = 0, length = 0, agree = 0, n = 0;
  const decisions = model.classify(pairs);
  pairs.forEach((pair, i) => {
    const { index, label, p } = decisions[i];
    if (options.which && !options.which(label)) return;
    const r = rationaleOf(pair, index);
    const candidates = rationaleCandidates(pair);
    const shuffled = candidates.slice();
    for (let k = shuffled.length - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [shuffled[k], shuffled[j]] = [shuffled[j], shuffled[k]];
    }
    const random = new Set(shuffled.slice(0, r.tokens.length));
    const learned = new Set(r.tokens);
    const probs = model.probabilities([withoutTokens(pair, learned), onlyTokens(pair, learned), withoutTokens(pair, random), onlyTokens(pair, random)]);
    comp += p - probs[0][index];
    suff += p - probs[1][index];
    rcomp += p - probs[2][index];
    rsuff += p - probs[3][index];
    length += r.tokens.length;
    if (argmax(probs[1]) === index) agree++;
    n++;
  });
  const mean = (x: number) => (n === 0 ? 0 : x / n);
  return {
    comprehensiveness: mean(comp), sufficiency: mean(suff), randomComprehensiveness: mean(rcomp), randomSufficiency: mean(rsuff),
    meanLength: mean(length), agreement: mean(agree), decisions: n,
  };
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
  return best;
}
