import { readFile } from 'node:fs/promises';
import { initBackend } from '../../tensor/backend';
import { CausalModel } from '../causal/causalModel';
import { ExtractorModel } from '../builtin/extractorModel';
import { tokenizeWords, type WordToken } from '../builtin/tokenize';
import { defaultCausalModelFile, defaultExtractorModelFile } from '../modelPath';
import type { ExtractionSchema } from '../schema';
import { trimBidiControls } from '../../util/untrustedText';
import type { EntityRef, ExtractedEntity, ExtractedRelation, ExtractionProvider, ExtractionResult, ExtractOptions, RationaleWord } from '../types';

/**
 * The offline provider: the built-in tagger + relation classifier (see `builtin/`) for the
 * CoNLL04 types, and the causal model (`causal/`) for `Cause`, `Effect` and `Cause-Effect`
 * (loaded the first time a schema asks for them). Spans are input slices by construction, so
 * everything is grounded `exact` and `ungrounded` is 0. Only types that are both in the
 * requested schema and known to a model are reported. Bidirectional formatting characters are
 * trimmed from a span's ends, and a span with one inside is not reported (it would display
 * reordered).
 */
export interface BuiltinProviderOptions {
  /**
   * A trained model's JSON file: an extractor (default: the shipped `models/extractor/extractor.json`)
   * or a causal model (default: the shipped `models/causal/causal.json`), told apart by its format.
   */
  modelFile?: string;
}

/** Sentences longer than this are cut into pieces for the relation classifier's pairing. */
const MAX_SENTENCE_TOKENS = 150;
/** What the causal model reports. */
const CAUSAL_TYPES = { cause: 'Cause', effect: 'Effect', relation: 'Cause-Effect' } as const;

export class BuiltinProvider implements ExtractionProvider {
  readonly name = 'builtin';
  private causal?: Promise<CausalModel>;

  private constructor(readonly model: ExtractorModel, private readonly causalModelFile: string) {}

  static async create(options: BuiltinProviderOptions = {}): Promise<BuiltinProvider> {
    await initBackend();
    let extractorFile = defaultExtractorModelFile();
    let causalFile = defaultCausalModelFile();
    if (options.modelFile) {
      if (await isCausalModelFile(options.modelFile)) causalFile = options.modelFile;
      else extractorFile = options.modelFile;
    }
    const provider = new BuiltinProvider(await ExtractorModel.load(extractorFile), causalFile);
    // A causal model named explicitly is loaded now, so a bad file fails here.
    if (causalFile === options.modelFile) await provider.causalModel();
    return provider;
  }

  dispose(): void {
    this.model.dispose();
    void this.causal?.then((m) => m.dispose(), () => undefined);
  }

  private causalModel(): Promise<CausalModel> {
    if (!this.causal) {
      const loading = CausalModel.load(this.causalModelFile);
      loading.catch(() => { if (this.causal === loading) this.causal = undefined; });
      this.causal = loading;
    }
    return this.causal;
  }

  async extract(text: string, schema: ExtractionSchema, options: ExtractOptions = {}): Promise<ExtractionResult> {
    options.signal?.throwIfAborted();
    const entityTypes = new Set(schema.entities.map((e) => e.type));
    const relationTypes = new Set(schema.relations.map((r) => r.type));
    const wantsCausal = relationTypes.has(CAUSAL_TYPES.relation) || entityTypes.has(CAUSAL_TYPES.cause) || entityTypes.has(CAUSAL_TYPES.effect);
    const wantsExtractor = this.model.meta.entityTypes.some((t) => entityTypes.has(t));
    const entities: ExtractedEntity[] = [];
    const relations: ExtractedRelation[] = [];
    if (wantsExtractor) this.extractEntities(text, entityTypes, relationTypes, entities, relations);
    if (wantsCausal) {
      const causal = await this.causalModel();
      options.signal?.throwIfAborted();
      extractCausal(causal, text, entityTypes, relationTypes, entities, relations);
    }
    entities.sort((a, b) => a.start - b.start || a.end - b.end);
    options.onProgress?.({ receivedChars: text.length, chunk: '' });
    return { entities, relations, events: [], ungrounded: 0, provider: this.name };
  }

  private extractEntities(text: string, entityTypes: Set<string>, relationTypes: Set<string>, entities: ExtractedEntity[], relations: ExtractedRelation[]): void {
    const sentences = splitSentences(tokenizeWords(text, this.model.isKnownToken), text);
    const predictions = this.model.predict(sentences.map((s) => s.map((t) => t.text)));
    predictions.forEach((p, s) => {
      const toks = sentences[s];
      const refs: (EntityRef | undefined)[] = p.entities.map((e) => spanRef(text, toks, e.start, e.end, e.type));
      const shown = (r: EntityRef | undefined): r is EntityRef => r !== undefined && entityTypes.has(r.type);
      p.entities.forEach((e, i) => {
        const r = refs[i];
        if (shown(r)) entities.push({ ...r, grounding: 'exact', ...(e.confidence !== undefined ? { confidence: e.confidence } : {}) });
      });
      for (const r of p.relations) {
        const head = refs[r.head];
        const tail = refs[r.tail];
        if (relationTypes.has(r.type) && shown(head) && shown(tail)) {
          relations.push({ type: r.type, head, tail, score: r.score, rationale: rationaleWords(text, toks, r.rationale) });
        }
      }
    });
  }
}

/** Cause and effect spans and the relations between them, each with its rationale words. */
function extractCausal(model: CausalModel, text: string, entityTypes: Set<string>, relationTypes: Set<string>, entities: ExtractedEntity[], relations: ExtractedRelation[]): void {
  const sentences = splitSentences(tokenizeWords(text, model.isKnownToken), text);
  const decisions = model.decide(sentences.map((s) => s.map((t) => t.text)));
  const seen = new Set<string>();
  const entity = (ref: EntityRef | undefined): EntityRef | undefined => {
    if (!ref || !entityTypes.has(ref.type)) return ref;
    const key = `${ref.type}:${ref.start}:${ref.end}`;
    if (!seen.has(key)) { seen.add(key); entities.push({ ...ref, grounding: 'exact' }); }
    return ref;
  };
  decisions.forEach((list, s) => {
    const toks = sentences[s];
    for (const d of list) {
      const cause = entity(spanRef(text, toks, d.cause.start, d.cause.end, CAUSAL_TYPES.cause));
      const effect = entity(spanRef(text, toks, d.effect.start, d.effect.end, CAUSAL_TYPES.effect));
      if (!cause || !effect || !relationTypes.has(CAUSAL_TYPES.relation)) continue;
      const rationale = rationaleWords(text, toks, d.rationale);
      relations.push({ type: CAUSAL_TYPES.relation, head: cause, tail: effect, score: d.p, rationale });
    }
  });
}

/** A relation's rationale (token indices with scores) as words of the input. */
function rationaleWords(text: string, toks: WordToken[], r: { tokens: number[]; scores: number[] }): RationaleWord[] {
  return r.tokens.flatMap((i, k) => {
    const span = trimBidiControls(text, toks[i].start, toks[i].end);
    return span ? [{ text: text.slice(span.start, span.end), ...span, score: r.scores[k] }] : [];
  });
}

/** The text span of tokens [start, end) with bidirectional controls trimmed off its ends (undefined if one is inside). */
function spanRef(text: string, toks: WordToken[], start: number, end: number, type: string): EntityRef | undefined {
  const span = trimBidiControls(text, toks[start].start, toks[end - 1].end);
  return span && { type, text: text.slice(span.start, span.end), ...span };
}

/** Whether a model file is a causal model (its JSON names the format). */
async function isCausalModelFile(file: string): Promise<boolean> {
  try {
    const head = (await readFile(file, 'utf8')).slice(0, 200);
    return /"format"\s*:\s*"model-lab-causal"/.test(head);
  } catch {
    return false; // the extractor's loader reports the unreadable file
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
