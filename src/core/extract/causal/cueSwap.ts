import { parseLabel } from '../semeval8';
import type { PairClassifier } from './pairClassifier';
import type { NominalPair } from './pairFeatures';

/**
 * The bias probe of iReason's "bias detection" use (spec labs.md 2.7 (c)): swap the cue phrase
 * between the nominals of a Cause-Effect sentence — "caused by" <-> "resulted in" — which
 * reverses who causes whom, and see whether the predicted direction follows the cue (a model
 * that reads the sentence) or stays (a model that memorised which nominal tends to be the cause).
 */
const PASSIVE_AUX: Record<string, string> = { is: 'results', are: 'result', was: 'resulted', were: 'resulted', been: 'resulted', be: 'result', being: 'resulting' };
const RESULT_AUX: Record<string, string[]> = { resulted: ['was', 'caused', 'by'], results: ['is', 'caused', 'by'], result: ['are', 'caused', 'by'], resulting: ['caused', 'by'] };

/**
 * The pair with its first cue between the nominals swapped, or undefined when it has none:
 * "[was] caused by" -> "resulted in" (tense kept from the auxiliary), "resulted in" -> "was caused by".
 */
export function swapCue(p: NominalPair): NominalPair | undefined {
  const lower = p.tokens.map((t) => t.toLowerCase());
  for (let i = p.e1.end; i + 1 < p.e2.start; i++) {
    let replace: { from: number; to: number; words: string[] } | undefined;
    if (lower[i] === 'caused' && lower[i + 1] === 'by') {
      const aux = PASSIVE_AUX[lower[i - 1]];
      replace = aux && i - 1 >= p.e1.end ? { from: i - 1, to: i + 2, words: [aux, 'in'] } : { from: i, to: i + 2, words: ['resulting', 'in'] };
    } else if (RESULT_AUX[lower[i]] && lower[i + 1] === 'in') {
      replace = { from: i, to: i + 2, words: RESULT_AUX[lower[i]] };
    }
    if (!replace) continue;
    const tokens = [...p.tokens.slice(0, replace.from), ...replace.words, ...p.tokens.slice(replace.to)];
    const shift = replace.words.length - (replace.to - replace.from);
    return { tokens, e1: p.e1, e2: { start: p.e2.start + shift, end: p.e2.end + shift } };
  }
  return undefined;
}

export interface CueSwapResult {
  /** Gold Cause-Effect sentences with a cue between the nominals. */
  sentences: number;
  /** Direction right on the original sentences. */
  originalCorrect: number;
  /** After the swap: Cause-Effect in the swapped (cue's) direction. */
  followsCue: number;
  /** After the swap: Cause-Effect in the original direction. */
  keepsDirection: number;
  /** After the swap: another label. */
  otherLabel: number;
  /** followsCue / sentences. */
  followRate: number;
}

export function cueSwapProbe(model: PairClassifier, sentences: (NominalPair & { label: string })[]): CueSwapResult {
  const items = sentences.flatMap((s) => {
    const { relation, reversed } = parseLabel(s.label);
    const swapped = relation === 'Cause-Effect' ? swapCue(s) : undefined;
    return swapped ? [{ original: s, swapped, reversed }] : [];
  });
  const before = model.classify(items.map((i) => i.original));
  const after = model.classify(items.map((i) => i.swapped));
  let originalCorrect = 0, followsCue = 0, keepsDirection = 0, otherLabel = 0;
  items.forEach((it, k) => {
    if (before[k].label === it.original.label) originalCorrect++;
    const a = parseLabel(after[k].label);
    if (a.relation !== 'Cause-Effect') otherLabel++;
    else if (a.reversed !== it.reversed) followsCue++;
    else keepsDirection++;
  });
  return { sentences: items.length, originalCorrect, followsCue, keepsDirection, otherLabel, followRate: items.length ? followsCue / items.length : 0 };
}
