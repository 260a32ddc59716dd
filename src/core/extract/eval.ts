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
  /**
   * The same scores for each entity type and each relation type (the micro averages above
   * hide a type the model never gets right), keyed by type in sorted order: every type of the
   * gold data or the predictions.
   */
  perType: { entity: Record<string, Prf>; relation: Record<string, Prf> };
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

/** `countMatches` restricted to each type in turn (a record matches only records of its own type). */
function countMatchesPerType<T extends { type: string }>(gold: T[][], pred: T[][], key: (x: T) => string): Record<string, Prf> {
  const types = [...new Set([...gold, ...pred].flatMap((s) => s.map((x) => x.type)))].sort();
  const ofType = (sentences: T[][], type: string) => sentences.map((s) => s.filter((x) => x.type === type));
  return Object.fromEntries(types.map((type) => [type, countMatches(ofType(gold, type), ofType(pred, type), key)]));
}

/** Score predictions against gold, sentence by sentence (arrays aligned by index). */
export function scoreExtraction(gold: ScoredSentence[], pred: ScoredSentence[], ungrounded = 0): ExtractionScores {
  if (gold.length !== pred.length) throw new Error(`scoreExtraction: ${gold.length} gold vs ${pred.length} predicted sentences`);
  const entities = [gold.map((s) => s.entities), pred.map((s) => s.entities)] as const;
  const relations = [gold.map((s) => s.relations), pred.map((s) => s.relations)] as const;
  return {
    entity: countMatches(entities[0], entities[1], entityKey),
    relation: countMatches(relations[0], relations[1], relationKey),
    perType: { entity: countMatchesPerType(entities[0], entities[1], entityKey), relation: countMatchesPerType(relations[0], relations[1], relationKey) },
    ungrounded,
    sentences: gold.length,
  };
}
