import type { ExtractionSchema } from './schema';

/**
 * Result records of information extraction. Offsets are UTF-16 code units into the input
 * string (the same units as JavaScript string indices and VS Code document offsets), with
 * `end` exclusive, so `input.slice(start, end) === text` always holds for a reported span.
 */

/** How a span reported by a provider was located in the input (see `grounding.ts`). */
export type GroundingKind = 'exact' | 'normalised' | 'fuzzy';

export interface ExtractedEntity {
  type: string;
  text: string;
  start: number;
  end: number;
  grounding?: GroundingKind;
  /**
   * The built-in model's calibrated probability that this span and type are right (0..1):
   * about this fraction of spans reported with it are correct. Only a model with a
   * calibration gives it (the shipped extractor has none yet); remote providers give none.
   */
  confidence?: number;
}

/** An entity as referenced from a relation or event argument (same fields, no grounding). */
export interface EntityRef {
  type: string;
  text: string;
  start: number;
  end: number;
}

export interface ExtractedRelation {
  type: string;
  head: EntityRef;
  tail: EntityRef;
  /** The model's probability of this relation (built-in model), 0..1. */
  score?: number;
  /**
   * The words of the input that justify the relation (its rationale), in text order. The
   * built-in causal model finds them by erasure (`score`: how much the relation's probability
   * drops without that word); a remote model names them as evidence (no score).
   */
  rationale?: RationaleWord[];
}

/** A word of the input that a relation rests on; `text === input.slice(start, end)`. */
export interface RationaleWord {
  text: string;
  start: number;
  end: number;
  score?: number;
}

export interface EventArgument {
  role: string;
  entity: EntityRef;
}

export interface ExtractedEvent {
  type: string;
  trigger: EntityRef;
  arguments: EventArgument[];
}

export interface ExtractionResult {
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
  events: ExtractedEvent[];
  /** Spans the provider reported that could not be found in the input (dropped, not shown). */
  ungrounded: number;
  /** Which provider produced the result, e.g. `builtin`, `openai:gpt-4o-mini`. */
  provider: string;
}

/** Progress while a provider works (streamed characters/tokens from a remote model). */
export interface ExtractionProgress {
  /** Characters of model output received so far. */
  receivedChars: number;
  /** The latest chunk of output text (may be empty). */
  chunk: string;
  /** A remote provider sends a long text in pieces: how many are answered, of how many. */
  piecesDone?: number;
  pieces?: number;
}

export interface ExtractOptions {
  signal?: AbortSignal;
  onProgress?: (p: ExtractionProgress) => void;
}

/** Anything that turns text + schema into grounded records. */
export interface ExtractionProvider {
  readonly name: string;
  extract(text: string, schema: ExtractionSchema, options?: ExtractOptions): Promise<ExtractionResult>;
}
