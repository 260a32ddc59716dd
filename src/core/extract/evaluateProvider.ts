import { UserError } from '../errors';
import { throttledYield } from '../util/eventLoop';
import { conll04ToDocument, type Conll04Sentence } from './conll04';
import { scoreExtraction, type ExtractionScores, type ScoredSentence } from './eval';
import type { ExtractionSchema } from './schema';
import type { ExtractionProvider } from './types';

/**
 * Runs a provider over annotated sentences and scores it (the `extract eval` command and the
 * `extract-eval` experiment kind). Each sentence is given to the provider as text (its tokens
 * joined by single spaces), so every provider is evaluated the same way, through grounding.
 * Only the types the schema names are scored: gold entities of other types and relations of
 * other types (or between such entities) are left out, so a schema of three entity types
 * measures those three.
 */
export async function evaluateProvider(
  provider: ExtractionProvider,
  sentences: Conll04Sentence[],
  schema: ExtractionSchema,
  hooks: { signal?: AbortSignal; onSentence?: (done: number, total: number) => void } = {},
): Promise<ExtractionScores> {
  const gold: ScoredSentence[] = [];
  const pred: ScoredSentence[] = [];
  let ungrounded = 0;
  const entityTypes = new Set(schema.entities.map((e) => e.type));
  const relationTypes = new Set(schema.relations.map((r) => r.type));
  // A local provider computes synchronously: let a stop request (signal, IPC) in between sentences.
  const yieldToEventLoop = throttledYield(50);
  for (const [i, s] of sentences.entries()) {
    await yieldToEventLoop();
    if (hooks.signal?.aborted) throw new UserError('evaluation cancelled');
    const doc = conll04ToDocument(s);
    const result = await provider.extract(doc.text, schema, { signal: hooks.signal });
    gold.push({
      entities: doc.entities.filter((e) => entityTypes.has(e.type)),
      relations: doc.relations.filter((r) => relationTypes.has(r.type) && entityTypes.has(r.head.type) && entityTypes.has(r.tail.type)),
    });
    pred.push({ entities: result.entities, relations: result.relations });
    ungrounded += result.ungrounded;
    hooks.onSentence?.(i + 1, sentences.length);
  }
  return scoreExtraction(gold, pred, ungrounded);
}
