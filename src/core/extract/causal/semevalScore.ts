import { parseLabel } from '../semeval8';

/**
 * The official score of SemEval-2010 Task 8 (scorer v1.2, evaluation (iii)): a (9+1)-way
 * classification with directionality taken into account, macro-averaged F1 over the relations
 * other than `Other`. Per relation R (directions merged):
 *
 * - correct: examples whose predicted label equals the gold label exactly (relation and
 *   direction) and whose relation is R;
 * - predicted: examples predicted as R in either direction (a right relation with the wrong
 *   direction counts here, and as wrong);
 * - gold: examples whose gold relation is R;
 * - P = correct / predicted, R = correct / gold (0 when the denominator is 0), F1 their
 *   harmonic mean (0 when both are 0);
 * - the macro average runs over the relations that occur in the gold labels (`Other` excluded):
 *   a relation only predicted counts for nobody, one never predicted counts with F1 = 0.
 *
 * Values are fractions in [0, 1] (the scorer prints percentages).
 */
export interface RelationScore {
  precision: number;
  recall: number;
  f1: number;
  correct: number;
  predicted: number;
  /** Predictions of this relation in the wrong direction (the scorer's `xDIRx`). */
  wrongDirection: number;
  gold: number;
}

export interface SemEvalScore {
  /** The official score. */
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  /** Per relation (directions merged, `Other` included for reference). */
  relations: Record<string, RelationScore>;
  /** Exact-label accuracy over all examples. */
  accuracy: number;
  examples: number;
}

export function semEvalScore(gold: readonly string[], predicted: readonly string[]): SemEvalScore {
  if (gold.length !== predicted.length) throw new Error(`semEvalScore: ${gold.length} gold vs ${predicted.length} predicted labels`);
  const counts = new Map<string, { correct: number; predicted: number; wrongDirection: number; gold: number }>();
  const at = (r: string) => {
    let c = counts.get(r);
    if (!c) counts.set(r, (c = { correct: 0, predicted: 0, wrongDirection: 0, gold: 0 }));
    return c;
  };
  let exact = 0;
  gold.forEach((g, i) => {
    const p = predicted[i];
    const gr = parseLabel(g).relation;
    const pr = parseLabel(p).relation;
    at(gr).gold++;
    at(pr).predicted++;
    if (p === g) { at(gr).correct++; exact++; }
    else if (pr === gr) at(gr).wrongDirection++;
  });
  const relations: Record<string, RelationScore> = {};
  for (const [r, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    const precision = c.predicted === 0 ? 0 : c.correct / c.predicted;
    const recall = c.gold === 0 ? 0 : c.correct / c.gold;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    relations[r] = { precision, recall, f1, ...c };
  }
  const scored = Object.entries(relations).filter(([r, s]) => r !== 'Other' && s.gold > 0).map(([, s]) => s);
  const mean = (f: (s: RelationScore) => number) => (scored.length === 0 ? 0 : scored.reduce((a, s) => a + f(s), 0) / scored.length);
  return {
    macroF1: mean((s) => s.f1),
    macroPrecision: mean((s) => s.precision),
    macroRecall: mean((s) => s.recall),
    relations,
    accuracy: gold.length === 0 ? 0 : exact / gold.length,
    examples: gold.length,
  };
}
