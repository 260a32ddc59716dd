import type { PairClassifier } from './pairClassifier';
import { onlyTokens, rationaleCandidates, withoutTokens, type NominalPair } from './pairFeatures';

/**
 * The causal model's rationale module: erasure over the trained classifier. For a decision
 * (the predicted label `y` of a pair), each word outside the nominals is deleted in turn and
 * the drop of `p(y)` is its score; the rationale is the `maxTokens` words with the largest
 * positive drops (at least `minScore`). It is computed by the model from its own probabilities,
 * not by matching strings, so it shows what the decision actually rests on.
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

/** The rationale of label `label` (an index of the classifier's labels) for `pair`. */
export function erasureRationale(model: PairClassifier, pair: NominalPair, label: number, settings: RationaleSettings = DEFAULT_RATIONALE): Rationale {
  const candidates = rationaleCandidates(pair);
  if (candidates.length === 0) return { tokens: [], scores: [] };
  const probs = model.probabilities([pair, ...candidates.map((i) => withoutTokens(pair, new Set([i])))]);
  const base = probs[0][label];
  const scored = candidates.map((i, k) => ({ i, score: base - probs[k + 1][label] }))
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
 * ERASER comprehensiveness and sufficiency of the model's rationales for its own predictions on
 * `pairs`, and of random rationales of the same lengths (seeded), averaged over the decisions.
 * `which` selects the decisions to measure (default: all).
 */
export function eraserScores(
  model: PairClassifier, pairs: NominalPair[], settings: RationaleSettings = DEFAULT_RATIONALE,
  options: { seed?: number; which?: (label: string) => boolean } = {},
): EraserScores {
  const rand = rng(options.seed ?? 7);
  let comp = 0, suff = 0, rcomp = 0, rsuff = 0, length = 0, n = 0;
  const decisions = model.classify(pairs);
  pairs.forEach((pair, i) => {
    const { index, label, p } = decisions[i];
    if (options.which && !options.which(label)) return;
    const r = erasureRationale(model, pair, index, settings);
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
    n++;
  });
  const mean = (x: number) => (n === 0 ? 0 : x / n);
  return {
    comprehensiveness: mean(comp), sufficiency: mean(suff), randomComprehensiveness: mean(rcomp), randomSufficiency: mean(rsuff),
    meanLength: mean(length), decisions: n,
  };
}
