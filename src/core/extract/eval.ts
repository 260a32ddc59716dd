import type { EntityRef, ExtractedRelation } from './types';

/**
 * Standard extraction metrics, micro-averaged over all sentences:
 * - entity: a predicted entity is correct when its type and exact boundaries match a gold one;
 * - relation (strict): the type matches and both arguments match a gold relation's arguments
 *   in boundaries and entity types.
 * Duplicate predictions count once. Values are fractions in [0, 1].
 */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  /** Correct predictions, all predictions, gold records. */
  correct: number;
  predicted: number;
  gold: number;
}

export interface ExtractionScores {
  entity: Prf;
  relation: Prf;
  ungrounded: number;
  sentences: number;
}

export interface ScoredSentence {
  entities: EntityRef[];
  relations: ExtractedRelation[];
}

function entityKey(e: EntityRef): string {
  return `${e.type}\u0000${e.start}\u0000${e.end}`;
}

function relationKey(r: ExtractedRelation): string {
  return `${r.type}\u0001${entityKey(r.head)}\u0001${entityKey(r.tail)}`;
}

export function prf(correct: number, predicted: number, gold: number): Prf {
  const precision = predicted === 0 ? 0 : correct / predicted;
  const recall = gold === 0 ? 0 : correct / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, correct, predicted, gold };
}

function countMatches<T>(gold: T[][], pred: T[][], key: (x: T) => string): Prf {
  let correct = 0;
  let predicted = 0;
  let goldCount = 0;
  gold.forEach((g, i) => {
    const gs = new Set(g.map(key));
    const ps = new Set((pred[i] ?? []).map(key));
    goldCount += gs.size;
    predicted += ps.size;
    for (const k of ps) if (gs.has(k)) correct++;
  });
  return prf(correct, predicted, goldCount);
}

/** Score predictions against gold, sentence by sentence (arrays aligned by index). */
export function scoreExtraction(gold: ScoredSentence[], pred: ScoredSentence[], ungrounded = 0): ExtractionScores {
  if (gold.length !== pred.length) throw new Error(`scoreExtraction: ${gold.length} gold vs ${pred.length} predicted sentences`);
  return {
    entity: countMatches(gold.map((s) => s.entities), pred.map((s) => s.entities), entityKey),
    relation: countMatches(gold.map((s) => s.relations), pred.map((s) => s.relations), relationKey),
    ungrounded,
    sentences: gold.length,
  };
}
