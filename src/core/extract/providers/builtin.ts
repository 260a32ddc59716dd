import { initBackend } from '../../tensor/backend';
import { ExtractorModel } from '../builtin/extractorModel';
import { tokenizeWords, type WordToken } from '../builtin/tokenize';
import { defaultExtractorModelFile } from '../modelPath';
import type { ExtractionSchema } from '../schema';
import { trimBidiControls } from '../../util/untrustedText';
import type { EntityRef, ExtractedEntity, ExtractedRelation, ExtractionProvider, ExtractionResult, ExtractOptions } from '../types';

/**
 * The offline provider: the built-in tagger + relation classifier (see `builtin/`). Spans are
 * input slices by construction, so everything is grounded `exact` and `ungrounded` is 0.
 * Only types that are both in the requested schema and known to the model are reported.
 * Bidirectional formatting characters are trimmed from a span's ends, and a span with one
 * inside is not reported (it would display reordered).
 */
export interface BuiltinProviderOptions {
  /** A trained extractor's JSON file (default: the shipped `models/extractor/extractor.json`). */
  modelFile?: string;
}

/** Sentences longer than this are cut into pieces for the relation classifier's pairing. */
const MAX_SENTENCE_TOKENS = 150;

export class BuiltinProvider implements ExtractionProvider {
  readonly name = 'builtin';

  private constructor(readonly model: ExtractorModel) {}

  static async create(options: BuiltinProviderOptions = {}): Promise<BuiltinProvider> {
    await initBackend();
    return new BuiltinProvider(await ExtractorModel.load(options.modelFile ?? defaultExtractorModelFile()));
  }

  dispose(): void {
    this.model.dispose();
  }

  async extract(text: string, schema: ExtractionSchema, options: ExtractOptions = {}): Promise<ExtractionResult> {
    options.signal?.throwIfAborted();
    const sentences = splitSentences(tokenizeWords(text, this.model.isKnownToken, { keepFinalPeriod: true }), text);
    const predictions = this.model.predict(sentences.map((s) => s.map((t) => t.text)));
    const entityTypes = new Set(schema.entities.map((e) => e.type));
    const relationTypes = new Set(schema.relations.map((r) => r.type));
    const entities: ExtractedEntity[] = [];
    const relations: ExtractedRelation[] = [];
    predictions.forEach((p, s) => {
      const toks = sentences[s];
      const refs: (EntityRef | undefined)[] = p.entities.map((e) => {
        const span = trimBidiControls(text, toks[e.start].start, toks[e.end - 1].end);
        return span && { type: e.type, text: text.slice(span.start, span.end), ...span };
      });
      const shown = (r: EntityRef | undefined): r is EntityRef => r !== undefined && entityTypes.has(r.type);
      for (const r of refs) if (shown(r)) entities.push({ ...r, grounding: 'exact' });
      for (const r of p.relations) {
        const head = refs[r.head];
        const tail = refs[r.tail];
        if (relationTypes.has(r.type) && shown(head) && shown(tail)) relations.push({ type: r.type, head, tail });
      }
    });
    options.onProgress?.({ receivedChars: text.length, chunk: '' });
    return { entities, relations, events: [], ungrounded: 0, provider: this.name };
  }
}

/** Sentence pieces: split after a standalone ".", "!" or "?" and at blank lines. */
export function splitSentences(tokens: WordToken[], text?: string): WordToken[][] {
  const out: WordToken[][] = [];
  let cur: WordToken[] = [];
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    cur.push(t);
    const end = /^[.!?]$/.test(t.text) || (text !== undefined && next !== undefined && /\n\s*\n/.test(text.slice(t.end, next.start)));
    if (end || cur.length >= MAX_SENTENCE_TOKENS) { out.push(cur); cur = []; }
  });
  if (cur.length > 0) out.push(cur);
  return out;
}
